#include "sim/model/zoo.h"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/model/zoo_blocks.h"

namespace gppsim::model {
namespace {

using zoo_detail::SeqDims;

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

void check_positive(std::int64_t value, const char* what) {
  GPPSIM_CHECK(value > 0, fmt::format("zoo argument {} must be positive, got {}", what, value));
}

OpGraph build_mmt(const MmtArgs& a, core::Bytes e) {
  check_positive(a.branches, "branches");
  check_positive(a.layers_per_branch, "layers_per_branch");
  const SeqDims d{a.hidden, a.heads, a.ffn, a.seq_len, e};
  OpGraph g;
  const OpId input = g.add_op(zoo_detail::make_input(zoo_detail::elements(a.seq_len * a.hidden, e)));
  std::vector<OpId> ends;
  for (std::int64_t b = 0; b < a.branches; ++b) {
    OpId last = input;
    for (std::int64_t l = 0; l < a.layers_per_branch; ++l) {
      last = zoo_detail::append_transformer_layer(g, last, fmt::format("b{}.l{}.", b, l), d);
    }
    ends.push_back(last);
  }
  const OpId concat =
      g.add_op(zoo_detail::make_concat(zoo_detail::elements(a.branches * a.seq_len * a.hidden, e)));
  for (OpId end : ends) zoo_detail::connect(g, end, concat);
  return g;
}

OpGraph build_transformer(const TransformerArgs& a, core::Bytes e) {
  check_positive(a.layers, "layers");
  const SeqDims d{a.hidden, a.heads, a.ffn, a.seq_len, e};
  OpGraph g;
  OpId last = g.add_op(zoo_detail::make_input(zoo_detail::elements(a.seq_len * a.hidden, e)));
  for (std::int64_t l = 0; l < a.layers; ++l) {
    last = zoo_detail::append_transformer_layer(g, last, fmt::format("l{}.", l), d);
  }
  return g;
}

OpGraph build_two_branch(const TwoBranchArgs& a, core::Bytes e) {
  check_positive(a.branches, "branches");
  check_positive(a.blocks_per_branch, "blocks_per_branch");
  const SeqDims d{a.hidden, a.heads, a.hidden, a.seq_len, e};
  OpGraph g;
  const OpId input = g.add_op(zoo_detail::make_input(zoo_detail::elements(a.seq_len * a.hidden, e)));
  std::vector<OpId> ends;
  for (std::int64_t b = 0; b < a.branches; ++b) {
    OpId last = input;
    for (std::int64_t k = 0; k < a.blocks_per_branch; ++k) {
      last = zoo_detail::append_attention_block(g, last, fmt::format("b{}.k{}.", b, k), d);
    }
    ends.push_back(last);
  }
  const OpId concat =
      g.add_op(zoo_detail::make_concat(zoo_detail::elements(a.branches * a.seq_len * a.hidden, e)));
  for (OpId end : ends) zoo_detail::connect(g, end, concat);
  return g;
}

// A stack of `layers` hidden->hidden linear layers (s = 1) named prefix0, prefix1, ... after
// `from`; returns the last one.
OpId append_dense_stack(OpGraph& g, OpId from, const std::string& prefix, std::int64_t layers,
                        const SeqDims& d) {
  OpId last = from;
  for (std::int64_t l = 0; l < layers; ++l) {
    last = zoo_detail::append(g, last,
                              zoo_detail::make_linear(prefix + std::to_string(l), d.hidden, d.hidden, d, false));
  }
  return last;
}

OpGraph build_candle_uno(const CandleUnoArgs& a, core::Bytes e) {
  check_positive(a.branches, "branches");
  check_positive(a.layers_per_branch, "layers_per_branch");
  const SeqDims d{a.hidden, 1, a.hidden, 1, e};
  OpGraph g;
  const OpId input = g.add_op(zoo_detail::make_input(zoo_detail::elements(a.hidden, e)));
  std::vector<OpId> ends;
  for (std::int64_t b = 0; b < a.branches; ++b) {
    ends.push_back(append_dense_stack(g, input, fmt::format("b{}.fc", b), a.layers_per_branch, d));
  }
  const OpId concat = g.add_op(zoo_detail::make_concat(zoo_detail::elements(a.branches * a.hidden, e)));
  for (OpId end : ends) zoo_detail::connect(g, end, concat);
  return g;
}

OpGraph build_dlrm(const DlrmArgs& a, core::Bytes e) {
  check_positive(a.dense_branches + a.sparse_branches, "dense_branches + sparse_branches");
  check_positive(a.layers_per_branch, "layers_per_branch");
  check_positive(a.top_layers, "top_layers");
  const SeqDims d{a.hidden, 1, a.hidden, 1, e};
  OpGraph g;
  const OpId input = g.add_op(zoo_detail::make_input(zoo_detail::elements(a.hidden, e)));
  std::vector<OpId> ends;
  for (std::int64_t b = 0; b < a.dense_branches; ++b) {
    ends.push_back(append_dense_stack(g, input, fmt::format("dense{}.fc", b), a.layers_per_branch, d));
  }
  for (std::int64_t b = 0; b < a.sparse_branches; ++b) {
    ends.push_back(zoo_detail::append(g, input,
                                      zoo_detail::make_embedding_bag(fmt::format("emb{}", b), a.embedding_rows,
                                                                     a.embedding_dim, a.bag_size, e)));
  }
  const std::int64_t concat_width = a.dense_branches * a.hidden + a.sparse_branches * a.embedding_dim;
  const OpId concat = g.add_op(zoo_detail::make_concat(zoo_detail::elements(concat_width, e)));
  for (OpId end : ends) zoo_detail::connect(g, end, concat);
  OpId last = zoo_detail::append(g, concat, zoo_detail::make_linear("top0", concat_width, a.hidden, d, false));
  for (std::int64_t l = 1; l < a.top_layers; ++l) {
    last = zoo_detail::append(g, last, zoo_detail::make_linear(fmt::format("top{}", l), a.hidden, a.hidden, d, false));
  }
  return g;
}

OpGraph build_chain(const ChainArgs& a, core::Bytes e) {
  check_positive(a.layers, "layers");
  OpGraph g;
  for (std::int64_t l = 0; l < a.layers; ++l) {
    Op op;
    op.name = fmt::format("layer{}", l);
    op.kind = OpKind::kProfiled;
    op.measured = MeasuredTimes{a.forward_time, a.backward_time};
    op.activation_bytes = a.activation_bytes;
    // A profiled layer keeps its output for the backward pass, as PipeDream's planner assumes.
    op.stashed_bytes = a.activation_bytes;
    op.parameter_bytes = a.parameter_bytes;
    op.parameters = static_cast<std::int64_t>(std::floor(a.parameter_bytes / e));
    const OpId id = g.add_op(std::move(op));
    if (l > 0) zoo_detail::connect(g, id - 1, id);
  }
  return g;
}

}  // namespace

std::string_view zoo_name(const ZooArgs& args) {
  static constexpr std::array<std::string_view, 6> kNames{"mmt",         "dlrm",       "candle_uno",
                                                          "transformer", "two_branch", "chain"};
  static_assert(kNames.size() == std::variant_size_v<ZooArgs>);
  return kNames[args.index()];
}

Model build_zoo_model(const ZooArgs& args, core::Dtype dtype) {
  const core::Bytes e = core::element_size(dtype);
  Model model;
  model.name = std::string(zoo_name(args));
  model.dtype = dtype;
  model.graph = std::visit(
      Overloaded{
          [e](const MmtArgs& a) { return build_mmt(a, e); },
          [e](const DlrmArgs& a) { return build_dlrm(a, e); },
          [e](const CandleUnoArgs& a) { return build_candle_uno(a, e); },
          [e](const TransformerArgs& a) { return build_transformer(a, e); },
          [e](const TwoBranchArgs& a) { return build_two_branch(a, e); },
          [e](const ChainArgs& a) { return build_chain(a, e); },
      },
      args);
  return model;
}

}  // namespace gppsim::model
