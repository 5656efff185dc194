#include "sim/hw/device_spec.h"

#include <cmath>

namespace gppsim::hw {
namespace {

using core::Bytes;
using core::BytesPerSecond;
using core::Dtype;
using core::FlopsPerSecond;
using core::Seconds;

constexpr double kTera = 1e12;
constexpr double kGiga = 1e9;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Every vendor figure below is the dense (no 2:4 sparsity) peak from the datasheet named in the
// comment; "GB/s" there is decimal (1e9 B/s) and memory sizes are binary (GiB).
// max_gemm_efficiency = 0.8: cuBLAS on large square GEMMs reaches roughly 75-90 % of the
// datasheet peak on V100/A100/H100 (clock throttling under sustained tensor-core load keeps it
// below 1); 0.8 is the single best-case factor until a calibrated profile replaces the spec.
// gemm_tile = 128: the 128 x 128 output tile of the common cuBLAS/CUTLASS kernels, which sets
// how many thread blocks (tiles) a GEMM launches and so its wave quantisation.
constexpr double kMaxGemmEfficiency = 0.8;
constexpr int kGemmTile = 128;

DeviceSpec v100_sxm2_16gb() {
  // NVIDIA Tesla V100 datasheet (SXM2): FP32 15.7 TFLOPS, Tensor Performance (FP16 in, FP32
  // accumulate) 125 TFLOPS, HBM2 900 GB/s, 16 GB; GV100 with 80 SMs. No TF32 or BF16 units.
  DeviceSpec d;
  d.name = "v100-sxm2-16gb";
  d.peak = {{Dtype::kFp32, FlopsPerSecond(15.7 * kTera)},
            {Dtype::kFp16, FlopsPerSecond(125.0 * kTera)}};
  d.memory_bandwidth = BytesPerSecond(900.0 * kGiga);
  d.memory_capacity = Bytes(16.0 * kGiB);
  d.launch_overhead = Seconds(5e-6);
  d.sm_count = 80;
  d.gemm_tile = kGemmTile;
  d.max_gemm_efficiency = kMaxGemmEfficiency;
  return d;
}

DeviceSpec a100_sxm4(const char* name, double bandwidth_gb_s, double capacity_gib) {
  // NVIDIA A100 Tensor Core GPU datasheet (SXM4): FP32 19.5 TFLOPS, TF32 Tensor Core 156 TFLOPS,
  // FP16 and BF16 Tensor Core 312 TFLOPS (dense); 40GB: HBM2 1,555 GB/s; 80GB: HBM2e
  // 2,039 GB/s; GA100 as shipped has 108 SMs.
  DeviceSpec d;
  d.name = name;
  d.peak = {{Dtype::kFp32, FlopsPerSecond(19.5 * kTera)},
            {Dtype::kTf32, FlopsPerSecond(156.0 * kTera)},
            {Dtype::kFp16, FlopsPerSecond(312.0 * kTera)},
            {Dtype::kBf16, FlopsPerSecond(312.0 * kTera)}};
  d.memory_bandwidth = BytesPerSecond(bandwidth_gb_s * kGiga);
  d.memory_capacity = Bytes(capacity_gib * kGiB);
  d.launch_overhead = Seconds(4e-6);
  d.sm_count = 108;
  d.gemm_tile = kGemmTile;
  d.max_gemm_efficiency = kMaxGemmEfficiency;
  return d;
}

DeviceSpec h100_sxm5_80gb() {
  // NVIDIA H100 Tensor Core GPU datasheet (SXM5): FP32 67 TFLOPS, TF32 Tensor Core 989 TFLOPS
  // and FP16/BF16 Tensor Core 1,979 TFLOPS *with sparsity*, i.e. 494.7 and 989.4 dense;
  // HBM3 3.35 TB/s, 80 GB; GH100 SXM5 has 132 SMs.
  DeviceSpec d;
  d.name = "h100-sxm5-80gb";
  d.peak = {{Dtype::kFp32, FlopsPerSecond(67.0 * kTera)},
            {Dtype::kTf32, FlopsPerSecond(494.7 * kTera)},
            {Dtype::kFp16, FlopsPerSecond(989.4 * kTera)},
            {Dtype::kBf16, FlopsPerSecond(989.4 * kTera)}};
  d.memory_bandwidth = BytesPerSecond(3350.0 * kGiga);
  d.memory_capacity = Bytes(80.0 * kGiB);
  d.launch_overhead = Seconds(3e-6);
  d.sm_count = 132;
  d.gemm_tile = kGemmTile;
  d.max_gemm_efficiency = kMaxGemmEfficiency;
  return d;
}

}  // namespace

std::optional<core::FlopsPerSecond> DeviceSpec::peak_for(core::Dtype d) const {
  const auto it = peak.find(d);
  if (it == peak.end()) return std::nullopt;
  return it->second;
}

const std::vector<DeviceSpec>& device_presets() {
  static const std::vector<DeviceSpec> kPresets{
      v100_sxm2_16gb(),
      a100_sxm4("a100-sxm4-40gb", 1555.0, 40.0),
      a100_sxm4("a100-sxm4-80gb", 2039.0, 80.0),
      h100_sxm5_80gb(),
  };
  return kPresets;
}

std::optional<DeviceSpec> find_device_preset(std::string_view name) {
  for (const DeviceSpec& d : device_presets()) {
    if (d.name == name) return d;
  }
  return std::nullopt;
}

}  // namespace gppsim::hw
