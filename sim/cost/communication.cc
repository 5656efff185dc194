#include "sim/cost/communication.h"

#include <map>
#include <set>

#include "sim/core/check.h"

namespace gppsim::cost {

core::Seconds transfer_time(const hw::Topology& topology, hw::DeviceId src, hw::DeviceId dst,
                            core::Bytes bytes) {
  // node_of validates both ids even when no route is needed.
  (void)topology.node_of(src);
  (void)topology.node_of(dst);
  if (src == dst) return core::Seconds(0.0);
  const hw::Route r = topology.route(src, dst);
  return topology.route_latency(r) + bytes / topology.route_bandwidth(r);
}

namespace {

/// The figures of `ring` (devices distinct and valid) on `topology`.
RingFigures ring_figures(const hw::Topology& topology, const std::vector<hw::DeviceId>& ring) {
  const std::size_t n = ring.size();
  GPPSIM_CHECK(std::set<hw::DeviceId>(ring.begin(), ring.end()).size() == n,
               "ring all-reduce over a ring that lists a device twice");
  for (hw::DeviceId d : ring) (void)topology.node_of(d);
  RingFigures f;
  f.devices = n;
  if (n <= 1) return f;

  std::vector<hw::Route> hops;
  hops.reserve(n);
  std::map<hw::LinkId, int> users;
  for (std::size_t i = 0; i < n; ++i) {
    hops.push_back(topology.route(ring[i], ring[(i + 1) % n]));
    for (hw::LinkId l : hops.back().links) ++users[l];
  }
  f.min_bandwidth = topology.link(hops.front().links.front()).spec.bandwidth;
  for (const hw::Route& hop : hops) {
    f.max_latency = core::max(f.max_latency, topology.route_latency(hop));
    for (hw::LinkId l : hop.links) {
      const core::BytesPerSecond share =
          topology.link(l).spec.bandwidth / static_cast<double>(users.at(l));
      f.min_bandwidth = core::min(f.min_bandwidth, share);
    }
  }
  return f;
}

}  // namespace

core::Seconds ring_allreduce_time(const RingFigures& ring, core::Bytes bytes) {
  const std::size_t n = ring.devices;
  if (n <= 1 || bytes.value() == 0.0) return core::Seconds(0.0);
  const auto steps = static_cast<double>(2 * (n - 1));
  const core::Bytes chunk = bytes / static_cast<double>(n);
  return (ring.max_latency + chunk / ring.min_bandwidth) * steps;
}

core::Seconds ring_allreduce_time(const hw::Topology& topology,
                                  const std::vector<hw::DeviceId>& ring, core::Bytes bytes) {
  return ring_allreduce_time(ring_figures(topology, ring), bytes);
}

}  // namespace gppsim::cost
