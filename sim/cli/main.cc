// gppsim: the command-line entry point. This is the only place that catches errors and turns
// them into exit codes: 0 success, 2 bad input, 3 infeasible, 1 internal error.

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/cli/verbs.h"
#include "sim/core/errors.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInfeasible = 3;

int run(int argc, char** argv) {
  CLI::App app{"gppsim: discrete-event simulator and planner for (graph) pipeline-parallel DNN training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gppsim 0.1.0");

  gppsim::cli::InspectOptions inspect;
  auto* inspect_cmd = app.add_subcommand("inspect", "model summary: ops, parameters, FLOPs, branches, memory");
  inspect_cmd->add_option("scenario", inspect.scenario, "scenario YAML")->required();
  inspect_cmd->add_flag("--json", inspect.json, "print JSON instead of text");

  gppsim::cli::PlanOptions plan;
  auto* plan_cmd = app.add_subcommand("plan", "run the scenario's planner -> plan.json, strategy.yaml");
  plan_cmd->add_option("scenario", plan.scenario, "scenario YAML")->required();
  plan_cmd->add_option("--out", plan.out, "output folder (default: out/<scenario name>)");

  gppsim::cli::SimulateOptions simulate;
  auto* simulate_cmd = app.add_subcommand("simulate", "simulate one training iteration -> summary.json, trace.json");
  simulate_cmd->add_option("scenario", simulate.scenario, "scenario YAML")->required();
  simulate_cmd->add_option("--strategy", simulate.strategy, "strategy YAML (required with planner: manual)");
  simulate_cmd->add_option("--out", simulate.out, "output folder (default: out/<scenario name>)");

  gppsim::cli::ExperimentOptions experiment;
  auto* experiment_cmd = app.add_subcommand("experiment", "plan + simulate a grid of cells -> tables, plots, report");
  experiment_cmd->add_option("experiment", experiment.experiment, "experiment YAML")->required();
  experiment_cmd->add_option("--out", experiment.out, "results folder (default: experiments/results/<name>)");
  experiment_cmd->add_flag("--quick", experiment.quick, "run the experiment's quick subset");
  experiment_cmd->add_option("--threads", experiment.threads, "worker threads (default: one per core)")
      ->check(CLI::Range(0, 256));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (inspect_cmd->parsed()) return gppsim::cli::run_inspect(inspect, std::cout);
  if (experiment_cmd->parsed()) return gppsim::cli::run_experiment(experiment, std::cout);
  if (plan_cmd->parsed()) return gppsim::cli::run_plan(plan, std::cout);
  if (simulate_cmd->parsed()) return gppsim::cli::run_simulate(simulate, std::cout);
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const gppsim::core::ConfigError& e) {
    std::cerr << "gppsim: bad input:\n" << e.what() << '\n';
    return kExitBadInput;
  } catch (const gppsim::core::PlanError& e) {
    std::cerr << "gppsim: infeasible: " << e.what() << '\n';
    return kExitInfeasible;
  } catch (const gppsim::core::InternalError& e) {
    std::cerr << "gppsim: " << e.what() << "\nThis is a bug in gppsim; please report it.\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "gppsim: internal error: " << e.what() << "\nThis is a bug in gppsim; please report it.\n";
    return kExitInternal;
  }
}
