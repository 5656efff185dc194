#pragma once
// Simulated time: an int64 count of picoseconds. Integer time keeps event ordering exact and
// outputs byte-identical across runs; 2^63 ps is about 106 days of simulated time.

#include <compare>
#include <cstdint>

#include "sim/core/units.h"

namespace gppsim::core {

/// An instant or duration in simulated time, in integer picoseconds.
class Time {
 public:
  constexpr Time() = default;
  /// From an integer number of picoseconds.
  static constexpr Time from_ps(std::int64_t ps) { return Time(ps); }
  /// From a duration, rounded to the nearest picosecond (half away from zero).
  static Time from_seconds(Seconds s);
  /// The largest representable time, used as "never".
  static constexpr Time max() { return Time(INT64_MAX); }

  [[nodiscard]] constexpr std::int64_t ps() const { return ps_; }
  /// The duration as Seconds (exact for values below 2^53 ps, about 2.5 hours).
  [[nodiscard]] constexpr Seconds seconds() const { return Seconds(static_cast<double>(ps_) * 1e-12); }

  constexpr Time& operator+=(Time o) { ps_ += o.ps_; return *this; }
  friend constexpr Time operator+(Time a, Time b) { return Time(a.ps_ + b.ps_); }
  friend constexpr Time operator-(Time a, Time b) { return Time(a.ps_ - b.ps_); }
  friend constexpr auto operator<=>(Time, Time) = default;

 private:
  constexpr explicit Time(std::int64_t ps) : ps_(ps) {}
  std::int64_t ps_ = 0;
};

}  // namespace gppsim::core
