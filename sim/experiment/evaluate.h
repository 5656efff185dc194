#pragma once
// Plan-then-simulate, the unit of work of `simulate` and of every experiment cell.

#include <cstdint>

#include "sim/experiment/cell.h"
#include "sim/hw/topology.h"
#include "sim/model/model.h"
#include "sim/report/metrics.h"
#include "sim/schedule/task_graph.h"
#include "sim/schedule/trace.h"

namespace gppsim::experiment {

/// Everything one simulated iteration produced.
struct SimulationOutput {
  schedule::Schedule schedule;
  schedule::TaskGraph tasks;
  schedule::Trace trace;
  report::IterationMetrics metrics;
};

/// Lowers and simulates `strategy` for one iteration on the datasheet cost model of `cluster`.
SimulationOutput simulate_strategy(const model::Model& model, const hw::ClusterSpec& cluster,
                                   const plan::Strategy& strategy, std::int64_t mini_batch,
                                   model::Optimizer optimizer, core::Bytes memory_capacity);

/// Evaluates a cell: the planner's search over all candidates (search time, objective), then
/// one plan and one simulation per candidate micro-batch, keeping the highest feasible
/// throughput. Infeasibility is a result; internal errors propagate.
CellResult evaluate_cell(const CellSpec& cell);

}  // namespace gppsim::experiment
