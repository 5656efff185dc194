#pragma once
// Test helper: a model, a cluster and the V100 fp32 cost model a PlanRequest refers to.

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/cost/spec_cost_source.h"
#include "sim/hw/device_spec.h"
#include "sim/plan/planner.h"

namespace gppsim::plan::testing {

/// Everything a PlanRequest refers to.
struct World {
  World(model::Model m, hw::ClusterSpec c, std::int64_t mb, std::vector<std::int64_t> sizes)
      : model(std::move(m)), cluster(std::move(c)), mini_batch(mb) {
    settings.micro_batch_sizes = std::move(sizes);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  [[nodiscard]] PlanRequest request() const {
    return PlanRequest{model, cluster, cost, mini_batch, model::Optimizer::kAdam, settings};
  }

  model::Model model;
  hw::ClusterSpec cluster;
  cost::SpecCostSource source{*hw::find_device_preset("v100-sxm2-16gb")};
  cost::OpCost cost{source, core::Dtype::kFp32};
  std::int64_t mini_batch;
  PlanSettings settings;
};

}  // namespace gppsim::plan::testing
