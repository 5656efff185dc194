#include "sim/report/outputs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/unit_parse.h"

namespace gppsim::report {
namespace {

using nlohmann::ordered_json;

ordered_json devices_json(const IterationMetrics& m) {
  ordered_json out = ordered_json::array();
  for (const auto& d : m.devices) {
    out.push_back({{"id", d.id},
                   {"busy_s", d.busy.value()},
                   {"peak_memory_bytes", d.peak_memory.value()},
                   {"memory_capacity_bytes", d.memory_capacity.value()}});
  }
  return out;
}

ordered_json stages_json(const IterationMetrics& m) {
  ordered_json out = ordered_json::array();
  for (const auto& s : m.stages) {
    out.push_back({{"id", s.id},
                   {"ops", s.ops},
                   {"devices", s.devices},
                   {"micro_batch_size", s.micro_batch_size},
                   {"micro_batches", s.micro_batches},
                   {"in_flight_micro_batches", s.in_flight_micro_batches}});
  }
  return out;
}

double micros(core::Time t) { return static_cast<double>(t.ps()) * 1e-6; }

ordered_json span(std::string name, std::string cat, int pid, std::size_t tid, const schedule::TaskTiming& t) {
  return {{"name", std::move(name)}, {"cat", std::move(cat)}, {"ph", "X"},     {"pid", pid},
          {"tid", tid},              {"ts", micros(t.start)},  {"dur", micros(t.end - t.start)}};
}

ordered_json track_name(int pid, std::size_t tid, const std::string& name) {
  return {{"name", "thread_name"}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}};
}

std::string phase_letter(schedule::Phase p) {
  switch (p) {
    case schedule::Phase::kForward: return "F";
    case schedule::Phase::kBackward: return "B";
    case schedule::Phase::kWeightGrad: return "W";
  }
  return "?";
}

void add_task_span(ordered_json& events, schedule::TaskId id, const schedule::TaskGraph& tasks,
                   const schedule::Trace& trace, const hw::Topology& topo) {
  const auto& timing = trace.tasks[id];
  const auto& kind = tasks.kind(id);
  if (const auto* c = std::get_if<schedule::ComputeTask>(&kind)) {
    events.push_back(span(fmt::format("s{} {}{}", c->stage, phase_letter(c->phase), c->micro_batch), "compute", 0,
                          static_cast<std::size_t>(c->device), timing));
  } else if (const auto* o = std::get_if<schedule::OptimizerTask>(&kind)) {
    events.push_back(span(fmt::format("s{} optimizer", o->stage), "optimizer", 0, static_cast<std::size_t>(o->device), timing));
  } else if (const auto* x = std::get_if<schedule::TransferTask>(&kind)) {
    const std::string name = fmt::format("s{}->s{} {}", x->from_stage, x->to_stage,
                                         x->phase == schedule::Phase::kForward ? "act" : "grad");
    for (const auto link : topo.route(x->src, x->dst).links) events.push_back(span(name, "transfer", 1, link, timing));
  } else if (const auto* a = std::get_if<schedule::AllReduceTask>(&kind)) {
    events.push_back(span(fmt::format("s{} all-reduce", a->stage), "allreduce", 2, static_cast<std::size_t>(a->stage), timing));
  }
}

}  // namespace

std::string summary_json(const IterationMetrics& m, const RunInfo& info) {
  const ordered_json j{{"scenario", info.scenario},
                       {"planner", info.planner},
                       {"schedule", info.schedule},
                       {"iteration_time_s", m.iteration_time.value()},
                       {"throughput_samples_per_s", m.throughput_samples_per_s},
                       {"mini_batch_size", m.mini_batch_size},
                       {"num_micro_batches", m.num_micro_batches},
                       {"pipeline_depth", m.pipeline_depth},
                       {"bubble_fraction", m.bubble_fraction},
                       {"feasible", m.feasible},
                       {"devices", devices_json(m)},
                       {"stages", stages_json(m)},
                       {"events", m.events},
                       {"wall_time_s", info.wall_time_s}};
  return j.dump(2) + "\n";
}

std::string chrome_trace_json(const schedule::TaskGraph& tasks, const schedule::Trace& trace,
                              const hw::Topology& topology) {
  ordered_json events = ordered_json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "devices"}}}});
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "links"}}}});
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 2}, {"args", {{"name", "all-reduce"}}}});
  for (int d = 0; d < tasks.num_devices(); ++d) {
    events.push_back(track_name(0, static_cast<std::size_t>(d), fmt::format("device {}", d)));
  }
  for (std::size_t l = 0; l < topology.links().size(); ++l) events.push_back(track_name(1, l, topology.link(l).name));
  for (schedule::TaskId id = 0; id < tasks.size(); ++id) add_task_span(events, id, tasks, trace, topology);
  const ordered_json doc{{"displayTimeUnit", "ms"}, {"traceEvents", std::move(events)}};
  return doc.dump() + "\n";
}

std::string summary_table(const IterationMetrics& m, const RunInfo& info) {
  std::string out = fmt::format("scenario {}  planner {}  schedule {}\n", info.scenario, info.planner, info.schedule);
  out += fmt::format("iteration {}  throughput {:.2f} samples/s  mini-batch {}  micro-batches {}  depth {}  "
                     "bubble {:.1f}%  {}\n",
                     core::format_seconds(m.iteration_time), m.throughput_samples_per_s, m.mini_batch_size,
                     m.num_micro_batches, m.pipeline_depth, 100.0 * m.bubble_fraction,
                     m.feasible ? "fits in memory" : "DOES NOT FIT in memory");
  out += fmt::format("\n{:>5} {:>6} {:>9} {:>8} {:>9}  {}\n", "stage", "ops", "devices", "mb size", "in flight", "first op .. last op");
  for (const auto& s : m.stages) {
    out += fmt::format("{:>5} {:>6} {:>9} {:>8} {:>9}  {} .. {}\n", s.id, s.ops.size(), s.devices.size(),
                       s.micro_batch_size, s.in_flight_micro_batches, s.ops.front(), s.ops.back());
  }
  out += fmt::format("\n{:>6} {:>12} {:>7} {:>14} {:>14}\n", "device", "busy", "util", "peak memory", "capacity");
  for (const auto& d : m.devices) {
    const double util = m.iteration_time.value() > 0.0 ? d.busy.value() / m.iteration_time.value() : 0.0;
    out += fmt::format("{:>6} {:>12} {:>6.1f}% {:>14} {:>14}\n", d.id, core::format_seconds(d.busy), 100.0 * util,
                       core::format_bytes(d.peak_memory), core::format_bytes(d.memory_capacity));
  }
  return out;
}

}  // namespace gppsim::report
