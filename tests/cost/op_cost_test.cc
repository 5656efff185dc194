#include "sim/cost/op_cost.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "sim/core/errors.h"
#include "sim/cost/spec_cost_source.h"

namespace gppsim::cost {
namespace {

using core::Bytes;
using core::Dtype;
using core::Seconds;
using model::BatchDim;
using model::GemmShape;
using model::Op;
using model::OpKind;

// A source with round numbers so OpCost's rules can be checked in isolation: GEMMs at a flat
// 1e12 FLOP/s, memory at 1e9 B/s, 1 ms per launch. It records the GEMM shapes it is asked for.
class FakeSource final : public ComputeCostSource {
 public:
  bool supports(Dtype d) const override { return d != Dtype::kBf16; }
  Seconds gemm_time(const GemmShape& s, Dtype, GemmLayout layout) const override {
    calls.push_back(s);
    layouts.push_back(layout);
    return Seconds(s.flops().value() * 1e-12);
  }
  Seconds memory_time(Bytes b) const override { return Seconds(b.value() * 1e-9); }
  Seconds optimizer_time(model::Optimizer o, Bytes b) const override {
    optimizers.push_back(o);
    return memory_time(b);
  }
  Seconds reduction_time(Bytes /*b*/) const override { return Seconds(0.0); }
  Seconds launch_overhead() const override { return Seconds(1e-3); }
  Bytes memory_capacity() const override { return Bytes(1e9); }
  std::string name() const override { return "fake"; }

  mutable std::vector<GemmShape> calls;
  mutable std::vector<GemmLayout> layouts;
  mutable std::vector<model::Optimizer> optimizers;
};

Op linear_op(std::vector<GemmShape> gemms) {
  Op op;
  op.name = "l";
  op.kind = OpKind::kLinear;
  op.gemms = std::move(gemms);
  return op;
}

// MMT-like feed-forward layer, hidden 1024 -> ffn 4096 over seq_len 256, fp32: one GEMM
// (256, 4096, 1024) per sample; reads 256*1024*4 = 1 MiB, writes 256*4096*4 = 4 MiB, weights
// 1024*4096*4 = 16 MiB.
Op mmt_linear() {
  Op op = linear_op({GemmShape{256, 4096, 1024, 1, BatchDim::kM}});
  op.bytes_read = Bytes(1048576.0);
  op.bytes_written = Bytes(4194304.0);
  op.parameter_bytes = Bytes(16777216.0);
  return op;
}

void expect_rel(Seconds actual, double expected) {
  EXPECT_NEAR(actual.value(), expected, 1e-12 * expected) << "expected " << expected;
}

TEST(OpCost, MeasuredOpIsExactlyTimesMicroBatch) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op = mmt_linear();  // gemms and bytes must be ignored
  op.measured = model::MeasuredTimes{Seconds(1.5e-3), Seconds(3.25e-3)};
  EXPECT_EQ(cost.forward(op, 4).value(), 6e-3);    // 1.5 ms * 4, no launch
  EXPECT_EQ(cost.backward(op, 4).value(), 13e-3);  // 3.25 ms * 4
  EXPECT_TRUE(src.calls.empty());
  const BackwardSplit split = cost.backward_split(op, 4);
  EXPECT_EQ(split.input_grad.value(), 6.5e-3);
  EXPECT_EQ(split.weight_grad.value(), 6.5e-3);
}

TEST(OpCost, InputCostsNothing) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op;
  op.kind = OpKind::kInput;
  op.bytes_written = Bytes(1e6);
  EXPECT_EQ(cost.forward(op, 8).value(), 0.0);
  EXPECT_EQ(cost.backward(op, 8).value(), 0.0);
}

TEST(OpCost, ConcatIsOneCopy) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op;
  op.kind = OpKind::kConcat;
  op.bytes_read = Bytes(3e6);
  op.bytes_written = Bytes(3e6);
  // 1 launch + (3e6 + 3e6) * 2 B / 1e9 B/s = 1 ms + 12 ms.
  expect_rel(cost.forward(op, 2), 13e-3);
  expect_rel(cost.backward(op, 2), 13e-3);
  Op empty;
  empty.kind = OpKind::kConcat;
  EXPECT_EQ(cost.forward(empty, 2).value(), 0.0);
  EXPECT_EQ(cost.backward(empty, 2).value(), 0.0);
}

