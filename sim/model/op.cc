#include "sim/model/op.h"

#include <array>
#include <utility>

namespace gppsim::model {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 6> kKindNames{{
    {OpKind::kInput, "input"},
    {OpKind::kLinear, "linear"},
    {OpKind::kAttention, "attention"},
    {OpKind::kEmbeddingBag, "embedding_bag"},
    {OpKind::kConcat, "concat"},
    {OpKind::kProfiled, "profiled"},
}};

}  // namespace

std::string_view to_string(OpKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<OpKind> parse_op_kind(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

GemmShape GemmShape::at_micro_batch(std::int64_t b) const {
  GemmShape s = *this;
  if (scales == BatchDim::kM) {
    s.m *= b;
  } else {
    s.batch *= b;
  }
  return s;
}

core::Flops GemmShape::flops() const {
  return core::Flops(2.0 * static_cast<double>(m) * static_cast<double>(n) *
                     static_cast<double>(k) * static_cast<double>(batch));
}

}  // namespace gppsim::model
