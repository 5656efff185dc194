// Pooling the sweeps of several processes that ran at once (`gppsim calibrate --concurrent N`),
// and reading a sweep back from its raw record.
#include <algorithm>

#include <fmt/format.h>

#include "kernels/calibrate/calibrate.h"
#include "kernels/common/kernel_error.h"

namespace gppsim::calibrate {
namespace {

void pool_into(kernels::Measurement* into, const kernels::Measurement& other, std::size_t process) {
  if (other.kernel != into->kernel || other.dtype != into->dtype || other.shape != into->shape) {
    throw kernels::KernelError(fmt::format("process {} of a concurrent sweep measured {} {} where the first measured "
                                           "{} {}: the sweeps differ",
                                           process, other.kernel, other.dtype, into->kernel, into->dtype));
  }
  into->times_s.insert(into->times_s.end(), other.times_s.begin(), other.times_s.end());
  into->correct = into->correct && other.correct;
  into->max_relative_error = std::max(into->max_relative_error, other.max_relative_error);
}

/// Pools `other` into the first other.size() points of `into`. The first process may also have
/// run the links (MPI ping-pong, last in its lists), which the others leave out.
void pool_list(std::vector<kernels::Measurement>* into, const std::vector<kernels::Measurement>& other,
               std::size_t process) {
  if (other.size() > into->size()) {
    throw kernels::KernelError(fmt::format("process {} of a concurrent sweep measured {} points where the first "
                                           "measured {}: the sweeps differ",
                                           process, other.size(), into->size()));
  }
  for (std::size_t i = 0; i < other.size(); ++i) pool_into(&(*into)[i], other[i], process);
}

std::vector<kernels::Measurement> measurements_of(const nlohmann::json& list) {
  std::vector<kernels::Measurement> out;
  for (const auto& j : list) out.push_back(kernels::measurement_from_json(j));
  return out;
}

}  // namespace

SweepMeasurements pool_measurements(SweepMeasurements first, const std::vector<SweepMeasurements>& others) {
  for (std::size_t p = 0; p < others.size(); ++p) {
    pool_list(&first.fit, others[p].fit, p + 1);
    pool_list(&first.holdout, others[p].holdout, p + 1);
    pool_into(&first.launch, others[p].launch, p + 1);
  }
  return first;
}

SweepMeasurements measurements_from_raw_json(const nlohmann::json& raw) {
  SweepMeasurements m;
  m.device = raw.at("device").get<std::string>();
  m.launch = kernels::measurement_from_json(raw.at("launch"));
  m.fit = measurements_of(raw.at("fit_points"));
  m.holdout = measurements_of(raw.at("holdout_points"));
  return m;
}

}  // namespace gppsim::calibrate