TEST(OpCost, LaunchesOnePerGemmForwardTwoBackward) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  const GemmShape g{10, 10, 10, 1, BatchDim::kM};  // 2000 FLOPs -> 2 ns
  const Op op = linear_op({g, g, g});
  expect_rel(cost.forward(op, 1), 3e-3 + 3 * 2e-9);    // 3 launches + 3 GEMMs
  expect_rel(cost.backward(op, 1), 6e-3 + 6 * 2e-9);   // 6 launches + 6 GEMMs of 2000 FLOPs
  const Op nothing = linear_op({});
  EXPECT_DOUBLE_EQ(cost.forward(nothing, 1).value(), 1e-3);   // at least one kernel
  EXPECT_DOUBLE_EQ(cost.backward(nothing, 1).value(), 1e-3);
}

TEST(OpCost, ForwardIsMaxOfGemmAndMemory) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op = linear_op({GemmShape{100, 100, 100, 1, BatchDim::kM}});
  op.bytes_read = Bytes(100.0);
  op.bytes_written = Bytes(100.0);
  op.parameter_bytes = Bytes(1000.0);
  // b = 2: GEMM (200, 100, 100) = 4e6 FLOPs / 1e12 = 4 us; memory (200 * 2 + 1000) B / 1e9
  // = 1.4 us, so the GEMM bound wins.
  expect_rel(cost.forward(op, 2), 1e-3 + 4e-6);
  op.parameter_bytes = Bytes(1e7);
  // memory (400 + 1e7) B / 1e9 = 10.0004 ms > 4 us.
  expect_rel(cost.forward(op, 2), 1e-3 + 10.0004e-3);
}

TEST(OpCost, BackwardMemoryBound) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op = linear_op({});
  op.bytes_read = Bytes(1e6);
  op.bytes_written = Bytes(2e6);
  op.parameter_bytes = Bytes(5e6);
  // forward:  1 launch + ((1e6 + 2e6) * 3 + 5e6) B / 1e9 = 1 ms + 14 ms.
  // backward: 1 launch + (2 * 3e6 * 3 + 2 * 5e6) B / 1e9 = 1 ms + 28 ms.
  expect_rel(cost.forward(op, 3), 15e-3);
  expect_rel(cost.backward(op, 3), 29e-3);
}

TEST(OpCost, EmbeddingBagStreamsOnlyGatheredRows) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  Op op;
  op.kind = OpKind::kEmbeddingBag;
  op.forward_flops = core::Flops(6400.0);
  op.bytes_read = Bytes(25600.0);    // bag 100 x dim 64 x 4 B
  op.bytes_written = Bytes(256.0);   // dim 64 x 4 B
  op.parameter_bytes = Bytes(256e6); // 1M rows x 64 x 4 B, not streamed per pass
  // forward: 1 launch + 25856 * 8 B / 1e9 = 1 ms + 206.848 us; backward twice the bytes.
  expect_rel(cost.forward(op, 8), 1e-3 + 206848e-9);
  expect_rel(cost.backward(op, 8), 1e-3 + 413696e-9);
  // Adam touches the whole table: 7 * 256e6 B / 1e9 = 1.792 s.
  expect_rel(cost.optimizer_step(op, model::Optimizer::kAdam), 1.792);
  // Momentum reads w, g, v and writes w, v: 5 * 256e6 / 1e9 = 1.28 s; SGD reads w, g, writes w: 0.768 s.
  expect_rel(cost.optimizer_step(op, model::Optimizer::kMomentum), 1.28);
  expect_rel(cost.optimizer_step(op, model::Optimizer::kSgd), 0.768);
  EXPECT_TRUE(src.calls.empty());
  // Each step asked the source for its own optimizer's time (a profile may have measured it).
  EXPECT_EQ(src.optimizers, (std::vector<model::Optimizer>{model::Optimizer::kAdam, model::Optimizer::kMomentum,
                                                           model::Optimizer::kSgd}));
}

