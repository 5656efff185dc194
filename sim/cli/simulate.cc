#include <chrono>
#include <iostream>
#include <ostream>

#include <fmt/format.h>

#include "sim/cli/planning.h"
#include "sim/cli/verbs.h"
#include "sim/config/scenario.h"
#include "sim/config/strategy_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/errors.h"
#include "sim/core/unit_parse.h"
#include "sim/experiment/evaluate.h"
#include "sim/report/outputs.h"

namespace gppsim::cli {
namespace {

plan::Strategy choose_strategy(const SimulateOptions& o, const config::Scenario& sc, std::string* planner,
                               std::ostream& out) {
  if (!o.strategy.empty()) {
    *planner = "manual (" + o.strategy.filename().string() + ")";
    return config::load_strategy(o.strategy, sc);
  }
  const PlanOutcome planned = run_planner(sc);
  *planner = std::string(plan::to_string(sc.plan.planner));
  if (!planned.result.feasible) {
    throw core::PlanError(fmt::format("planner {} found no strategy: {}", *planner, planned.result.reason));
  }
  out << fmt::format("planner {} found {} stages in {:.3f} s (no --strategy given)\n", *planner,
                     planned.result.strategy->stages.size(), planned.search_time_s);
  return *planned.result.strategy;
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
  const plan::Strategy strategy = choose_strategy(options, sc, &planner, out);
  const core::Bytes capacity = sc.plan.memory_limit.value_or(sc.cluster.device.memory_capacity);
  const auto sim = experiment::simulate_strategy(sc.model, sc.cluster, strategy, sc.training.mini_batch,
                                                 sc.training.optimizer, capacity);
  const auto& metrics = sim.metrics;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const report::RunInfo info{sc.name, planner, std::string(plan::to_string(strategy.schedule)), wall};
  const auto dir = options.out.empty() ? std::filesystem::path("out") / sc.name : options.out;
  core::write_file_atomically(dir / "summary.json", report::summary_json(metrics, info));
  core::write_file_atomically(dir / "trace.json",
                              report::chrome_trace_json(sim.tasks, sim.trace, hw::Topology(sc.cluster)));
  out << report::summary_table(metrics, info);
  out << fmt::format("\nwrote {} and {}\n", (dir / "summary.json").string(), (dir / "trace.json").string());
  if (!metrics.feasible) {
    std::cerr << "gppsim: infeasible: " << infeasible_message(metrics) << '\n';
    return 3;
  }
  return 0;
}

}  // namespace gppsim::cli
