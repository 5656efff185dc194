// ProfileCostSource: GEMM time from interpolated rates, memory time from the elementwise fit.

#include <gtest/gtest.h>

#include <memory>

#include "sim/core/errors.h"
#include "sim/cost/make_cost_source.h"
#include "sim/cost/profile_cost_source.h"
#include "sim/hw/cluster.h"

namespace gppsim::cost {
namespace {

std::shared_ptr<const hw::DeviceProfile> constant_rate_profile() {
  auto p = std::make_shared<hw::DeviceProfile>();
  p->name = "flat";
  p->memory_capacity = core::Bytes{8e9};
  p->launch_overhead = core::Seconds{3e-6};
  // Rate 1e12 FLOP/s at small shapes rising to 4e12 at large m (n, k flat).
  p->gemm[core::Dtype::kFp32] = hw::GridTable{{{64, 4096}, {64}, {64}}, {1e12, 4e12}};
  p->batched_gemm[core::Dtype::kFp32] = hw::GridTable{{{64}, {64}, {64}, {2, 32}}, {5e11, 2e12}};
  p->memory["elementwise"] =
      hw::PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{2e-6}, core::BytesPerSecond{1e12}}}};
  return p;
}

TEST(ProfileCostSource, GemmTimeIsFlopsOverInterpolatedRate) {
  const ProfileCostSource s(constant_rate_profile());
  // m = 512 is halfway between 64 and 4096 in log2 (6 .. 12 -> 9), so the rate is
  // exp((ln 1e12 + ln 4e12) / 2) = 2e12. Time = 2 * 512 * 128 * 256 / 2e12 = 16.777216 us.
  const model::GemmShape shape{512, 128, 256, 1, model::BatchDim::kM};
  EXPECT_NEAR(s.gemm_time(shape, core::Dtype::kFp32, cost::GemmLayout::kNN).value(), 2.0 * 512 * 128 * 256 / 2e12, 1e-15);
}

TEST(ProfileCostSource, BatchedGemmUsesTheBatchedTable) {
  const ProfileCostSource s(constant_rate_profile());
  // batch 8 is halfway between 2 and 32 in log2 (1 .. 5 -> 3): rate sqrt(5e11 * 2e12) = 1e12.
  const model::GemmShape shape{64, 64, 64, 8, model::BatchDim::kBatch};
  EXPECT_NEAR(s.gemm_time(shape, core::Dtype::kFp32, cost::GemmLayout::kNN).value(), 2.0 * 64 * 64 * 64 * 8 / 1e12, 1e-15);
}

TEST(ProfileCostSource, BatchedGemmWithoutTableIsBatchTimesSingle) {
  auto p = std::make_shared<hw::DeviceProfile>(*constant_rate_profile());
  p->batched_gemm.clear();
  const ProfileCostSource s(p);
  // Single 64^3 at 1e12: 0.524288 us; times batch 4.
  const model::GemmShape shape{64, 64, 64, 4, model::BatchDim::kBatch};
  EXPECT_NEAR(s.gemm_time(shape, core::Dtype::kFp32, cost::GemmLayout::kNN).value(), 4 * 2.0 * 64 * 64 * 64 / 1e12, 1e-15);
}

TEST(ProfileCostSource, BackwardLayoutsUseTheirOwnTablesWhenMeasured) {
  auto p = std::make_shared<hw::DeviceProfile>(*constant_rate_profile());
  const model::GemmShape shape{64, 64, 64, 1, model::BatchDim::kM};
  const double nn = 2.0 * 64 * 64 * 64 / 1e12;  // the gemm table's rate at m = 64 (log-interpolated: near)
  {
    const ProfileCostSource without(p);  // no layout tables: every layout reads gemm
    EXPECT_NEAR(without.gemm_time(shape, core::Dtype::kFp32, GemmLayout::kNT).value(), nn, 1e-12 * nn);
    EXPECT_NEAR(without.gemm_time(shape, core::Dtype::kFp32, GemmLayout::kTN).value(), nn, 1e-12 * nn);
  }
  p->gemm_nt[core::Dtype::kFp32] = hw::GridTable{{{64}, {64}, {64}}, {5e11}};
  p->gemm_tn[core::Dtype::kFp32] = hw::GridTable{{{64}, {64}, {64}}, {2e12}};
  const ProfileCostSource with(p);
  EXPECT_NEAR(with.gemm_time(shape, core::Dtype::kFp32, GemmLayout::kNN).value(), nn, 1e-12 * nn);
  EXPECT_NEAR(with.gemm_time(shape, core::Dtype::kFp32, GemmLayout::kNT).value(), 2.0 * nn, 1e-12 * nn);
  EXPECT_NEAR(with.gemm_time(shape, core::Dtype::kFp32, GemmLayout::kTN).value(), 0.5 * nn, 1e-12 * nn);
}

