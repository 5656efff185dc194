#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cuda/cuda_benchmarks.h"
#include "kernels/cuda/device_query.h"

namespace gppsim::kernels {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;

BenchSettings quick_settings() {
  BenchSettings s;
  s.warmup = 1;
  s.iterations = 3;
  return s;
}

bool has_device() { return !query_cuda_devices().empty(); }

#define SKIP_WITHOUT_DEVICE() \
  if (!has_device()) GTEST_SKIP() << "no CUDA device visible (CPU-only machine)"

void expect_timed(const Measurement& m, const BenchSettings& settings) {
  ASSERT_EQ(m.times_s.size(), static_cast<std::size_t>(settings.iterations));
  for (const double t : m.times_s) EXPECT_GT(t, 0.0);
}

TEST(CudaBenchNoDevice, ConstructorThrowsCudaErrorWithoutDevice) {
  if (has_device()) GTEST_SKIP() << "a CUDA device is visible";
  EXPECT_THROW(CudaBench bench(0), CudaError);
}

TEST(CudaBenchNoDevice, MultiGpuSweepIsEmptyWithoutDevice) {
  if (has_device()) GTEST_SKIP() << "a CUDA device is visible";
  EXPECT_TRUE(run_multi_gpu_sweep({1024}, quick_settings()).empty());
}

TEST(CudaBenchSession, ReportsDeviceAndVersions) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench(0);
  EXPECT_EQ(bench.device().index, 0);
  EXPECT_FALSE(bench.device().name.empty());
  EXPECT_EQ(bench.device().name, query_cuda_devices().front().name);
  const std::string cublas = bench.cublas_version();
  EXPECT_EQ(std::count(cublas.begin(), cublas.end(), '.'), 2) << cublas;
}

TEST(CudaBenchSession, MissingDeviceThrowsCudaError) {
  SKIP_WITHOUT_DEVICE();
  const int count = static_cast<int>(query_cuda_devices().size());
  EXPECT_THROW(CudaBench bench(count + 100), CudaError);
}

TEST(CudaBenchGemm, Fp32IsCorrectAndCountsFlopsAndBytes) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  const BenchSettings settings = quick_settings();
  const Measurement m = bench.gemm(GemmPoint{256, 128, 64, 1, "fp32"}, settings);
  EXPECT_EQ(m.kernel, "gemm");
  EXPECT_EQ(m.dtype, "fp32");
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{256, 128, 64, 1}));
  // 2 m n k = 2 * 256 * 128 * 64 = 4194304.
  EXPECT_DOUBLE_EQ(m.flops, 4194304.0);
  // (m k + k n + m n) * 4 bytes = (16384 + 8192 + 32768) * 4 = 229376.
  EXPECT_DOUBLE_EQ(m.bytes, 229376.0);
  EXPECT_TRUE(m.correct);
  EXPECT_LE(m.max_relative_error, 1e-5);
  expect_timed(m, settings);
}

TEST(CudaBenchGemm, BatchedBf16IsCorrect) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  const BenchSettings settings = quick_settings();
  const Measurement m = bench.gemm(GemmPoint{96, 80, 72, 3, "bf16"}, settings);
  EXPECT_EQ(m.kernel, "batched_gemm");
  EXPECT_EQ(m.dtype, "bf16");
  // 2 * 96 * 80 * 72 * 3 = 3317760.
  EXPECT_DOUBLE_EQ(m.flops, 3317760.0);
  // (96*72 + 72*80 + 96*80) * 3 * 2 bytes = (6912 + 5760 + 7680) * 6 = 122112.
  EXPECT_DOUBLE_EQ(m.bytes, 122112.0);
  EXPECT_TRUE(m.correct);
  expect_timed(m, settings);
}

TEST(CudaBenchGemm, EveryDtypeIsCorrectOnOddShapes) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  for (const std::string dtype : {"fp32", "tf32", "fp16", "bf16", "fp64"}) {
    for (const std::int64_t batch : {1, 2}) {
      const Measurement m = bench.gemm(GemmPoint{33, 17, 129, batch, dtype}, quick_settings());
      EXPECT_TRUE(m.correct) << dtype << " batch " << batch;
    }
  }
}

// The backward's layouts: nt (dX = dY W^T, B stored n x k) and tn (dW += X^T dY, A stored k x m,
// accumulating). Each point's own check recomputes sampled C entries on the host from the
// documented storage, so an operand read with the wrong transpose or leading dimension fails
// it; m, n and k differ, so no transpose can pass by symmetry.
TEST(CudaBenchGemm, EveryLayoutIsCorrectOnOddShapes) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  for (const std::string layout : {"nt", "tn"}) {
    for (const std::string dtype : {"fp32", "tf32", "fp16", "bf16", "fp64"}) {
      for (const auto& [m, n, k] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{33, 17, 129}, {129, 65, 5}}) {
        const Measurement r = bench.gemm(GemmPoint{m, n, k, 1, dtype, layout}, quick_settings());
        EXPECT_TRUE(r.correct) << layout << " " << dtype;
        EXPECT_EQ(r.kernel, "gemm_" + layout);
        EXPECT_DOUBLE_EQ(r.flops, 2.0 * static_cast<double>(m * n * k));
      }
    }
  }
}

