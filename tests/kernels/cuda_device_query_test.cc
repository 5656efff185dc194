#include <gtest/gtest.h>

#include "kernels/cuda/device_query.h"

namespace gppsim::kernels {
namespace {

TEST(CudaDevices, VisibleDevicesHaveSaneProperties) {
  const auto devices = query_cuda_devices();
  if (devices.empty()) GTEST_SKIP() << "no CUDA device visible (CPU-only machine)";
  for (const auto& d : devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GE(d.compute_capability_major, 7);  // the toolkit targets 7.5 and newer
    EXPECT_GT(d.sm_count, 0);
    EXPECT_GT(d.memory_bytes, std::int64_t{1} << 30);
    EXPECT_GT(d.runtime_version, 0);
  }
}

}  // namespace
}  // namespace gppsim::kernels
