#pragma once
// CPU microbenchmarks with the harness of the CUDA ones (warm-up, timed iterations, correctness
// check; kernels/README.md gives the FLOP and byte formulas): single-threaded OpenBLAS GEMM,
// memory streaming and optimizer steps. MPI ping-pong is the separate executable gppsim_mpi_pingpong
// (mpi_pingpong_main.cc) because it runs under mpirun.

#include <cstdint>
#include <string>

#include "kernels/common/measurement.h"
#include "kernels/cpu/gemm_operand_pool.h"

namespace gppsim::kernels {

/// Bytes of operands a GEMM point cycles through: consecutive calls use distinct copies of A, B
/// and C spanning at least this much, more than any CPU's last-level cache share, so every call
/// reads its operands from memory as a layer does in a training step (whose weights, gradients,
/// optimizer state and activations exceed the cache). On a 1024 x 1024 fp32 weight with 8
/// rows this is the difference between 256 us (cache-warm) and about 380 us on the EPYC here.
inline constexpr double kColdOperandBytes = 64.0 * 1024.0 * 1024.0;

/// One GEMM point on one thread of OpenBLAS: "fp32" (sgemm) or "fp64" (dgemm), in the point's
/// layout (nn, nt, tn; batched products nn only); batch > 1 runs `batch` products on distinct
/// matrices back to back. Operands are cold (kColdOperandBytes). flops = 2 m n k batch;
/// Measurement::kernel is gemm_kernel_name(point). The result is checked against a
/// double-precision dot product on sampled entries. Throws KernelError for another dtype or
/// layout, a dimension < 1 or a failed check.
Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings);
/// The same with operands in `pool`, which a sweep keeps across points (a fresh pool costs a
/// fill of kColdOperandBytes).
Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings, GemmOperandPool* pool);

/// Memory streaming of `bytes` (reads plus writes, >= 64) on one thread. Kernels: "copy"
/// (memcpy of bytes / 2), "elementwise" (fp32 z = x + a y: bytes / 12 elements). Throws
/// KernelError for another kernel name or a failed check.
Measurement run_cpu_stream(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings);

/// One optimizer step (optimizer_update.h, step 1) on one thread over the parameters whose
/// step moves `bytes` (>= 64; reads plus writes: 3, 5 or 7 bytes per parameter byte for kernel
/// "sgd", "momentum" or "adam"), so its fit reads like any bandwidth-bound kernel's. Sampled
/// weights are checked against the update recomputed in double. Throws KernelError for another
/// kernel name, too few bytes or a failed check.
Measurement run_cpu_optimizer(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings);

/// The CPU's model name from /proc/cpuinfo ("unknown" when unreadable).
std::string cpu_model_name();
/// OpenBLAS's configuration string (version, core type, threading).
std::string openblas_config();

}  // namespace gppsim::kernels
