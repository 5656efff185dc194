#pragma once
// Closed-form communication costs on a Topology, for planners and for checking the simulator
// (which shares links dynamically). Formulas: sim/cost/README.md.

#include <vector>

#include "sim/core/units.h"
#include "sim/hw/topology.h"

namespace gppsim::cost {

/// Time of one point-to-point transfer of `bytes` from `src` to `dst` on an otherwise idle
/// network: route latency + bytes / route bandwidth (the route's slowest link). 0 when
/// src == dst; a transfer of 0 bytes between two devices still pays the latency. Invalid
/// device ids are an InternalError.
core::Seconds transfer_time(const hw::Topology& topology, hw::DeviceId src, hw::DeviceId dst,
                            core::Bytes bytes);

/// Time of a ring all-reduce of `bytes` (the full buffer on every device) over `ring`, in the
/// given order (hop i goes ring[i] -> ring[(i + 1) % n]). Devices must be distinct and valid.
/// With n = ring.size(): 0 when n <= 1 or bytes == 0; otherwise
///   2 (n - 1) * (max hop latency + (bytes / n) / min hop bandwidth),
/// a reduce-scatter plus an all-gather of n - 1 steps each, every step sending one bytes/n
/// chunk per hop at once. A hop's bandwidth is min over its route's links of
/// link bandwidth / (number of ring hops whose route uses that link): hops that share a link
/// (several hops leaving one node through its uplink) split it evenly, which is the max-min
/// fair share of the bottleneck link because all hops send equal chunks at the same time.
core::Seconds ring_allreduce_time(const hw::Topology& topology,
                                  const std::vector<hw::DeviceId>& ring, core::Bytes bytes);

/// What ring_allreduce_time needs of a ring besides the bytes: its size, the largest hop
/// latency and the smallest hop bandwidth share (zero below two devices). For callers that know
/// them without a topology (StageEstimator's one-link rings).
struct RingFigures {
  std::size_t devices = 0;
  core::Seconds max_latency;
  core::BytesPerSecond min_bandwidth;
};
/// ring_allreduce_time from the ring's figures: the same value, bit for bit.
core::Seconds ring_allreduce_time(const RingFigures& ring, core::Bytes bytes);

}  // namespace gppsim::cost
