#pragma once
// What the real backend computes for each op: a concrete, differentiable function with the
// op's shapes, so that a pipelined run can be checked against a single-rank run and timed
// against the simulator. Semantics (sim/exec/README.md):
//  - input: seeded uniform values in [-1, 1), a pure function of (seed, op, global sample, element);
//  - linear: per sample the input is an m x k matrix (m tokens); an optional pre-LayerNorm
//    (when the op has 2k parameters for it), Z = LN(X) W + bias, output ReLU(Z), m x n;
//  - attention: pre-LayerNorm, Q/K/V projections, per-head softmax(Q K^T / sqrt(d)) V, output
//    projection (attention_kernels.h);
//  - concat: the inputs side by side, in predecessor order;
//  - embedding_bag: the sum of `bag` rows of the table, indices a pure function of (seed, op,
//    global sample); its input is only a trigger and gets a zero gradient.
// The loss is 0.5 * sum(y^2) / mini_batch over the outputs y of every sink op.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/model/model.h"

namespace gppsim::exec {

/// The op kinds the real backend runs.
enum class ExecOpKind { kInput, kLinear, kAttention, kConcat, kEmbeddingBag };

/// One op as the real backend runs it. Widths are floats per sample.
struct ExecOp {
  model::OpId id = 0;
  ExecOpKind kind = ExecOpKind::kInput;
  std::vector<std::size_t> in_edges;   ///< op-edge indices into this op, in predecessor order
  std::vector<std::size_t> out_edges;  ///< op-edge indices out of this op
  std::int64_t in_width = 0;           ///< sum of the inputs' widths
  std::int64_t out_width = 0;
  std::int64_t tokens = 1;             ///< linear: m (rows per sample); attention: s
  std::int64_t k = 0;                  ///< linear: input features per token; attention: h
  std::int64_t n = 0;                  ///< linear: output features per token; attention: h
  std::int64_t heads = 1;              ///< attention
  bool bias = false;                   ///< linear: n biases after W
  bool scale = false;                  ///< linear: a pre-LayerNorm (k scales, k shifts after the bias)
  std::int64_t table_rows = 0;         ///< embedding_bag
  std::int64_t bag = 0;                ///< embedding_bag
  std::int64_t parameters = 0;         ///< trainable floats
  bool sink = false;                   ///< contributes to the loss
};

/// A model the real backend can run.
struct ExecModel {
  std::vector<model::OpEdge> edges;  ///< graph.edges()
  std::vector<ExecOp> ops;           ///< indexed by OpId
  /// Floats per sample carried by op edge e (its producer's output width).
  [[nodiscard]] std::int64_t edge_width(std::size_t e) const { return ops[edges[e].from].out_width; }
};

/// Checks that every op has a real-backend meaning and derives its shapes. Throws
/// core::ConfigError naming the op, what was expected and what was found (non-fp32 dtype,
/// profiled ops, inconsistent widths, GEMMs or parameter counts).
ExecModel build_exec_model(const model::Model& model);

}  // namespace gppsim::exec
