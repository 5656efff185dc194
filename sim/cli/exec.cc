// `gppsim exec`: one MPI rank per device runs the lowered plan with real kernels; rank 0 writes
// summary.json and trace.json (the simulator's formats), timings.json (raw per-task times) and,
// with --dump-weights, weights.json. A failing rank ends every rank (MPI_Abort); a watchdog
// ends a rank that runs past --time-limit, which makes mpirun end the others.

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/error_report.h"
#include "sim/cli/verbs.h"
#include "sim/config/scenario.h"
#include "sim/config/strategy_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/errors.h"
#include "sim/core/hash.h"
#include "sim/core/read_text_file.h"
#include "sim/exec/mpi_session.h"
#include "sim/exec/run.h"
#include "sim/report/outputs.h"
#include "sim/schedule/lower.h"
#ifdef GPPSIM_HAVE_CUDA_EXEC
#include "sim/exec_cuda/cuda_device.h"
#endif

namespace gppsim::cli {
namespace {

// Ends this process with a message when the run is not over by the deadline; mpirun then ends
// the other ranks. Stops quietly when destroyed first.
class Watchdog {
 public:
  Watchdog(double seconds, int rank)
      : thread_([this, seconds, rank] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
            std::cerr << fmt::format("gppsim exec (rank {}): the run passed its time limit of {} s; ending every rank\n",
                                     rank, seconds);
            std::_Exit(kExitInternal);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

std::string timings_json(const exec::ExecResult& r, int ranks) {
  nlohmann::ordered_json j;
  j["ranks"] = ranks;
  j["iteration_times_s"] = r.iteration_times_s;
  j["makespan_s"] = r.trace.makespan().seconds().value();
  j["events"] = r.trace.events;
  auto& tasks = j["tasks"] = nlohmann::ordered_json::array();
  for (const auto& t : r.trace.tasks) tasks.push_back({t.start.seconds().value(), t.end.seconds().value()});
  auto& peak = j["peak_memory_bytes"] = nlohmann::ordered_json::array();
  for (const auto& b : r.trace.peak_memory) peak.push_back(b.value());
  auto& st = j["static_memory_bytes"] = nlohmann::ordered_json::array();
  for (const auto& b : r.trace.static_memory) st.push_back(b.value());
  return j.dump(1) + "\n";
}

std::string weights_json(const exec::ExecResult& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& w : r.weights) j.push_back({{"stage", w.stage}, {"device", w.device}, {"ops", w.ops}});
  return j.dump() + "\n";
}

int write_outputs(const ExecOptions& o, const config::Scenario& sc, const plan::Strategy& strategy,
                  const schedule::Schedule& sched, const schedule::TaskGraph& tasks, const exec::ExecResult& r,
                  double wall, std::ostream& out) {
  const core::Bytes capacity = sc.plan.memory_limit.value_or(sc.cluster.device.memory_capacity);
  const auto metrics = report::compute_metrics(strategy, sched, tasks, r.trace, sc.model.graph,
                                               sc.training.mini_batch, capacity);
  const report::RunInfo info{sc.name, "manual (" + o.strategy.filename().string() + ")",
                             std::string(plan::to_string(strategy.schedule)), wall};
  const auto dir = o.out.empty() ? std::filesystem::path("out") / (sc.name + "-exec") : o.out;
  core::write_file_atomically(dir / "summary.json", report::summary_json(metrics, info));
  core::write_file_atomically(dir / "trace.json", report::chrome_trace_json(tasks, r.trace, hw::Topology(sc.cluster)));
  core::write_file_atomically(dir / "timings.json", timings_json(r, tasks.num_devices()));
  if (o.dump_weights) core::write_file_atomically(dir / "weights.json", weights_json(r));
  out << report::summary_table(metrics, info);
  auto times = r.iteration_times_s;
  std::sort(times.begin(), times.end());
  out << fmt::format("\nmeasured {} iterations on {} ranks: median {:.3f} ms (min {:.3f}, max {:.3f})\nwrote {}\n",
                     times.size(), tasks.num_devices(), 1e3 * r.trace.makespan().seconds().value(),
                     1e3 * times.front(), 1e3 * times.back(), dir.string());
  return 0;
}

// Where this rank computes: the CPU (null), or the GPU of its node-local rank; ranks beyond a
// node's GPUs share them round-robin, which the first rank of the node reports.
std::unique_ptr<exec::Device> make_device(const std::string& kind) {
  if (kind == "cpu") return nullptr;
#ifdef GPPSIM_HAVE_CUDA_EXEC
  const int gpus = exec::cuda_device_count();
  if (gpus == 0) {
    throw core::ConfigError(core::SourceLocation{},
                            "--device cuda: this process sees no CUDA device (no GPU, no driver, or "
                            "CUDA_VISIBLE_DEVICES hides them); run with --device cpu or on a GPU node");
  }
  const int local = exec::local_rank(), ranks = exec::local_size();
  if (local == 0 && ranks > gpus) {
    std::cerr << fmt::format("gppsim exec: {} ranks share {} GPU{} on this node; their kernels contend, so measured "
                             "times exceed a run with one GPU per rank\n", ranks, gpus, gpus == 1 ? "" : "s");
  }
  return exec::make_cuda_device(local % gpus);
#else
  throw core::ConfigError(core::SourceLocation{}, "--device cuda: this gppsim was built without CUDA (CMake found "
                                                  "no nvcc when it was configured); run with --device cpu");
#endif
}

int exec_ranks(const ExecOptions& o, std::ostream& out) {
  const auto wall_start = std::chrono::steady_clock::now();
  const config::Scenario sc = config::load_scenario(o.scenario);
  const plan::Strategy strategy = config::load_strategy(o.strategy, sc);
  exec::check_same_inputs(core::fnv1a64(core::read_text_file(o.scenario, "scenario") + '\0' +
                                        core::read_text_file(o.strategy, "strategy") + '\0' +
                                        fmt::format("{} {} {} {} {}", o.iterations, o.warmup, o.seed,
                                                    o.dump_weights, o.device)));
  const std::unique_ptr<exec::Device> device = make_device(o.device);
  const auto sched = schedule::make_schedule(strategy, sc.training.mini_batch);
  const auto tasks = schedule::lower(strategy, sched, sc.model.graph, sc.training.mini_batch, sc.cluster.num_devices());
  exec::ExecOptions eo;
  eo.setup = {sc.training.mini_batch, sc.training.optimizer, o.seed};
  eo.iterations = o.iterations;
  eo.warmup = o.warmup;
  eo.collect_weights = o.dump_weights;
  eo.device = device.get();
  const exec::ExecResult r = exec::run_on_ranks(sc.model, strategy, tasks, eo);
  if (!r.root) return kExitOk;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  out << fmt::format("rank 0 ran on {}\n", device ? device->name() : exec::cpu_device().name());
  return write_outputs(o, sc, strategy, sched, tasks, r, wall, out);
}

}  // namespace

int run_exec(const ExecOptions& options, int* argc, char*** argv, std::ostream& out) {
  exec::MpiSession session(argc, argv);
  int code = kExitOk;
  {
    Watchdog watchdog(options.time_limit_s, session.rank());
    try {
      code = exec_ranks(options, out);
    } catch (...) {
      code = report_error(std::current_exception(), fmt::format("gppsim exec (rank {})", session.rank()), std::cerr);
    }
  }
  // A rank that failed may leave others waiting on it: end them all, with this rank's code.
  if (code != kExitOk && session.size() > 1) exec::abort_world(code);
  return code;
}

}  // namespace gppsim::cli
