#include "sim/experiment/evaluate.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "sim/cost/make_cost_source.h"
#include "sim/engine/simulate.h"
#include "sim/plan/registry.h"
#include "sim/schedule/lower.h"

namespace gppsim::experiment {
namespace {

std::string partition(const plan::Strategy& s, const model::OpGraph& g) {
  std::string out;
  for (const auto& st : s.stages) {
    if (!out.empty()) out += " | ";
    out += fmt::format("{}..{} x{}", g.op(st.ops.front()).name, g.op(st.ops.back()).name, st.devices.size());
  }
  return out;
}

struct Planned {
  plan::PlanResult result;
  double seconds = 0.0;
};

Planned run_planner(const plan::Planner& planner, const plan::PlanRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Planned p{planner.plan(request), 0.0};
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return p;
}

void record(CellResult* out, const plan::PlanResult& r, const report::IterationMetrics& m, const model::OpGraph& g) {
  out->feasible = true;
  out->reason.clear();
  out->throughput_samples_per_s = m.throughput_samples_per_s;
  out->iteration_time_s = m.iteration_time.value();
  out->num_stages = static_cast<int>(r.strategy->stages.size());
  out->pipeline_depth = m.pipeline_depth;
  out->micro_batch_size = r.strategy->stages.front().micro_batch_size;
  out->bubble_fraction = m.bubble_fraction;
  out->peak_memory_bytes = 0.0;
  for (const auto& d : m.devices) out->peak_memory_bytes = std::max(out->peak_memory_bytes, d.peak_memory.value());
  out->partition = partition(*r.strategy, g);
}

}  // namespace

SimulationOutput simulate_strategy(const model::Model& model, const hw::ClusterSpec& cluster,
                                   const plan::Strategy& strategy, std::int64_t mini_batch,
                                   model::Optimizer optimizer, core::Bytes memory_capacity) {
  SimulationOutput out{schedule::make_schedule(strategy, mini_batch), schedule::TaskGraph(cluster.num_devices()), {}, {}};
  out.tasks = schedule::lower(strategy, out.schedule, model.graph, mini_batch, cluster.num_devices());
  const hw::Topology topology(cluster);
  const auto source = cost::make_compute_cost_source(cluster);
  const cost::OpCost op_cost(*source, model.dtype);
  out.trace = engine::simulate(engine::SimulationInput{strategy, out.tasks, model, topology, op_cost, optimizer});
  out.metrics = report::compute_metrics(strategy, out.schedule, out.tasks, out.trace, model.graph, mini_batch, memory_capacity);
  return out;
}

CellResult evaluate_cell(const CellSpec& cell) {
  const model::Model m = model::build_zoo_model(cell.args, cell.dtype);
  const auto source = cost::make_compute_cost_source(cell.cluster);
  const cost::OpCost op_cost(*source, cell.dtype);
  const auto planner = plan::make_planner(cell.planner);
  plan::PlanSettings settings;
  settings.planner = cell.planner;
  settings.micro_batch_sizes = cell.micro_batch_sizes;
  CellResult out;
  if (cell.micro_batch_sizes.empty()) {
    out.reason = "no candidate micro-batch: none divides the mini-batch, or the cell it follows found no strategy";
    return out;
  }
  const Planned all = run_planner(*planner, plan::PlanRequest{m, cell.cluster, op_cost, cell.mini_batch, cell.optimizer, settings});
  out.search_time_s = all.seconds;
  out.objective_s = all.result.objective_s;
  out.reason = all.result.feasible ? "no candidate micro-batch fits in memory" : all.result.reason;
  if (!all.result.feasible) return out;
  const core::Bytes capacity = cell.cluster.device.memory_capacity;
  for (const auto b : cell.micro_batch_sizes) {
    settings.micro_batch_sizes = {b};
    const Planned one = cell.micro_batch_sizes.size() == 1
                            ? all
                            : run_planner(*planner, plan::PlanRequest{m, cell.cluster, op_cost, cell.mini_batch,
                                                                     cell.optimizer, settings});
    if (!one.result.feasible) continue;
    const auto sim = simulate_strategy(m, cell.cluster, *one.result.strategy, cell.mini_batch, cell.optimizer, capacity);
    if (sim.metrics.feasible && sim.metrics.throughput_samples_per_s > out.throughput_samples_per_s) {
      record(&out, one.result, sim.metrics, m.graph);
    }
  }
  return out;
}

}  // namespace gppsim::experiment
