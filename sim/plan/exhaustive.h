#pragma once
// Exhaustive planner for tiny graphs: every stage graph of GraphPipe's search space, every
// power-of-two degree per stage and every micro-batch candidate, priced by the same
// StageEstimator. It is the reference the GraphPipe DP is tested against.

#include <cstddef>
#include <vector>

#include "sim/model/op_graph.h"
#include "sim/plan/planner.h"
#include "sim/plan/sp_decomposition.h"

namespace gppsim::plan {

/// A stage partition: the op sets of its stages, in a topological order of the stage graph.
using StagePartition = std::vector<std::vector<model::OpId>>;

/// Every distinct stage partition of GraphPipe's search space (sim/plan/graphpipe.md, "Search
/// space") with at most `max_stages` stages, enumerated straight from the grammar (no DP).
/// Deterministic order; partitions equal up to stage order are listed once.
std::vector<StagePartition> enumerate_stage_partitions(const SpTree& tree, int max_stages);

/// Enumerates and prices every candidate; returns the smallest objective (TPS of the slowest
/// stage), ties broken by fewer in-flight micro-batches (the smaller pipeline depth, which is the
/// busiest stage's in-flight count), then by enumeration order (partitions in
/// enumerate_stage_partitions order, then micro-batch ascending, then degrees in
/// lexicographic order from 1). In-flight counts come from the assembled stage graph
/// (in_flight_micro_batches), not from the DP's bookkeeping. Gives up (feasible = false) above
/// kMaxOps ops or kMaxDevices devices.
class ExhaustivePlanner final : public Planner {
 public:
  static constexpr std::size_t kMaxOps = 16;
  static constexpr int kMaxDevices = 8;

  [[nodiscard]] PlanResult plan(const PlanRequest& request) const override;
};

}  // namespace gppsim::plan
