#pragma once
// One microbenchmark point in the manner of nccl-tests: what ran, every timed iteration, the
// work it did (FLOPs, bytes) and whether its result was checked correct. Formulas for the
// derived rates: kernels/README.md. Shared by the CUDA and the CPU benchmarks.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gppsim::kernels {

/// Warm-up and timed iterations of one benchmark point.
struct BenchSettings {
  int warmup = 3;       ///< untimed runs before timing (>= 0)
  int iterations = 10;  ///< timed runs (>= 1); each is recorded
};

/// A GEMM to run: C[m x n] = A[m x k] B[k x n], `batch` independent products (strided batched
/// when batch > 1), every dimension >= 1, at a dtype named as in sim/core/dtype.h ("fp32",
/// "tf32", "fp16", "bf16", "fp64"). `layout` names the operands' storage as a layer's three
/// GEMMs use them: "nn" C = A B (forward, Y = X W), "nt" C = A B^T with B stored n x k (input
/// gradient, dX = dY W^T), "tn" C += A^T B with A stored k x m, accumulating (weight gradient,
/// dW += X^T dY). Batched products run "nn" only.
struct GemmPoint {
  std::int64_t m = 1;
  std::int64_t n = 1;
  std::int64_t k = 1;
  std::int64_t batch = 1;
  std::string dtype = "fp32";
  std::string layout = "nn";
};

/// The Measurement::kernel name of a GEMM point: "batched_gemm" for batch > 1, else "gemm"
/// ("nn"), "gemm_nt" or "gemm_tn".
std::string gemm_kernel_name(const GemmPoint& point);

/// The result of one benchmark point.
struct Measurement {
  std::string kernel;                ///< e.g. "gemm", "elementwise", "copy_d2d", "mpi_pingpong"
  std::string dtype;                 ///< arithmetic dtype; empty for pure data movement
  std::vector<std::int64_t> shape;   ///< gemm: {m, n, k, batch}; others: {bytes}
  double flops = 0.0;                ///< floating-point operations of one iteration
  double bytes = 0.0;                ///< bytes moved by one iteration, counted as kernels/README.md says
  std::vector<double> times_s;       ///< seconds of each timed iteration, in order
  bool correct = false;              ///< the result passed its correctness check
  double max_relative_error = 0.0;   ///< worst relative error found by that check

  /// Median of times_s (mean of the two middle values for an even count); 0 when empty.
  [[nodiscard]] double median_s() const;
  /// flops / median_s(); 0 when either is 0.
  [[nodiscard]] double flops_per_s() const;
  /// bytes / median_s(); 0 when either is 0.
  [[nodiscard]] double bytes_per_s() const;
};

/// Median of `values` (mean of the two middle values for an even count); 0 when empty.
double median(std::vector<double> values);

/// JSON object with every field plus the derived median_s, flops_per_s and bytes_per_s.
nlohmann::json to_json(const Measurement& m);
/// Inverse of to_json (derived fields are ignored). Throws nlohmann::json::exception on a
/// malformed object.
Measurement measurement_from_json(const nlohmann::json& j);

}  // namespace gppsim::kernels
