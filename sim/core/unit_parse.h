#pragma once
// Parsing of quantities written with units, as they appear in YAML configs:
//   sizes        "16 GiB", "512 B", "1.5 MB"  (decimal k/M/G/T/P = 1e3.., binary Ki/Mi/Gi/Ti = 2^10..;
//                bits with a lower-case b: "100 Gb" = 12.5e9 B)
//   durations    "5 us", "1.2 ms", "3 ps", "2 ns", "0.5 s", "1 min", "1 h" ("µs" also accepted)
//   bandwidths   a size or bit unit over seconds: "12.5 GB/s" = 1.25e10 B/s, "25 GiB/s", "100 Gb/s"
//   FLOPs        "3 GFLOP" (also "GFLOPs"); rates "125 TFLOP/s" (also "TFLOPS")
// A plain number without a unit is an error: every quantity in gppsim carries its unit.

#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/core/units.h"

namespace gppsim::core {

/// A quantity string could not be parsed; what() says what was expected and what was found.
class UnitParseError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Parses a size such as "16 GiB". Throws UnitParseError.
Bytes parse_bytes(std::string_view text);
/// Parses a duration such as "5 us". Throws UnitParseError.
Seconds parse_seconds(std::string_view text);
/// Parses a bandwidth such as "12.5 GB/s". Throws UnitParseError.
BytesPerSecond parse_bandwidth(std::string_view text);
/// Parses an amount of work such as "3 GFLOP". Throws UnitParseError.
Flops parse_flops(std::string_view text);
/// Parses a compute rate such as "125 TFLOP/s". Throws UnitParseError.
FlopsPerSecond parse_flop_rate(std::string_view text);

/// Formats bytes for people: "16 GiB", "1.50 MiB", "512 B" (binary prefixes).
std::string format_bytes(Bytes b);
/// Formats a duration for people with an SI prefix: "33.000 ms", "5.000 us".
std::string format_seconds(Seconds s);

}  // namespace gppsim::core
