#pragma once
// The compute cost source for a cluster's device: its calibrated profile when it has one, else
// its datasheet spec.

#include <memory>

#include "sim/cost/compute_cost_source.h"
#include "sim/hw/cluster.h"

namespace gppsim::cost {

/// ProfileCostSource when cluster.profile is set, SpecCostSource(cluster.device) otherwise.
std::unique_ptr<ComputeCostSource> make_compute_cost_source(const hw::ClusterSpec& cluster);

}  // namespace gppsim::cost
