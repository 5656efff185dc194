#pragma once
// Private to the zoo: builders of single Ops (attention, linear, embedding bag, input, concat)
// and of the repeated layers the zoo models are made of. Formulas are in sim/model/README.md.

#include <cstdint>
#include <string>

#include "sim/core/units.h"
#include "sim/model/op.h"
#include "sim/model/op_graph.h"

namespace gppsim::model::zoo_detail {

/// Sizes shared by the sequence models: hidden width h, heads, ffn width f, sequence length s
/// (1 for non-sequence models) and the element size e of the training dtype.
struct SeqDims {
  std::int64_t hidden = 0;
  std::int64_t heads = 1;
  std::int64_t ffn = 0;
  std::int64_t seq_len = 1;
  core::Bytes elem;
};

/// `n` elements of `elem` bytes each.
core::Bytes elements(std::int64_t n, core::Bytes elem);

/// Attention block (pre-LayerNorm, Q/K/V/O projections with biases): 4h^2 + 6h parameters,
/// 8sh^2 + 4s^2h forward FLOPs per sample, output s*h elements.
Op make_attention(std::string name, const SeqDims& d);

/// Linear layer in -> out over d.seq_len tokens: in*out + out parameters, plus 2*in for a
/// pre-LayerNorm when `pre_norm`; 2*s*in*out forward FLOPs per sample; output s*out elements.
Op make_linear(std::string name, std::int64_t in, std::int64_t out, const SeqDims& d, bool pre_norm);

/// Embedding bag summing `bag` rows of width `dim` out of `rows`: rows*dim parameters,
/// bag*dim FLOPs forward and backward, output dim elements.
Op make_embedding_bag(std::string name, std::int64_t rows, std::int64_t dim, std::int64_t bag,
                      core::Bytes elem);

/// Zero-cost source op named "input" whose output is `activation` bytes per sample.
Op make_input(core::Bytes activation);

/// Concatenation named "concat" producing `activation` bytes per sample (read once, written once).
Op make_concat(core::Bytes activation);

/// Adds `op` after `from`; the edge carries `from`'s activation_bytes. Returns the new op's id.
OpId append(OpGraph& graph, OpId from, Op op);

/// Adds the edge from -> to carrying `from`'s activation_bytes.
void connect(OpGraph& graph, OpId from, OpId to);

/// Transformer layer `prefix`attn -> `prefix`ffn1 (h->f, pre-norm) -> `prefix`ffn2 (f->h) after
/// `from`; returns the id of ffn2.
OpId append_transformer_layer(OpGraph& graph, OpId from, const std::string& prefix, const SeqDims& d);

/// Case-study block `prefix`attn -> `prefix`lin1 (h->h, pre-norm) -> `prefix`lin2 (h->h) after
/// `from`; returns the id of lin2.
OpId append_attention_block(OpGraph& graph, OpId from, const std::string& prefix, const SeqDims& d);

}  // namespace gppsim::model::zoo_detail
