#include "sim/plan/piper_nodes.h"

namespace gppsim::plan {

std::vector<PiperEdge> PiperNodes::edges(const model::OpGraph& graph, double factor) const {
  std::vector<PiperEdge> out;
  for (const model::OpEdge& e : graph.edges()) {
    if (node_of[e.from] != node_of[e.to]) out.push_back(PiperEdge{node_of[e.from], node_of[e.to], e.bytes * factor});
  }
  return out;
}

PiperNodes one_node_per_op(const model::OpGraph& graph) {
  PiperNodes nodes;
  for (model::OpId v = 0; v < graph.num_ops(); ++v) {
    nodes.ops.push_back({v});
    nodes.node_of.push_back(v);
  }
  return nodes;
}

PiperNodes transformer_layer_nodes(const model::OpGraph& graph) {
  PiperNodes nodes;
  nodes.node_of.assign(graph.num_ops(), 0);
  for (const model::OpId v : graph.topological_order()) {
    const std::vector<model::OpId> preds = graph.predecessors(v);
    const bool chained = graph.op(v).kind != model::OpKind::kAttention && preds.size() == 1 &&
                         graph.successors(preds.front()).size() == 1;
    if (chained) {
      const std::size_t node = nodes.node_of[preds.front()];
      if (graph.op(nodes.ops[node].front()).kind == model::OpKind::kAttention) {
        nodes.ops[node].push_back(v);
        nodes.node_of[v] = node;
        continue;
      }
    }
    nodes.node_of[v] = nodes.ops.size();
    nodes.ops.push_back({v});
  }
  return nodes;
}

}  // namespace gppsim::plan
