#include "kernels/cpu/cpu_benchmarks.h"
#include "kernels/cpu/optimizer_update.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "kernels/common/kernel_error.h"

namespace gppsim::kernels {
namespace {

const BenchSettings kQuick{1, 2};  // 1 warm-up, 2 timed iterations

void expect_positive_times(const Measurement& m, std::size_t count) {
  ASSERT_EQ(m.times_s.size(), count);
  for (const double t : m.times_s) EXPECT_GT(t, 0.0);
}

TEST(CpuGemmTest, Fp32GemmIsCorrectWithHandCountedWork) {
  const Measurement m = run_cpu_gemm(GemmPoint{64, 32, 16, 1, "fp32"}, kQuick);
  EXPECT_EQ(m.kernel, "gemm");
  EXPECT_EQ(m.dtype, "fp32");
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{64, 32, 16, 1}));
  EXPECT_DOUBLE_EQ(m.flops, 65536.0);  // 2 * 64 * 32 * 16
  EXPECT_DOUBLE_EQ(m.bytes, 14336.0);  // (64*16 + 16*32 + 64*32) * 4 = 3584 * 4
  EXPECT_TRUE(m.correct);
  EXPECT_LE(m.max_relative_error, 1e-5);
  expect_positive_times(m, 2);
  EXPECT_GT(m.flops_per_s(), 0.0);
}

TEST(CpuGemmTest, Fp64BatchedGemmIsCorrectWithHandCountedWork) {
  const Measurement m = run_cpu_gemm(GemmPoint{8, 5, 3, 4, "fp64"}, kQuick);
  EXPECT_EQ(m.kernel, "batched_gemm");
  EXPECT_EQ(m.dtype, "fp64");
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{8, 5, 3, 4}));
  EXPECT_DOUBLE_EQ(m.flops, 960.0);   // 2 * 8 * 5 * 3 * 4
  EXPECT_DOUBLE_EQ(m.bytes, 2528.0);  // (8*3 + 3*5 + 8*5) * 4 * 8 = 79 * 32
  EXPECT_TRUE(m.correct);
  EXPECT_LE(m.max_relative_error, 1e-12);
  expect_positive_times(m, 2);
}

TEST(CpuGemmTest, BackwardLayoutsMatchTheirDotProducts) {
  // Distinct m, n, k: a swapped leading dimension or transpose flag would read the wrong
  // entries and fail the sampled check against sum_l A[row][l] B[l][col] of each layout.
  for (const std::string dtype : {"fp32", "fp64"}) {
    const Measurement nt = run_cpu_gemm(GemmPoint{24, 40, 56, 1, dtype, "nt"}, kQuick);
    EXPECT_EQ(nt.kernel, "gemm_nt");
    EXPECT_TRUE(nt.correct) << dtype;
    EXPECT_DOUBLE_EQ(nt.flops, 107520.0);  // 2 * 24 * 40 * 56
    const Measurement tn = run_cpu_gemm(GemmPoint{24, 40, 56, 1, dtype, "tn"}, kQuick);
    EXPECT_EQ(tn.kernel, "gemm_tn");
    EXPECT_TRUE(tn.correct) << dtype;
    EXPECT_DOUBLE_EQ(tn.bytes, (24.0 * 56 + 56 * 40 + 24 * 40) * (dtype == "fp32" ? 4 : 8));
  }
}

TEST(CpuGemmTest, UnknownOrBatchedTransposedLayoutThrows) {
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 1, "fp32", "tt"}, kQuick), KernelError);
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 2, "fp32", "nt"}, kQuick), KernelError);
}

TEST(CpuOptimizerTest, StepsMoveTheirBytesAndMatchTheUpdateInDouble) {
  // 1000 parameters: SGD moves 3 x 4 B each, momentum 5 x 4 B, Adam 7 x 4 B.
  for (const auto& [kernel, per_parameter] : {std::pair{"sgd", 12}, std::pair{"momentum", 20}, std::pair{"adam", 28}}) {
    const Measurement m = run_cpu_optimizer(kernel, 1000 * per_parameter, kQuick);
    EXPECT_EQ(m.kernel, kernel);
    EXPECT_DOUBLE_EQ(m.bytes, 1000.0 * per_parameter);
    EXPECT_TRUE(m.correct) << kernel;
    EXPECT_LE(m.max_relative_error, 1e-6);
    expect_positive_times(m, 2);
  }
}

// The step the backend runs also clears the gradients (for the next step's accumulation): by
// hand, SGD w = 1 - 0.01 * 0.5, momentum w = 1 - 0.01 * (0.9 * 0.25 + 0.5), Adam's first step
// moves w by the learning rate (m / sqrt(v) = 1 after bias correction, from zero state).
TEST(CpuOptimizerTest, StepUpdatesAndClearsTheGradients) {
  const std::vector<std::pair<OptimizerKind, double>> cases = {
      {OptimizerKind::kSgd, 1.0 - 0.01 * 0.5},
      {OptimizerKind::kMomentum, 1.0 - 0.01 * (0.9 * 0.25 + 0.5)},
      {OptimizerKind::kAdam, 1.0 - 0.001}};
  for (const auto& [kind, want] : cases) {
    std::vector<float> w(37, 1.0f), g(37, 0.5f), s1(37, kind == OptimizerKind::kAdam ? 0.0f : 0.25f), s2(37, 0.0f);
    optimizer_step(kind, 1, w.data(), g.data(), s1.data(), s2.data(), w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(w[i], want, 1e-6) << to_string(kind) << " " << i;
      EXPECT_EQ(g[i], 0.0f) << to_string(kind) << " " << i;
    }
  }
}

