#pragma once
// One cell of an experiment: plan a model on a GPU count with one planner, simulate the plan,
// keep the best micro-batch. Cells are pure functions of their spec, so their results are
// cached by the spec's fingerprint and can run in parallel.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/experiment_file.h"

namespace gppsim::experiment {

/// What a cell computes.
struct CellSpec {
  std::string part;                 ///< throughput, ablation, branch_sweep, micro_batch_sweep, case_study, sequential
  std::string model;                ///< the experiment's name for the model
  model::ZooArgs args;              ///< the zoo arguments (branch count already applied)
  std::int64_t branches = 0;        ///< the swept branch count (branch_sweep), else 0
  int gpus = 1;
  std::int64_t mini_batch = 1;
  plan::PlannerKind planner = plan::PlannerKind::kGraphPipe;
  std::string variant = "best";     ///< best | mb=B | spp | parallel_only | gpp
  std::vector<std::int64_t> micro_batch_sizes;  ///< the candidates swept (each divides mini_batch)
  std::optional<std::size_t> micro_batch_of;    ///< take the best micro-batch of that cell instead
  hw::ClusterSpec cluster;          ///< nodes x gpus_per_node = gpus
  core::Dtype dtype = core::Dtype::kFp32;
  model::Optimizer optimizer = model::Optimizer::kAdam;

  /// A text naming every input of the cell; equal fingerprints mean equal results.
  [[nodiscard]] std::string fingerprint() const;
};

/// What a cell found.
struct CellResult {
  bool feasible = false;
  std::string reason;               ///< why infeasible, or the planner's reason for giving up
  double throughput_samples_per_s = 0.0;
  double iteration_time_s = 0.0;
  double search_time_s = 0.0;       ///< the planner's search over all candidates at once
  double objective_s = 0.0;
  int num_stages = 0;
  int pipeline_depth = 0;
  std::int64_t micro_batch_size = 0;
  double peak_memory_bytes = 0.0;   ///< the largest over devices
  double bubble_fraction = 0.0;
  std::string partition;            ///< stages as "ops x devices" in order, for the case study
};

/// The cluster of `base` resized to `gpus`: nodes of base.gpus_per_node, or one smaller node.
hw::ClusterSpec cluster_for(const hw::ClusterSpec& base, int gpus);

/// Expands an experiment (its parts, or its quick subset) into cells, in a fixed order.
std::vector<CellSpec> expand(const config::Experiment& exp, bool quick);

}  // namespace gppsim::experiment
