#pragma once
// Lowering: Strategy + Schedule -> TaskGraph.
//
// Stage edges are those of the strategy: the op graph's (derived) or, for a sequential pipeline,
// a chain through which tensors between non-adjacent stages are forwarded (stage_edge_bytes).
//
// Each stage's micro-batch i covers the global samples [i b, (i+1) b) of the mini-batch, and
// shard k (device stage.devices[k]) covers b / |devices| of them. A consumer shard depends on
// every producer shard whose samples overlap its own, so stages of different micro-batch sizes
// or data-parallel degrees are re-sharded exactly: one transfer per overlapping pair on
// different devices, carrying overlap x (bytes per sample of the stage edge). Gradients flow
// back the same way. Data-parallel stages all-reduce their gradients after their last backward
// slot; every device then runs the optimizer step of each of its stages.

#include <cstdint>

#include "sim/model/op_graph.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/schedule.h"
#include "sim/schedule/task_graph.h"

namespace gppsim::schedule {

/// Lowers one iteration of `mini_batch` samples. `strategy` must be valid for `graph` (ops
/// partitioned, micro-batch sizes divisible by the data-parallel degrees) and use devices
/// 0..num_devices-1.
TaskGraph lower(const plan::Strategy& strategy, const Schedule& schedule, const model::OpGraph& graph,
                std::int64_t mini_batch, int num_devices);

/// Bytes per sample sent along each stage edge, indexed like strategy.edges. An op edge between
/// adjacent stages adds its bytes to that stage edge; one between stages that no single stage
/// edge joins (a sequential pipeline given as a chain) is forwarded along the shortest stage
/// path (stage_path), adding its bytes to every edge on it, as PipeDream's stages pass tensors on.
std::vector<core::Bytes> stage_edge_bytes(const plan::Strategy& strategy, const model::OpGraph& graph);

/// Indices into strategy.edges of the shortest path from stage `from` to stage `to` (breadth
/// first, smallest ids first). The path must exist.
std::vector<std::size_t> stage_path(const plan::Strategy& strategy, int from, int to);

}  // namespace gppsim::schedule
