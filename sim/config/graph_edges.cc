#include <fmt/format.h>

#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

struct EdgeText {
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::optional<core::Bytes> bytes;  // nullopt: the source op's activation
  bool ok = true;
};

// An edge is `[from, to]` or `{from: a, to: b, bytes: "4 KiB"}`.
EdgeText read_edge_text(const YamlValue& e) {
  EdgeText t;
  if (e.is_sequence()) {
    const auto ends = e.elements();
    if (ends.size() != 2) {
      e.error(fmt::format("expected an edge [from, to] with two op names, found {} entries", ends.size()));
      t.ok = false;
      return t;
    }
    t.from = ends[0].as_string();
    t.to = ends[1].as_string();
  } else {
    const YamlMap m(e, {"from", "to", "bytes"});
    const auto from = m.get("from", true);
    const auto to = m.get("to", true);
    t.from = from ? from->as_string() : std::nullopt;
    t.to = to ? to->as_string() : std::nullopt;
    if (const auto b = m.get("bytes", false)) {
      t.bytes = b->as_bytes(false);
      t.ok = t.bytes.has_value();
    }
  }
  t.ok = t.ok && t.from && t.to;
  return t;
}

std::optional<model::OpId> resolve(const YamlValue& at, const model::OpGraph& graph, const std::string& name) {
  const auto id = graph.find(name);
  if (!id) at.error(fmt::format("expected the name of an op in model.graph.ops, found unknown op \"{}\"", name));
  return id;
}

bool add_edge(const YamlValue& e, model::OpGraph* graph) {
  const EdgeText t = read_edge_text(e);
  if (!t.ok) return false;
  const auto from = resolve(e, *graph, *t.from);
  const auto to = resolve(e, *graph, *t.to);
  if (!from || !to) return false;
  if (*from == *to) {
    e.error(fmt::format("expected an edge between two different ops, found a self-loop on \"{}\"", *t.from));
    return false;
  }
  if (graph->has_edge(*from, *to)) {
    e.error(fmt::format("duplicate edge {} -> {}", *t.from, *t.to));
    return false;
  }
  graph->add_edge(*from, *to, t.bytes.value_or(graph->op(*from).activation_bytes));
  return true;
}

}  // namespace

bool read_graph_edges(const YamlValue& value, model::OpGraph* graph) {
  bool ok = value.is_sequence();
  for (const auto& e : value.elements()) ok = add_edge(e, graph) && ok;
  if (const auto cycle = graph->find_cycle()) {
    std::string names;
    for (const auto id : *cycle) names += (names.empty() ? "" : " -> ") + graph->op(id).name;
    value.error(fmt::format("expected an acyclic graph, found the cycle {}", names));
    ok = false;
  }
  return ok;
}

}  // namespace gppsim::config
