#include "sim/core/unit_parse.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace gppsim::core {
namespace {

struct Unit {
  std::string_view name;
  double factor;  // to the base unit
};

// Sizes in bytes. Lower-case b means bits.
constexpr std::array kSizeUnits{
    Unit{"B", 1.0},           Unit{"KB", 1e3},         Unit{"kB", 1e3},
    Unit{"MB", 1e6},          Unit{"GB", 1e9},         Unit{"TB", 1e12},
    Unit{"PB", 1e15},         Unit{"KiB", 1024.0},     Unit{"MiB", 1048576.0},
    Unit{"GiB", 1073741824.0}, Unit{"TiB", 1099511627776.0},
    Unit{"b", 0.125},         Unit{"Kb", 125.0},       Unit{"kb", 125.0},
    Unit{"Mb", 1.25e5},       Unit{"Gb", 1.25e8},      Unit{"Tb", 1.25e11}};

constexpr std::array kTimeUnits{Unit{"ps", 1e-12}, Unit{"ns", 1e-9}, Unit{"us", 1e-6},
                                Unit{"\xC2\xB5s", 1e-6}, Unit{"ms", 1e-3}, Unit{"s", 1.0},
                                Unit{"min", 60.0},  Unit{"h", 3600.0}};

constexpr std::array kFlopPrefixes{Unit{"", 1.0},   Unit{"K", 1e3},  Unit{"k", 1e3},
                                   Unit{"M", 1e6},  Unit{"G", 1e9},  Unit{"T", 1e12},
                                   Unit{"P", 1e15}, Unit{"E", 1e18}};

template <std::size_t N>
std::optional<double> lookup(const std::array<Unit, N>& units, std::string_view name) {
  for (const auto& u : units) {
    if (u.name == name) return u.factor;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "12.5 GB/s" into 12.5 and "GB/s". Throws when the number part is malformed.
std::pair<double, std::string_view> split(std::string_view text, std::string_view what,
                                          std::string_view example) {
  const std::string_view s = trim(text);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || !std::isfinite(value)) {
    throw UnitParseError(fmt::format("expected {} such as \"{}\", found \"{}\"", what, example, text));
  }
  const std::string_view unit = trim(std::string_view(end, static_cast<std::size_t>(s.data() + s.size() - end)));
  if (unit.empty()) {
    throw UnitParseError(fmt::format("expected {} with a unit such as \"{}\", found the plain number "
                                     "\"{}\" (every quantity needs a unit)",
                                     what, example, text));
  }
  return {value, unit};
}

[[noreturn]] void bad_unit(std::string_view text, std::string_view unit, std::string_view what,
                           std::string_view valid) {
  throw UnitParseError(fmt::format("expected {}; the unit \"{}\" in \"{}\" is not one of: {}", what,
                                   unit, text, valid));
}

std::optional<double> flop_factor(std::string_view unit) {
  for (std::string_view suffix : {"FLOPs", "FLOP"}) {
    if (unit.size() >= suffix.size() && unit.substr(unit.size() - suffix.size()) == suffix) {
      return lookup(kFlopPrefixes, unit.substr(0, unit.size() - suffix.size()));
    }
  }
  return std::nullopt;
}

// "X/s" -> "X"; "TFLOPS" -> "TFLOP"; otherwise nullopt.
std::optional<std::string_view> strip_per_second(std::string_view unit) {
  if (unit.size() > 2 && unit.substr(unit.size() - 2) == "/s") return unit.substr(0, unit.size() - 2);
  if (unit.size() > 5 && unit.substr(unit.size() - 5) == "FLOPS") return unit.substr(0, unit.size() - 1);
  return std::nullopt;
}

constexpr std::string_view kSizeList = "B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, or bits b, Kb, Mb, Gb, Tb";

}  // namespace

Bytes parse_bytes(std::string_view text) {
  const auto [value, unit] = split(text, "a size", "16 GiB");
  const auto factor = lookup(kSizeUnits, unit);
  if (!factor) bad_unit(text, unit, "a size", kSizeList);
  return Bytes(value * *factor);
}

Seconds parse_seconds(std::string_view text) {
  const auto [value, unit] = split(text, "a duration", "5 us");
  const auto factor = lookup(kTimeUnits, unit);
  if (!factor) bad_unit(text, unit, "a duration", "ps, ns, us, ms, s, min, h");
  return Seconds(value * *factor);
}

BytesPerSecond parse_bandwidth(std::string_view text) {
  const auto [value, unit] = split(text, "a bandwidth", "12.5 GB/s");
  const auto per = strip_per_second(unit);
  const auto factor = per ? lookup(kSizeUnits, *per) : std::nullopt;
  if (!factor) bad_unit(text, unit, "a bandwidth", "a size or bit unit over seconds, e.g. GB/s, GiB/s, Gb/s");
  return BytesPerSecond(value * *factor);
}

Flops parse_flops(std::string_view text) {
  const auto [value, unit] = split(text, "an amount of work", "3 GFLOP");
  const auto factor = flop_factor(unit);
  if (!factor) bad_unit(text, unit, "an amount of work", "FLOP, KFLOP, MFLOP, GFLOP, TFLOP, PFLOP");
  return Flops(value * *factor);
}

FlopsPerSecond parse_flop_rate(std::string_view text) {
  const auto [value, unit] = split(text, "a compute rate", "125 TFLOP/s");
  const auto per = strip_per_second(unit);
  const auto factor = per ? flop_factor(*per) : std::nullopt;
  if (!factor) bad_unit(text, unit, "a compute rate", "FLOP/s with a prefix, e.g. GFLOP/s, TFLOP/s, TFLOPS");
  return FlopsPerSecond(value * *factor);
}

std::string format_bytes(Bytes b) {
  constexpr std::array<std::string_view, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  double v = b.value();
  std::size_t i = 0;
  while (std::fabs(v) >= 1024.0 && i + 1 < kNames.size()) {
    v /= 1024.0;
    ++i;
  }
  return i == 0 ? fmt::format("{:.0f} B", v) : fmt::format("{:.2f} {}", v, kNames[i]);
}

std::string format_seconds(Seconds s) {
  const double v = s.value();
  const double a = std::fabs(v);
  if (a >= 1.0 || a == 0.0) return fmt::format("{:.3f} s", v);
  if (a >= 1e-3) return fmt::format("{:.3f} ms", v * 1e3);
  if (a >= 1e-6) return fmt::format("{:.3f} us", v * 1e6);
  return fmt::format("{:.3f} ns", v * 1e9);
}

}  // namespace gppsim::core
