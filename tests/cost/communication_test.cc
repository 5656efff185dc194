#include "sim/cost/communication.h"

#include <gtest/gtest.h>

#include "sim/core/errors.h"

namespace gppsim::cost {
namespace {

using core::Bytes;

// Summit with 2 nodes: devices 0-3 on node 0, 4-7 on node 1; NVLink 50 GB/s, 5 us;
// InfiniBand 12.5 GB/s per direction, 5 us per link (an inter-node route crosses 2 links).
hw::Topology summit2() {
  hw::ClusterSpec c = *hw::find_cluster_preset("summit");
  c.nodes = 2;
  return hw::Topology(c);
}

void expect_rel(core::Seconds actual, double expected) {
  EXPECT_NEAR(actual.value(), expected, 1e-12 * expected) << "expected " << expected;
}

TEST(TransferTime, IntraAndInterNode) {
  const hw::Topology t = summit2();
  // intra: 5 us + 1e9 B / 50e9 B/s = 20.005 ms
  expect_rel(transfer_time(t, 0, 1, Bytes(1e9)), 0.020005);
  // inter: 5 us + 5 us + 1e9 / 12.5e9 = 80.01 ms
  expect_rel(transfer_time(t, 0, 4, Bytes(1e9)), 0.08001);
  expect_rel(transfer_time(t, 7, 2, Bytes(1e9)), 0.08001);
  EXPECT_EQ(transfer_time(t, 3, 3, Bytes(1e9)).value(), 0.0);
  expect_rel(transfer_time(t, 1, 0, Bytes(0.0)), 5e-6);  // latency only
}

TEST(TransferTime, DgxA100InterNode) {
  hw::ClusterSpec c = *hw::find_cluster_preset("dgx-a100");
  c.nodes = 2;
  const hw::Topology t(c);
  // 5 + 5 us + 4e9 B / 200e9 B/s = 20.01 ms; intra: 3 us + 4e9 / 300e9 = 13.336667 ms
  expect_rel(transfer_time(t, 0, 8, Bytes(4e9)), 0.02001);
  expect_rel(transfer_time(t, 0, 7, Bytes(4e9)), 3e-6 + 4e9 / 300e9);
}

TEST(TransferTime, InvalidDeviceIsInternalError) {
  const hw::Topology t = summit2();
  EXPECT_THROW((void)transfer_time(t, 0, 8, Bytes(1.0)), core::InternalError);
  EXPECT_THROW((void)transfer_time(t, 9, 9, Bytes(1.0)), core::InternalError);
}

TEST(RingAllReduce, FourGpusOfOneNode) {
  const hw::Topology t = summit2();
  // n = 4: 2 * 3 = 6 steps of chunk 400e6 / 4 = 100e6 B over one NVLink each:
  // 6 * (5 us + 100e6 / 50e9) = 6 * 2.005 ms = 12.03 ms.
  expect_rel(ring_allreduce_time(t, {0, 1, 2, 3}, Bytes(400e6)), 0.01203);
}

TEST(RingAllReduce, EightGpusTwoNodesNodeContiguousRing) {
  const hw::Topology t = summit2();
  // hops 3->4 (n0.up, n1.down) and 7->0 (n1.up, n0.down) each use their links alone; the
  // slowest hop is 12.5 GB/s with 10 us latency. 14 steps of 800e6 / 8 = 100e6 B:
  // 14 * (10 us + 100e6 / 12.5e9) = 14 * 8.01 ms = 112.14 ms.
  expect_rel(ring_allreduce_time(t, {0, 1, 2, 3, 4, 5, 6, 7}, Bytes(800e6)), 0.11214);
}

TEST(RingAllReduce, InterleavedRingSharesUplinks) {
  const hw::Topology t = summit2();
  // ring 0,4,1,5,2,6,3,7: every hop crosses nodes; n0.up carries 0->4, 1->5, 2->6, 3->7 (4
  // hops), so each gets 12.5e9 / 4 = 3.125e9 B/s (likewise n1.up, n0.down, n1.down).
  // 14 * (10 us + 100e6 / 3.125e9) = 14 * 32.01 ms = 448.14 ms.
  expect_rel(ring_allreduce_time(t, {0, 4, 1, 5, 2, 6, 3, 7}, Bytes(800e6)), 0.44814);
}

TEST(RingAllReduce, TwoDevices) {
  const hw::Topology t = summit2();
  // n = 2: 2 steps of 1e9 / 2 B. Intra: 2 * (5 us + 0.5e9 / 50e9) = 20.01 ms.
  expect_rel(ring_allreduce_time(t, {0, 1}, Bytes(1e9)), 0.02001);
  // Across nodes 0->4 and 4->0 use different up/down links: 2 * (10 us + 0.5e9 / 12.5e9).
  expect_rel(ring_allreduce_time(t, {0, 4}, Bytes(1e9)), 2 * (10e-6 + 0.04));
}

TEST(RingAllReduce, TrivialCasesAreFree) {
  const hw::Topology t = summit2();
  EXPECT_EQ(ring_allreduce_time(t, {}, Bytes(1e9)).value(), 0.0);
  EXPECT_EQ(ring_allreduce_time(t, {5}, Bytes(1e9)).value(), 0.0);
  EXPECT_EQ(ring_allreduce_time(t, {0, 1, 2}, Bytes(0.0)).value(), 0.0);
}

TEST(RingAllReduce, BadRingIsInternalError) {
  const hw::Topology t = summit2();
  EXPECT_THROW((void)ring_allreduce_time(t, {0, 1, 0}, Bytes(1.0)), core::InternalError);
  EXPECT_THROW((void)ring_allreduce_time(t, {0, 8}, Bytes(1.0)), core::InternalError);
}

}  // namespace
}  // namespace gppsim::cost
