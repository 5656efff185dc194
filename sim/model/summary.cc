#include "sim/model/summary.h"

#include "sim/core/dtype.h"

namespace gppsim::model {
namespace {

// Walks a and b up the post-dominator tree until they meet (the tree's root is the virtual
// common sink, with depth 0).
OpId meet(OpId a, OpId b, const std::vector<OpId>& ipdom, const std::vector<std::size_t>& depth) {
  while (a != b) {
    if (depth[a] >= depth[b]) {
      a = ipdom[a];
    } else {
      b = ipdom[b];
    }
  }
  return a;
}

// Immediate post-dominator of every op, indexed by OpId. Index num_ops() stands for a virtual
// sink that follows every real sink; an op whose only post-dominator is that virtual sink maps
// to num_ops(). On a DAG, processing ops in reverse topological order sees every successor's
// post-dominator chain before the op itself, so the intersection is a meet in the tree.
std::vector<OpId> immediate_post_dominators(const OpGraph& graph) {
  const OpId virtual_sink = graph.num_ops();
  std::vector<OpId> ipdom(graph.num_ops() + 1, virtual_sink);
  std::vector<std::size_t> depth(graph.num_ops() + 1, 0);
  const std::vector<OpId> order = graph.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::vector<OpId> succ = graph.successors(*it);
    OpId p = succ.empty() ? virtual_sink : succ.front();
    for (std::size_t i = 1; i < succ.size(); ++i) p = meet(p, succ[i], ipdom, depth);
    ipdom[*it] = p;
    depth[*it] = depth[p] + 1;
  }
  return ipdom;
}

// Ops reachable from `start` without passing `join`, `start` included. Since `join`
// post-dominates the fork, each of them reaches `join`: they are the ops strictly between.
std::size_t count_before_join(const OpGraph& graph, OpId start, OpId join) {
  if (start == join) return 0;
  std::vector<bool> seen(graph.num_ops(), false);
  std::vector<OpId> stack{start};
  seen[start] = true;
  std::size_t count = 0;
  while (!stack.empty()) {
    const OpId v = stack.back();
    stack.pop_back();
    ++count;
    for (OpId w : graph.successors(v)) {
      if (w == join || seen[w]) continue;
      seen[w] = true;
      stack.push_back(w);
    }
  }
  return count;
}

std::vector<ParallelBlock> parallel_blocks(const OpGraph& graph) {
  const std::vector<OpId> ipdom = immediate_post_dominators(graph);
  std::vector<ParallelBlock> blocks;
  for (OpId fork = 0; fork < graph.num_ops(); ++fork) {
    const std::vector<OpId> succ = graph.successors(fork);
    if (succ.size() < 2 || ipdom[fork] == graph.num_ops()) continue;
    ParallelBlock block{fork, ipdom[fork], {}};
    for (OpId s : succ) block.branch_sizes.push_back(count_before_join(graph, s, block.join));
    blocks.push_back(std::move(block));
  }
  return blocks;
}

}  // namespace

core::Bytes static_bytes_per_parameter(core::Dtype dtype, Optimizer optimizer) {
  const core::Bytes e = core::element_size(dtype);
  core::Bytes optimizer_state(0.0);
  if (optimizer == Optimizer::kAdam) optimizer_state = core::Bytes(8.0);      // two fp32 moments
  if (optimizer == Optimizer::kMomentum) optimizer_state = core::Bytes(4.0);  // one fp32 buffer
  const bool half = dtype == core::Dtype::kFp16 || dtype == core::Dtype::kBf16;
  const core::Bytes master = half ? core::Bytes(4.0) : core::Bytes(0.0);
  return e + e + optimizer_state + master;
}

ModelSummary summarize(const Model& model, Optimizer optimizer) {
  const OpGraph& graph = model.graph;
  ModelSummary s;
  s.num_ops = graph.num_ops();
  s.num_edges = graph.num_edges();
  for (OpId id = 0; id < graph.num_ops(); ++id) {
    const Op& op = graph.op(id);
    s.parameters += op.parameters;
    s.parameter_bytes += op.parameter_bytes;
    s.forward_flops_per_sample += op.forward_flops;
    s.backward_flops_per_sample += op.backward_flops;
    s.activation_bytes_per_sample += op.activation_bytes;
  }
  s.blocks = parallel_blocks(graph);
  // Scaled from bytes, not from `parameters`: imported models know only their weight bytes.
  const double scalars = s.parameter_bytes / core::element_size(model.dtype);
  s.static_memory = static_bytes_per_parameter(model.dtype, optimizer) * scalars;
  return s;
}

}  // namespace gppsim::model
