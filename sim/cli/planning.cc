#include "sim/cli/planning.h"

#include <chrono>

#include <fmt/format.h>

#include "sim/core/errors.h"
#include "sim/plan/registry.h"

namespace gppsim::cli {

std::unique_ptr<plan::Planner> make_planner(const config::Scenario& sc) {
  if (auto planner = plan::make_planner(sc.plan.planner)) return planner;
  throw core::ConfigError(core::SourceLocation{sc.file.string(), 0, 0, "plan.planner"},
                          "planner manual plans nothing: give a strategy with --strategy STRATEGY.yaml, or name a "
                          "planner (graphpipe, pipedream, piper, exhaustive)");
}

PlanOutcome run_planner(const config::Scenario& sc) {
  const auto planner = make_planner(sc);
  const auto source = cost::make_compute_cost_source(sc.cluster);
  const cost::OpCost op_cost(*source, sc.model.dtype);
  const plan::PlanRequest request{sc.model, sc.cluster, op_cost, sc.training.mini_batch, sc.training.optimizer, sc.plan};
  const auto start = std::chrono::steady_clock::now();
  PlanOutcome out{planner->plan(request), 0.0};
  out.search_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace gppsim::cli
