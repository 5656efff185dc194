#pragma once
// Training data types and their element sizes.

#include <optional>
#include <string_view>

#include "sim/core/units.h"

namespace gppsim::core {

/// The arithmetic type of weights and activations. tf32 stores fp32 and computes on tensor cores.
enum class Dtype { kFp32, kTf32, kFp16, kBf16 };

/// Bytes of one element: 4 for fp32/tf32, 2 for fp16/bf16.
constexpr Bytes element_size(Dtype d) {
  return (d == Dtype::kFp16 || d == Dtype::kBf16) ? Bytes(2.0) : Bytes(4.0);
}

/// "fp32", "tf32", "fp16", "bf16".
std::string_view to_string(Dtype d);
/// Parses one of the names above; nullopt otherwise.
std::optional<Dtype> parse_dtype(std::string_view name);

}  // namespace gppsim::core
