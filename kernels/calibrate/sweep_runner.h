#pragma once
// Internal to kernels/calibrate: the loops every backend's sweep shares (fit points, then the
// held-out ones), with progress. A backend supplies only how to measure one point.

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernels/calibrate/calibrate.h"

namespace gppsim::calibrate::detail {

/// Runs a sweep's points into `out`, counting them for the progress callback.
class SweepRunner {
 public:
  SweepRunner(const SweepPlan& plan, const ProgressFn& progress, SweepMeasurements* out)
      : plan_(plan), total_(plan.total_points()), progress_(progress), out_(out) {}

  /// Reports `points` more points done, the last being `what`.
  void tick(const std::string& what, std::size_t points = 1) {
    done_ += points;
    if (progress_) progress_(done_, total_, what);
  }

  /// Every grid GEMM of every dtype (fit), then the held-out GEMMs; `measure(GemmPoint)`.
  template <typename Measure>
  void gemms(Measure&& measure) {
    for (const auto dtype : plan_.dtypes) {
      for (const auto& g : plan_.grid_gemms(dtype)) record(measure(g), describe(g), &out_->fit);
    }
    for (const auto& g : plan_.holdout_gemms) record(measure(g), describe(g) + " (held out)", &out_->holdout);
  }

  /// One size-swept kernel at the fit sizes, then the held-out ones; `measure(kernel, bytes)`.
  template <typename Measure>
  void sizes(const std::string& kernel, const std::vector<std::int64_t>& fit, const std::vector<std::int64_t>& held,
             Measure&& measure) {
    for (const auto bytes : fit) record(measure(kernel, bytes), fmt::format("{} {} B", kernel, bytes), &out_->fit);
    for (const auto bytes : held) {
      record(measure(kernel, bytes), fmt::format("{} {} B (held out)", kernel, bytes), &out_->holdout);
    }
  }

 private:
  static std::string describe(const kernels::GemmPoint& g) {
    return fmt::format("{} {} {}x{}x{}{}", kernels::gemm_kernel_name(g), g.dtype, g.m, g.n, g.k,
                       g.batch > 1 ? fmt::format(" x{}", g.batch) : "");
  }
  void record(kernels::Measurement m, const std::string& what, std::vector<kernels::Measurement>* into) {
    into->push_back(std::move(m));
    tick(what);
  }

  const SweepPlan& plan_;
  std::size_t total_;
  const ProgressFn& progress_;
  SweepMeasurements* out_;
  std::size_t done_ = 0;
};

}  // namespace gppsim::calibrate::detail