TEST(CpuOptimizerTest, UnknownKernelOrTooFewBytesThrow) {
  EXPECT_THROW(run_cpu_optimizer("lamb", 4096, kQuick), KernelError);
  EXPECT_THROW(run_cpu_optimizer("adam", 32, kQuick), KernelError);
  EXPECT_THROW(run_cpu_optimizer("adam", 4096, BenchSettings{0, 0}), KernelError);
}

TEST(CpuGemmTest, OneByOneGemmWorks) {
  const Measurement m = run_cpu_gemm(GemmPoint{1, 1, 1, 1, "fp64"}, BenchSettings{0, 1});
  EXPECT_TRUE(m.correct);
  EXPECT_DOUBLE_EQ(m.flops, 2.0);
  expect_positive_times(m, 1);
}

TEST(CpuGemmTest, UnsupportedDtypeThrows) {
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 1, "fp16"}, kQuick), KernelError);
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 1, "tf32"}, kQuick), KernelError);
}

TEST(CpuGemmTest, BadDimensionThrows) {
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 0, 1, "fp32"}, kQuick), KernelError);
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, -1, "fp32"}, kQuick), KernelError);
}

TEST(CpuGemmTest, MatricesOverFourGibThrowBeforeAllocating) {
  // 3 * 32768^2 fp32 values = 3 * 2^30 * 4 bytes = 12 GiB > 4 GiB.
  EXPECT_THROW(run_cpu_gemm(GemmPoint{32768, 32768, 32768, 1, "fp32"}, kQuick), KernelError);
}

TEST(CpuGemmTest, BadSettingsThrow) {
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 1, "fp32"}, BenchSettings{1, 0}), KernelError);
  EXPECT_THROW(run_cpu_gemm(GemmPoint{4, 4, 4, 1, "fp32"}, BenchSettings{-1, 2}), KernelError);
}

TEST(CpuStreamTest, CopyCountsReadPlusWrite) {
  const Measurement m = run_cpu_stream("copy", 1000, kQuick);
  EXPECT_EQ(m.kernel, "copy");
  EXPECT_EQ(m.dtype, "");
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{1000}));
  EXPECT_DOUBLE_EQ(m.bytes, 1000.0);  // memcpy of 500: 500 read + 500 written
  EXPECT_DOUBLE_EQ(m.flops, 0.0);
  EXPECT_TRUE(m.correct);
  expect_positive_times(m, 2);
}

TEST(CpuStreamTest, CopyOfOddBytesMovesWholeHalves) {
  const Measurement m = run_cpu_stream("copy", 1001, kQuick);
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{1001}));
  EXPECT_DOUBLE_EQ(m.bytes, 1000.0);  // memcpy of 1001 / 2 = 500 bytes, counted twice
}

TEST(CpuStreamTest, ElementwiseCountsTwelveBytesAndTwoFlopsPerElement) {
  const Measurement m = run_cpu_stream("elementwise", 1200, kQuick);
  EXPECT_EQ(m.kernel, "elementwise");
  EXPECT_EQ(m.dtype, "fp32");
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{1200}));
  EXPECT_DOUBLE_EQ(m.bytes, 1200.0);  // n = 1200 / 12 = 100; 12 * 100
  EXPECT_DOUBLE_EQ(m.flops, 200.0);   // 2 * 100
  EXPECT_TRUE(m.correct);
  expect_positive_times(m, 2);
}

TEST(CpuStreamTest, ElementwiseAtMinimumSize) {
  const Measurement m = run_cpu_stream("elementwise", 64, kQuick);
  EXPECT_DOUBLE_EQ(m.bytes, 60.0);  // n = 64 / 12 = 5; 12 * 5
  EXPECT_DOUBLE_EQ(m.flops, 10.0);  // 2 * 5
  EXPECT_TRUE(m.correct);
}

TEST(CpuStreamTest, TooFewBytesThrow) {
  EXPECT_THROW(run_cpu_stream("copy", 63, kQuick), KernelError);
  EXPECT_THROW(run_cpu_stream("elementwise", 0, kQuick), KernelError);
}

TEST(CpuStreamTest, UnknownKernelThrows) {
  EXPECT_THROW(run_cpu_stream("triad", 1024, kQuick), KernelError);
}

TEST(CpuInfoTest, OpenBlasConfigNamesOpenBlas) {
  EXPECT_NE(openblas_config().find("OpenBLAS"), std::string::npos) << openblas_config();
  EXPECT_FALSE(cpu_model_name().empty());
}

}  // namespace
}  // namespace gppsim::kernels
