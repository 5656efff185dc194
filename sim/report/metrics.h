#pragma once
// Figures derived from one executed iteration (simulated or measured): the contract keys of
// summary.json. Same Trace type from both executors, so the same metrics for both.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/units.h"
#include "sim/model/op_graph.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/schedule.h"
#include "sim/schedule/task_graph.h"
#include "sim/schedule/trace.h"

namespace gppsim::report {

/// Per-device figures.
struct DeviceMetrics {
  int id = 0;
  core::Seconds busy;             ///< compute + optimizer time
  core::Bytes peak_memory;
  core::Bytes memory_capacity;
};

/// Per-stage figures.
struct StageMetrics {
  int id = 0;
  std::vector<std::string> ops;
  std::vector<int> devices;
  std::int64_t micro_batch_size = 0;
  std::int64_t micro_batches = 0;
  std::int64_t in_flight_micro_batches = 0;
};

/// One iteration's summary.
struct IterationMetrics {
  core::Seconds iteration_time;
  double throughput_samples_per_s = 0.0;
  std::int64_t mini_batch_size = 0;
  std::int64_t num_micro_batches = 0;  ///< of the stages (the largest count when sizes differ)
  int pipeline_depth = 0;
  double bubble_fraction = 0.0;        ///< 1 - busy / (devices used x iteration time)
  bool feasible = true;                ///< every device's peak memory within its capacity
  std::vector<DeviceMetrics> devices;  ///< every device of the cluster
  std::vector<StageMetrics> stages;
  std::uint64_t events = 0;
};

/// Computes the metrics. `capacity` is the per-device memory limit.
IterationMetrics compute_metrics(const plan::Strategy& strategy, const schedule::Schedule& schedule,
                                 const schedule::TaskGraph& tasks, const schedule::Trace& trace,
                                 const model::OpGraph& graph, std::int64_t mini_batch, core::Bytes capacity);

}  // namespace gppsim::report
