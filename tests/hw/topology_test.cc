#include "sim/hw/topology.h"

#include <gtest/gtest.h>

#include "sim/core/errors.h"

namespace gppsim::hw {
namespace {

ClusterSpec summit_nodes(int nodes) {
  ClusterSpec c = *find_cluster_preset("summit");
  c.nodes = nodes;
  return c;
}

TEST(Topology, SummitTwoNodesLinkCountAndOrder) {
  const Topology t(summit_nodes(2));
  EXPECT_EQ(t.num_devices(), 8);
  // 2 nodes x 4 GPUs x 3 peers = 24 pair links, then 2 nodes x (up, down) = 4: 28.
  ASSERT_EQ(t.links().size(), 28u);
  EXPECT_EQ(t.link(0).name, "n0.g0->n0.g1");
  EXPECT_EQ(t.link(1).name, "n0.g0->n0.g2");
  EXPECT_EQ(t.link(2).name, "n0.g0->n0.g3");
  EXPECT_EQ(t.link(3).name, "n0.g1->n0.g0");
  EXPECT_EQ(t.link(11).name, "n0.g3->n0.g2");
  EXPECT_EQ(t.link(12).name, "n1.g0->n1.g1");
  EXPECT_EQ(t.link(23).name, "n1.g3->n1.g2");
  EXPECT_EQ(t.link(24).name, "n0.up");
  EXPECT_EQ(t.link(25).name, "n0.down");
  EXPECT_EQ(t.link(26).name, "n1.up");
  EXPECT_EQ(t.link(27).name, "n1.down");
  EXPECT_DOUBLE_EQ(t.link(5).spec.bandwidth.value(), 50e9);
  EXPECT_DOUBLE_EQ(t.link(26).spec.bandwidth.value(), 12.5e9);
}

TEST(Topology, LinkCountsOfOtherShapes) {
  EXPECT_EQ(Topology(summit_nodes(1)).links().size(), 14u);  // 4*3 + 2
  ClusterSpec dgx = *find_cluster_preset("dgx-a100");
  EXPECT_EQ(Topology(dgx).links().size(), 58u);  // 8*7 + 2
  ClusterSpec c = summit_nodes(3);
  c.gpus_per_node = 2;
  EXPECT_EQ(Topology(c).links().size(), 12u);  // 3*2*1 + 3*2
  c.gpus_per_node = 1;
  EXPECT_EQ(Topology(c).links().size(), 6u);  // no pair links, 3*2 network links
}

TEST(Topology, NodeOf) {
  const Topology t(summit_nodes(2));
  EXPECT_EQ(t.node_of(0), 0);
  EXPECT_EQ(t.node_of(3), 0);
  EXPECT_EQ(t.node_of(4), 1);
  EXPECT_EQ(t.node_of(7), 1);
}

TEST(Topology, IntraNodeRouteIsThePairLink) {
  const Topology t(summit_nodes(2));
  const Route r = t.route(1, 2);
  ASSERT_EQ(r.links.size(), 1u);
  EXPECT_EQ(r.links[0], 4u);  // node 0: i = 1 -> 1*3, j = 2 > i -> slot 1: 4
  EXPECT_EQ(t.link(r.links[0]).name, "n0.g1->n0.g2");
  const Route back = t.route(6, 5);  // devices 6, 5 = node 1, local 2 and 1
  ASSERT_EQ(back.links.size(), 1u);
  EXPECT_EQ(back.links[0], 19u);  // 12 + 2*3 + 1
  EXPECT_EQ(t.link(back.links[0]).name, "n1.g2->n1.g1");
  EXPECT_DOUBLE_EQ(t.route_latency(r).value(), 5e-6);
  EXPECT_DOUBLE_EQ(t.route_bandwidth(r).value(), 50e9);
}

TEST(Topology, InterNodeRouteIsUplinkThenDownlink) {
  const Topology t(summit_nodes(2));
  const Route r = t.route(2, 5);
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(t.link(r.links[0]).name, "n0.up");
  EXPECT_EQ(t.link(r.links[1]).name, "n1.down");
  const Route back = t.route(7, 0);
  ASSERT_EQ(back.links.size(), 2u);
  EXPECT_EQ(back.links[0], 26u);  // n1.up
  EXPECT_EQ(back.links[1], 25u);  // n0.down
  EXPECT_DOUBLE_EQ(t.route_latency(r).value(), 10e-6);  // 5 us up + 5 us down
  EXPECT_DOUBLE_EQ(t.route_bandwidth(r).value(), 12.5e9);
}

TEST(Topology, RouteLatencySumsAndBandwidthTakesMinimum) {
  const Topology t(summit_nodes(2));
  const Route mixed{{0, 24}};  // an NVLink (50 GB/s, 5 us) then n0.up (12.5 GB/s, 5 us)
  EXPECT_DOUBLE_EQ(t.route_latency(mixed).value(), 10e-6);
  EXPECT_DOUBLE_EQ(t.route_bandwidth(mixed).value(), 12.5e9);
}

TEST(Topology, InvalidIdsAreInternalErrors) {
  const Topology t(summit_nodes(2));
  EXPECT_THROW((void)t.route(3, 3), core::InternalError);
  EXPECT_THROW((void)t.route(-1, 0), core::InternalError);
  EXPECT_THROW((void)t.route(0, 8), core::InternalError);
  EXPECT_THROW((void)t.node_of(8), core::InternalError);
  EXPECT_THROW((void)t.link(28), core::InternalError);
  EXPECT_THROW((void)t.route_latency(Route{}), core::InternalError);
  EXPECT_THROW((void)t.route_bandwidth(Route{{99}}), core::InternalError);
  ClusterSpec empty = summit_nodes(0);
  EXPECT_THROW(Topology{empty}, core::InternalError);
}

TEST(Topology, KeepsTheCluster) {
  const Topology t(summit_nodes(2));
  EXPECT_EQ(t.cluster().name, "summit");
  EXPECT_EQ(t.cluster().nodes, 2);
}

}  // namespace
}  // namespace gppsim::hw
