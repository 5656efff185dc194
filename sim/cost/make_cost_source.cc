#include "sim/cost/make_cost_source.h"

#include "sim/cost/profile_cost_source.h"
#include "sim/cost/spec_cost_source.h"

namespace gppsim::cost {

std::unique_ptr<ComputeCostSource> make_compute_cost_source(const hw::ClusterSpec& cluster) {
  if (cluster.profile) return std::make_unique<ProfileCostSource>(cluster.profile);
  return std::make_unique<SpecCostSource>(cluster.device);
}

}  // namespace gppsim::cost
