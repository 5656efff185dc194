#pragma once
// Links as shared resources and the route between every pair of devices.
//
// Within a node every ordered pair of GPUs has its own link (NVLink / NVSwitch port pair).
// Each node has one network uplink and one downlink; a transfer between nodes crosses the
// source node's uplink and the destination node's downlink, so flows leaving one node share
// its uplink. Links are directional (full duplex = two links).

#include <cstddef>
#include <string>
#include <vector>

#include "sim/core/units.h"
#include "sim/hw/cluster.h"

namespace gppsim::hw {

/// Index of a link in its Topology.
using LinkId = std::size_t;
/// Index of a device, 0..num_devices-1, node-major.
using DeviceId = int;

/// One directional link.
struct Link {
  std::string name;  ///< "n0.g1->n0.g2", "n0.up", "n1.down"
  LinkSpec spec;
};

/// The links a transfer from one device to another crosses, in order.
struct Route {
  std::vector<LinkId> links;
};

/// Every link of a cluster and the route between any two devices.
class Topology {
 public:
  explicit Topology(const ClusterSpec& cluster);

  [[nodiscard]] const ClusterSpec& cluster() const { return cluster_; }
  [[nodiscard]] int num_devices() const { return cluster_.num_devices(); }
  [[nodiscard]] const std::vector<Link>& links() const { return links_; }
  [[nodiscard]] const Link& link(LinkId id) const;
  [[nodiscard]] int node_of(DeviceId d) const;
  /// The route from `src` to `dst` (src != dst; both in range).
  [[nodiscard]] Route route(DeviceId src, DeviceId dst) const;
  /// Sum of the route's latencies.
  [[nodiscard]] core::Seconds route_latency(const Route& r) const;
  /// The smallest bandwidth along the route.
  [[nodiscard]] core::BytesPerSecond route_bandwidth(const Route& r) const;

 private:
  ClusterSpec cluster_;
  std::vector<Link> links_;
};

}  // namespace gppsim::hw
