#pragma once
// PipeDream's partitioning DP (msr-fiddle/pipedream optimizer/optimizer_graph_hierarchical.py,
// compute_partitioning and analyze_partitioning) over the states of pipedream_states.h.
// Formulas and the few deliberate differences: sim/plan/pipedream.md.

#include <optional>
#include <vector>

#include "sim/core/units.h"
#include "sim/plan/pipedream_states.h"

namespace gppsim::plan::pipedream_detail {

/// What one kept op contributes, at the micro-batch size the DP is run for.
struct OpWeights {
  std::vector<double> compute_s;         ///< forward + backward, seconds, per kept op
  std::vector<double> parameter_bytes;   ///< per kept op
  std::vector<double> activation_bytes;  ///< output activation, per kept op
};

/// Per state: the sums over the ops it covers (published `states[i].compute_time`,
/// `activation_size`, `parameter_size`) and the output activation of its boundary ops.
struct StateSums {
  std::vector<double> compute_s;
  std::vector<double> parameter_bytes;
  std::vector<double> activation_bytes;
  std::vector<double> output_activation_bytes;
};

/// The sums of `weights` over each state of `space`.
StateSums state_sums(const StateSpace& space, const OpWeights& weights);

/// One level of the machine hierarchy: `machines` units joined at `bandwidth`. Level 0 is the
/// GPUs of one node, level 1 the nodes.
struct Level {
  int machines = 1;
  core::BytesPerSecond bandwidth;
};

/// Switches of the published optimizer's command line.
struct DpConfig {
  bool straight = false;                             ///< --straight_pipeline
  std::optional<core::Bytes> memory;                 ///< --use_memory_constraint with -s
  std::optional<double> activation_compression_ratio;  ///< --activation_compression_ratio
  /// When > 0, a stage's replica count at every level must divide it: the planner's fallback
  /// when the unrestricted optimum replicates a stage in a way no micro-batch splits evenly.
  int replication_divides = 0;
};

/// A stage of a solution: the ops covered by state `last` but not by state `after` (-1: from
/// the start), replicated `replication[l]` ways at level l (level 0 first). Its device count is
/// the product; `group` numbers the top-level stage it belongs to.
struct SolvedStage {
  int after = -1;
  int last = 0;
  std::vector<int> replication;
  int group = 0;
};

/// The DP's answer: the published "time per stage" (seconds) and the stages in order.
struct DpSolution {
  double time_per_stage_s = 0.0;
  std::vector<SolvedStage> stages;
};

/// Solves the levels bottom-up (each level's best times becoming the next level's compute) and
/// reconstructs the stages top-down. nullopt when no partition exists (a straight pipeline
/// with more machines than states, or the memory constraint excludes everything).
std::optional<DpSolution> solve_pipedream(const StateSpace& space, const StateSums& sums,
                                          const std::vector<Level>& levels, const DpConfig& config);

}  // namespace gppsim::plan::pipedream_detail
