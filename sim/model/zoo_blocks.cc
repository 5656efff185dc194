#include "sim/model/zoo_blocks.h"

#include <utility>

#include "sim/core/check.h"

namespace gppsim::model::zoo_detail {
namespace {

core::Flops flops(std::int64_t n) { return core::Flops(static_cast<double>(n)); }

void set_parameters(Op& op, std::int64_t parameters, core::Bytes elem) {
  op.parameters = parameters;
  op.parameter_bytes = elements(parameters, elem);
}

}  // namespace

core::Bytes elements(std::int64_t n, core::Bytes elem) { return elem * static_cast<double>(n); }

Op make_attention(std::string name, const SeqDims& d) {
  GPPSIM_CHECK(d.heads > 0 && d.hidden % d.heads == 0, "heads must divide hidden");
  const std::int64_t h = d.hidden;
  const std::int64_t s = d.seq_len;
  const std::int64_t head_dim = h / d.heads;
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kAttention;
  set_parameters(op, 4 * h * h + 6 * h, d.elem);  // LayerNorm 2h + QKVO weights 4h^2 + biases 4h
  op.forward_flops = flops(8 * s * h * h + 4 * s * s * h);
  op.backward_flops = op.forward_flops * 2.0;
  const core::Bytes act = elements(s * h, d.elem);
  const core::Bytes probs = elements(d.heads * s * s, d.elem);
  // Memory-bound traffic: the block's input and output plus the softmax matrix, which is
  // written by the score GEMM and read back by the context GEMM.
  op.bytes_read = act + probs;
  op.bytes_written = act + probs;
  op.activation_bytes = act;
  // Backward needs the input, Q, K, V and the context (5 x s*h) and the softmax probabilities.
  op.stashed_bytes = act * 5.0 + probs;
  op.gemms = {
      GemmShape{s, 3 * h, h, 1, BatchDim::kM},
      GemmShape{s, s, head_dim, d.heads, BatchDim::kBatch},
      GemmShape{s, head_dim, s, d.heads, BatchDim::kBatch},
      GemmShape{s, h, h, 1, BatchDim::kM},
  };
  return op;
}

Op make_linear(std::string name, std::int64_t in, std::int64_t out, const SeqDims& d, bool pre_norm) {
  const std::int64_t s = d.seq_len;
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kLinear;
  set_parameters(op, in * out + out + (pre_norm ? 2 * in : 0), d.elem);
  op.forward_flops = flops(2 * s * in * out);
  op.backward_flops = op.forward_flops * 2.0;
  op.bytes_read = elements(s * in, d.elem);
  op.bytes_written = elements(s * out, d.elem);
  op.activation_bytes = op.bytes_written;
  op.stashed_bytes = op.bytes_read + op.bytes_written;
  op.gemms = {GemmShape{s, out, in, 1, BatchDim::kM}};
  return op;
}

Op make_embedding_bag(std::string name, std::int64_t rows, std::int64_t dim, std::int64_t bag,
                      core::Bytes elem) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kEmbeddingBag;
  set_parameters(op, rows * dim, elem);
  op.forward_flops = flops(bag * dim);  // summing bag rows of width dim
  op.backward_flops = op.forward_flops;  // scattering the gradient back to bag rows
  op.bytes_read = elements(bag * dim, elem);
  op.bytes_written = elements(dim, elem);
  op.activation_bytes = op.bytes_written;
  return op;
}

Op make_input(core::Bytes activation) {
  Op op;
  op.name = "input";
  op.kind = OpKind::kInput;
  op.activation_bytes = activation;
  return op;
}

Op make_concat(core::Bytes activation) {
  Op op;
  op.name = "concat";
  op.kind = OpKind::kConcat;
  op.bytes_read = activation;
  op.bytes_written = activation;
  op.activation_bytes = activation;
  return op;
}

OpId append(OpGraph& graph, OpId from, Op op) {
  const OpId id = graph.add_op(std::move(op));
  connect(graph, from, id);
  return id;
}

void connect(OpGraph& graph, OpId from, OpId to) {
  graph.add_edge(from, to, graph.op(from).activation_bytes);
}

OpId append_transformer_layer(OpGraph& graph, OpId from, const std::string& prefix, const SeqDims& d) {
  const OpId attn = append(graph, from, make_attention(prefix + "attn", d));
  const OpId ffn1 = append(graph, attn, make_linear(prefix + "ffn1", d.hidden, d.ffn, d, true));
  return append(graph, ffn1, make_linear(prefix + "ffn2", d.ffn, d.hidden, d, false));
}

OpId append_attention_block(OpGraph& graph, OpId from, const std::string& prefix, const SeqDims& d) {
  const OpId attn = append(graph, from, make_attention(prefix + "attn", d));
  const OpId lin1 = append(graph, attn, make_linear(prefix + "lin1", d.hidden, d.hidden, d, true));
  return append(graph, lin1, make_linear(prefix + "lin2", d.hidden, d.hidden, d, false));
}

}  // namespace gppsim::model::zoo_detail
