#include "sim/model/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sim/model/zoo.h"

namespace gppsim::model {
namespace {

using ::testing::ElementsAre;

// A model from named ops and edges (edge bytes are irrelevant for blocks).
Model hand_built(std::initializer_list<const char*> names,
                 std::initializer_list<std::pair<OpId, OpId>> edges) {
  Model m;
  m.name = "hand";
  for (const char* n : names) {
    Op op;
    op.name = n;
    m.graph.add_op(std::move(op));
  }
  for (const auto& [from, to] : edges) m.graph.add_edge(from, to, core::Bytes(1.0));
  return m;
}

TEST(Summary, StaticBytesPerParameter) {
  using core::Dtype;
  // fp32: weights 4 + gradients 4 (+ Adam 8 | momentum 4 | SGD 0).
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kFp32, Optimizer::kAdam), core::Bytes(16.0));
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kFp32, Optimizer::kMomentum), core::Bytes(12.0));
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kFp32, Optimizer::kSgd), core::Bytes(8.0));
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kTf32, Optimizer::kAdam), core::Bytes(16.0));
  // fp16 Adam: weights 2 + gradients 2 + moments 8 + fp32 master 4 = 16.
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kFp16, Optimizer::kAdam), core::Bytes(16.0));
  // bf16 momentum: 2 + 2 + 4 + 4 = 12; fp16 SGD: 2 + 2 + 0 + 4 = 8.
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kBf16, Optimizer::kMomentum), core::Bytes(12.0));
  EXPECT_EQ(static_bytes_per_parameter(Dtype::kFp16, Optimizer::kSgd), core::Bytes(8.0));
}

TEST(Summary, SmallMmtTotalsAndStaticMemory) {
  // MMT branches 2, 1 layer, h=8, heads 2, f=16, s=4 (see zoo_test SmallMmtByHand):
  // 8 ops, 8 edges, 1200 params, 9216 / 18432 FLOPs. Activations (fp32): input 128 +
  // 2 x (attn 128 + ffn1 256 + ffn2 128) + concat 256 = 1408 B.
  const MmtArgs args{2, 1, 8, 2, 16, 4};
  const ModelSummary s = summarize(build_zoo_model(args, core::Dtype::kFp32), Optimizer::kAdam);
  EXPECT_EQ(s.num_ops, 8u);
  EXPECT_EQ(s.num_edges, 8u);
  EXPECT_EQ(s.parameters, 1200);
  EXPECT_EQ(s.parameter_bytes, core::Bytes(4800.0));          // 1200 * 4
  EXPECT_DOUBLE_EQ(s.forward_flops_per_sample.value(), 9216.0);
  EXPECT_DOUBLE_EQ(s.backward_flops_per_sample.value(), 18432.0);
  EXPECT_EQ(s.activation_bytes_per_sample, core::Bytes(1408.0));
  EXPECT_EQ(s.static_memory, core::Bytes(19200.0));            // 1200 * 16
  // fp16: parameter bytes halve (2400) but Adam still needs 2+2+8+4 = 16 B/param -> 19200.
  const ModelSummary h = summarize(build_zoo_model(args, core::Dtype::kFp16), Optimizer::kAdam);
  EXPECT_EQ(h.parameter_bytes, core::Bytes(2400.0));
  EXPECT_EQ(h.static_memory, core::Bytes(19200.0));
  // SGD fp32: 1200 * 8 = 9600.
  EXPECT_EQ(summarize(build_zoo_model(args, core::Dtype::kFp32), Optimizer::kSgd).static_memory,
            core::Bytes(9600.0));
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_THAT(s.blocks[0].branch_sizes, ElementsAre(3u, 3u));
}

TEST(Summary, StaticMemoryScalesFromParameterBytes) {
  // Chain of 3 layers with 1001 B each (fp32): parameters floor(1001/4) = 250 each, 750 in
  // all, but static memory follows the bytes: 3003 / 4 * 16 = 12012 (not 750 * 16 = 12000).
  ChainArgs a;
  a.layers = 3;
  a.parameter_bytes = core::Bytes(1001.0);
  const ModelSummary s = summarize(build_zoo_model(a, core::Dtype::kFp32), Optimizer::kAdam);
  EXPECT_EQ(s.parameters, 750);
  EXPECT_EQ(s.static_memory, core::Bytes(12012.0));
  EXPECT_TRUE(s.blocks.empty());
}

