#pragma once
// The planner seam: one interface, implemented by graphpipe, pipedream, piper and exhaustive.
// A planner reads a model, a cluster and the shared cost model, and returns a Strategy that
// `gppsim simulate` runs unchanged, plus its own objective figure for plan.json.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/cost/op_cost.h"
#include "sim/hw/cluster.h"
#include "sim/model/model.h"
#include "sim/model/summary.h"
#include "sim/plan/settings.h"
#include "sim/plan/strategy.h"

namespace gppsim::plan {

/// Everything a planner reads. All references outlive the call.
struct PlanRequest {
  const model::Model& model;
  const hw::ClusterSpec& cluster;
  const cost::OpCost& op_cost;      ///< per-op costs on the cluster's device at the model dtype
  std::int64_t mini_batch = 1;
  model::Optimizer optimizer = model::Optimizer::kAdam;
  const PlanSettings& settings;

  /// Memory a device may use: settings.memory_limit, else the device's capacity.
  [[nodiscard]] core::Bytes memory_capacity() const {
    return settings.memory_limit.value_or(cluster.device.memory_capacity);
  }
};

/// A planner's answer. When feasible, `strategy` is set and valid for the request's model and
/// cluster (devices 0..n-1, stage ops convex and partitioning the model, micro-batch sizes
/// dividing the mini-batch and divisible by each stage's device count).
struct PlanResult {
  bool feasible = false;
  std::string reason;                 ///< why no strategy, when infeasible or the planner gave up
  std::optional<Strategy> strategy;
  double objective_s = 0.0;           ///< the planner's own bottleneck figure (METHODS: per planner)
  std::vector<std::pair<std::string, std::string>> notes;  ///< extra plan.json fields, e.g. state_space
};

/// A planning algorithm.
class Planner {
 public:
  virtual ~Planner() = default;
  /// Plans; infeasibility and giving up are answers (feasible = false), not exceptions.
  [[nodiscard]] virtual PlanResult plan(const PlanRequest& request) const = 0;
};

}  // namespace gppsim::plan
