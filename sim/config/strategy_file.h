#pragma once
// strategy.yaml: the one format planners write and the simulator and the real backend read.
//
//   schedule: 1f1b            # gpipe | 1f1b | interleaved-1f1b | zb-h1; default: the scenario's
//   micro_batch_size: 1       # default for stages that do not set their own
//   stages:
//     - {id: 0, ops: [layer0], devices: [0]}
//     - {id: 1, ops: [layer1, layer2], devices: [1, 2], micro_batch_size: 2}
//   edges: [[0, 1]]           # optional; must equal the edges implied by the op graph

#include <filesystem>
#include <string>

#include "sim/config/scenario.h"
#include "sim/plan/strategy.h"

namespace gppsim::config {

/// Loads and validates a strategy for `scenario`: ids 0..n-1 in order, ops partitioning the
/// model, stages convex with an acyclic stage graph, device sets non-empty, in range and
/// disjoint (identical-or-disjoint and a chain under interleaved 1F1B), micro-batch sizes
/// dividing the mini-batch and divisible by the stage's data-parallel degree. Throws
/// core::ConfigError with every problem found.
plan::Strategy load_strategy(const std::filesystem::path& file, const Scenario& scenario);

/// The strategy as strategy.yaml text (op names from `graph`); load_strategy reads it back.
std::string strategy_to_yaml(const plan::Strategy& strategy, const model::OpGraph& graph);

}  // namespace gppsim::config
