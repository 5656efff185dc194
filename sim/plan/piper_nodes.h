#pragma once
// Which ops form each of Piper's DAG nodes. Piper plans over the nodes its input gives it; the
// published inputs of transformers are per layer, so for zoo models gppsim hands Piper
// transformer layers (an attention op and the chain of ops after it) rather than single ops.

#include <cstddef>
#include <vector>

#include "sim/model/op_graph.h"
#include "sim/plan/piper_problem.h"

namespace gppsim::plan {

/// A partition of a model's ops into Piper nodes, each a convex chain.
struct PiperNodes {
  std::vector<std::vector<model::OpId>> ops;  ///< ops of node i, in topological order
  std::vector<std::size_t> node_of;           ///< the node of every op

  /// Number of nodes.
  [[nodiscard]] std::size_t size() const { return ops.size(); }
  /// Every op edge that joins two different nodes, as a node edge carrying bytes * factor.
  [[nodiscard]] std::vector<PiperEdge> edges(const model::OpGraph& graph, double factor) const;
};

/// One node per op (imported Piper JSON, whose ops are the file's nodes).
PiperNodes one_node_per_op(const model::OpGraph& graph);

/// Transformer layers as nodes: walking the ops in topological order, an op joins the node of
/// its predecessor when it is not an attention op, has exactly one predecessor, that
/// predecessor has exactly one successor, and that node starts with an attention op; every
/// other op is a node of its own. Models without attention (DLRM, CANDLE-Uno) keep one node per
/// op.
PiperNodes transformer_layer_nodes(const model::OpGraph& graph);

}  // namespace gppsim::plan
