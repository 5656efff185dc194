#pragma once
// Whole-model figures for `gppsim inspect`: counts, parameters, FLOPs, branches, static memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/units.h"
#include "sim/model/model.h"

namespace gppsim::model {

/// A parallel block: ops that fork at `fork` and re-join at `join`; branch_sizes[i] counts the
/// ops strictly between fork and join on the i-th successor's side.
struct ParallelBlock {
  OpId fork = 0;
  OpId join = 0;
  std::vector<std::size_t> branch_sizes;
};

/// Optimizer whose state memory is counted.
enum class Optimizer { kSgd, kMomentum, kAdam };

/// Totals over a model.
struct ModelSummary {
  std::size_t num_ops = 0;
  std::size_t num_edges = 0;
  std::int64_t parameters = 0;
  core::Bytes parameter_bytes;
  core::Flops forward_flops_per_sample;
  core::Flops backward_flops_per_sample;
  core::Bytes activation_bytes_per_sample;  ///< sum of op outputs
  std::vector<ParallelBlock> blocks;        ///< forks with more than one successor, by fork id
  core::Bytes static_memory;                ///< weights + gradients + optimizer state
};

/// Bytes of weight, gradient and optimizer state per parameter: weights and gradients at the
/// model dtype; Adam adds two fp32 moments, momentum one; fp16/bf16 add an fp32 master copy.
core::Bytes static_bytes_per_parameter(core::Dtype dtype, Optimizer optimizer);

/// Summarises a model for inspect.
ModelSummary summarize(const Model& model, Optimizer optimizer);

}  // namespace gppsim::model
