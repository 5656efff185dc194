#include "sim/model/zoo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace gppsim::model {
namespace {

using ::testing::ElementsAre;

// Sums over the ops, computed here rather than through summarize().
struct Totals {
  std::int64_t parameters = 0;
  double forward_flops = 0.0;
  double backward_flops = 0.0;
};

Totals totals(const Model& m) {
  Totals t;
  for (OpId id = 0; id < m.graph.num_ops(); ++id) {
    t.parameters += m.graph.op(id).parameters;
    t.forward_flops += m.graph.op(id).forward_flops.value();
    t.backward_flops += m.graph.op(id).backward_flops.value();
  }
  return t;
}

const Op& op_named(const Model& m, const std::string& name) {
  const auto id = m.graph.find(name);
  if (!id) throw std::runtime_error("no op " + name);
  return m.graph.op(*id);
}

// Every edge must carry its producer's output activation.
void expect_edges_carry_producer_activation(const Model& m) {
  for (const OpEdge& e : m.graph.edges()) {
    EXPECT_EQ(e.bytes, m.graph.op(e.from).activation_bytes) << m.graph.op(e.from).name;
  }
}

MmtArgs small_mmt() { return MmtArgs{2, 1, 8, 2, 16, 4}; }  // branches, layers, h, heads, f, s

TEST(Zoo, NamesFollowVariantOrder) {
  EXPECT_EQ(zoo_name(MmtArgs{}), "mmt");
  EXPECT_EQ(zoo_name(DlrmArgs{}), "dlrm");
  EXPECT_EQ(zoo_name(CandleUnoArgs{}), "candle_uno");
  EXPECT_EQ(zoo_name(TransformerArgs{}), "transformer");
  EXPECT_EQ(zoo_name(TwoBranchArgs{}), "two_branch");
  EXPECT_EQ(zoo_name(ChainArgs{}), "chain");
  EXPECT_EQ(build_zoo_model(CandleUnoArgs{}, core::Dtype::kFp32).name, "candle_uno");
}

TEST(Zoo, GemmShapeScalesTheNamedDimension) {
  // {m=4, n=24, k=8} scaling M at b=3 -> m=12; FLOPs 2*12*24*8 = 4608.
  const GemmShape qkv{4, 24, 8, 1, BatchDim::kM};
  EXPECT_EQ(qkv.at_micro_batch(3), (GemmShape{12, 24, 8, 1, BatchDim::kM}));
  EXPECT_DOUBLE_EQ(qkv.at_micro_batch(3).flops().value(), 4608.0);
  // Batched scores {4,4,4, batch 2} at b=3 -> batch 6; FLOPs 2*4*4*4*6 = 768.
  const GemmShape scores{4, 4, 4, 2, BatchDim::kBatch};
  EXPECT_EQ(scores.at_micro_batch(3), (GemmShape{4, 4, 4, 6, BatchDim::kBatch}));
  EXPECT_DOUBLE_EQ(scores.at_micro_batch(3).flops().value(), 768.0);
}

TEST(Zoo, SmallMmtByHand) {
  const Model m = build_zoo_model(small_mmt(), core::Dtype::kFp32);
  // Ops: input + 2 branches x 1 layer x 3 + concat = 8. Edges: input->2 attn (2), attn->ffn1
  // and ffn1->ffn2 per branch (4), 2 ffn2->concat = 8.
  EXPECT_EQ(m.graph.num_ops(), 8u);
  EXPECT_EQ(m.graph.num_edges(), 8u);
  EXPECT_THAT(m.graph.sources(), ElementsAre(*m.graph.find("input")));
  EXPECT_THAT(m.graph.sinks(), ElementsAre(*m.graph.find("concat")));
  const Op& attn = op_named(m, "b1.l0.attn");
  EXPECT_EQ(attn.kind, OpKind::kAttention);
  EXPECT_EQ(attn.parameters, 304);                         // 4*8*8 + 6*8 = 256 + 48
  EXPECT_EQ(attn.parameter_bytes, core::Bytes(1216.0));    // 304 * 4
  EXPECT_DOUBLE_EQ(attn.forward_flops.value(), 2560.0);    // 8*4*64 + 4*16*8 = 2048 + 512
  EXPECT_DOUBLE_EQ(attn.backward_flops.value(), 5120.0);   // 2 x forward
  EXPECT_EQ(attn.activation_bytes, core::Bytes(128.0));    // s*h*e = 4*8*4
  EXPECT_EQ(attn.stashed_bytes, core::Bytes(768.0));       // 5*128 + heads*s*s*e = 640 + 2*16*4
  EXPECT_EQ(attn.bytes_read, core::Bytes(256.0));          // 128 input + 128 softmax
  EXPECT_EQ(attn.bytes_written, core::Bytes(256.0));       // 128 output + 128 softmax
  // head_dim = 8/2 = 4: QKV {4,24,8}, scores {4,4,4}x2, context {4,4,4}x2, out {4,8,8}.
  EXPECT_THAT(attn.gemms, ElementsAre(GemmShape{4, 24, 8, 1, BatchDim::kM},
                                      GemmShape{4, 4, 4, 2, BatchDim::kBatch},
                                      GemmShape{4, 4, 4, 2, BatchDim::kBatch},
                                      GemmShape{4, 8, 8, 1, BatchDim::kM}));
  const Op& ffn1 = op_named(m, "b0.l0.ffn1");
  EXPECT_EQ(ffn1.parameters, 160);                         // 2*8 + 8*16 + 16
  EXPECT_DOUBLE_EQ(ffn1.forward_flops.value(), 1024.0);    // 2*4*8*16
  EXPECT_EQ(ffn1.activation_bytes, core::Bytes(256.0));    // 4*16*4
  EXPECT_EQ(ffn1.stashed_bytes, core::Bytes(384.0));       // in 4*8*4 + out 4*16*4
  EXPECT_THAT(ffn1.gemms, ElementsAre(GemmShape{4, 16, 8, 1, BatchDim::kM}));
  const Op& ffn2 = op_named(m, "b0.l0.ffn2");
  EXPECT_EQ(ffn2.parameters, 136);                         // 16*8 + 8
  EXPECT_DOUBLE_EQ(ffn2.forward_flops.value(), 1024.0);    // 2*4*16*8
  const Op& concat = op_named(m, "concat");
  EXPECT_EQ(concat.kind, OpKind::kConcat);
  EXPECT_EQ(concat.activation_bytes, core::Bytes(256.0));  // 2*4*8*4
  EXPECT_EQ(op_named(m, "input").activation_bytes, core::Bytes(128.0));
  // Layer = 4h^2 + 2hf + 9h + f = 256 + 256 + 72 + 16 = 600; 2 layers = 1200.
  // FLOPs per layer 2560 + 1024 + 1024 = 4608; 2 layers = 9216; backward 18432.
  const Totals t = totals(m);
  EXPECT_EQ(t.parameters, 1200);
  EXPECT_DOUBLE_EQ(t.forward_flops, 9216.0);
  EXPECT_DOUBLE_EQ(t.backward_flops, 18432.0);
  expect_edges_carry_producer_activation(m);
}

TEST(Zoo, SmallMmtEdgesAndHalfPrecision) {
  const Model m = build_zoo_model(small_mmt(), core::Dtype::kFp16);
  const OpId ffn1 = *m.graph.find("b0.l0.ffn1");
  const OpId ffn2 = *m.graph.find("b0.l0.ffn2");
  ASSERT_TRUE(m.graph.has_edge(ffn1, ffn2));
  // e = 2: attention output 4*8*2 = 64 B; ffn1 output 4*16*2 = 128 B on the ffn1->ffn2 edge.
  EXPECT_EQ(op_named(m, "b0.l0.attn").activation_bytes, core::Bytes(64.0));
  for (const OpEdge& e : m.graph.edges()) {
    if (e.from == ffn1) {
      EXPECT_EQ(e.bytes, core::Bytes(128.0));
    }
  }
  EXPECT_EQ(op_named(m, "b0.l0.attn").parameter_bytes, core::Bytes(608.0));  // 304 * 2
  EXPECT_EQ(m.dtype, core::Dtype::kFp16);
}

TEST(Zoo, MmtDefaults) {
  const Model m = build_zoo_model(MmtArgs{}, core::Dtype::kFp32);
  // 1 input + 4 branches x 8 layers x 3 ops + 1 concat = 98 ops.
  // Edges: 4 from input + 4 x 23 inside branches + 4 into concat = 100.
  EXPECT_EQ(m.graph.num_ops(), 98u);
  EXPECT_EQ(m.graph.num_edges(), 100u);
  // h=1024, f=4096: layer = 4*1024^2 + 2*1024*4096 + 9*1024 + 4096
  //   = 4194304 + 8388608 + 9216 + 4096 = 12596224; x 32 layers = 403079168.
  // FLOPs per layer, s=256: attention 8*256*1024^2 + 4*256^2*1024 = 9*2^28; each ffn
  //   2*256*1024*4096 = 8*2^28; layer = 25*2^28; x 32 = 800*2^28 = 214748364800.
  const Totals t = totals(m);
  EXPECT_EQ(t.parameters, 403079168);
  EXPECT_DOUBLE_EQ(t.forward_flops, 214748364800.0);
  EXPECT_DOUBLE_EQ(t.backward_flops, 2.0 * 214748364800.0);
  EXPECT_TRUE(m.graph.find("b3.l7.ffn2").has_value());
  expect_edges_carry_producer_activation(m);
}

TEST(Zoo, TransformerSmallAndDefaults) {
  // Small: 2 layers of h=8, f=16, s=4 -> input + 6 ops, a path of 6 edges, 2*600 params,
  // 2*4608 = 9216 FLOPs (same layer as SmallMmtByHand).
  const Model small = build_zoo_model(TransformerArgs{2, 8, 2, 16, 4}, core::Dtype::kFp32);
  EXPECT_EQ(small.graph.num_ops(), 7u);
  EXPECT_EQ(small.graph.num_edges(), 6u);
  EXPECT_EQ(totals(small).parameters, 1200);
  EXPECT_DOUBLE_EQ(totals(small).forward_flops, 9216.0);
  EXPECT_THAT(small.graph.sinks(), ElementsAre(*small.graph.find("l1.ffn2")));
  // Defaults: 32 layers as in MmtDefaults -> 1 + 96 ops, 96 edges, same totals.
  const Model m = build_zoo_model(TransformerArgs{}, core::Dtype::kFp32);
  EXPECT_EQ(m.graph.num_ops(), 97u);
  EXPECT_EQ(m.graph.num_edges(), 96u);
  EXPECT_EQ(totals(m).parameters, 403079168);
  EXPECT_DOUBLE_EQ(totals(m).forward_flops, 214748364800.0);
}

TEST(Zoo, TwoBranchSmallAndDefaults) {
  // Small: 2 branches x 1 block, h=8, heads 2, s=4. Block = attention 304 + lin1 (2*8 + 64 + 8
  // = 88) + lin2 (64 + 8 = 72) = 464 = 6h^2 + 10h; 2 blocks = 928. FLOPs: 2560 + 2*(2*4*8*8
  // = 512) = 3584 per block; 7168 total. Ops 1 + 6 + 1 = 8; edges 2 + 4 + 2 = 8.
  const Model small = build_zoo_model(TwoBranchArgs{2, 1, 8, 2, 4}, core::Dtype::kFp32);
  EXPECT_EQ(small.graph.num_ops(), 8u);
  EXPECT_EQ(small.graph.num_edges(), 8u);
  EXPECT_EQ(totals(small).parameters, 928);
  EXPECT_DOUBLE_EQ(totals(small).forward_flops, 7168.0);
  EXPECT_EQ(op_named(small, "b1.k0.lin1").parameters, 88);
  // Defaults: 8 blocks of 6*1024^2 + 10*1024 = 6301696 -> 50413568. FLOPs per block
  // 9*2^28 + 2*(2*256*1024^2 = 2*2^28) = 13*2^28; x 8 = 104*2^28 = 27917287424.
  // Ops 1 + 2*4*3 + 1 = 26; edges 2 + 2*11 + 2 = 26.
  const Model m = build_zoo_model(TwoBranchArgs{}, core::Dtype::kFp32);
  EXPECT_EQ(m.graph.num_ops(), 26u);
  EXPECT_EQ(m.graph.num_edges(), 26u);
  EXPECT_EQ(totals(m).parameters, 50413568);
  EXPECT_DOUBLE_EQ(totals(m).forward_flops, 27917287424.0);
  expect_edges_carry_producer_activation(m);
}

TEST(Zoo, CandleUnoSmallAndDefaults) {
  // Small: 3 branches x 2 layers of hidden 5: 5*5 + 5 = 30 params and 2*5*5 = 50 FLOPs each;
  // 6 layers -> 180 params, 300 FLOPs. Ops 1 + 6 + 1 = 8; edges 3 + 3 + 3 = 9.
  const Model small = build_zoo_model(CandleUnoArgs{3, 2, 5}, core::Dtype::kFp32);
  EXPECT_EQ(small.graph.num_ops(), 8u);
  EXPECT_EQ(small.graph.num_edges(), 9u);
  EXPECT_EQ(totals(small).parameters, 180);
  EXPECT_DOUBLE_EQ(totals(small).forward_flops, 300.0);
  EXPECT_EQ(op_named(small, "input").activation_bytes, core::Bytes(20.0));   // 5 * 4
  EXPECT_EQ(op_named(small, "concat").activation_bytes, core::Bytes(60.0));  // 3 * 5 * 4
  EXPECT_THAT(op_named(small, "b2.fc1").gemms, ElementsAre(GemmShape{1, 5, 5, 1, BatchDim::kM}));
  // Defaults: 28 layers of 4096^2 + 4096 = 16781312 -> 469876736; 2*4096^2 = 33554432 FLOPs
  // each -> 939524096. Ops 1 + 28 + 1 = 30; edges 7 + 7*3 + 7 = 35.
  const Model m = build_zoo_model(CandleUnoArgs{}, core::Dtype::kFp32);
  EXPECT_EQ(m.graph.num_ops(), 30u);
  EXPECT_EQ(m.graph.num_edges(), 35u);
  EXPECT_EQ(totals(m).parameters, 469876736);
  EXPECT_DOUBLE_EQ(totals(m).forward_flops, 939524096.0);
  expect_edges_carry_producer_activation(m);
}

TEST(Zoo, DlrmSmallByHand) {
  // dense 2, sparse 3, layers 2, hidden 4, dim 3, rows 10, bag 5, top 2.
  const Model m = build_zoo_model(DlrmArgs{2, 3, 2, 4, 3, 10, 5, 2}, core::Dtype::kFp32);
  // Ops: input + 2*2 dense + 3 bags + concat + 2 top = 11. Edges: 2 into dense stacks + 2
  // inside + 2 into concat + 3 into bags + 3 into concat + concat->top0 + top0->top1 = 14.
  EXPECT_EQ(m.graph.num_ops(), 11u);
  EXPECT_EQ(m.graph.num_edges(), 14u);
  EXPECT_THAT(m.graph.sinks(), ElementsAre(*m.graph.find("top1")));
  const Op& bag = op_named(m, "emb2");
  EXPECT_EQ(bag.kind, OpKind::kEmbeddingBag);
  EXPECT_EQ(bag.parameters, 30);                        // 10 rows * 3
  EXPECT_DOUBLE_EQ(bag.forward_flops.value(), 15.0);    // 5 * 3
  EXPECT_DOUBLE_EQ(bag.backward_flops.value(), 15.0);
  EXPECT_EQ(bag.bytes_read, core::Bytes(60.0));         // 5 * 3 * 4
  EXPECT_EQ(bag.activation_bytes, core::Bytes(12.0));   // 3 * 4
  EXPECT_TRUE(bag.gemms.empty());
  // concat width = 2*4 + 3*3 = 17 -> 68 B; top0 17 -> 4: 17*4 + 4 = 72 params.
  EXPECT_EQ(op_named(m, "concat").activation_bytes, core::Bytes(68.0));
  EXPECT_EQ(op_named(m, "top0").parameters, 72);
  // Params: dense 4 * 20 + bags 3 * 30 + top0 72 + top1 20 = 80 + 90 + 72 + 20 = 262.
  // Forward: dense 4 * 32 = 128, bags 3 * 15 = 45, top0 2*17*4 = 136, top1 32 -> 341.
  // Backward: GEMMs doubled 2*(128 + 136 + 32) = 592, bags 45 -> 637.
  const Totals t = totals(m);
  EXPECT_EQ(t.parameters, 262);
  EXPECT_DOUBLE_EQ(t.forward_flops, 341.0);
  EXPECT_DOUBLE_EQ(t.backward_flops, 637.0);
  expect_edges_carry_producer_activation(m);
}

TEST(Zoo, DlrmDefaults) {
  const Model m = build_zoo_model(DlrmArgs{}, core::Dtype::kFp32);
  // Ops 1 + 28 + 7 + 1 + 4 = 41. Edges 7 + 21 + 7 + 7 + 7 + 1 + 3 = 53.
  EXPECT_EQ(m.graph.num_ops(), 41u);
  EXPECT_EQ(m.graph.num_edges(), 53u);
  // Params: dense 28 * 16781312 = 469876736; bags 7 * 64e6 = 448000000; concat width
  // 7*4096 + 7*64 = 29120, top0 29120*4096 + 4096 = 119279616; top1..3 3 * 16781312 =
  // 50343936. Sum 1087500288.
  // Forward: dense 28 * 33554432 = 939524096; bags 7*100*64 = 44800; top0 2*29120*4096 =
  // 238551040; top1..3 3 * 33554432 = 100663296. Sum 1278783232.
  const Totals t = totals(m);
  EXPECT_EQ(t.parameters, 1087500288);
  EXPECT_DOUBLE_EQ(t.forward_flops, 1278783232.0);
}

TEST(Zoo, ChainCarriesMeasuredTimes) {
  ChainArgs a;
  a.layers = 3;
  a.forward_time = core::Seconds(1e-3);
  a.backward_time = core::Seconds(2e-3);
  a.activation_bytes = core::Bytes(100.0);
  a.parameter_bytes = core::Bytes(1001.0);
  const Model m = build_zoo_model(a, core::Dtype::kFp32);
  // A path layer0 -> layer1 -> layer2, no input op.
  EXPECT_EQ(m.graph.num_ops(), 3u);
  EXPECT_EQ(m.graph.num_edges(), 2u);
  EXPECT_FALSE(m.graph.find("input").has_value());
  EXPECT_TRUE(m.graph.has_edge(*m.graph.find("layer1"), *m.graph.find("layer2")));
  for (OpId id = 0; id < 3; ++id) {
    const Op& op = m.graph.op(id);
    EXPECT_EQ(op.name, "layer" + std::to_string(id));
    ASSERT_TRUE(op.measured.has_value());
    EXPECT_EQ(op.measured->forward_per_sample, core::Seconds(1e-3));
    EXPECT_EQ(op.measured->backward_per_sample, core::Seconds(2e-3));
    EXPECT_EQ(op.parameter_bytes, core::Bytes(1001.0));
    EXPECT_EQ(op.parameters, 250);  // floor(1001 / 4)
    EXPECT_EQ(op.forward_flops, core::Flops(0.0));
    EXPECT_TRUE(op.gemms.empty());
  }
  for (const OpEdge& e : m.graph.edges()) EXPECT_EQ(e.bytes, core::Bytes(100.0));
  // fp16: floor(1001 / 2) = 500 parameters.
  EXPECT_EQ(build_zoo_model(a, core::Dtype::kFp16).graph.op(0).parameters, 500);
}

TEST(Zoo, BuildIsDeterministic) {
  const Model a = build_zoo_model(DlrmArgs{}, core::Dtype::kFp32);
  const Model b = build_zoo_model(DlrmArgs{}, core::Dtype::kFp32);
  ASSERT_EQ(a.graph.num_ops(), b.graph.num_ops());
  for (OpId id = 0; id < a.graph.num_ops(); ++id) EXPECT_EQ(a.graph.op(id).name, b.graph.op(id).name);
}

}  // namespace
}  // namespace gppsim::model
