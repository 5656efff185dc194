#include "sim/cost/profile_cost_source.h"

#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace gppsim::cost {
namespace {

std::string calibrated_dtypes(const hw::DeviceProfile& p) {
  std::vector<std::string_view> names;
  for (const auto& [dtype, table] : p.gemm) names.push_back(core::to_string(dtype));
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

ProfileCostSource::ProfileCostSource(std::shared_ptr<const hw::DeviceProfile> profile)
    : profile_(std::move(profile)) {
  GPPSIM_CHECK(profile_ != nullptr, "ProfileCostSource needs a profile");
  const std::string problems = profile_->validate();
  GPPSIM_CHECK(problems.empty(), fmt::format("profile '{}' is invalid: {}", profile_->name, problems));
}

bool ProfileCostSource::supports(core::Dtype dtype) const { return profile_->gemm.count(dtype) != 0; }

core::Seconds ProfileCostSource::gemm_time(const model::GemmShape& s, core::Dtype dtype, GemmLayout layout) const {
  GPPSIM_CHECK(s.m >= 1 && s.n >= 1 && s.k >= 1 && s.batch >= 1,
               fmt::format("GEMM shape m={} n={} k={} batch={} has a dimension < 1", s.m, s.n, s.k, s.batch));
  const auto table = profile_->gemm.find(dtype);
  if (table == profile_->gemm.end()) {
    throw core::PlanError(fmt::format(
        "device profile '{}' has no {} GEMM measurements (calibrated: {}); choose another training dtype or "
        "calibrate that dtype",
        profile_->name, core::to_string(dtype), calibrated_dtypes(*profile_)));
  }
  const auto m = static_cast<double>(s.m);
  const auto n = static_cast<double>(s.n);
  const auto k = static_cast<double>(s.k);
  const auto batch = static_cast<double>(s.batch);
  if (s.batch > 1) {
    const auto batched = profile_->batched_gemm.find(dtype);
    if (batched != profile_->batched_gemm.end()) {
      return core::Seconds{s.flops().value() / batched->second.interpolate({m, n, k, batch})};
    }
  }
  return core::Seconds{2.0 * m * n * k * batch / layout_table(layout, dtype, table->second).interpolate({m, n, k})};
}

const hw::GridTable& ProfileCostSource::layout_table(GemmLayout layout, core::Dtype dtype,
                                                     const hw::GridTable& nn) const {
  const std::map<core::Dtype, hw::GridTable>* tables = layout == GemmLayout::kNT   ? &profile_->gemm_nt
                                                       : layout == GemmLayout::kTN ? &profile_->gemm_tn
                                                                                   : nullptr;
  if (tables == nullptr) return nn;
  const auto it = tables->find(dtype);
  return it != tables->end() ? it->second : nn;
}

core::Seconds ProfileCostSource::optimizer_time(model::Optimizer optimizer, core::Bytes bytes) const {
  const char* name = optimizer == model::Optimizer::kAdam       ? "adam"
                     : optimizer == model::Optimizer::kMomentum ? "momentum"
                                                                : "sgd";
  const auto fit = profile_->memory.find(name);
  if (fit == profile_->memory.end()) return memory_time(bytes);
  return bytes.value() == 0.0 ? core::Seconds{0.0} : fit->second.time(bytes);
}

core::Seconds ProfileCostSource::reduction_time(core::Bytes bytes) const {
  if (profile_->backend != "cpu" || bytes.value() == 0.0) return core::Seconds(0.0);
  return memory_time(bytes * 3.0);
}

core::Seconds ProfileCostSource::memory_time(core::Bytes bytes) const {
  return profile_->memory.at("elementwise").time(bytes);
}

core::Seconds ProfileCostSource::launch_overhead() const { return core::Seconds{0.0}; }

core::Bytes ProfileCostSource::memory_capacity() const { return profile_->memory_capacity; }

std::string ProfileCostSource::name() const { return profile_->name; }

}  // namespace gppsim::cost
