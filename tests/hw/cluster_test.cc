#include "sim/hw/cluster.h"

#include <gtest/gtest.h>

namespace gppsim::hw {
namespace {

TEST(ClusterSpec, SummitEveryField) {
  const std::optional<ClusterSpec> c = find_cluster_preset("summit");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->name, "summit");
  EXPECT_EQ(c->nodes, 1);
  EXPECT_EQ(c->gpus_per_node, 4);
  EXPECT_EQ(c->num_devices(), 4);
  EXPECT_EQ(c->device.name, "v100-sxm2-16gb");
  EXPECT_EQ(c->device.sm_count, 80);
  EXPECT_DOUBLE_EQ(c->intra_node.bandwidth.value(), 50e9);  // NVLink2, 2 x 25 GB/s
  EXPECT_DOUBLE_EQ(c->intra_node.latency.value(), 5e-6);
  EXPECT_DOUBLE_EQ(c->inter_node.bandwidth.value(), 12.5e9);  // 100 Gb/s / 8
  EXPECT_DOUBLE_EQ(c->inter_node.latency.value(), 5e-6);
}

TEST(ClusterSpec, DgxA100) {
  const auto c = find_cluster_preset("dgx-a100");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->nodes, 1);
  EXPECT_EQ(c->gpus_per_node, 8);
  EXPECT_EQ(c->device.name, "a100-sxm4-80gb");
  EXPECT_DOUBLE_EQ(c->intra_node.bandwidth.value(), 300e9);
  EXPECT_DOUBLE_EQ(c->intra_node.latency.value(), 3e-6);
  EXPECT_DOUBLE_EQ(c->inter_node.bandwidth.value(), 200e9);  // 8 x 200 Gb/s / 8
  EXPECT_DOUBLE_EQ(c->inter_node.latency.value(), 5e-6);
}

TEST(ClusterSpec, DgxH100) {
  const auto c = find_cluster_preset("dgx-h100");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->nodes, 1);
  EXPECT_EQ(c->gpus_per_node, 8);
  EXPECT_EQ(c->device.name, "h100-sxm5-80gb");
  EXPECT_DOUBLE_EQ(c->intra_node.bandwidth.value(), 450e9);
  EXPECT_DOUBLE_EQ(c->intra_node.latency.value(), 2e-6);
  EXPECT_DOUBLE_EQ(c->inter_node.bandwidth.value(), 400e9);  // 8 x 400 Gb/s / 8
  EXPECT_DOUBLE_EQ(c->inter_node.latency.value(), 5e-6);
}

TEST(ClusterSpec, PresetListAndExactNameLookup) {
  const std::vector<ClusterSpec>& all = cluster_presets();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "summit");
  EXPECT_EQ(all[1].name, "dgx-a100");
  EXPECT_EQ(all[2].name, "dgx-h100");
  EXPECT_FALSE(find_cluster_preset("Summit").has_value());
  EXPECT_FALSE(find_cluster_preset("dgx").has_value());
}

TEST(ClusterSpec, NumDevicesIsNodesTimesGpus) {
  ClusterSpec c = *find_cluster_preset("summit");
  c.nodes = 8;
  EXPECT_EQ(c.num_devices(), 32);  // 8 nodes x 4 GPUs
}

}  // namespace
}  // namespace gppsim::hw
