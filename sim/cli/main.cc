// gppsim: the command-line entry point. This is the only place that catches errors and turns
// them into exit codes: 0 success, 2 bad input, 3 infeasible, 1 internal error.

#include <exception>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/cli/error_report.h"
#include "sim/cli/verbs.h"

namespace {

using gppsim::cli::kExitBadInput;
using gppsim::cli::kExitOk;

// A program installed beside this one (the build puts gppsim_mpi_pingpong next to gppsim).
std::filesystem::path sibling_executable(const char* argv0, const char* name) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  return self.parent_path() / name;
}

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

  gppsim::cli::CalibrateOptions calibrate;
  auto* calibrate_cmd = app.add_subcommand("calibrate", "microkernel sweep -> fitted device profile (YAML)");
  calibrate_cmd->add_option("--backend", calibrate.backend, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  calibrate_cmd->add_option("--out", calibrate.out, "profile YAML to write (raw measurements: .raw.json beside it)")
      ->required();
  calibrate_cmd->add_flag("--quick", calibrate.quick, "a small sweep (coarser fits), for CI");
  calibrate_cmd->add_option("--name", calibrate.name, "profile name (default: the --out file name)");
  calibrate_cmd->add_option("--seed", calibrate.seed, "seed of the held-out points");
  calibrate_cmd->add_flag("--skip-mpi", calibrate.skip_mpi, "cpu: leave out the MPI ping-pong link fit");
  calibrate_cmd->add_option("--concurrent", calibrate.concurrent,
                            "cpu: run the sweep in N processes at once and pool their times (a CPU whose N cores "
                            "are all busy, as in an N-rank run)")
      ->check(CLI::Range(1, 1024));
  calibrate_cmd->add_option("--pingpong-binary", calibrate.pingpong_binary,
                            "cpu: the gppsim_mpi_pingpong executable (default: beside gppsim)");

  gppsim::cli::ExecOptions exec;
  auto* exec_cmd = app.add_subcommand("exec", "run the plan for real on MPI ranks (under mpirun, one rank per device)");
  exec_cmd->add_option("scenario", exec.scenario, "scenario YAML")->required();
  exec_cmd->add_option("--strategy", exec.strategy, "strategy YAML")->required();
  exec_cmd->add_option("--out", exec.out, "output folder (default: out/<scenario name>-exec)");
  exec_cmd->add_option("--iterations", exec.iterations, "measured iterations")->check(CLI::Range(1, 1000));
  exec_cmd->add_option("--warmup", exec.warmup, "unmeasured iterations first")->check(CLI::Range(0, 1000));
  exec_cmd->add_option("--seed", exec.seed, "seed of weights, inputs and embedding indices");
  exec_cmd->add_option("--time-limit", exec.time_limit_s, "seconds; past this every rank ends with an error")
      ->check(CLI::PositiveNumber);
  exec_cmd->add_flag("--dump-weights", exec.dump_weights, "also write weights.json after the run");
  exec_cmd->add_option("--device", exec.device, "where each rank computes: cpu, or cuda (the GPU of its local rank)")
      ->check(CLI::IsMember({"cpu", "cuda"}));

  gppsim::cli::CrosscheckOptions cross;
  auto* cross_cmd = app.add_subcommand("crosscheck", "calibrate -> plan -> simulate -> exec (mpirun) -> compare");
  cross_cmd->add_option("scenario", cross.scenario, "scenario YAML")->required();
  cross_cmd->add_option("--profile", cross.profile, "device profile (default: calibrate this CPU first)");
  cross_cmd->add_option("--strategy", cross.strategy, "strategy YAML (default: the scenario's planner)");
  cross_cmd->add_option("--out", cross.out, "output folder (default: out/<scenario name>-crosscheck)");
  cross_cmd->add_option("--iterations", cross.iterations, "measured iterations")->check(CLI::Range(1, 1000));
  cross_cmd->add_option("--warmup", cross.warmup, "unmeasured iterations first")->check(CLI::Range(0, 1000));
  cross_cmd->add_option("--mpirun", cross.mpirun, "the mpirun command");
  cross_cmd->add_option("--mpirun-args", cross.mpirun_args, "extra mpirun arguments, e.g. '--hostfile hosts'");
  cross_cmd->add_option("--time-limit", cross.time_limit_s, "seconds for the real run")->check(CLI::PositiveNumber);
  cross_cmd->add_flag("--quick-calibration", cross.quick_calibration, "calibrate with the quick sweep");
  cross_cmd->add_option("--device", cross.device, "exec's device: cpu, or cuda (then calibrates the GPU)")
      ->check(CLI::IsMember({"cpu", "cuda"}));

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
  if (cross_cmd->parsed()) {
    cross.self = sibling_executable(argv[0], "gppsim");
    return gppsim::cli::run_crosscheck(cross, std::cout);
  }
  if (exec_cmd->parsed()) return gppsim::cli::run_exec(exec, &argc, &argv, std::cout);
  if (calibrate_cmd->parsed()) {
    if (calibrate.pingpong_binary.empty()) calibrate.pingpong_binary = sibling_executable(argv[0], "gppsim_mpi_pingpong");
    return gppsim::cli::run_calibrate(calibrate, std::cout);
  }
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (...) {
    return gppsim::cli::report_error(std::current_exception(), "gppsim", std::cerr);
  }
}
