#pragma once
// The durations and memory sizes the simulator charges for tasks, from the cost model.
// Cached per (stage, phase, samples), since every micro-batch of a stage costs the same.

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "sim/cost/op_cost.h"
#include "sim/model/model.h"
#include "sim/model/summary.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/task_graph.h"

namespace gppsim::engine {

/// Compute durations and memory footprints of a strategy's stages.
class TaskCosts {
 public:
  /// `op_cost` must outlive this object. `split_backward` selects ZB's B/W split.
  TaskCosts(const plan::Strategy& strategy, const model::Model& model, const cost::OpCost& op_cost,
            model::Optimizer optimizer);

  /// Duration of a compute task: the sum over the stage's ops of the phase's cost at `samples`.
  [[nodiscard]] core::Seconds compute(const schedule::ComputeTask& task);
  /// Time a device takes to add a received all-reduce chunk of `bytes` into its own
  /// (cost::ComputeCostSource::reduction_time: 0 where the collective sums while it copies).
  [[nodiscard]] core::Seconds reduction(core::Bytes bytes) const { return op_cost_->source().reduction_time(bytes); }
  /// Duration of a stage's optimizer step on one device.
  [[nodiscard]] core::Seconds optimizer(int stage) const;
  /// Activations one sample of the stage keeps from its forward until its backward.
  [[nodiscard]] core::Bytes stash_per_sample(int stage) const;
  /// Weights + gradients + optimizer state of the stage on each of its devices.
  [[nodiscard]] core::Bytes static_memory(int stage) const;

 private:
  /// compute() through cache_ (filled on first use of a key).
  [[nodiscard]] core::Seconds cached_compute(const schedule::ComputeTask& task);

  const plan::Strategy* strategy_;
  const model::Model* model_;
  const cost::OpCost* op_cost_;
  std::vector<core::Seconds> optimizer_;
  std::vector<core::Bytes> stash_;
  std::vector<core::Bytes> static_;
  std::map<std::tuple<int, int, std::int64_t>, core::Seconds> cache_;
  /// The last answer per (stage, phase), index stage * 3 + phase: every micro-batch of a stage
  /// usually has the same samples, so most calls end here without a map lookup.
  struct Recent {
    std::int64_t samples = -1;  ///< -1: none yet
    core::Seconds duration;
  };
  std::vector<Recent> recent_;
};

}  // namespace gppsim::engine
