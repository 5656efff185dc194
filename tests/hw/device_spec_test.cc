#include "sim/hw/device_spec.h"

#include <gtest/gtest.h>

namespace gppsim::hw {
namespace {

using core::Dtype;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Expected values are the datasheet figures of the task (dense peaks; 1 TFLOP/s = 1e12 FLOP/s,
// 1 GB/s = 1e9 B/s, capacities in GiB = 2^30 B).

TEST(DeviceSpec, V100EveryField) {
  const std::optional<DeviceSpec> d = find_device_preset("v100-sxm2-16gb");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "v100-sxm2-16gb");
  EXPECT_EQ(d->peak.size(), 2u);  // fp32 and fp16 only
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp32)->value(), 15.7e12);
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp16)->value(), 125e12);
  EXPECT_FALSE(d->peak_for(Dtype::kTf32).has_value());
  EXPECT_FALSE(d->peak_for(Dtype::kBf16).has_value());
  EXPECT_DOUBLE_EQ(d->memory_bandwidth.value(), 900e9);
  EXPECT_DOUBLE_EQ(d->memory_capacity.value(), 17179869184.0);  // 16 * 2^30
  EXPECT_DOUBLE_EQ(d->launch_overhead.value(), 5e-6);
  EXPECT_EQ(d->sm_count, 80);
  EXPECT_EQ(d->gemm_tile, 128);
  EXPECT_DOUBLE_EQ(d->max_gemm_efficiency, 0.8);
}

TEST(DeviceSpec, A100FortyAndEighty) {
  const auto a40 = find_device_preset("a100-sxm4-40gb");
  const auto a80 = find_device_preset("a100-sxm4-80gb");
  ASSERT_TRUE(a40.has_value());
  ASSERT_TRUE(a80.has_value());
  for (const DeviceSpec* d : {&*a40, &*a80}) {
    EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp32)->value(), 19.5e12);
    EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kTf32)->value(), 156e12);
    EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp16)->value(), 312e12);
    EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kBf16)->value(), 312e12);
    EXPECT_DOUBLE_EQ(d->launch_overhead.value(), 4e-6);
    EXPECT_EQ(d->sm_count, 108);
    EXPECT_EQ(d->gemm_tile, 128);
    EXPECT_DOUBLE_EQ(d->max_gemm_efficiency, 0.8);
  }
  EXPECT_DOUBLE_EQ(a40->memory_bandwidth.value(), 1555e9);
  EXPECT_DOUBLE_EQ(a40->memory_capacity.value(), 40.0 * kGiB);
  EXPECT_DOUBLE_EQ(a80->memory_bandwidth.value(), 2039e9);
  EXPECT_DOUBLE_EQ(a80->memory_capacity.value(), 80.0 * kGiB);
}

TEST(DeviceSpec, H100) {
  const auto d = find_device_preset("h100-sxm5-80gb");
  ASSERT_TRUE(d.has_value());
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp32)->value(), 67e12);
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kTf32)->value(), 494.7e12);
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kFp16)->value(), 989.4e12);
  EXPECT_DOUBLE_EQ(d->peak_for(Dtype::kBf16)->value(), 989.4e12);
  EXPECT_DOUBLE_EQ(d->memory_bandwidth.value(), 3350e9);
  EXPECT_DOUBLE_EQ(d->memory_capacity.value(), 85899345920.0);  // 80 * 2^30
  EXPECT_DOUBLE_EQ(d->launch_overhead.value(), 3e-6);
  EXPECT_EQ(d->sm_count, 132);
}

TEST(DeviceSpec, PresetListAndExactNameLookup) {
  const std::vector<DeviceSpec>& all = device_presets();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, "v100-sxm2-16gb");
  EXPECT_EQ(all[1].name, "a100-sxm4-40gb");
  EXPECT_EQ(all[2].name, "a100-sxm4-80gb");
  EXPECT_EQ(all[3].name, "h100-sxm5-80gb");
  EXPECT_FALSE(find_device_preset("V100-SXM2-16GB").has_value());  // exact, case-sensitive
  EXPECT_FALSE(find_device_preset("v100").has_value());
  EXPECT_FALSE(find_device_preset("").has_value());
}

TEST(DeviceSpec, PeakForOnCustomSpec) {
  DeviceSpec d;
  EXPECT_FALSE(d.peak_for(Dtype::kFp32).has_value());
  d.peak[Dtype::kBf16] = core::FlopsPerSecond(7.0);
  EXPECT_DOUBLE_EQ(d.peak_for(Dtype::kBf16)->value(), 7.0);
  EXPECT_FALSE(d.peak_for(Dtype::kFp16).has_value());
}

}  // namespace
}  // namespace gppsim::hw
