#pragma once
// The PipeDream planner: the published optimizer (msr-fiddle/pipedream,
// optimizer/optimizer_graph_hierarchical.py with graph/graph.py), reproduced on gppsim's op
// graph and cluster. Semantics, deliberate differences and the state cap: sim/plan/pipedream.md.

#include <cstdint>
#include <optional>

#include "sim/plan/planner.h"

namespace gppsim::plan {

/// Switches of the published optimizer that PlanSettings does not carry. The defaults are its
/// command line's: no memory constraint, no activation compression.
struct PipeDreamOptions {
  /// --use_memory_constraint: a stage whose stash estimate ceil((M - used) / r) * (activations
  /// + parameters) exceeds PlanRequest::memory_capacity() is not considered.
  bool use_memory_constraint = false;
  /// --activation_compression_ratio: when set (> 0), the pipeline transfers
  /// 2 * activation / (bandwidth * r) / ratio into and out of a stage bound its time.
  std::optional<double> activation_compression_ratio;
  /// Antichain DAGs with more states than this are not built; the op graph is linearised in
  /// OpGraph::topological_order() instead. Applies to one-level (one-node) clusters.
  std::int64_t max_antichain_states = 10000;
  /// The same cap for two-level clusters, whose lower-level DP is cubic in the state count.
  std::int64_t max_hierarchical_states = 2000;
};

/// Plans a sequential pipeline with per-stage replication as PipeDream's optimizer does.
/// objective_s is the published "time per stage" in seconds (for a profile, per profiled
/// batch; for cost-model ops, per micro-batch of the chosen size). Notes: `state_space`
/// (`antichain` or `linearised`), `num_states`, `levels`, `replication`, `dp_input`, and for
/// cost-model ops `time_per_sample_s`.
class PipeDreamPlanner final : public Planner {
 public:
  /// The published defaults.
  PipeDreamPlanner() = default;
  /// With explicit switches; a compression ratio must be positive and the caps at least 1.
  explicit PipeDreamPlanner(PipeDreamOptions options);

  /// See the class comment and sim/plan/pipedream.md. Infeasible (with a reason) when no
  /// partition exists, or no candidate micro-batch size is divisible by every stage's device
  /// count.
  [[nodiscard]] PlanResult plan(const PlanRequest& request) const override;

 private:
  PipeDreamOptions options_;
};

}  // namespace gppsim::plan
