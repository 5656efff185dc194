#include "sim/model/op_graph.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "sim/core/check.h"

namespace gppsim::model {

OpId OpGraph::add_op(Op op) {
  GPPSIM_CHECK(!by_name_.contains(op.name), "duplicate op name '" + op.name + "'");
  std::string name = op.name;
  const OpId id = boost::add_vertex(std::move(op), g_);
  by_name_.emplace(std::move(name), id);
  return id;
}

void OpGraph::add_edge(OpId from, OpId to, core::Bytes bytes_per_sample) {
  GPPSIM_CHECK(from < num_ops() && to < num_ops(), "edge end out of range");
  GPPSIM_CHECK(from != to, "self-loop on op '" + op(from).name + "'");
  GPPSIM_CHECK(!has_edge(from, to), "duplicate edge " + op(from).name + " -> " + op(to).name);
  boost::add_edge(from, to, EdgeData{bytes_per_sample}, g_);
}

std::size_t OpGraph::num_ops() const { return boost::num_vertices(g_); }
std::size_t OpGraph::num_edges() const { return boost::num_edges(g_); }

const Op& OpGraph::op(OpId id) const {
  GPPSIM_CHECK(id < num_ops(), "op id out of range");
  return g_[id];
}

Op& OpGraph::mutable_op(OpId id) {
  GPPSIM_CHECK(id < num_ops(), "op id out of range");
  return g_[id];
}

std::optional<OpId> OpGraph::find(std::string_view name) const {
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

bool OpGraph::has_edge(OpId from, OpId to) const {
  if (from >= num_ops() || to >= num_ops()) return false;
  return boost::edge(from, to, g_).second;
}

std::vector<OpId> OpGraph::successors(OpId id) const {
  std::vector<OpId> out;
  for (auto [it, end] = boost::out_edges(id, g_); it != end; ++it) out.push_back(boost::target(*it, g_));
  return out;
}

std::vector<OpId> OpGraph::predecessors(OpId id) const {
  std::vector<OpId> out;
  for (auto [it, end] = boost::in_edges(id, g_); it != end; ++it) out.push_back(boost::source(*it, g_));
  return out;
}

std::vector<OpEdge> OpGraph::edges() const {
  std::vector<OpEdge> out;
  out.reserve(num_edges());
  for (OpId v = 0; v < num_ops(); ++v) {
    for (auto [it, end] = boost::out_edges(v, g_); it != end; ++it) {
      out.push_back(OpEdge{v, boost::target(*it, g_), g_[*it].bytes});
    }
  }
  return out;
}

std::vector<OpId> OpGraph::sources() const {
  std::vector<OpId> out;
  for (OpId v = 0; v < num_ops(); ++v) {
    if (boost::in_degree(v, g_) == 0) out.push_back(v);
  }
  return out;
}

std::vector<OpId> OpGraph::sinks() const {
  std::vector<OpId> out;
  for (OpId v = 0; v < num_ops(); ++v) {
    if (boost::out_degree(v, g_) == 0) out.push_back(v);
  }
  return out;
}

std::optional<std::vector<OpId>> OpGraph::find_cycle() const {
  // Iterative three-colour DFS; a grey successor closes a cycle, read back through parents.
  enum class Colour { kWhite, kGrey, kBlack };
  std::vector<Colour> colour(num_ops(), Colour::kWhite);
  std::vector<OpId> parent(num_ops(), 0);
  for (OpId root = 0; root < num_ops(); ++root) {
    if (colour[root] != Colour::kWhite) continue;
    std::vector<std::pair<OpId, std::size_t>> stack{{root, 0}};
    colour[root] = Colour::kGrey;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      const auto succ = successors(v);
      if (next == succ.size()) {
        colour[v] = Colour::kBlack;
        stack.pop_back();
        continue;
      }
      const OpId w = succ[next++];
      if (colour[w] == Colour::kGrey) {
        std::vector<OpId> cycle{w};
        for (OpId u = v; u != w; u = parent[u]) cycle.push_back(u);
        cycle.push_back(w);
        std::reverse(cycle.begin(), cycle.end());
        return cycle;
      }
      if (colour[w] == Colour::kWhite) {
        colour[w] = Colour::kGrey;
        parent[w] = v;
        stack.emplace_back(w, 0);
      }
    }
  }
  return std::nullopt;
}

std::vector<OpId> OpGraph::topological_order() const {
  std::vector<std::size_t> indegree(num_ops());
  std::priority_queue<OpId, std::vector<OpId>, std::greater<>> ready;
  for (OpId v = 0; v < num_ops(); ++v) {
    indegree[v] = boost::in_degree(v, g_);
    if (indegree[v] == 0) ready.push(v);
  }
  std::vector<OpId> order;
  order.reserve(num_ops());
  while (!ready.empty()) {
    const OpId v = ready.top();
    ready.pop();
    order.push_back(v);
    for (OpId w : successors(v)) {
      if (--indegree[w] == 0) ready.push(w);
    }
  }
  GPPSIM_CHECK(order.size() == num_ops(), "topological_order called on a graph with a cycle");
  return order;
}

}  // namespace gppsim::model
