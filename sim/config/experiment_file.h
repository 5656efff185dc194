#pragma once
// experiment.yaml: a grid of plan + simulate cells reproducing a paper's evaluation
// (experiments/README.md documents every key). Loaded strictly like a scenario.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/hw/cluster.h"
#include "sim/model/summary.h"
#include "sim/model/zoo.h"
#include "sim/plan/strategy.h"

namespace gppsim::config {

/// Throughput of each planner per model and GPU count, each at its best micro-batch (Figure 6,
/// Table 1's search times).
struct ThroughputPart {
  std::vector<std::string> models;
  std::vector<int> gpus;
  std::vector<plan::PlannerKind> planners;
};

/// SPP, GPP stages at SPP's micro-batch ("parallel only") and full GPP (Figure 9).
struct AblationPart {
  std::vector<std::string> models;
  std::vector<int> gpus;
};

/// A model's branch count swept, throughput normalised to PipeDream (Figure 7 left).
struct BranchSweepPart {
  std::string model;
  std::vector<std::int64_t> branches;
  std::vector<int> gpus;
  std::int64_t mini_batch_per_gpu = 0;
  std::vector<plan::PlannerKind> planners;
};

/// Fixed micro-batch sizes at one mini-batch (Figure 7 right).
struct MicroBatchSweepPart {
  std::string model;
  int gpus = 0;
  std::int64_t mini_batch = 0;
  std::vector<std::int64_t> micro_batch_sizes;
  std::vector<plan::PlannerKind> planners;
};

/// A single model compared between planners in detail (the case study, the sequential model).
struct ComparisonPart {
  std::string model;
  std::vector<int> gpus;
  std::vector<plan::PlannerKind> planners;
};

/// The parts of an experiment (each optional).
struct ExperimentParts {
  std::optional<ThroughputPart> throughput;
  std::optional<AblationPart> ablation;
  std::optional<BranchSweepPart> branch_sweep;
  std::optional<MicroBatchSweepPart> micro_batch_sweep;
  std::optional<ComparisonPart> case_study;
  std::optional<ComparisonPart> sequential;
};

/// A loaded experiment.
struct Experiment {
  std::filesystem::path file;
  std::string name;
  hw::ClusterSpec cluster;                 ///< gpus_per_node from here; nodes follow each cell's GPU count
  core::Dtype dtype = core::Dtype::kFp32;
  model::Optimizer optimizer = model::Optimizer::kAdam;
  std::vector<std::int64_t> micro_batch_sizes;           ///< the sweep for "best micro-batch"
  std::map<std::string, model::ZooArgs> models;          ///< by experiment-local name
  std::map<std::string, std::map<int, std::int64_t>> mini_batch;  ///< model -> GPUs -> mini-batch
  ExperimentParts parts;
  ExperimentParts quick;                   ///< the --quick subset
};

/// Loads and validates an experiment; throws core::ConfigError with every problem found.
Experiment load_experiment(const std::filesystem::path& file);

}  // namespace gppsim::config
