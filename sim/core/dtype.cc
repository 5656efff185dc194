#include "sim/core/dtype.h"

#include <array>
#include <utility>

namespace gppsim::core {
namespace {
constexpr std::array<std::pair<Dtype, std::string_view>, 4> kNames{
    {{Dtype::kFp32, "fp32"}, {Dtype::kTf32, "tf32"}, {Dtype::kFp16, "fp16"}, {Dtype::kBf16, "bf16"}}};
}  // namespace

std::string_view to_string(Dtype d) {
  for (const auto& [k, n] : kNames) {
    if (k == d) return n;
  }
  return "unknown";
}

std::optional<Dtype> parse_dtype(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace gppsim::core
