#include <chrono>
#include <iostream>
#include <ostream>

#include <fmt/format.h>

#include "sim/cli/verbs.h"
#include "sim/config/scenario.h"
#include "sim/config/strategy_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/errors.h"
#include "sim/core/unit_parse.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/engine/simulate.h"
#include "sim/report/outputs.h"
#include "sim/schedule/lower.h"

namespace gppsim::cli {
namespace {

plan::Strategy choose_strategy(const SimulateOptions& o, const config::Scenario& sc, std::string* planner) {
  if (!o.strategy.empty()) {
    *planner = "manual (" + o.strategy.filename().string() + ")";
    return config::load_strategy(o.strategy, sc);
  }
  if (sc.plan.planner == plan::PlannerKind::kManual) {
    throw core::ConfigError(core::SourceLocation{sc.file.string(), 0, 0, "plan.planner"},
                            "planner manual needs a strategy: pass --strategy STRATEGY.yaml");
  }
  throw core::ConfigError(core::SourceLocation{sc.file.string(), 0, 0, "plan.planner"},
                          fmt::format("planner {} is not available in this version; pass --strategy STRATEGY.yaml",
                                      plan::to_string(sc.plan.planner)));
}

std::string infeasible_message(const report::IterationMetrics& m) {
  std::string out = "the plan does not fit in device memory:";
  for (const auto& d : m.devices) {
    if (d.peak_memory > d.memory_capacity) {
      out += fmt::format(" device {} needs {} of {};", d.id, core::format_bytes(d.peak_memory),
                         core::format_bytes(d.memory_capacity));
    }
  }
  return out;
}

}  // namespace

int run_simulate(const SimulateOptions& options, std::ostream& out) {
  const auto wall_start = std::chrono::steady_clock::now();
  const config::Scenario sc = config::load_scenario(options.scenario);
  std::string planner;
  const plan::Strategy strategy = choose_strategy(options, sc, &planner);
  const schedule::Schedule sched = schedule::make_schedule(strategy, sc.training.mini_batch);
  const schedule::TaskGraph tasks =
      schedule::lower(strategy, sched, sc.model.graph, sc.training.mini_batch, sc.cluster.num_devices());
  const hw::Topology topology(sc.cluster);
  const cost::SpecCostSource source(sc.cluster.device);
  const cost::OpCost op_cost(source, sc.model.dtype);
  const schedule::Trace trace =
      engine::simulate(engine::SimulationInput{strategy, tasks, sc.model, topology, op_cost, sc.training.optimizer});
  const core::Bytes capacity = sc.plan.memory_limit.value_or(sc.cluster.device.memory_capacity);
  const auto metrics = report::compute_metrics(strategy, sched, tasks, trace, sc.model.graph, sc.training.mini_batch, capacity);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const report::RunInfo info{sc.name, planner, std::string(plan::to_string(strategy.schedule)), wall};
  const auto dir = options.out.empty() ? std::filesystem::path("out") / sc.name : options.out;
  core::write_file_atomically(dir / "summary.json", report::summary_json(metrics, info));
  core::write_file_atomically(dir / "trace.json", report::chrome_trace_json(tasks, trace, topology));
  out << report::summary_table(metrics, info);
  out << fmt::format("\nwrote {} and {}\n", (dir / "summary.json").string(), (dir / "trace.json").string());
  if (!metrics.feasible) {
    std::cerr << "gppsim: infeasible: " << infeasible_message(metrics) << '\n';
    return 3;
  }
  return 0;
}

}  // namespace gppsim::cli
