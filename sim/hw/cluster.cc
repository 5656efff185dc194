#include "sim/hw/cluster.h"

#include "sim/core/check.h"

namespace gppsim::hw {
namespace {

using core::BytesPerSecond;
using core::Seconds;

constexpr double kGiga = 1e9;

DeviceSpec preset_device(std::string_view name) {
  std::optional<DeviceSpec> d = find_device_preset(name);
  GPPSIM_CHECK(d.has_value(), "cluster preset names an unknown device preset");
  return *d;
}

ClusterSpec summit() {
  // OLCF Summit node: 6 V100-SXM2-16GB (we model the 4 GPUs per node of GraphPipe's runs);
  // GPUs of a socket are joined by 2 NVLink2 bricks of 25 GB/s each, 50 GB/s per direction.
  // Nodes: Mellanox EDR InfiniBand, 100 Gb/s = 12.5 GB/s per direction per node.
  ClusterSpec c;
  c.name = "summit";
  c.nodes = 1;
  c.gpus_per_node = 4;
  c.device = preset_device("v100-sxm2-16gb");
  c.intra_node = {BytesPerSecond(50.0 * kGiga), Seconds(5e-6)};
  c.inter_node = {BytesPerSecond(100.0 * kGiga / 8.0), Seconds(5e-6)};
  return c;
}

ClusterSpec dgx_a100() {
  // NVIDIA DGX A100: 8 A100-SXM4-80GB on NVSwitch, 600 GB/s bidirectional = 300 GB/s per
  // direction per GPU; 8 ConnectX-6 HDR 200 Gb/s compute NICs = 1600 Gb/s = 200 GB/s per node.
  ClusterSpec c;
  c.name = "dgx-a100";
  c.nodes = 1;
  c.gpus_per_node = 8;
  c.device = preset_device("a100-sxm4-80gb");
  c.intra_node = {BytesPerSecond(300.0 * kGiga), Seconds(3e-6)};
  c.inter_node = {BytesPerSecond(8.0 * 200.0 * kGiga / 8.0), Seconds(5e-6)};
  return c;
}

ClusterSpec dgx_h100() {
  // NVIDIA DGX H100: 8 H100-SXM5-80GB, NVLink4 900 GB/s bidirectional = 450 GB/s per direction;
  // 8 ConnectX-7 NDR 400 Gb/s compute NICs = 3200 Gb/s = 400 GB/s per node.
  ClusterSpec c;
  c.name = "dgx-h100";
  c.nodes = 1;
  c.gpus_per_node = 8;
  c.device = preset_device("h100-sxm5-80gb");
  c.intra_node = {BytesPerSecond(450.0 * kGiga), Seconds(2e-6)};
  c.inter_node = {BytesPerSecond(8.0 * 400.0 * kGiga / 8.0), Seconds(5e-6)};
  return c;
}

}  // namespace

const std::vector<ClusterSpec>& cluster_presets() {
  static const std::vector<ClusterSpec> kPresets{summit(), dgx_a100(), dgx_h100()};
  return kPresets;
}

std::optional<ClusterSpec> find_cluster_preset(std::string_view name) {
  for (const ClusterSpec& c : cluster_presets()) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

}  // namespace gppsim::hw
