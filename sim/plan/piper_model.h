#pragma once
// From a gppsim Model to a PiperProblem (mapping rules in sim/plan/piper.md), and from a Piper
// solution back to a Strategy.

#include <cstdint>
#include <string>

#include "sim/cost/op_cost.h"
#include "sim/hw/cluster.h"
#include "sim/model/model.h"
#include "sim/model/summary.h"
#include "sim/plan/piper_nodes.h"
#include "sim/plan/piper_problem.h"
#include "sim/plan/strategy.h"

namespace gppsim::plan {

/// The problem-level numbers of one Piper run.
struct PiperScenario {
  int devices = 1;                 ///< K: the cluster's devices
  core::Bytes memory_per_device;   ///< M
  core::BytesPerSecond bandwidth;  ///< β
  std::int64_t max_downsets = 40000;
};

/// Piper's single bandwidth β for a cluster: the intra-node link when the cluster has one node,
/// else the inter-node link (the bottleneck a multi-node pipeline crosses).
core::BytesPerSecond piper_bandwidth(const hw::ClusterSpec& cluster);

/// A problem or why none could be built.
struct PiperBuild {
  PiperProblem problem;
  std::string error;  ///< empty on success
};

/// Problem from a Piper JSON import: every op must carry Op::piper; N = `micro_batches`; options
/// as in the file. Sync-time keys are JSON node ids, matched to ops by position (algo.cpp
/// renumbers nodes in file order; every published input has ids 0..n-1 in order); a key that is
/// not a neighbour of its op is an error unless its time is 0.
PiperBuild piper_problem_from_json(const model::Model& model, const PiperScenario& scenario,
                                   int micro_batches);

/// Problem of any model at micro-batch size b from the shared cost model, in units of one
/// micro-batch, over `nodes`: per node the sums over its ops of p = forward(b) + backward(b),
/// w = parameter bytes, a = stashed bytes * b, b_v = parameters * static bytes per parameter
/// (weights, gradients, optimizer state); node edges carry op edge bytes * b; N = mini_batch / b
/// (which b must divide). Only the "vanilla" option at t = 1.
PiperProblem piper_problem_from_costs(const model::Model& model, const cost::OpCost& op_cost,
                                      model::Optimizer optimizer, std::int64_t micro_batch,
                                      std::int64_t mini_batch, const PiperScenario& scenario,
                                      const PiperNodes& nodes);

/// The sequential Strategy of a solved plan over `nodes`: stages in pipeline order, contiguous
/// device ids from 0 (t * d per stage), every stage at `micro_batch` samples, the ops of its
/// nodes in the graph's topological order, edges the chain (0,1), (1,2), ...
Strategy piper_strategy(const PiperSolution& solution, const model::OpGraph& graph, const PiperNodes& nodes,
                        std::int64_t micro_batch, ScheduleKind schedule);

/// Width of the graph's widest fork or join: max over ops of out- and in-degree (>= 1).
std::size_t widest_branching(const model::OpGraph& graph);

}  // namespace gppsim::plan
