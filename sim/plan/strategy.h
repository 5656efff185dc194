#pragma once
// A parallelisation strategy: the stage graph (which ops run where, at which micro-batch size)
// and the schedule kind. Planners write it, `manual` reads it from strategy.yaml, the
// simulator and the real backend execute it. Validation lives in sim/config (it reports
// precise input errors); a Strategy here is already valid.

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/hw/topology.h"
#include "sim/model/op_graph.h"

namespace gppsim::plan {

/// Which planner produces a strategy.
enum class PlannerKind { kGraphPipe, kPipeDream, kPiper, kExhaustive, kManual };
/// Which pipeline schedule the stages run.
enum class ScheduleKind { kGpipe, kOneFOneB, kInterleaved1F1B, kZbH1 };

std::string_view to_string(PlannerKind kind);
std::string_view to_string(ScheduleKind kind);

/// One pipeline stage: a convex set of ops, data-parallel over `devices`, running micro-batches
/// of `micro_batch_size` samples (each device of the stage takes micro_batch_size / |devices|).
struct Stage {
  int id = 0;                          ///< equals its index in Strategy::stages
  std::vector<model::OpId> ops;        ///< in topological order of the op graph
  std::vector<hw::DeviceId> devices;   ///< non-empty; ring order of the gradient all-reduce
  std::int64_t micro_batch_size = 1;
};

/// A stage graph plus its schedule. Stage edges point from producer to consumer and are exactly
/// the stage pairs joined by at least one op edge. Device sets are pairwise disjoint, except
/// under interleaved 1F1B where stage s shares the devices of stage s mod p (virtual chunks).
struct Strategy {
  ScheduleKind schedule = ScheduleKind::kOneFOneB;
  std::vector<Stage> stages;
  std::vector<std::pair<int, int>> edges;  ///< sorted ascending

  [[nodiscard]] std::vector<int> successors(int stage) const;
  [[nodiscard]] std::vector<int> predecessors(int stage) const;
  /// Number of stages on the longest path of the stage graph (the pipeline depth).
  [[nodiscard]] int depth() const;
  /// Stages on the longest path from `stage` to a sink, counting `stage` itself (>= 1).
  [[nodiscard]] int longest_path_to_sink(int stage) const;
  /// longest_path_to_sink of every stage, indexed by stage id (one pass over the stage graph).
  [[nodiscard]] std::vector<int> longest_paths_to_sink() const;
  /// Stages in a topological order (smallest id first among ready ones).
  [[nodiscard]] std::vector<int> topological_order() const;
};

/// The stage edges implied by the op graph: (s, t) for every op edge from a stage-s op to a
/// stage-t op with s != t; sorted, without duplicates. `stage_of[op]` gives each op's stage.
std::vector<std::pair<int, int>> derive_stage_edges(const model::OpGraph& graph, const std::vector<int>& stage_of);

}  // namespace gppsim::plan
