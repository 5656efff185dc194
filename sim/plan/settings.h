#pragma once
// Planner settings as a scenario's `plan:` section gives them (configs/README.md).

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/units.h"
#include "sim/plan/strategy.h"

namespace gppsim::plan {

/// Planner settings.
struct PlanSettings {
  PlannerKind planner = PlannerKind::kGraphPipe;
  ScheduleKind schedule = ScheduleKind::kOneFOneB;
  std::vector<std::int64_t> micro_batch_sizes;  ///< candidates, each divides the mini-batch
  bool straight = false;                        ///< PipeDream without replication
  std::optional<core::Bytes> memory_limit;      ///< overrides the device capacity
  double epsilon = 1e-3;                        ///< GraphPipe binary-search relative tolerance
  std::int64_t max_downsets = 40000;            ///< Piper's give-up cap
  std::int64_t virtual_stages = 2;              ///< chunks per device for interleaved 1F1B
};

}  // namespace gppsim::plan
