#pragma once
// What a calibration measures: GEMM grids, bandwidth-bound kernels and links over message sizes,
// and held-out points off those grids that validate the fits (never used to fit them).

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/measurement.h"
#include "sim/core/dtype.h"

namespace gppsim::calibrate {

/// The hardware a calibration runs on.
enum class Backend { kCpu, kCuda };

/// "cpu" or "cuda".
std::string to_string(Backend backend);

/// A full calibration sweep. Grids are powers of two (the fit's knots); held-out GEMM shapes and
/// sizes are drawn log-uniformly inside each grid's range from a seeded generator.
struct SweepPlan {
  Backend backend = Backend::kCpu;
  bool quick = false;
  std::uint64_t seed = 1;
  double holdout_fraction = 0.2;           ///< share of all measured points held out
  kernels::BenchSettings settings;

  std::vector<core::Dtype> dtypes;         ///< GEMM dtypes
  std::vector<std::string> gemm_layouts;   ///< batch-1 operand layouts measured, "nn" first (GemmPoint)
  std::vector<std::vector<std::int64_t>> gemm_axes;     ///< m, n, k (batch 1)
  /// m, n, k of the tn grid when it differs (empty: gemm_axes). dW += X^T dY has the tokens as
  /// k and layer widths as m and n, so its small axis is k.
  std::vector<std::vector<std::int64_t>> gemm_tn_axes;
  std::vector<std::vector<std::int64_t>> batched_axes;  ///< m, n, k, batch (batch >= 2)
  std::vector<std::string> memory_kernels; ///< bandwidth-bound kernels (the profile's memory fits)
  std::vector<std::int64_t> memory_bytes;  ///< sizes of the memory fits' knots
  std::vector<std::string> link_kinds;     ///< links measured by this backend (the profile's link fits)
  std::vector<std::int64_t> link_bytes;    ///< message sizes of the link fits' knots

  std::vector<kernels::GemmPoint> holdout_gemms;    ///< off-grid GEMMs, batch 1 (every layout) and batched
  std::vector<std::int64_t> holdout_memory_bytes;   ///< off-grid sizes for each memory kernel
  std::vector<std::int64_t> holdout_link_bytes;     ///< off-grid sizes for each link

  /// The m, n, k axes of the batch-1 grid of `layout`.
  [[nodiscard]] const std::vector<std::vector<std::int64_t>>& gemm_axes_of(const std::string& layout) const {
    return layout == "tn" && !gemm_tn_axes.empty() ? gemm_tn_axes : gemm_axes;
  }
  /// Every point of the grids (fit points) for this dtype: the batch-1 grid in each layout, then
  /// the batched grid.
  [[nodiscard]] std::vector<kernels::GemmPoint> grid_gemms(core::Dtype dtype) const;
  /// Number of benchmark runs the sweep makes (fit and held-out points), for progress.
  [[nodiscard]] std::size_t total_points() const;
};

/// The benchmark that measures a profile memory kernel on `backend` (the CUDA "copy" runs as
/// copy_d2d; every other name is the same, the optimizers' "sgd", "momentum" and "adam"
/// included).
std::string measured_kernel(const std::string& memory_kernel, Backend backend);

/// The built-in sweep of a backend; `quick` is a small subset for CI (fits are coarser).
SweepPlan make_sweep_plan(Backend backend, bool quick, std::uint64_t seed);

/// `count` sizes drawn log-uniformly in [lo, hi], rounded to multiples of `align` (at least
/// `align`), none equal to a power of two (so none coincides with a knot). Deterministic in seed.
std::vector<std::int64_t> holdout_sizes(std::int64_t lo, std::int64_t hi, std::size_t count, std::int64_t align,
                                        std::uint64_t seed);

/// How many held-out points go with `fit_points` fit points so that they are `fraction` of all.
std::size_t holdout_count(std::size_t fit_points, double fraction);

}  // namespace gppsim::calibrate
