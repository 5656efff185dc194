#pragma once
// Internal helpers shared by the CPU benchmarks (not part of the public API): the timing
// harness and the deterministic input values.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/measurement.h"

namespace gppsim::kernels::detail {

/// Throws KernelError naming `what` unless warmup >= 0 and iterations >= 1.
void validate_settings(const BenchSettings& settings, const std::string& what);

/// A multiple of 1/8 in [-1, 1] from a hash of (salt, index): the same on every run, so a
/// check can recompute any input; products and short sums of such values are exact in fp32.
double eighths_value(std::uint64_t salt, std::uint64_t index);

/// Keeps the compiler from discarding or merging stores to the memory behind `p` (the timed
/// loops write results that are only read after timing).
inline void clobber_memory(const void* p) { __asm__ __volatile__("" : : "r"(p) : "memory"); }

/// A timed sample spans at least this long: shorter runs are repeated back to back within it.
inline constexpr double kMinSampleSeconds = 50e-6;
/// The most repetitions in one sample.
inline constexpr int kMaxRepetitions = 1000;

/// Seconds of one call of `body`.
template <typename Body>
double time_once(Body& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Runs `body` settings.warmup times untimed, once more to measure its duration t, then
/// settings.iterations samples timed with std::chrono::steady_clock, each holding
/// r = clamp(ceil(kMinSampleSeconds / t), 1, kMaxRepetitions) back-to-back runs (clock
/// resolution and call overhead stay small); returns each sample's seconds / r, in order.
template <typename Body>
std::vector<double> time_iterations(const BenchSettings& settings, Body&& body) {
  for (int i = 0; i < settings.warmup; ++i) body();
  const double once = time_once(body);
  const int reps = once >= kMinSampleSeconds
                       ? 1
                       : static_cast<int>(std::min<double>(kMaxRepetitions, std::ceil(kMinSampleSeconds / std::max(once, 1e-9))));
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(settings.iterations));
  for (int i = 0; i < settings.iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) body();
    const auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double>(stop - start).count() / reps);
  }
  return times;
}

}  // namespace gppsim::kernels::detail
