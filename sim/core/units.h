#pragma once
// Strong unit types. Every physical quantity in gppsim carries its unit in its type; the
// underlying value is always in SI base units (bytes, seconds, FLOPs) as a double.

#include <cmath>
#include <compare>

namespace gppsim::core {

/// A double tagged with a unit. Only same-unit arithmetic compiles; scaling by a plain number
/// is allowed. Cross-unit relations (bytes / bandwidth = seconds, ...) are spelled out below.
template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double value) : value_(value) {}

  /// The value in the base unit of Tag (bytes, seconds, FLOPs, bytes/s, FLOP/s).
  [[nodiscard]] constexpr double value() const { return value_; }

  constexpr Quantity& operator+=(Quantity o) { value_ += o.value_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { value_ -= o.value_; return *this; }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.value_ + b.value_); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.value_ - b.value_); }
  friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.value_ * k); }
  friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.value_ * k); }
  friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.value_ / k); }
  /// Ratio of two quantities of the same unit: a plain number.
  friend constexpr double operator/(Quantity a, Quantity b) { return a.value_ / b.value_; }
  friend constexpr auto operator<=>(Quantity, Quantity) = default;

 private:
  double value_ = 0.0;
};

struct BytesTag {};
struct SecondsTag {};
struct FlopsTag {};
struct BytesPerSecondTag {};
struct FlopsPerSecondTag {};

/// A size in bytes.
using Bytes = Quantity<BytesTag>;
/// A duration in seconds (use Time for simulated instants; Seconds is for cost arithmetic).
using Seconds = Quantity<SecondsTag>;
/// An amount of floating-point work in FLOPs.
using Flops = Quantity<FlopsTag>;
/// A bandwidth in bytes per second.
using BytesPerSecond = Quantity<BytesPerSecondTag>;
/// A compute rate in FLOP/s.
using FlopsPerSecond = Quantity<FlopsPerSecondTag>;

/// Time to move `b` at bandwidth `bw`.
constexpr Seconds operator/(Bytes b, BytesPerSecond bw) { return Seconds(b.value() / bw.value()); }
/// Time to compute `f` at rate `r`.
constexpr Seconds operator/(Flops f, FlopsPerSecond r) { return Seconds(f.value() / r.value()); }
/// Bandwidth of moving `b` in `s`.
constexpr BytesPerSecond operator/(Bytes b, Seconds s) { return BytesPerSecond(b.value() / s.value()); }
/// Rate of doing `f` in `s`.
constexpr FlopsPerSecond operator/(Flops f, Seconds s) { return FlopsPerSecond(f.value() / s.value()); }
/// Bytes moved at `bw` during `s`.
constexpr Bytes operator*(BytesPerSecond bw, Seconds s) { return Bytes(bw.value() * s.value()); }

/// Larger of two quantities of one unit.
template <typename Tag>
constexpr Quantity<Tag> max(Quantity<Tag> a, Quantity<Tag> b) { return a < b ? b : a; }
/// Smaller of two quantities of one unit.
template <typename Tag>
constexpr Quantity<Tag> min(Quantity<Tag> a, Quantity<Tag> b) { return b < a ? b : a; }

namespace literals {
constexpr Bytes operator""_B(long double v) { return Bytes(static_cast<double>(v)); }
constexpr Bytes operator""_B(unsigned long long v) { return Bytes(static_cast<double>(v)); }
constexpr Seconds operator""_s(long double v) { return Seconds(static_cast<double>(v)); }
constexpr Seconds operator""_s(unsigned long long v) { return Seconds(static_cast<double>(v)); }
constexpr Seconds operator""_ms(long double v) { return Seconds(static_cast<double>(v) * 1e-3); }
constexpr Seconds operator""_ms(unsigned long long v) { return Seconds(static_cast<double>(v) * 1e-3); }
constexpr Seconds operator""_us(long double v) { return Seconds(static_cast<double>(v) * 1e-6); }
constexpr Seconds operator""_us(unsigned long long v) { return Seconds(static_cast<double>(v) * 1e-6); }
}  // namespace literals

}  // namespace gppsim::core
