#include "kernels/cpu/bench_util.h"

#include "kernels/common/kernel_error.h"

namespace gppsim::kernels::detail {

void validate_settings(const BenchSettings& settings, const std::string& what) {
  if (settings.warmup < 0 || settings.iterations < 1) {
    throw KernelError(what + ": need warmup >= 0 and iterations >= 1, got warmup=" +
                      std::to_string(settings.warmup) + " iterations=" + std::to_string(settings.iterations));
  }
}

double eighths_value(std::uint64_t salt, std::uint64_t index) {
  // splitmix64 finaliser: cheap and well mixed, so neighbouring entries are unrelated.
  std::uint64_t x = salt * 0x9E3779B97F4A7C15ULL + index;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<double>(static_cast<int>(x % 17) - 8) / 8.0;  // -8/8 ... 8/8
}

}  // namespace gppsim::kernels::detail
