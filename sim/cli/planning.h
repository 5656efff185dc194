#pragma once
// Running a scenario's planner from the CLI: shared by `plan` and `simulate`.

#include <memory>

#include "sim/config/scenario.h"
#include "sim/cost/make_cost_source.h"
#include "sim/plan/planner.h"

namespace gppsim::cli {

/// The planner a scenario names (graphpipe, pipedream, piper, exhaustive). Throws ConfigError
/// for `manual`, which plans nothing.
std::unique_ptr<plan::Planner> make_planner(const config::Scenario& scenario);

/// A planner's answer with the wall-clock time its search took.
struct PlanOutcome {
  plan::PlanResult result;
  double search_time_s = 0.0;
};

/// Runs the scenario's planner on the scenario's cluster with the datasheet cost model.
PlanOutcome run_planner(const config::Scenario& scenario);

}  // namespace gppsim::cli
