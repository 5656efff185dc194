#include "sim/cost/spec_cost_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/core/errors.h"

namespace gppsim::cost {
namespace {

using core::Dtype;
using model::BatchDim;
using model::GemmShape;

SpecCostSource v100() { return SpecCostSource(*hw::find_device_preset("v100-sxm2-16gb")); }

// Relative comparison: the expected values are closed forms evaluated in a different order.
void expect_rel(double actual, double expected) {
  EXPECT_NEAR(actual, expected, 1e-12 * expected) << "expected " << expected;
}

TEST(SpecCostSource, Gemm4096CubedFp32OnV100) {
  // tiles = 32 * 32 = 1024; waves = ceil(1024 / 80) = 13; eff = 1024 / 1040.
  // compute = 2 * 4096^3 / (15.7e12 * 0.8 * 1024/1040) = 137438953472 / 12.3668e12 = 11.1136 ms;
  // memory  = 3 * 4096^2 * 4 B / 900e9 = 0.224 ms, so compute-bound.
  const SpecCostSource s = v100();
  const GemmShape g{4096, 4096, 4096, 1, BatchDim::kM};
  EXPECT_DOUBLE_EQ(s.wave_efficiency(g), 1024.0 / 1040.0);
  const double expected = 2.0 * 4096.0 * 4096.0 * 4096.0 / (15.7e12 * 0.8 * 1024.0 / 1040.0);
  expect_rel(s.gemm_time(g, Dtype::kFp32, cost::GemmLayout::kNN).value(), expected);
  EXPECT_NEAR(s.gemm_time(g, Dtype::kFp32, cost::GemmLayout::kNN).value(), 11.1136e-3, 1e-7);
}

TEST(SpecCostSource, Gemm4096CubedFp16UsesTensorCorePeak) {
  // compute = 137438953472 / (125e12 * 0.8 * 1024/1040) = 1.39582 ms;
  // memory  = 3 * 4096^2 * 2 B / 900e9 = 0.112 ms.
  const GemmShape g{4096, 4096, 4096, 1, BatchDim::kM};
  const double expected = 2.0 * 4096.0 * 4096.0 * 4096.0 / (125e12 * 0.8 * 1024.0 / 1040.0);
  expect_rel(v100().gemm_time(g, Dtype::kFp16, cost::GemmLayout::kNN).value(), expected);
}

TEST(SpecCostSource, MatrixVectorIsMemoryBound) {
  // m = 1, n = k = 4096: tiles = 1 * 32 = 32, eff = 32 / 80 = 0.4;
  // compute = 2 * 4096^2 / (15.7e12 * 0.8 * 0.4) = 33554432 / 5.024e12 = 6.68 us;
  // memory  = (1*4096 + 4096*4096 + 1*4096) * 4 B = 67141632 B / 900e9 = 74.6018 us.
  const GemmShape g{1, 4096, 4096, 1, BatchDim::kM};
  expect_rel(v100().gemm_time(g, Dtype::kFp32, cost::GemmLayout::kNN).value(), 67141632.0 / 900e9);
}

TEST(SpecCostSource, WaveQuantisation) {
  // m = 80 tiles of 128 (10240), n = 128: 80 tiles, one full wave, eff 1.
  // m = 81 tiles (10368): 81 tiles, 2 waves, eff 81 / 160 = 0.50625.
  // Both compute-bound: memory <= (10368*4096 + 4096*128 + 10368*128) * 4 B / 900e9 = 0.197 ms
  // against 0.855 ms and 1.710 ms of compute.
  const SpecCostSource s = v100();
  const GemmShape full{10240, 128, 4096, 1, BatchDim::kM};
  const GemmShape spill{10368, 128, 4096, 1, BatchDim::kM};
  EXPECT_DOUBLE_EQ(s.wave_efficiency(full), 1.0);
  EXPECT_DOUBLE_EQ(s.wave_efficiency(spill), 81.0 / 160.0);
  const double t_full = s.gemm_time(full, Dtype::kFp32, cost::GemmLayout::kNN).value();
  const double t_spill = s.gemm_time(spill, Dtype::kFp32, cost::GemmLayout::kNN).value();
  expect_rel(t_full, 2.0 * 10240 * 128 * 4096 / (15.7e12 * 0.8));
  expect_rel(t_spill, 2.0 * 10368 * 128 * 4096 / (15.7e12 * 0.8 * 81.0 / 160.0));
  // 1.25 % more work takes twice as long: (81/80 more FLOPs) / (81/160 efficiency) = 2.
  EXPECT_NEAR(t_spill / t_full, 2.0, 1e-12);
}

TEST(SpecCostSource, BatchedGemmCountsTilesPerBatch) {
  // 256 x 256 x 64, batch 64 (16 heads x micro-batch 4): tiles = 2*2*64 = 256, waves = 4,
  // eff = 256 / 320 = 0.8. compute = 2*256*256*64*64 / (15.7e12*0.8*0.8) = 536870912 / 1.0048e13
  // = 53.43 us; memory = (256*64 + 64*256 + 256*256) * 64 * 4 B = 25165824 B / 900e9 = 27.96 us,
  // so compute-bound.
  const GemmShape per_sample{256, 256, 64, 16, BatchDim::kBatch};
  const GemmShape g = per_sample.at_micro_batch(4);
  ASSERT_EQ(g.batch, 64);
  const SpecCostSource s = v100();
  EXPECT_DOUBLE_EQ(s.wave_efficiency(g), 0.8);
  expect_rel(s.gemm_time(g, Dtype::kFp32, cost::GemmLayout::kNN).value(), 536870912.0 / (15.7e12 * 0.8 * 0.8));
}

TEST(SpecCostSource, MemoryLaunchCapacityName) {
  const SpecCostSource s = v100();
  EXPECT_DOUBLE_EQ(s.memory_time(core::Bytes(900e9)).value(), 1.0);
  EXPECT_DOUBLE_EQ(s.memory_time(core::Bytes(0.0)).value(), 0.0);
  EXPECT_DOUBLE_EQ(s.memory_time(core::Bytes(4.5e6)).value(), 5e-6);  // 4.5e6 / 900e9
  EXPECT_DOUBLE_EQ(s.launch_overhead().value(), 5e-6);
  EXPECT_DOUBLE_EQ(s.memory_capacity().value(), 17179869184.0);
  EXPECT_EQ(s.name(), "v100-sxm2-16gb");
  EXPECT_EQ(s.spec().sm_count, 80);
}

TEST(SpecCostSource, SupportsFollowsThePeakTable) {
  const SpecCostSource s = v100();
  EXPECT_TRUE(s.supports(Dtype::kFp32));
  EXPECT_TRUE(s.supports(Dtype::kFp16));
  EXPECT_FALSE(s.supports(Dtype::kTf32));
  EXPECT_FALSE(s.supports(Dtype::kBf16));
}

TEST(SpecCostSource, UnsupportedDtypeIsPlanErrorNamingDeviceAndDtype) {
  const GemmShape g{128, 128, 128, 1, BatchDim::kM};
  try {
    (void)v100().gemm_time(g, Dtype::kBf16, cost::GemmLayout::kNN);
    FAIL() << "expected PlanError";
  } catch (const core::PlanError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("v100-sxm2-16gb"));
    EXPECT_THAT(e.what(), testing::HasSubstr("bf16"));
    EXPECT_THAT(e.what(), testing::HasSubstr("fp32, fp16"));
  }
}

TEST(SpecCostSource, DegenerateShapeOrSpecIsInternalError) {
  EXPECT_THROW((void)v100().gemm_time(GemmShape{0, 1, 1, 1, BatchDim::kM}, Dtype::kFp32, cost::GemmLayout::kNN),
               core::InternalError);
  hw::DeviceSpec bad = *hw::find_device_preset("v100-sxm2-16gb");
  bad.sm_count = 0;
  EXPECT_THROW(SpecCostSource{bad}, core::InternalError);
}

}  // namespace
}  // namespace gppsim::cost
