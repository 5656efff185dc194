#include "sim/exec/run.h"

#include <cblas.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "sim/core/errors.h"
#include "sim/exec/mpi_session.h"
#include "sim/exec/progress_thread.h"
#include "sim/exec/rank_runtime.h"

namespace gppsim::exec {
namespace {

using detail::TaskRecord;

core::Time to_time(double seconds) { return core::Time::from_seconds(core::Seconds(std::max(0.0, seconds))); }

// Rank 0 receives every rank's records (times already on rank 0's clock) and memory figures.
struct Gathered {
  std::vector<std::vector<TaskRecord>> records;  // per rank
  std::vector<double> peak, statics;             // per rank, bytes
};

Gathered gather(const std::vector<TaskRecord>& mine, double peak, double statics, int size) {
  const int count = static_cast<int>(mine.size() * 4);
  std::vector<int> counts(static_cast<std::size_t>(size));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> displs(counts.size(), 0);
  std::partial_sum(counts.begin(), counts.end() - 1, displs.begin() + 1);
  std::vector<double> all(static_cast<std::size_t>(displs.back() + counts.back()));
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  const double mem[2] = {peak, statics};
  std::vector<double> mems(2 * counts.size());
  MPI_Gather(mem, 2, MPI_DOUBLE, mems.data(), 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  Gathered g;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    const auto* p = reinterpret_cast<const TaskRecord*>(all.data() + displs[r]);
    g.records.emplace_back(p, p + counts[r] / 4);
    g.peak.push_back(mems[2 * r]);
    g.statics.push_back(mems[2 * r + 1]);
  }
  return g;
}

// Builds rank 0's Trace: a transfer starts at its send and ends at its arrival; an all-reduce
// spans its first post to its last completion. Times are made relative to `zero`.
schedule::Trace to_trace(const Gathered& g, std::size_t num_tasks, double zero) {
  std::vector<double> start(num_tasks, 1e300), end(num_tasks, -1e300);
  schedule::Trace trace;
  for (const auto& records : g.records) {
    for (const TaskRecord& r : records) {
      const auto id = static_cast<std::size_t>(r.id);
      if (r.part != 2.0) start[id] = std::min(start[id], r.start - zero);
      if (r.part != 1.0) end[id] = std::max(end[id], r.end - zero);
    }
    trace.events += records.size();
  }
  for (std::size_t id = 0; id < num_tasks; ++id) {
    const double s = start[id] > 1e299 ? 0.0 : start[id];
    trace.tasks.push_back({to_time(s), to_time(std::max(s, end[id]))});
  }
  for (std::size_t r = 0; r < g.peak.size(); ++r) {
    trace.peak_memory.emplace_back(g.peak[r]);
    trace.static_memory.emplace_back(g.statics[r]);
  }
  return trace;
}

std::vector<StageWeights> collect_weights(const model::Model& model, const plan::Strategy& strategy,
                                          detail::RankRuntime& runtime, int rank) {
  std::vector<StageWeights> out;
  for (const auto& st : strategy.stages) {
    for (const int device : st.devices) {
      StageWeights w{st.id, device, {}};
      for (const auto op : st.ops) {
        // Every rank knows the op's size from the model: only the values travel.
        std::vector<float> values(static_cast<std::size_t>(model.graph.op(op).parameters));
        if (device == rank) values = runtime.runner(st.id)->op_weights(op);
        const auto n = static_cast<int>(values.size());
        if (device != 0 && rank == device) MPI_Send(values.data(), n, MPI_FLOAT, 0, 2, MPI_COMM_WORLD);
        if (device != 0 && rank == 0) MPI_Recv(values.data(), n, MPI_FLOAT, device, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        w.ops[model.graph.op(op).name] = std::move(values);
      }
      if (rank == 0) out.push_back(std::move(w));
    }
  }
  return out;
}

}  // namespace

ExecResult run_on_ranks(const model::Model& model, const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                        const ExecOptions& options) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != tasks.num_devices()) {
    throw core::ConfigError(core::SourceLocation{}, fmt::format(
        "the plan has {} devices but the job has {} MPI ranks; run one rank per device (mpirun -np {})",
        tasks.num_devices(), size, tasks.num_devices()));
  }
  const ExecModel exec_model = build_exec_model(model);
  openblas_set_num_threads(1);  // one rank per core: the calibration measured one thread too
  detail::RankRuntime runtime(exec_model, strategy, tasks, options.setup, rank,
                              options.device != nullptr ? *options.device : cpu_device());
  const std::vector<double> offsets = clock_offsets(8);
  std::unique_ptr<ProgressThread> progress;
  if (thread_multiple()) {
    progress = std::make_unique<ProgressThread>(std::chrono::microseconds(20));
    runtime.on_pending_sends([p = progress.get()](std::size_t n) { p->set_pending_sends(n); }, eager_limit_bytes());
  }
  const double my_offset = offsets[static_cast<std::size_t>(rank)];
  ExecResult result;
  result.root = rank == 0;
  std::vector<schedule::Trace> traces;
  for (int it = 0; it < options.warmup + options.iterations; ++it) {
    runtime.memory().reset_peak();
    MPI_Barrier(MPI_COMM_WORLD);
    double zero = MPI_Wtime() - my_offset;
    std::vector<TaskRecord> records = runtime.run_iteration();
    for (auto& r : records) {
      r.start -= my_offset;
      r.end -= my_offset;
    }
    MPI_Allreduce(MPI_IN_PLACE, &zero, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    const Gathered g = gather(records, static_cast<double>(runtime.memory().peak()),
                              static_cast<double>(runtime.static_bytes()), size);
    if (rank == 0 && it >= options.warmup) traces.push_back(to_trace(g, tasks.size(), zero));
  }
  if (rank == 0) {
    for (const auto& t : traces) result.iteration_times_s.push_back(t.makespan().seconds().value());
    std::vector<std::size_t> order(traces.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) {
      return result.iteration_times_s[a] < result.iteration_times_s[b];
    });
    if (!order.empty()) result.trace = traces[order[(order.size() - 1) / 2]];
  }
  if (options.collect_weights) result.weights = collect_weights(model, strategy, runtime, rank);
  return result;
}

}  // namespace gppsim::exec
