// `gppsim crosscheck`: calibrate (or reuse a profile) -> plan (or a given strategy) -> simulate on
// that profile -> exec under mpirun -> compare. Writes DIR/profile.yaml (when calibrating),
// DIR/strategy.yaml, DIR/simulated/, DIR/measured/, DIR/comparison.json and DIR/comparison.md.

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/planning.h"
#include "sim/cli/verbs.h"
#include "sim/config/device_profile_file.h"
#include "sim/config/scenario.h"
#include "sim/config/strategy_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/errors.h"
#include "sim/core/read_text_file.h"
#include "sim/experiment/evaluate.h"
#ifdef GPPSIM_HAVE_CUDA_EXEC
#include "sim/exec_cuda/cuda_device.h"
#endif
#include "sim/report/comparison.h"
#include "sim/report/outputs.h"

namespace gppsim::cli {
namespace {

// Calibrates the device exec will run on. On the CPU, with as many processes at once as the run
// has ranks (up to the cores): a rank's kernels run while every other rank's do, on shared
// caches, memory and (often) physical cores. A GPU is calibrated alone (kernels/cuda).
std::filesystem::path ensure_profile(const CrosscheckOptions& o, const std::filesystem::path& dir, int ranks,
                                     std::ostream& out) {
  if (!o.profile.empty()) return o.profile;
  CalibrateOptions c;
  c.backend = o.device;
  c.quick = o.quick_calibration;
  c.out = dir / "profile.yaml";
  c.name = "crosscheck-" + o.device;
  c.pingpong_binary = o.self.parent_path() / "gppsim_mpi_pingpong";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.concurrent = o.device == "cpu" ? std::clamp(ranks, 1, cores) : 1;
  out << fmt::format("calibrating this machine's {} (no --profile given), {} process{} at once\n",
                     o.device == "cpu" ? "CPU" : "GPU", c.concurrent, c.concurrent == 1 ? "" : "es");
  if (const int code = run_calibrate(c, out); code != 0) {
    throw core::PlanError(fmt::format("calibration failed with exit code {}", code));
  }
  return c.out;
}

// The scenario's device and intra-node link become the profile's: its kernels, and its MPI
// ping-pong fit (the link the ranks really use) when it has one.
void apply_profile(config::Scenario* sc, const std::filesystem::path& profile_file) {
  auto profile = std::make_shared<const hw::DeviceProfile>(config::load_device_profile(profile_file));
  sc->cluster.device = profile->summary_spec();
  if (const auto link = profile->links.find("mpi_pingpong"); link != profile->links.end()) {
    sc->cluster.intra_node = {link->second.asymptotic_bandwidth(), link->second.base_latency()};
  }
  sc->cluster.profile = std::move(profile);
}

plan::Strategy choose(const CrosscheckOptions& o, const config::Scenario& sc, std::ostream& out) {
  if (!o.strategy.empty()) return config::load_strategy(o.strategy, sc);
  const PlanOutcome planned = run_planner(sc);
  if (!planned.result.feasible) {
    throw core::PlanError(fmt::format("planner {} found no strategy: {}", plan::to_string(sc.plan.planner),
                                      planned.result.reason));
  }
  out << fmt::format("planner {} found {} stages in {:.3f} s\n", plan::to_string(sc.plan.planner),
                     planned.result.strategy->stages.size(), planned.search_time_s);
  return *planned.result.strategy;
}

// GPUs this process sees (0 in a build without the CUDA backend).
int visible_gpus() {
#ifdef GPPSIM_HAVE_CUDA_EXEC
  return exec::cuda_device_count();
#else
  return 0;
#endif
}

std::string quoted(const std::filesystem::path& p) { return "'" + std::filesystem::absolute(p).string() + "'"; }

// Runs `gppsim exec` under mpirun; returns its exit status (the log is in dir/exec.log). Open
// MPI's session files go to a folder of this run unless the user chose one: mpiruns that start
// at the same moment otherwise race to create the shared /tmp/ompi.HOST.UID, and the loser fails.
int run_mpirun(const CrosscheckOptions& o, int ranks, bool oversubscribe, const std::filesystem::path& dir) {
  const auto session = std::filesystem::temp_directory_path() / fmt::format("gppsim-crosscheck-{}", getpid());
  const std::string command = fmt::format(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 "
      "OMPI_MCA_orte_tmpdir_base=\"${{OMPI_MCA_orte_tmpdir_base:-{}}}\" "
      "ASAN_OPTIONS=\"${{ASAN_OPTIONS}}:detect_leaks=0\" timeout {:.0f} {} -np {} {} {} {} exec {} --strategy {} "
      "--out {} --iterations {} --warmup {} --time-limit {:.0f} --device {} > {} 2>&1",
      session.string(), o.time_limit_s + 30.0, o.mpirun, ranks, oversubscribe ? "--oversubscribe" : "", o.mpirun_args, quoted(o.self),
      quoted(o.scenario), quoted(dir / "strategy.yaml"), quoted(dir / "measured"), o.iterations, o.warmup,
      o.time_limit_s, o.device, quoted(dir / "exec.log"));
  const int status = std::system(command.c_str());
  std::filesystem::remove_all(session);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

schedule::Trace read_measured(const std::filesystem::path& file, std::vector<double>* iterations) {
  const auto j = nlohmann::json::parse(core::read_text_file(file, "exec timings"));
  schedule::Trace t;
  for (const auto& task : j.at("tasks")) {
    t.tasks.push_back({core::Time::from_seconds(core::Seconds(task[0].get<double>())),
                       core::Time::from_seconds(core::Seconds(task[1].get<double>()))});
  }
  for (const auto& b : j.at("peak_memory_bytes")) t.peak_memory.emplace_back(b.get<double>());
  for (const auto& b : j.at("static_memory_bytes")) t.static_memory.emplace_back(b.get<double>());
  *iterations = j.at("iteration_times_s").get<std::vector<double>>();
  return t;
}

std::string tail_of(const std::filesystem::path& file) {
  const std::string text = std::filesystem::exists(file) ? core::read_text_file(file, "exec log") : std::string();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

int run_crosscheck(const CrosscheckOptions& o, std::ostream& out) {
  config::Scenario sc = config::load_scenario(o.scenario);
  const auto dir = o.out.empty() ? std::filesystem::path("out") / (sc.name + "-crosscheck") : o.out;
  std::filesystem::create_directories(dir);
  const auto profile = ensure_profile(o, dir, sc.cluster.num_devices(), out);
  apply_profile(&sc, profile);
  const plan::Strategy strategy = choose(o, sc, out);
  core::write_file_atomically(dir / "strategy.yaml", config::strategy_to_yaml(strategy, sc.model.graph));
  const core::Bytes capacity = sc.plan.memory_limit.value_or(sc.cluster.device.memory_capacity);
  const auto sim = experiment::simulate_strategy(sc.model, sc.cluster, strategy, sc.training.mini_batch,
                                                 sc.training.optimizer, capacity);
  const report::RunInfo info{sc.name, "crosscheck", std::string(plan::to_string(strategy.schedule)), 0.0};
  core::write_file_atomically(dir / "simulated" / "summary.json", report::summary_json(sim.metrics, info));
  core::write_file_atomically(dir / "simulated" / "trace.json",
                              report::chrome_trace_json(sim.tasks, sim.trace, hw::Topology(sc.cluster)));
  const int ranks = sc.cluster.num_devices();
  const bool over = ranks > static_cast<int>(std::thread::hardware_concurrency());
  const bool shared = over || (o.device == "cuda" && ranks > visible_gpus());
  out << fmt::format("simulated {:.3f} ms per iteration; running {} MPI ranks{}\n",
                     1e3 * sim.trace.makespan().seconds().value(), ranks,
                     shared ? fmt::format(" (oversubscribed: more ranks than {})", over ? "cores" : "GPUs") : "");
  if (const int code = run_mpirun(o, ranks, over, dir); code != 0) {
    std::cerr << fmt::format("gppsim crosscheck: the real run failed (exit {}); the end of {}:\n{}\n", code,
                             (dir / "exec.log").string(), tail_of(dir / "exec.log"));
    return code == 2 || code == 3 ? code : 1;
  }
  report::ComparisonInfo ci{sc.name, sc.cluster.profile->name, ranks, shared, o.device, {}};
  const schedule::Trace measured = read_measured(dir / "measured" / "timings.json", &ci.measured_iterations_s);
  const auto c = report::compare_traces(strategy, sim.tasks, sim.trace, measured);
  core::write_file_atomically(dir / "comparison.json", report::comparison_json(c, ci));
  const std::string md = report::comparison_markdown(c, ci);
  core::write_file_atomically(dir / "comparison.md", md);
  out << '\n' << md << fmt::format("\nwrote {}\n", dir.string());
  return 0;
}

}  // namespace gppsim::cli
