#pragma once
// A cluster: nodes x gpus_per_node devices of one type, an intra-node and an inter-node link type.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/units.h"
#include "sim/hw/device_profile.h"
#include "sim/hw/device_spec.h"

namespace gppsim::hw {

/// Bandwidth and latency of one link type (one direction; links are full duplex).
struct LinkSpec {
  core::BytesPerSecond bandwidth;
  core::Seconds latency;
};

/// A homogeneous cluster. Devices are numbered node-major: device d is on node d / gpus_per_node.
struct ClusterSpec {
  std::string name;
  int nodes = 1;
  int gpus_per_node = 1;
  DeviceSpec device;     ///< datasheet, or a calibrated profile's summary_spec()
  /// The calibrated profile the device was read from (cluster.device: FILE.yaml); null for a
  /// datasheet preset. Costs come from it when present (cost::make_compute_cost_source).
  std::shared_ptr<const DeviceProfile> profile;
  LinkSpec intra_node;   ///< between two GPUs of a node (NVLink, PCIe)
  LinkSpec inter_node;   ///< each node's network interface, per direction

  [[nodiscard]] int num_devices() const { return nodes * gpus_per_node; }
};

/// Built-in presets: summit (4 V100 per node, NVLink 50 GB/s, EDR InfiniBand 100 Gb/s),
/// dgx-a100 (8 A100-80GB, NVSwitch 300 GB/s, 8 x 200 Gb/s HDR), dgx-h100 (8 H100, 450 GB/s,
/// 8 x 400 Gb/s NDR). Node counts default to 1; scenarios override nodes and gpus_per_node.
const std::vector<ClusterSpec>& cluster_presets();
/// The preset with this name, if any.
std::optional<ClusterSpec> find_cluster_preset(std::string_view name);

}  // namespace gppsim::hw