TEST(Summary, MmtDefaultHasOneBlockOfFourBranches) {
  // input forks into 4 branches of 8 layers x 3 ops = 24 ops, re-joined at concat.
  const Model m = build_zoo_model(MmtArgs{}, core::Dtype::kFp32);
  const ModelSummary s = summarize(m, Optimizer::kAdam);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].fork, *m.graph.find("input"));
  EXPECT_EQ(s.blocks[0].join, *m.graph.find("concat"));
  EXPECT_THAT(s.blocks[0].branch_sizes, ElementsAre(24u, 24u, 24u, 24u));
}

TEST(Summary, DlrmBranchSizes) {
  // 7 dense branches of 4 linear layers, then 7 single embedding bags.
  const Model m = build_zoo_model(DlrmArgs{}, core::Dtype::kFp32);
  const ModelSummary s = summarize(m, Optimizer::kAdam);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].join, *m.graph.find("concat"));
  EXPECT_THAT(s.blocks[0].branch_sizes,
              ElementsAre(4u, 4u, 4u, 4u, 4u, 4u, 4u, 1u, 1u, 1u, 1u, 1u, 1u, 1u));
}

TEST(Summary, SequentialModelsHaveNoBlocks) {
  EXPECT_TRUE(summarize(build_zoo_model(TransformerArgs{}, core::Dtype::kFp32), Optimizer::kAdam)
                  .blocks.empty());
}

TEST(Summary, NestedForksFindTheirImmediateJoins) {
  // a(0) -> b(1), c(2); b -> d(3), e(4); d, e -> f(5); c -> g(6); f -> g.
  // Fork a joins at g: b-side {b, d, e, f} = 4, c-side {c} = 1. Fork b joins at f: [1, 1].
  const Model m = hand_built({"a", "b", "c", "d", "e", "f", "g"},
                             {{0, 1}, {0, 2}, {1, 3}, {1, 4}, {3, 5}, {4, 5}, {2, 6}, {5, 6}});
  const ModelSummary s = summarize(m, Optimizer::kSgd);
  ASSERT_EQ(s.blocks.size(), 2u);
  EXPECT_EQ(s.blocks[0].fork, 0u);
  EXPECT_EQ(s.blocks[0].join, 6u);
  EXPECT_THAT(s.blocks[0].branch_sizes, ElementsAre(4u, 1u));
  EXPECT_EQ(s.blocks[1].fork, 1u);
  EXPECT_EQ(s.blocks[1].join, 5u);
  EXPECT_THAT(s.blocks[1].branch_sizes, ElementsAre(1u, 1u));
}

TEST(Summary, SuccessorThatIsTheJoinCountsZero) {
  // a(0) -> b(1) -> d(3); a -> c(2) -> d; a -> d directly. Join d; sizes [1, 1, 0].
  const Model m = hand_built({"a", "b", "c", "d"}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {0, 3}});
  const ModelSummary s = summarize(m, Optimizer::kSgd);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].join, 3u);
  EXPECT_THAT(s.blocks[0].branch_sizes, ElementsAre(1u, 1u, 0u));
}

TEST(Summary, ForkIntoSeparateSinksHasNoBlock) {
  // a(0) -> b(1), c(2); b -> d(3); c -> d; d -> e(4), f(5) with e and f both sinks.
  // Fork a joins at d: [1, 1]. Fork d only meets at the virtual common sink: skipped.
  const Model m = hand_built({"a", "b", "c", "d", "e", "f"}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {3, 5}});
  const ModelSummary s = summarize(m, Optimizer::kSgd);
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].fork, 0u);
  EXPECT_EQ(s.blocks[0].join, 3u);
  EXPECT_THAT(s.blocks[0].branch_sizes, ElementsAre(1u, 1u));
}

}  // namespace
}  // namespace gppsim::model
