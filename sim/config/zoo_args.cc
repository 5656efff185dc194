#include <variant>

#include <fmt/format.h>

#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

// One argument of a zoo model: its YAML key and the field it fills.
struct IntField {
  std::int64_t* field;
  std::int64_t min;
};
using FieldRef = std::variant<IntField, core::Seconds*, core::Bytes*>;
struct ArgField {
  std::string_view key;
  FieldRef ref;
};

std::vector<ArgField> fields(model::MmtArgs& a) {
  return {{"branches", IntField{&a.branches, 1}}, {"layers_per_branch", IntField{&a.layers_per_branch, 1}},
          {"hidden", IntField{&a.hidden, 1}},     {"heads", IntField{&a.heads, 1}},
          {"ffn", IntField{&a.ffn, 1}},           {"seq_len", IntField{&a.seq_len, 1}}};
}
std::vector<ArgField> fields(model::DlrmArgs& a) {
  return {{"dense_branches", IntField{&a.dense_branches, 0}}, {"sparse_branches", IntField{&a.sparse_branches, 0}},
          {"layers_per_branch", IntField{&a.layers_per_branch, 1}}, {"hidden", IntField{&a.hidden, 1}},
          {"embedding_dim", IntField{&a.embedding_dim, 1}}, {"embedding_rows", IntField{&a.embedding_rows, 1}},
          {"bag_size", IntField{&a.bag_size, 1}},       {"top_layers", IntField{&a.top_layers, 0}}};
}
std::vector<ArgField> fields(model::CandleUnoArgs& a) {
  return {{"branches", IntField{&a.branches, 1}}, {"layers_per_branch", IntField{&a.layers_per_branch, 1}},
          {"hidden", IntField{&a.hidden, 1}}};
}
std::vector<ArgField> fields(model::TransformerArgs& a) {
  return {{"layers", IntField{&a.layers, 1}}, {"hidden", IntField{&a.hidden, 1}}, {"heads", IntField{&a.heads, 1}},
          {"ffn", IntField{&a.ffn, 1}},       {"seq_len", IntField{&a.seq_len, 1}}};
}
std::vector<ArgField> fields(model::TwoBranchArgs& a) {
  return {{"branches", IntField{&a.branches, 1}}, {"blocks_per_branch", IntField{&a.blocks_per_branch, 1}},
          {"hidden", IntField{&a.hidden, 1}},     {"heads", IntField{&a.heads, 1}},
          {"seq_len", IntField{&a.seq_len, 1}}};
}
std::vector<ArgField> fields(model::ChainArgs& a) {
  return {{"layers", IntField{&a.layers, 1}}, {"forward_time", &a.forward_time}, {"backward_time", &a.backward_time},
          {"activation_bytes", &a.activation_bytes}, {"parameter_bytes", &a.parameter_bytes}};
}

bool read_field(const YamlValue& v, const FieldRef& ref) {
  if (const auto* i = std::get_if<IntField>(&ref)) {
    const auto n = v.as_int(i->min, std::int64_t{1} << 40);
    if (n) *i->field = *n;
    return n.has_value();
  }
  if (auto* const* s = std::get_if<core::Seconds*>(&ref)) {
    const auto t = v.as_seconds(false);
    if (t) **s = *t;
    return t.has_value();
  }
  const auto b = v.as_bytes(false);
  if (b) *std::get<core::Bytes*>(ref) = *b;
  return b.has_value();
}

// Reads every given key into `args`; keys left out keep the paper's defaults.
template <typename Args>
bool read_fields(const YamlValue& value, Args& args) {
  auto list = fields(args);
  std::vector<std::string_view> keys;
  for (const auto& f : list) keys.push_back(f.key);
  const YamlMap m(value, keys);
  if (!m.ok()) return false;
  bool ok = true;
  for (const auto& f : list) {
    if (const auto v = m.get(f.key, false)) ok = read_field(*v, f.ref) && ok;
  }
  return ok;
}

// Relations between arguments, checked once each value is known to be in range.
bool check_heads(const YamlValue& at, std::int64_t hidden, std::int64_t heads) {
  if (hidden % heads == 0) return true;
  at.error(fmt::format("expected heads to divide hidden, found hidden = {} and heads = {}", hidden, heads));
  return false;
}

bool check_relations(const YamlValue& at, const model::ZooArgs& args) {
  if (const auto* a = std::get_if<model::MmtArgs>(&args)) return check_heads(at, a->hidden, a->heads);
  if (const auto* a = std::get_if<model::TransformerArgs>(&args)) return check_heads(at, a->hidden, a->heads);
  if (const auto* a = std::get_if<model::TwoBranchArgs>(&args)) return check_heads(at, a->hidden, a->heads);
  if (const auto* a = std::get_if<model::DlrmArgs>(&args); a && a->dense_branches + a->sparse_branches == 0) {
    at.error("expected at least one branch, found dense_branches = 0 and sparse_branches = 0");
    return false;
  }
  return true;
}

}  // namespace

std::optional<model::ZooArgs> read_zoo_args(const std::string& zoo, const std::optional<YamlValue>& args) {
  model::ZooArgs out;
  if (zoo == "mmt") out = model::MmtArgs{};
  else if (zoo == "dlrm") out = model::DlrmArgs{};
  else if (zoo == "candle_uno") out = model::CandleUnoArgs{};
  else if (zoo == "transformer") out = model::TransformerArgs{};
  else if (zoo == "two_branch") out = model::TwoBranchArgs{};
  else if (zoo == "chain") out = model::ChainArgs{};
  else return std::nullopt;
  if (!args) return out;
  const bool ok = std::visit([&](auto& a) { return read_fields(*args, a); }, out);
  if (!ok || !check_relations(*args, out)) return std::nullopt;
  return out;
}

}  // namespace gppsim::config
