#include "sim/hw/piecewise_linear.h"

#include <cmath>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::hw {

std::string PiecewiseLinearFit::validate() const {
  if (segments.empty()) return "the fit has no segments";
  if (segments.front().from.value() != 0.0) {
    return fmt::format("the first segment must start at 0 B, found {} B", segments.front().from.value());
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    if (i > 0 && !(s.from.value() > segments[i - 1].from.value())) {
      return fmt::format("segment {} does not start after segment {}", i, i - 1);
    }
    if (!(s.latency.value() >= 0.0) || !std::isfinite(s.latency.value())) {
      return fmt::format("segment {} has a negative or non-finite latency", i);
    }
    if (!(s.bandwidth.value() > 0.0) || !std::isfinite(s.bandwidth.value())) {
      return fmt::format("segment {} has a bandwidth that is not positive and finite", i);
    }
  }
  return {};
}

core::Seconds PiecewiseLinearFit::time(core::Bytes bytes) const {
  GPPSIM_CHECK(!segments.empty(), "piecewise-linear fit without segments");
  if (bytes.value() <= 0.0) return core::Seconds{0.0};
  const LinearSegment* chosen = &segments.front();
  for (const auto& s : segments) {
    if (s.from.value() <= bytes.value()) chosen = &s;
  }
  return core::Seconds{chosen->latency.value() + bytes.value() / chosen->bandwidth.value()};
}

core::BytesPerSecond PiecewiseLinearFit::asymptotic_bandwidth() const {
  GPPSIM_CHECK(!segments.empty(), "piecewise-linear fit without segments");
  return segments.back().bandwidth;
}

core::Seconds PiecewiseLinearFit::base_latency() const {
  GPPSIM_CHECK(!segments.empty(), "piecewise-linear fit without segments");
  return segments.front().latency;
}

}  // namespace gppsim::hw
