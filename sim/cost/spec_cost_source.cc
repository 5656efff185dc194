#include "sim/cost/spec_cost_source.h"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace gppsim::cost {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::string supported_list(const hw::DeviceSpec& spec) {
  std::string out;
  for (const auto& [dtype, peak] : spec.peak) {
    if (!out.empty()) out += ", ";
    out += core::to_string(dtype);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

SpecCostSource::SpecCostSource(hw::DeviceSpec spec) : spec_(std::move(spec)) {
  GPPSIM_CHECK(spec_.memory_bandwidth.value() > 0.0,
               fmt::format("device '{}': memory bandwidth must be positive", spec_.name));
  GPPSIM_CHECK(spec_.sm_count >= 1 && spec_.gemm_tile >= 1,
               fmt::format("device '{}': sm_count and gemm_tile must be >= 1", spec_.name));
  GPPSIM_CHECK(spec_.max_gemm_efficiency > 0.0 && spec_.max_gemm_efficiency <= 1.0,
               fmt::format("device '{}': max_gemm_efficiency must be in (0, 1]", spec_.name));
  for (const auto& [dtype, peak] : spec_.peak) {
    GPPSIM_CHECK(peak.value() > 0.0, fmt::format("device '{}': peak for {} must be positive",
                                                 spec_.name, core::to_string(dtype)));
  }
}

bool SpecCostSource::supports(core::Dtype dtype) const { return spec_.peak_for(dtype).has_value(); }

double SpecCostSource::wave_efficiency(const model::GemmShape& s) const {
  const std::int64_t tile = spec_.gemm_tile;
  const std::int64_t sms = spec_.sm_count;
  const std::int64_t tiles = ceil_div(s.m, tile) * ceil_div(s.n, tile) * s.batch;
  const std::int64_t waves = ceil_div(tiles, sms);
  return static_cast<double>(tiles) / static_cast<double>(waves * sms);
}

core::Seconds SpecCostSource::gemm_time(const model::GemmShape& s, core::Dtype dtype, GemmLayout /*layout*/) const {
  GPPSIM_CHECK(s.m >= 1 && s.n >= 1 && s.k >= 1 && s.batch >= 1,
               fmt::format("GEMM shape m={} n={} k={} batch={} has a dimension < 1", s.m, s.n,
                           s.k, s.batch));
  const std::optional<core::FlopsPerSecond> peak = spec_.peak_for(dtype);
  if (!peak) {
    throw core::PlanError(fmt::format(
        "device '{}' has no {} arithmetic (supported: {}); choose another training dtype or device",
        spec_.name, core::to_string(dtype), supported_list(spec_)));
  }
  const core::FlopsPerSecond achieved = *peak * (spec_.max_gemm_efficiency * wave_efficiency(s));
  const core::Seconds compute = s.flops() / achieved;
  const auto m = static_cast<double>(s.m);
  const auto n = static_cast<double>(s.n);
  const auto k = static_cast<double>(s.k);
  const core::Bytes traffic =
      core::element_size(dtype) * ((m * k + k * n + m * n) * static_cast<double>(s.batch));
  return core::max(compute, traffic / spec_.memory_bandwidth);
}

core::Seconds SpecCostSource::memory_time(core::Bytes bytes) const {
  return bytes / spec_.memory_bandwidth;
}

core::Seconds SpecCostSource::optimizer_time(model::Optimizer /*optimizer*/, core::Bytes bytes) const {
  return memory_time(bytes);
}

core::Seconds SpecCostSource::reduction_time(core::Bytes /*bytes*/) const { return core::Seconds(0.0); }

core::Seconds SpecCostSource::launch_overhead() const { return spec_.launch_overhead; }

core::Bytes SpecCostSource::memory_capacity() const { return spec_.memory_capacity; }

std::string SpecCostSource::name() const { return spec_.name; }

}  // namespace gppsim::cost
