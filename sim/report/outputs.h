#pragma once
// The files an executed iteration produces: summary.json (DESIGN.md's contract keys) and a
// Chrome trace (chrome://tracing, Perfetto), plus the table printed on stdout.

#include <string>

#include "sim/hw/topology.h"
#include "sim/report/metrics.h"

namespace gppsim::report {

/// Context printed with the metrics.
struct RunInfo {
  std::string scenario;
  std::string planner;   ///< "manual (strategy.yaml)", "graphpipe", ...
  std::string schedule;
  double wall_time_s = 0.0;
};

/// summary.json text: the contract keys, deterministic except wall_time_s.
std::string summary_json(const IterationMetrics& m, const RunInfo& info);

/// Chrome trace text: pid 0 has one track per device (compute, optimizer), pid 1 one track per
/// link (each transfer on every link of its route), pid 2 one track per stage's all-reduce.
std::string chrome_trace_json(const schedule::TaskGraph& tasks, const schedule::Trace& trace,
                              const hw::Topology& topology);

/// A readable table of the metrics for stdout.
std::string summary_table(const IterationMetrics& m, const RunInfo& info);

}  // namespace gppsim::report
