#pragma once
// The model zoo: parameterised builders for the models of GraphPipe's evaluation
// (../shared/reference/METHODS.md §6) and synthetic models for closed-form tests.
// Defaults are the paper's. Granularity and the exact formulas are in sim/model/README.md.

#include <cstdint>
#include <string_view>
#include <variant>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/model/model.h"

namespace gppsim::model {

/// Multi-Modal Transformer: `branches` transformer stacks side by side, concatenated.
struct MmtArgs {
  std::int64_t branches = 4;
  std::int64_t layers_per_branch = 8;
  std::int64_t hidden = 1024;
  std::int64_t heads = 16;
  std::int64_t ffn = 4096;
  std::int64_t seq_len = 256;
};

/// DLRM: dense feed-forward branches and embedding-bag branches, concatenated, then top layers.
struct DlrmArgs {
  std::int64_t dense_branches = 7;
  std::int64_t sparse_branches = 7;
  std::int64_t layers_per_branch = 4;
  std::int64_t hidden = 4096;
  std::int64_t embedding_dim = 64;
  std::int64_t embedding_rows = 1000000;
  std::int64_t bag_size = 100;
  std::int64_t top_layers = 4;
};

/// CANDLE-Uno: `branches` feed-forward stacks, concatenated.
struct CandleUnoArgs {
  std::int64_t branches = 7;
  std::int64_t layers_per_branch = 4;
  std::int64_t hidden = 4096;
};

/// A sequential transformer (MMT without branches: 4 x 8 = 32 layers by default).
struct TransformerArgs {
  std::int64_t layers = 32;
  std::int64_t hidden = 1024;
  std::int64_t heads = 16;
  std::int64_t ffn = 4096;
  std::int64_t seq_len = 256;
};

/// GraphPipe's case-study model: `branches` x `blocks_per_branch` x [attention + 2 linear h->h].
struct TwoBranchArgs {
  std::int64_t branches = 2;
  std::int64_t blocks_per_branch = 4;
  std::int64_t hidden = 1024;
  std::int64_t heads = 16;
  std::int64_t seq_len = 256;
};

/// Uniform synthetic chain layer0 -> layer1 -> ...: each layer costs exactly the given per-sample
/// times (MeasuredTimes), sends `activation_bytes` per sample and holds `parameter_bytes`.
struct ChainArgs {
  std::int64_t layers = 4;
  core::Seconds forward_time = core::Seconds(1e-3);
  core::Seconds backward_time = core::Seconds(2e-3);
  core::Bytes activation_bytes;
  core::Bytes parameter_bytes;
};

/// Arguments of any zoo model; the alternative selects the model.
using ZooArgs = std::variant<MmtArgs, DlrmArgs, CandleUnoArgs, TransformerArgs, TwoBranchArgs, ChainArgs>;

/// Zoo names in the order of ZooArgs' alternatives: "mmt", "dlrm", "candle_uno", "transformer",
/// "two_branch", "chain".
std::string_view zoo_name(const ZooArgs& args);

/// Builds the model. Arguments must already be validated (positive sizes, heads dividing hidden).
Model build_zoo_model(const ZooArgs& args, core::Dtype dtype);

}  // namespace gppsim::model
