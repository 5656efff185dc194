#pragma once
// CUDA microbenchmarks in the manner of nccl-tests: warm-up, timed iterations measured with CUDA
// events, a correctness check, FLOP and byte formulas in kernels/README.md. Plain C++ header:
// callers need no CUDA headers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common/measurement.h"
#include "kernels/cuda/device_query.h"

namespace gppsim::kernels {

/// A benchmark session on one CUDA device: owns the cuBLAS handle, a stream, timing events and
/// scratch buffers (grown on demand, freed by the destructor). Not thread-safe.
class CudaBench {
 public:
  /// Selects device `device`; throws CudaError when it does not exist or cannot be initialised.
  explicit CudaBench(int device = 0);
  ~CudaBench();
  CudaBench(const CudaBench&) = delete;
  CudaBench& operator=(const CudaBench&) = delete;

  /// The device this session runs on.
  [[nodiscard]] const CudaDeviceInfo& device() const;
  /// cuBLAS version as "major.minor.patch".
  [[nodiscard]] std::string cublas_version() const;
  /// NCCL version as "major.minor.patch", or "" when built without NCCL.
  [[nodiscard]] std::string nccl_version() const;

  /// One cuBLAS GEMM point (cublasGemmEx, or cublasGemmStridedBatchedEx when batch > 1).
  /// dtypes: "fp32" (fp32 compute), "tf32" (fp32 data, TF32 tensor cores), "fp16" and "bf16"
  /// (fp32 accumulation). flops = 2 m n k batch. Checked on sampled entries against a host
  /// dot product. Throws KernelError for an unknown dtype or a failed check, CudaError on a
  /// failed call.
  Measurement gemm(const GemmPoint& point, const BenchSettings& settings);

  /// One bandwidth-bound kernel moving `bytes` (reads plus writes as kernels/README.md counts
  /// them, >= 1024). Kernels: "elementwise", "layer_norm", "softmax", "embedding_bag",
  /// "copy_d2d", "copy_h2d", "copy_d2h" (the last two from pinned host memory).
  Measurement bandwidth(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings);

  /// An empty kernel launched back to back: times_s holds the time per launch.
  Measurement launch_overhead(const BenchSettings& settings);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Across every visible device (needs at least two): peer copies ("peer_copy"), NCCL send/recv
/// ("nccl_sendrecv") and NCCL all-reduce ("nccl_allreduce") for each message size in `sizes`.
/// Empty when fewer than two devices are visible or the build has no NCCL.
std::vector<Measurement> run_multi_gpu_sweep(const std::vector<std::int64_t>& sizes,
                                             const BenchSettings& settings);

}  // namespace gppsim::kernels
