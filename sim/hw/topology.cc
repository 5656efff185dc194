#include "sim/hw/topology.h"

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::hw {
namespace {

// Link layout (sim/hw/README.md): node k's intra-node pair links come first, k-major, then i
// (source GPU within the node), then j != i (destination); after all pair links, each node has
// its uplink at 2k and its downlink at 2k + 1 of the network block.
LinkId pair_link_id(int gpus_per_node, int node, int i, int j) {
  const int per_node = gpus_per_node * (gpus_per_node - 1);
  const int j_slot = j < i ? j : j - 1;
  return static_cast<LinkId>(node * per_node + i * (gpus_per_node - 1) + j_slot);
}

LinkId network_base(const ClusterSpec& c) {
  return static_cast<LinkId>(c.nodes * c.gpus_per_node * (c.gpus_per_node - 1));
}

}  // namespace

Topology::Topology(const ClusterSpec& cluster) : cluster_(cluster) {
  GPPSIM_CHECK(cluster_.nodes >= 1 && cluster_.gpus_per_node >= 1,
               fmt::format("cluster '{}' needs nodes >= 1 and gpus_per_node >= 1, got {} x {}",
                           cluster_.name, cluster_.nodes, cluster_.gpus_per_node));
  const int g = cluster_.gpus_per_node;
  for (int node = 0; node < cluster_.nodes; ++node) {
    for (int i = 0; i < g; ++i) {
      for (int j = 0; j < g; ++j) {
        if (i == j) continue;
        links_.push_back({fmt::format("n{}.g{}->n{}.g{}", node, i, node, j), cluster_.intra_node});
      }
    }
  }
  for (int node = 0; node < cluster_.nodes; ++node) {
    links_.push_back({fmt::format("n{}.up", node), cluster_.inter_node});
    links_.push_back({fmt::format("n{}.down", node), cluster_.inter_node});
  }
}

const Link& Topology::link(LinkId id) const {
  GPPSIM_CHECK(id < links_.size(),
               fmt::format("link id {} out of range (topology has {} links)", id, links_.size()));
  return links_[id];
}

int Topology::node_of(DeviceId d) const {
  GPPSIM_CHECK(d >= 0 && d < num_devices(),
               fmt::format("device id {} out of range 0..{}", d, num_devices() - 1));
  return d / cluster_.gpus_per_node;
}

Route Topology::route(DeviceId src, DeviceId dst) const {
  const int src_node = node_of(src);
  const int dst_node = node_of(dst);
  GPPSIM_CHECK(src != dst, fmt::format("no route from device {} to itself", src));
  const int g = cluster_.gpus_per_node;
  if (src_node == dst_node) {
    return Route{{pair_link_id(g, src_node, src % g, dst % g)}};
  }
  const LinkId base = network_base(cluster_);
  return Route{{base + 2 * static_cast<LinkId>(src_node),
                base + 2 * static_cast<LinkId>(dst_node) + 1}};
}

core::Seconds Topology::route_latency(const Route& r) const {
  GPPSIM_CHECK(!r.links.empty(), "route_latency of an empty route");
  core::Seconds total;
  for (LinkId id : r.links) total += link(id).spec.latency;
  return total;
}

core::BytesPerSecond Topology::route_bandwidth(const Route& r) const {
  GPPSIM_CHECK(!r.links.empty(), "route_bandwidth of an empty route");
  core::BytesPerSecond slowest = link(r.links.front()).spec.bandwidth;
  for (LinkId id : r.links) slowest = core::min(slowest, link(id).spec.bandwidth);
  return slowest;
}

}  // namespace gppsim::hw