TEST(OpCost, SourceSeesMicroBatchShapesAndBackwardShapes) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  const Op op = linear_op({GemmShape{256, 4096, 1024, 1, BatchDim::kM},
                           GemmShape{256, 256, 64, 16, BatchDim::kBatch}});
  (void)cost.forward(op, 2);
  ASSERT_EQ(src.calls.size(), 2u);
  EXPECT_EQ(src.calls[0], (GemmShape{512, 4096, 1024, 1, BatchDim::kM}));
  EXPECT_EQ(src.calls[1], (GemmShape{256, 256, 64, 32, BatchDim::kBatch}));
  EXPECT_EQ(src.layouts, (std::vector<GemmLayout>{GemmLayout::kNN, GemmLayout::kNN}));
  src.calls.clear();
  src.layouts.clear();
  (void)cost.backward(op, 2);
  ASSERT_EQ(src.calls.size(), 4u);
  EXPECT_EQ(src.calls[0], (GemmShape{512, 1024, 4096, 1, BatchDim::kM}));  // dA (m, k, n)
  EXPECT_EQ(src.calls[1], (GemmShape{1024, 4096, 512, 1, BatchDim::kM}));  // dB (k, n, m)
  EXPECT_EQ(src.calls[2], (GemmShape{256, 64, 256, 32, BatchDim::kBatch}));
  EXPECT_EQ(src.calls[3], (GemmShape{64, 256, 256, 32, BatchDim::kBatch}));
  // dA = dC B^T reads B transposed; dB = A^T dC reads A transposed and accumulates.
  EXPECT_EQ(src.layouts,
            (std::vector<GemmLayout>{GemmLayout::kNT, GemmLayout::kTN, GemmLayout::kNT, GemmLayout::kTN}));
}

TEST(OpCost, BackwardGemmsFreeFunction) {
  const BackwardGemms g = backward_gemms(GemmShape{3, 5, 7, 2, BatchDim::kBatch});
  EXPECT_EQ(g.input_grad, (GemmShape{3, 7, 5, 2, BatchDim::kBatch}));
  EXPECT_EQ(g.other_grad, (GemmShape{7, 5, 3, 2, BatchDim::kBatch}));
}

TEST(OpCost, BackwardSplitCountsOnlyWeightGemmsOfKmShapes) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  // kM GEMM 2000 FLOPs: dA 2000 + dB 2000 (dB = weight gradient);
  // kBatch GEMM batch 3, 6000 FLOPs: dA 6000 + dB 6000 (both input gradients).
  // total = 4 launches + 16000 FLOPs at 1e12 = 4 ms + 16 ns; weight = total * 2000 / 16000.
  const Op op = linear_op({GemmShape{10, 10, 10, 1, BatchDim::kM},
                           GemmShape{10, 10, 10, 3, BatchDim::kBatch}});
  const double total = 4e-3 + 16e-9;
  const BackwardSplit split = cost.backward_split(op, 1);
  EXPECT_NEAR(split.weight_grad.value(), total / 8.0, 1e-15);
  EXPECT_NEAR(split.input_grad.value(), total * 7.0 / 8.0, 1e-15);
  const BackwardSplit none = cost.backward_split(linear_op({}), 1);
  EXPECT_DOUBLE_EQ(none.input_grad.value(), 1e-3);
  EXPECT_EQ(none.weight_grad.value(), 0.0);
}

TEST(OpCost, OptimizerStepIsAdamTraffic) {
  const SpecCostSource v100(*hw::find_device_preset("v100-sxm2-16gb"));
  const OpCost cost(v100, Dtype::kFp32);
  Op op = mmt_linear();
  op.parameter_bytes = Bytes(9e8);
  // 7 * 9e8 B / 900e9 B/s = 7 ms (no launch).
  expect_rel(cost.optimizer_step(op, model::Optimizer::kAdam), 7e-3);
  op.measured = model::MeasuredTimes{Seconds(1.0), Seconds(1.0)};
  expect_rel(cost.optimizer_step(op, model::Optimizer::kAdam), 7e-3);  // measured times do not change the update
  op.parameter_bytes = Bytes(0.0);
  EXPECT_EQ(cost.optimizer_step(op, model::Optimizer::kAdam).value(), 0.0);
}

