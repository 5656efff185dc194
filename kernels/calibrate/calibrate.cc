#include "kernels/calibrate/calibrate.h"

#include <nlohmann/json.hpp>

namespace gppsim::calibrate {

std::string cuda_unavailable_reason();  // run_cuda.cc

std::string backend_unavailable_reason(Backend backend) {
  return backend == Backend::kCuda ? cuda_unavailable_reason() : std::string();
}

namespace {

/// The sweep `options` describe (without the links when they are skipped).
SweepPlan plan_of(const CalibrateOptions& options) {
  SweepPlan plan = make_sweep_plan(options.backend, options.quick, options.seed);
  if (options.skip_links) {
    plan.link_kinds.clear();
    plan.holdout_link_bytes.clear();
  }
  return plan;
}

CalibrationResult fit(const SweepPlan& plan, const CalibrateOptions& options, SweepMeasurements measurements) {
  CalibrationResult result;
  result.measurements = std::move(measurements);
  result.profile = build_profile(plan, result.measurements, options, &result.holdout_errors);
  return result;
}

}  // namespace

CalibrationResult calibrate(const CalibrateOptions& options, const ProgressFn& progress) {
  const SweepPlan plan = plan_of(options);
  return fit(plan, options, options.backend == Backend::kCuda ? run_cuda_sweep(plan, progress)
                                                               : run_cpu_sweep(plan, options, progress));
}

CalibrationResult fit_measurements(const CalibrateOptions& options, SweepMeasurements measurements) {
  return fit(plan_of(options), options, std::move(measurements));
}

std::string raw_json(const CalibrationResult& result) {
  nlohmann::json j;
  j["profile"] = result.profile.name;
  j["device"] = result.measurements.device;
  j["versions"] = result.measurements.versions;
  j["launch"] = kernels::to_json(result.measurements.launch);
  auto& fit = j["fit_points"] = nlohmann::json::array();
  for (const auto& m : result.measurements.fit) fit.push_back(kernels::to_json(m));
  auto& held = j["holdout_points"] = nlohmann::json::array();
  for (const auto& m : result.measurements.holdout) held.push_back(kernels::to_json(m));
  auto& errors = j["holdout_errors"] = nlohmann::json::array();
  for (const auto& e : result.holdout_errors) {
    errors.push_back({{"kernel", e.kernel}, {"dtype", e.dtype}, {"shape", e.shape}, {"measured_s", e.measured_s},
                      {"predicted_s", e.predicted_s}, {"relative_error", e.relative_error}});
  }
  return j.dump(1) + "\n";
}

}  // namespace gppsim::calibrate
