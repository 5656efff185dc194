#include "sim/exec/exec_model.h"

#include <string>

#include <fmt/format.h>

#include "sim/core/errors.h"

namespace gppsim::exec {
namespace {

[[noreturn]] void reject(const model::Op& op, const std::string& what) {
  throw core::ConfigError(core::SourceLocation{"", 0, 0, "model"},
                          fmt::format("the real backend cannot run op '{}': {}", op.name, what));
}

std::int64_t floats(const model::Op& op, core::Bytes bytes, const char* what) {
  const double v = bytes.value() / 4.0;
  const auto n = static_cast<std::int64_t>(v);
  if (static_cast<double>(n) != v) reject(op, fmt::format("expected {} in whole fp32 elements, found {} B", what, bytes.value()));
  return n;
}

void derive_linear(const model::Op& op, ExecOp* x) {
  if (op.gemms.size() != 1 || op.gemms[0].batch != 1 || op.gemms[0].scales != model::BatchDim::kM) {
    reject(op, fmt::format("expected a linear op with exactly one unbatched GEMM scaling in m, found {} GEMMs",
                           op.gemms.size()));
  }
  const auto& g = op.gemms[0];
  x->tokens = g.m;
  x->k = g.k;
  x->n = g.n;
  if (x->in_width != g.m * g.k) {
    reject(op, fmt::format("expected inputs of m*k = {} floats per sample, found {}", g.m * g.k, x->in_width));
  }
  if (x->out_width != g.m * g.n) {
    reject(op, fmt::format("expected an activation of m*n = {} floats per sample, found {}", g.m * g.n, x->out_width));
  }
  const std::int64_t w = g.k * g.n;
  if (op.parameters == w) return;
  x->bias = true;
  if (op.parameters == w + g.n) return;
  x->scale = true;
  if (op.parameters == w + g.n + 2 * g.k) return;
  reject(op, fmt::format("expected k*n = {}, k*n + n = {} or k*n + n + 2k = {} parameters, found {}", w, w + g.n,
                         w + g.n + 2 * g.k, op.parameters));
}

void derive_attention(const model::Op& op, ExecOp* x) {
  const bool shaped = op.gemms.size() == 4 && op.gemms[0].n == 3 * op.gemms[0].k && op.gemms[1].batch >= 1 &&
                      op.gemms[0].k % op.gemms[1].batch == 0;
  if (!shaped) reject(op, "expected an attention op's four GEMMs (QKV s x 3h x h, scores, context, output)");
  const std::int64_t s = op.gemms[0].m, h = op.gemms[0].k;
  x->tokens = s;
  x->k = h;
  x->n = h;
  x->heads = op.gemms[1].batch;
  if (x->in_width != s * h || x->out_width != s * h) {
    reject(op, fmt::format("expected input and output of s*h = {} floats per sample, found {} and {}", s * h,
                           x->in_width, x->out_width));
  }
  if (op.parameters != 4 * h * h + 6 * h) {
    reject(op, fmt::format("expected 4h^2 + 6h = {} parameters, found {}", 4 * h * h + 6 * h, op.parameters));
  }
}

void derive_embedding(const model::Op& op, ExecOp* x) {
  if (x->out_width <= 0 || op.parameters % x->out_width != 0) {
    reject(op, fmt::format("expected parameters = rows x dim with dim = {}, found {}", x->out_width, op.parameters));
  }
  x->table_rows = op.parameters / x->out_width;
  x->bag = floats(op, op.bytes_read, "bytes_read") / x->out_width;
  if (x->bag < 1) reject(op, "expected bytes_read of at least one row (bag x dim floats), found less");
}

ExecOp derive(const model::OpGraph& g, const std::vector<model::OpEdge>& edges, model::OpId id) {
  const model::Op& op = g.op(id);
  ExecOp x;
  x.id = id;
  x.out_width = floats(op, op.activation_bytes, "the activation");
  for (std::size_t e = 0; e < edges.size(); ++e) {
    if (edges[e].to == id) x.in_edges.push_back(e);
    if (edges[e].from == id) x.out_edges.push_back(e);
  }
  for (const auto e : x.in_edges) x.in_width += floats(g.op(edges[e].from), g.op(edges[e].from).activation_bytes, "the activation");
  x.sink = x.out_edges.empty();
  x.parameters = op.parameters;
  switch (op.kind) {
    case model::OpKind::kInput: x.kind = ExecOpKind::kInput; break;
    case model::OpKind::kLinear: x.kind = ExecOpKind::kLinear; derive_linear(op, &x); break;
    case model::OpKind::kAttention: x.kind = ExecOpKind::kAttention; derive_attention(op, &x); break;
    case model::OpKind::kConcat:
      x.kind = ExecOpKind::kConcat;
      if (x.in_width != x.out_width) reject(op, fmt::format("expected an activation equal to the sum of the inputs ({} floats), found {}", x.in_width, x.out_width));
      break;
    case model::OpKind::kEmbeddingBag: x.kind = ExecOpKind::kEmbeddingBag; derive_embedding(op, &x); break;
    default:
      reject(op, fmt::format("its kind is {}; the real backend runs input, linear, attention, concat and embedding_bag ops",
                             model::to_string(op.kind)));
  }
  if ((x.kind == ExecOpKind::kInput || x.kind == ExecOpKind::kConcat) && op.parameters != 0) {
    reject(op, fmt::format("expected no parameters for kind {}, found {}", model::to_string(op.kind), op.parameters));
  }
  return x;
}

void check_edges(const model::OpGraph& g, const std::vector<model::OpEdge>& edges) {
  for (const auto& e : edges) {
    if (e.bytes != g.op(e.from).activation_bytes) {
      reject(g.op(e.to), fmt::format("expected its input edge from '{}' to carry that op's activation ({} B), found {} B",
                                     g.op(e.from).name, g.op(e.from).activation_bytes.value(), e.bytes.value()));
    }
  }
}

}  // namespace

ExecModel build_exec_model(const model::Model& model) {
  if (model.dtype != core::Dtype::kFp32) {
    throw core::ConfigError(core::SourceLocation{"", 0, 0, "training.dtype"},
                            fmt::format("the real backend computes in fp32; expected training.dtype fp32, found {}",
                                        core::to_string(model.dtype)));
  }
  ExecModel out;
  out.edges = model.graph.edges();
  check_edges(model.graph, out.edges);
  for (model::OpId id = 0; id < model.graph.num_ops(); ++id) out.ops.push_back(derive(model.graph, out.edges, id));
  return out;
}

}  // namespace gppsim::exec
