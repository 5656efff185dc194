#pragma once
// GraphPipe-style planner (METHODS.md §2): binary search on a target time per sample, inner
// memoised DP over the series-parallel decomposition. Search space, DP and reconstructed rules:
// sim/plan/graphpipe.md.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sim/core/units.h"
#include "sim/plan/planner.h"
#include "sim/plan/sp_decomposition.h"
#include "sim/plan/stage_estimator.h"

namespace gppsim::plan {

/// A stage graph found by one inner search.
struct SearchSolution {
  std::vector<PlannedStage> stages;  ///< in a topological order of the stage graph
  int in_flight = 0;  ///< micro-batches in flight at the busiest stage (1 + longest path), uncapped
  double objective = 0.0;  ///< TPS of the slowest stage (s), the estimator's figure
};

/// GraphPipe's inner search for one micro-batch size b used by every stage:
/// dp(unit, devices, downstream in-flight) = the fewest in-flight micro-batches at the unit's
/// entry stages such that every stage of the unit has TPS <= target and fits memory, using at most
/// `devices` devices. Units are ranges of a series node's sequence and of a parallel node's
/// branches (graphpipe.md lists the transitions). Holds references to `tree` and `estimator`;
/// caches stage loads across calls, so one object serves a whole binary search.
class GraphPipeSearch {
 public:
  GraphPipeSearch(const SpTree& tree, const StageEstimator& estimator);
  ~GraphPipeSearch();
  GraphPipeSearch(const GraphPipeSearch&) = delete;
  GraphPipeSearch& operator=(const GraphPipeSearch&) = delete;

  /// What a stage must fit in a device's memory: everything (weights, gradients, optimizer
  /// state and its in-flight activations), or the static part alone. The second is a
  /// relaxation: whatever is feasible under kFull is feasible under kStaticOnly.
  enum class Memory { kFull, kStaticOnly };
  /// The feasible stage graph with the fewest in-flight micro-batches whose every stage has
  /// TPS <= target (seconds per sample), or nullopt. `micro_batch` must be a power of two among
  /// the estimator's sizes(); a stage's degree d is a power of two dividing it.
  [[nodiscard]] std::optional<SearchSolution> solve(std::int64_t micro_batch, core::Seconds target,
                                                    Memory memory = Memory::kFull);
  /// Whether a stage's memory check failed in any solve() since the micro-batch size or the
  /// memory model last changed. While none has, every answer equals the kStaticOnly answer at
  /// the same target: the two models differ only in those checks, and a check that passes
  /// counting activations passes without them.
  [[nodiscard]] bool memory_bound() const;
  /// DP states evaluated over all calls so far (for plan notes and benchmarks).
  [[nodiscard]] std::int64_t states_evaluated() const;
  /// The targets t, lo <= t < hi, at which the last solve() gives the same answer (hi may be
  /// infinite): the DP compared its target only with thresholds outside this interval.
  struct TargetInterval {
    double lo = 0.0;
    double hi = 0.0;
  };
  [[nodiscard]] TargetInterval last_interval() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// The GraphPipe planner. For each power-of-two micro-batch candidate b, largest first, it
/// binary-searches the target TPS t on a geometric scale until hi <= lo (1 + settings.epsilon);
/// a later b is kept only if it reaches the best objective so far divided by (1 + epsilon), so
/// the answer is within a factor (1 + epsilon) of the optimum of the search space.
/// objective_s = the TPS of the slowest stage of the returned strategy. Devices: at most all of
/// the cluster's, numbered consecutively in stage order; leftovers stay idle.
class GraphPipePlanner final : public Planner {
 public:
  [[nodiscard]] PlanResult plan(const PlanRequest& request) const override;
};

}  // namespace gppsim::plan
