#include "sim/report/metrics.h"

#include <algorithm>
#include <set>

namespace gppsim::report {
namespace {

std::vector<core::Seconds> busy_per_device(const schedule::TaskGraph& tasks, const schedule::Trace& trace) {
  std::vector<core::Seconds> busy;
  for (int d = 0; d < tasks.num_devices(); ++d) {
    core::Time sum;  // exact in picoseconds, converted once
    for (const auto t : tasks.queue(d)) sum += trace.tasks[t].end - trace.tasks[t].start;
    busy.push_back(sum.seconds());
  }
  return busy;
}

std::vector<StageMetrics> stage_metrics(const plan::Strategy& s, const schedule::Schedule& sched,
                                        const model::OpGraph& g) {
  std::vector<StageMetrics> out;
  for (const auto& st : s.stages) {
    StageMetrics m;
    m.id = st.id;
    for (const auto op : st.ops) m.ops.push_back(g.op(op).name);
    m.devices.assign(st.devices.begin(), st.devices.end());
    m.micro_batch_size = st.micro_batch_size;
    m.micro_batches = sched.micro_batches[static_cast<std::size_t>(st.id)];
    m.in_flight_micro_batches = sched.in_flight_micro_batches[static_cast<std::size_t>(st.id)];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

IterationMetrics compute_metrics(const plan::Strategy& strategy, const schedule::Schedule& schedule,
                                 const schedule::TaskGraph& tasks, const schedule::Trace& trace,
                                 const model::OpGraph& graph, std::int64_t mini_batch, core::Bytes capacity) {
  IterationMetrics m;
  m.iteration_time = trace.makespan().seconds();
  m.mini_batch_size = mini_batch;
  m.throughput_samples_per_s = m.iteration_time.value() > 0.0 ? static_cast<double>(mini_batch) / m.iteration_time.value() : 0.0;
  m.num_micro_batches = *std::max_element(schedule.micro_batches.begin(), schedule.micro_batches.end());
  m.pipeline_depth = strategy.depth();
  m.stages = stage_metrics(strategy, schedule, graph);
  m.events = trace.events;
  const auto busy = busy_per_device(tasks, trace);
  std::set<int> used;
  for (const auto& st : strategy.stages) used.insert(st.devices.begin(), st.devices.end());
  core::Seconds total_busy;
  for (int d = 0; d < tasks.num_devices(); ++d) {
    const auto i = static_cast<std::size_t>(d);
    m.devices.push_back(DeviceMetrics{d, busy[i], trace.peak_memory[i], capacity});
    m.feasible = m.feasible && trace.peak_memory[i] <= capacity;
    if (used.contains(d)) total_busy += busy[i];
  }
  const double available = m.iteration_time.value() * static_cast<double>(used.size());
  m.bubble_fraction = available > 0.0 ? 1.0 - total_busy.value() / available : 0.0;
  return m;
}

}  // namespace gppsim::report
