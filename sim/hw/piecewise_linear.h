#pragma once
// SimGrid-style piecewise-linear cost of moving a message: on each range of sizes the time is a
// latency plus size over a bandwidth, both fitted to measurements of that range.

#include <string>
#include <vector>

#include "sim/core/units.h"

namespace gppsim::hw {

/// Sizes from `from` (inclusive) up to the next segment's `from` cost latency + size / bandwidth.
struct LinearSegment {
  core::Bytes from;
  core::Seconds latency;
  core::BytesPerSecond bandwidth;
};

/// A piecewise-linear time-versus-size fit. Invariants (validate()): at least one segment; the
/// first starts at 0 B; `from` strictly increasing; latency >= 0; bandwidth > 0.
struct PiecewiseLinearFit {
  std::vector<LinearSegment> segments;

  /// Empty string when the invariants hold, else a sentence saying which one fails.
  [[nodiscard]] std::string validate() const;
  /// Time to move `bytes` (>= 0): the segment with the largest from <= bytes. 0 for 0 bytes.
  [[nodiscard]] core::Seconds time(core::Bytes bytes) const;
  /// The bandwidth of the last segment (large messages).
  [[nodiscard]] core::BytesPerSecond asymptotic_bandwidth() const;
  /// The latency of the first segment (small messages).
  [[nodiscard]] core::Seconds base_latency() const;
};

}  // namespace gppsim::hw