TEST(OpCost, MmtLinearOnV100ByHand) {
  const SpecCostSource v100(*hw::find_device_preset("v100-sxm2-16gb"));
  const OpCost cost(v100, Dtype::kFp32);
  const Op op = mmt_linear();
  const double f1 = 2.0 * 256 * 4096 * 1024;  // 2147483648 FLOPs per sample
  // b = 1: (256, 4096, 1024), tiles 2*32 = 64 < 80 SMs, eff 64/80 = 0.8 -> 213.72 us; memory
  // (1 + 4 + 16) MiB / 900e9 = 24.5 us. forward = 5 us + 213.72 us.
  expect_rel(cost.forward(op, 1), 5e-6 + f1 / (15.7e12 * 0.8 * 0.8));
  // b = 8: (2048, 4096, 1024), tiles 16*32 = 512, waves ceil(6.4) = 7, eff 512/560 -> 1.496 ms;
  // memory (8 * 5 + 16) MiB / 900e9 = 65.2 us.
  expect_rel(cost.forward(op, 8), 5e-6 + 8 * f1 / (15.7e12 * 0.8 * 512.0 / 560.0));
  // backward b = 1: dA (256, 1024, 4096): tiles 2*8 = 16, eff 16/80 = 0.2 -> 854.9 us;
  // dB (1024, 4096, 256): tiles 8*32 = 256, waves 4, eff 256/320 = 0.8 -> 213.7 us;
  // memory (2 * 5 + 2 * 16) MiB / 900e9 = 48.9 us. backward = 2 launches + 1068.6 us.
  const double dA = f1 / (15.7e12 * 0.8 * 0.2);
  const double dB = f1 / (15.7e12 * 0.8 * 0.8);
  expect_rel(cost.backward(op, 1), 10e-6 + dA + dB);
  const BackwardSplit split = cost.backward_split(op, 1);
  const double total = 10e-6 + dA + dB;
  EXPECT_NEAR(split.weight_grad.value(), total * dB / (dA + dB), 1e-15);
  EXPECT_NEAR(split.input_grad.value() + split.weight_grad.value(), total, 1e-15);
}

TEST(OpCost, LargerMicroBatchLowersTimePerSample) {
  const SpecCostSource v100(*hw::find_device_preset("v100-sxm2-16gb"));
  const OpCost cost(v100, Dtype::kFp32);
  const Op op = mmt_linear();
  // Forward per sample (hand): b=1 218.7 us, 2 216.2, 4 215.0, 8 187.6, 16 174.0: launch
  // amortisation plus wave efficiency 0.8 -> 0.914 (b=8) -> 0.985 (b=16).
  double prev_fw = 1e9;
  double prev_bw = 1e9;
  for (std::int64_t b : {1, 2, 4, 8, 16}) {
    const double fw = cost.forward(op, b).value() / static_cast<double>(b);
    const double bw = cost.backward(op, b).value() / static_cast<double>(b);
    EXPECT_LT(fw, prev_fw) << "b = " << b;
    EXPECT_LT(bw, prev_bw) << "b = " << b;
    prev_fw = fw;
    prev_bw = bw;
  }
  // From b = 1 to 16 the forward per sample drops by at least 20 %: 218.7 -> 174.0 us.
  EXPECT_LT(cost.forward(op, 16).value() / 16.0, 0.8 * cost.forward(op, 1).value());
}

TEST(OpCost, UnsupportedDtypeIsPlanError) {
  const FakeSource fake;
  try {
    const OpCost cost(fake, Dtype::kBf16);
    FAIL() << "expected PlanError";
  } catch (const core::PlanError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("fake"));
    EXPECT_THAT(e.what(), testing::HasSubstr("bf16"));
  }
  const SpecCostSource v100(*hw::find_device_preset("v100-sxm2-16gb"));
  EXPECT_THROW(OpCost(v100, Dtype::kTf32), core::PlanError);
}

TEST(OpCost, MicroBatchBelowOneIsInternalError) {
  const FakeSource src;
  const OpCost cost(src, Dtype::kFp32);
  EXPECT_THROW((void)cost.forward(mmt_linear(), 0), core::InternalError);
  EXPECT_THROW((void)cost.backward(mmt_linear(), -1), core::InternalError);
}

}  // namespace
}  // namespace gppsim::cost
