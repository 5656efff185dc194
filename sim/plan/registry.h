#pragma once
// Every planner by kind.

#include <memory>

#include "sim/plan/planner.h"

namespace gppsim::plan {

/// The planner of a kind; nullptr for kManual (a manual strategy is read, not planned).
std::unique_ptr<Planner> make_planner(PlannerKind kind);

}  // namespace gppsim::plan
