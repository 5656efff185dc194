#include <fmt/format.h>

#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

const std::vector<std::string_view> kOpKeys{"name",       "kind",        "forward_flops", "backward_flops",
                                            "bytes_read", "bytes_written", "parameters",  "activation",
                                            "stash",      "gemms",       "forward_time",  "backward_time"};

std::optional<model::GemmShape> read_gemm(const YamlValue& value) {
  const YamlMap m(value, {"m", "n", "k", "batch", "scales"});
  if (!m.ok()) return std::nullopt;
  model::GemmShape g;
  bool ok = true;
  const auto dim = [&](std::string_view key, bool required, std::int64_t* out) {
    const auto v = m.get(key, required);
    const auto n = v ? v->as_int(1) : std::nullopt;
    if (n) *out = *n; else if (v || required) ok = false;
  };
  dim("m", true, &g.m);
  dim("n", true, &g.n);
  dim("k", true, &g.k);
  dim("batch", false, &g.batch);
  if (const auto v = m.get("scales", false)) {
    const auto s = v->as_choice({"m", "batch"});
    if (s) g.scales = *s == "m" ? model::BatchDim::kM : model::BatchDim::kBatch; else ok = false;
  }
  if (!ok) return std::nullopt;
  return g;
}

// Optional quantity key: absent leaves `out` as it is; a bad value clears `ok`.
template <typename T, typename Read>
void read_optional(const YamlMap& m, std::string_view key, T* out, bool* ok, Read read) {
  const auto v = m.get(key, false);
  if (!v) return;
  const auto parsed = read(*v);
  if (parsed) *out = *parsed; else *ok = false;
}

bool read_measured(const YamlMap& m, model::Op* op) {
  const auto fw = m.get("forward_time", false);
  const auto bw = m.get("backward_time", false);
  if (!fw && !bw) {
    if (op->kind != model::OpKind::kProfiled) return true;
    m.self().error("expected forward_time and backward_time for an op of kind profiled, found neither");
    return false;
  }
  if (!fw || !bw) {
    m.self().error("expected both forward_time and backward_time (measured per-sample times), found only one");
    return false;
  }
  const auto f = fw->as_seconds(false);
  const auto b = bw->as_seconds(false);
  if (!f || !b) return false;
  op->measured = model::MeasuredTimes{*f, *b};
  return true;
}

std::optional<model::Op> read_op(const YamlValue& value, core::Dtype dtype) {
  const YamlMap m(value, kOpKeys);
  if (!m.ok()) return std::nullopt;
  model::Op op;
  bool ok = true;
  const auto name = m.get("name", true);
  const auto name_text = name ? name->as_string() : std::nullopt;
  if (name_text) op.name = *name_text; else ok = false;
  const auto kind = m.get("kind", true);
  const auto kind_name = kind ? kind->as_choice({"input", "linear", "attention", "embedding_bag", "concat", "profiled"})
                              : std::nullopt;
  if (kind_name) op.kind = *model::parse_op_kind(*kind_name); else ok = false;
  const auto flops = [](const YamlValue& v) { return v.as_flops(); };
  const auto bytes = [](const YamlValue& v) { return v.as_bytes(false); };
  read_optional(m, "forward_flops", &op.forward_flops, &ok, flops);
  read_optional(m, "backward_flops", &op.backward_flops, &ok, flops);
  read_optional(m, "bytes_read", &op.bytes_read, &ok, bytes);
  read_optional(m, "bytes_written", &op.bytes_written, &ok, bytes);
  read_optional(m, "activation", &op.activation_bytes, &ok, bytes);
  op.stashed_bytes = op.activation_bytes;
  read_optional(m, "stash", &op.stashed_bytes, &ok, bytes);
  read_optional(m, "parameters", &op.parameters, &ok, [](const YamlValue& v) { return v.as_int(0); });
  op.parameter_bytes = core::element_size(dtype) * static_cast<double>(op.parameters);
  if (const auto g = m.get("gemms", false)) {
    for (const auto& e : g->elements()) {
      const auto shape = read_gemm(e);
      if (shape) op.gemms.push_back(*shape); else ok = false;
    }
    ok = ok && g->is_sequence();
  }
  ok = read_measured(m, &op) && ok;
  if (!ok) return std::nullopt;
  return op;
}

}  // namespace

std::optional<model::OpGraph> read_graph(const YamlValue& value, core::Dtype dtype) {
  const YamlMap m(value, {"ops", "edges"});
  const auto ops_value = m.get("ops", true);
  if (!ops_value) return std::nullopt;
  model::OpGraph graph;
  bool ok = ops_value->is_sequence();
  for (const auto& e : ops_value->elements()) {
    auto op = read_op(e, dtype);
    if (!op) { ok = false; continue; }
    if (graph.find(op->name)) {
      e.error(fmt::format("duplicate op name \"{}\"", op->name));
      ok = false;
      continue;
    }
    graph.add_op(std::move(*op));
  }
  if (ok && graph.num_ops() == 0) {
    ops_value->error("expected at least one op, found an empty list");
    ok = false;
  }
  const auto edges_value = m.get("edges", false);
  if (edges_value) ok = read_graph_edges(*edges_value, &graph) && ok;
  if (!ok) return std::nullopt;
  return graph;
}

}  // namespace gppsim::config
