#pragma once
// Deterministic test data shared by the device fill kernels and the host checks: every value is a
// pure function of (element index, seed), so the host can recompute any entry without copying
// the inputs back. Internal to kernels/cuda.

#include <cstdint>

namespace gppsim::kernels::cuda_detail {

/// Odd multiplier that separates the streams of different seeds.
inline constexpr std::uint64_t kSeedStride = 0xD1B54A32D192ED03ull;

/// SplitMix64 finaliser: a well-mixed 64-bit hash of `x`.
__host__ __device__ inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A multiple of 1/levels in [-1, 1] (2 levels + 1 values, uniformly drawn), levels >= 1. Exact
/// in a dtype whose significand holds log2(levels) + 1 bits: levels = 128 is exact in bf16,
/// levels = 1024 in fp16, tf32, fp32 and fp64.
__host__ __device__ inline float grid_value(std::uint64_t index, std::uint64_t seed,
                                            std::uint32_t levels) {
  const auto bucket = static_cast<std::int64_t>(mix64(index + seed * kSeedStride) % (2u * levels + 1u));
  return static_cast<float>(bucket - static_cast<std::int64_t>(levels)) /
         static_cast<float>(levels);
}

/// A multiple of 1/8 in [-1, 1] (17 values), exact in fp64, fp32, tf32, fp16 and bf16.
__host__ __device__ inline float eighths_value(std::uint64_t index, std::uint64_t seed) {
  return grid_value(index, seed, 8);
}

/// The 64-bit word at word index `word` of a byte pattern (stored little-endian).
__host__ __device__ inline std::uint64_t pattern_word(std::uint64_t word, std::uint64_t seed) {
  return mix64(word ^ (seed * kSeedStride));
}

/// Byte `offset` of the byte pattern: byte (offset % 8) of pattern_word(offset / 8).
__host__ __device__ inline unsigned pattern_byte(std::uint64_t offset, std::uint64_t seed) {
  return static_cast<unsigned>((pattern_word(offset / 8, seed) >> (8 * (offset % 8))) & 0xFFu);
}

/// A pseudo-random index in [0, modulus), modulus >= 1.
__host__ __device__ inline std::int64_t pattern_index(std::uint64_t i, std::int64_t modulus,
                                                      std::uint64_t seed) {
  return static_cast<std::int64_t>(mix64(i + seed * kSeedStride) %
                                   static_cast<std::uint64_t>(modulus));
}

}  // namespace gppsim::kernels::cuda_detail
