#pragma once
// CPU microbenchmarks with the harness of the CUDA ones (warm-up, timed iterations, correctness
// check; kernels/README.md gives the FLOP and byte formulas): single-threaded OpenBLAS GEMM and
// memory streaming. MPI ping-pong is the separate executable gppsim_mpi_pingpong
// (mpi_pingpong_main.cc) because it runs under mpirun.

#include <cstdint>
#include <string>

#include "kernels/common/measurement.h"

namespace gppsim::kernels {

/// One GEMM point on one thread of OpenBLAS: "fp32" (sgemm) or "fp64" (dgemm); batch > 1 runs
/// `batch` products on distinct matrices back to back. flops = 2 m n k batch. The result is
/// checked against a double-precision dot product on sampled entries. Throws KernelError for
/// another dtype, a dimension < 1 or a failed check.
Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings);

/// Memory streaming of `bytes` (reads plus writes, >= 64) on one thread. Kernels: "copy"
/// (memcpy of bytes / 2), "elementwise" (fp32 z = x + a y: bytes / 12 elements). Throws
/// KernelError for another kernel name or a failed check.
Measurement run_cpu_stream(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings);

/// The CPU's model name from /proc/cpuinfo ("unknown" when unreadable).
std::string cpu_model_name();
/// OpenBLAS's configuration string (version, core type, threading).
std::string openblas_config();

}  // namespace gppsim::kernels