TEST(CudaBenchGemm, BatchedProductsRunLayoutNnOnly) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  EXPECT_THROW(bench.gemm(GemmPoint{64, 64, 64, 2, "fp32", "tn"}, quick_settings()), KernelError);
  EXPECT_THROW(bench.gemm(GemmPoint{64, 64, 64, 1, "fp32", "tt"}, quick_settings()), KernelError);
}

TEST(CudaBenchGemm, RejectsUnknownDtypeAndBadShape) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  EXPECT_THROW(bench.gemm(GemmPoint{8, 8, 8, 1, "int8"}, quick_settings()), KernelError);
  EXPECT_THROW(bench.gemm(GemmPoint{8, 0, 8, 1, "fp32"}, quick_settings()), KernelError);
  BenchSettings none = quick_settings();
  none.iterations = 0;
  EXPECT_THROW(bench.gemm(GemmPoint{8, 8, 8, 1, "fp32"}, none), KernelError);
}

TEST(CudaBenchGemm, RefusesMatricesBeyondDeviceMemory) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  // 3 * 2^20 * 2^20 fp32 elements (12 TiB) exceed any device.
  EXPECT_THROW(bench.gemm(GemmPoint{1 << 20, 1 << 20, 1 << 20, 1, "fp32"}, quick_settings()),
               KernelError);
}

struct BandwidthCase {
  std::string kernel;
  std::string dtype;
  double bytes;  // counted bytes at a request of 16 MiB = 16777216
};

TEST(CudaBenchBandwidth, EveryKernelIsCorrectAtSixteenMiB) {
  SKIP_WITHOUT_DEVICE();
  const std::vector<BandwidthCase> cases{
      // n = 16777216 / 12 = 1398101 elements, 12 n = 16777212 bytes.
      {"elementwise", "fp32", 16777212.0},
      // 16777216 / (8 * 1024) = 2048 rows exactly.
      {"layer_norm", "fp32", 16777216.0},
      {"softmax", "fp32", 16777216.0},
      // 16777216 / 9216 = 1820 bags (rest 4096), 1820 * 9216 = 16773120.
      {"embedding_bag", "fp32", 16773120.0},
      // 2 * (16777216 / 2).
      {"copy_d2d", "", 16777216.0},
      {"copy_h2d", "", 16777216.0},
      {"copy_d2h", "", 16777216.0}};
  CudaBench bench;
  const BenchSettings settings = quick_settings();
  for (const BandwidthCase& c : cases) {
    SCOPED_TRACE(c.kernel);
    const Measurement m = bench.bandwidth(c.kernel, 16 * kMiB, settings);
    EXPECT_EQ(m.kernel, c.kernel);
    EXPECT_EQ(m.dtype, c.dtype);
    EXPECT_EQ(m.shape, (std::vector<std::int64_t>{16 * kMiB}));
    EXPECT_DOUBLE_EQ(m.bytes, c.bytes);
    EXPECT_TRUE(m.correct) << "max relative error " << m.max_relative_error;
    expect_timed(m, settings);
  }
}

TEST(CudaBenchBandwidth, ElementwiseCountsOneMultiplyAddPerElement) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  // n = 12000 / 12 = 1000 elements, 2 FLOPs each.
  const Measurement m = bench.bandwidth("elementwise", 12000, quick_settings());
  EXPECT_DOUBLE_EQ(m.flops, 2000.0);
  EXPECT_DOUBLE_EQ(m.bytes, 12000.0);
  EXPECT_TRUE(m.correct);
}

TEST(CudaBenchBandwidth, SmallAndOddSizesAreCorrect) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  for (const std::string kernel : {"elementwise", "layer_norm", "softmax", "embedding_bag",
                                   "copy_d2d", "copy_h2d", "copy_d2h"}) {
    for (const std::int64_t bytes : {std::int64_t{1024}, std::int64_t{100003}}) {
      const Measurement m = bench.bandwidth(kernel, bytes, quick_settings());
      EXPECT_TRUE(m.correct) << kernel << " at " << bytes << " bytes";
      EXPECT_GT(m.bytes, 0.0) << kernel;
    }
  }
}

TEST(CudaBenchBandwidth, RejectsUnknownKernelAndTinySize) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  EXPECT_THROW(bench.bandwidth("transpose", 16 * kMiB, quick_settings()), KernelError);
  EXPECT_THROW(bench.bandwidth("copy_d2d", 1023, quick_settings()), KernelError);
}

TEST(CudaBenchLaunch, OverheadIsBetweenATenthAndAHundredMicroseconds) {
  SKIP_WITHOUT_DEVICE();
  CudaBench bench;
  const BenchSettings settings = quick_settings();
  const Measurement m = bench.launch_overhead(settings);
  EXPECT_EQ(m.kernel, "launch");
  EXPECT_TRUE(m.correct);
  expect_timed(m, settings);
  EXPECT_GT(m.median_s(), 0.1e-6);
  EXPECT_LT(m.median_s(), 100e-6);
}

TEST(CudaBenchMultiGpu, SweepNeedsTwoDevices) {
  SKIP_WITHOUT_DEVICE();
  const std::vector<Measurement> out = run_multi_gpu_sweep({4096, kMiB}, quick_settings());
  if (query_cuda_devices().size() < 2) {
    EXPECT_TRUE(out.empty());
    return;
  }
  ASSERT_FALSE(out.empty());
  for (const Measurement& m : out) EXPECT_TRUE(m.correct) << m.kernel << " " << m.shape.at(0);
}

}  // namespace
}  // namespace gppsim::kernels
