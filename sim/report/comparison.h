#pragma once
// Simulated against measured: the same TaskGraph executed by the simulator and by the real
// backend gives two Traces; their difference is the simulator's error. Relative errors are
// (simulated - measured) / measured, so a positive error means the simulator predicts more.

#include <string>
#include <vector>

#include "sim/plan/strategy.h"
#include "sim/schedule/task_graph.h"
#include "sim/schedule/trace.h"

namespace gppsim::report {

/// Per stage: compute time per device of the stage (all phases, all micro-batches).
struct StageComparison {
  int id = 0;
  double simulated_busy_s = 0;
  double measured_busy_s = 0;
  double relative_error = 0;
};

/// Per rank (device): peak memory.
struct RankComparison {
  int device = 0;
  double simulated_peak_bytes = 0;
  double measured_peak_bytes = 0;
  double relative_error = 0;
};

/// The whole comparison of one iteration.
struct Comparison {
  double simulated_iteration_s = 0;
  double measured_iteration_s = 0;
  double relative_error = 0;
  std::vector<StageComparison> stages;
  std::vector<RankComparison> ranks;
};

/// Context written with a comparison.
struct ComparisonInfo {
  std::string scenario;
  std::string profile;             ///< the device profile the simulation used
  int ranks = 0;
  bool oversubscribed = false;     ///< more ranks than cores (or GPUs): measured times are not judged
  std::string device = "cpu";      ///< where the ranks computed: cpu | cuda
  std::vector<double> measured_iterations_s;
};

/// Compares two executions of `tasks` (lowered from `strategy`). Devices without tasks are left out.
Comparison compare_traces(const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                          const schedule::Trace& simulated, const schedule::Trace& measured);

/// comparison.json: simulated_iteration_time_s, measured_iteration_time_s, relative_error,
/// stages[] {id, simulated_busy_s, measured_busy_s, relative_error}, ranks[] {device,
/// simulated_peak_memory_bytes, measured_peak_memory_bytes, relative_error}, plus the context.
std::string comparison_json(const Comparison& c, const ComparisonInfo& info);

/// comparison.md: the same in words and tables.
std::string comparison_markdown(const Comparison& c, const ComparisonInfo& info);

}  // namespace gppsim::report