TEST(ProfileCostSource, OptimizerStepUsesItsMeasuredFitElseElementwise) {
  auto p = std::make_shared<hw::DeviceProfile>(*constant_rate_profile());
  p->memory["adam"] = hw::PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{1e-6}, core::BytesPerSecond{1e11}}}};
  const ProfileCostSource s(p);
  // Adam: 1 us + 7e6 B / 1e11 B/s = 71 us; SGD has no fit: the elementwise 2 us + 3e6 / 1e12.
  EXPECT_DOUBLE_EQ(s.optimizer_time(model::Optimizer::kAdam, core::Bytes{7e6}).value(), 1e-6 + 7e6 / 1e11);
  EXPECT_DOUBLE_EQ(s.optimizer_time(model::Optimizer::kSgd, core::Bytes{3e6}).value(), 2e-6 + 3e6 / 1e12);
  EXPECT_EQ(s.optimizer_time(model::Optimizer::kAdam, core::Bytes{0}).value(), 0.0);
}

// MPI on a CPU sums each received ring chunk in a pass of its own: read both, write the sum.
// elementwise fit: 2 us + bytes / 1e12 B/s, so 1 MB costs 2 us + 3 MB / 1e12 B/s = 5 us.
TEST(ProfileCostSource, ReductionIsThreeTimesTheChunkOnACpuAndFreeOnAGpu) {
  auto p = std::make_shared<hw::DeviceProfile>(*constant_rate_profile());
  p->backend = "cpu";
  EXPECT_DOUBLE_EQ(ProfileCostSource(p).reduction_time(core::Bytes{1e6}).value(), 2e-6 + 3e6 / 1e12);
  EXPECT_DOUBLE_EQ(ProfileCostSource(p).reduction_time(core::Bytes{0.0}).value(), 0.0);
  p->backend = "cuda";
  EXPECT_DOUBLE_EQ(ProfileCostSource(p).reduction_time(core::Bytes{1e6}).value(), 0.0);
}

TEST(ProfileCostSource, MemoryTimeAndScalarsComeFromTheProfile) {
  const ProfileCostSource s(constant_rate_profile());
  EXPECT_DOUBLE_EQ(s.memory_time(core::Bytes{1e6}).value(), 2e-6 + 1e6 / 1e12);
  // Measured kernel times already include launch gaps: no extra per-kernel term.
  EXPECT_DOUBLE_EQ(s.launch_overhead().value(), 0.0);
  EXPECT_DOUBLE_EQ(s.memory_capacity().value(), 8e9);
  EXPECT_EQ(s.name(), "flat");
}

TEST(ProfileCostSource, UncalibratedDtypeIsAPlanErrorNamingWhatWasCalibrated) {
  const ProfileCostSource s(constant_rate_profile());
  EXPECT_FALSE(s.supports(core::Dtype::kBf16));
  try {
    (void)s.gemm_time(model::GemmShape{64, 64, 64, 1, model::BatchDim::kM}, core::Dtype::kBf16, cost::GemmLayout::kNN);
    FAIL() << "expected PlanError";
  } catch (const core::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("calibrated: fp32"), std::string::npos);
  }
}

TEST(MakeComputeCostSource, ProfileWinsOverTheSpec) {
  hw::ClusterSpec c = *hw::find_cluster_preset("summit");
  EXPECT_EQ(make_compute_cost_source(c)->name(), "v100-sxm2-16gb");
  c.profile = constant_rate_profile();
  EXPECT_EQ(make_compute_cost_source(c)->name(), "flat");
}

}  // namespace
}  // namespace gppsim::cost
