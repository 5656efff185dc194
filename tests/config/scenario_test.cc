#include <gtest/gtest.h>

#include <filesystem>

#include "scenario_files.h"
#include "sim/config/scenario.h"

namespace gppsim::config {
namespace {

const std::filesystem::path kConfigs = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs";
const std::filesystem::path kShared = GPPSIM_SHARED_DATA_DIR;

bool needs_shared_data(const std::filesystem::path& p) {
  const auto name = p.filename().string();
  return name.rfind("pipedream-", 0) == 0 || name.rfind("piper-", 0) == 0;
}

// Every scenario checked in under configs/ must load (smoke test of the examples).
TEST(ScenarioSmoke, EveryConfigLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kConfigs)) {
    if (entry.path().extension() != ".yaml" || entry.path().parent_path().filename() != "scenarios") continue;
    if (needs_shared_data(entry.path()) && !std::filesystem::exists(kShared)) continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW((void)load_scenario(entry.path()));
    ++loaded;
  }
  EXPECT_GE(loaded, 7);
}

TEST(Scenario, MmtSummitEightValues) {
  const Scenario s = load_scenario(kConfigs / "scenarios/mmt-summit-8.yaml");
  EXPECT_EQ(s.name, "mmt-summit-8");
  EXPECT_EQ(s.model_source, "zoo mmt");
  EXPECT_EQ(s.cluster.num_devices(), 8);  // 2 nodes x 4
  EXPECT_EQ(s.cluster.device.name, "v100-sxm2-16gb");
  EXPECT_DOUBLE_EQ(s.cluster.inter_node.bandwidth.value(), 12.5e9);  // "12.5 GB/s"
  EXPECT_DOUBLE_EQ(s.cluster.intra_node.latency.value(), 5e-6);      // "5 us"
  EXPECT_EQ(s.training.mini_batch, 128);
  EXPECT_EQ(s.training.optimizer, model::Optimizer::kAdam);
  EXPECT_EQ(s.plan.planner, PlannerKind::kGraphPipe);
  EXPECT_EQ(s.plan.schedule, ScheduleKind::kOneFOneB);
  EXPECT_EQ(s.plan.micro_batch_sizes, (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
}

TEST(Scenario, DefaultMicroBatchesArePowersOfTwoDividingTheMiniBatch) {
  const testing::TempFile f(
      "model: {zoo: chain}\ncluster: {preset: summit, nodes: 1, gpus_per_node: 4}\n"
      "training: {mini_batch: 24}\nplan: {planner: pipedream}\n");
  const Scenario s = load_scenario(f.path());
  EXPECT_EQ(s.plan.micro_batch_sizes, (std::vector<std::int64_t>{1, 2, 4, 8}));  // 16 does not divide 24
  EXPECT_EQ(s.name, "scenario");  // file stem when no name is given
}

TEST(Scenario, PresetValuesAreOverriddenKeyByKey) {
  const testing::TempFile f(
      "model: {zoo: chain, args: {layers: 3}}\n"
      "cluster: {preset: summit, nodes: 3, gpus_per_node: 2, inter_node: {bandwidth: \"25 GiB/s\", latency: \"1 us\"}}\n"
      "training: {mini_batch: 8, dtype: fp16, optimizer: sgd}\nplan: {planner: piper, memory_limit: \"2.5 GiB\"}\n");
  const Scenario s = load_scenario(f.path());
  EXPECT_EQ(s.cluster.num_devices(), 6);
  EXPECT_DOUBLE_EQ(s.cluster.inter_node.bandwidth.value(), 25.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(s.cluster.intra_node.bandwidth.value(), 50e9);  // summit's NVLink kept
  EXPECT_EQ(s.training.dtype, core::Dtype::kFp16);
  ASSERT_TRUE(s.plan.memory_limit.has_value());
  EXPECT_DOUBLE_EQ(s.plan.memory_limit->value(), 2.5 * 1073741824.0);
  EXPECT_EQ(s.model.graph.num_ops(), 3u);
}

TEST(Scenario, ExplicitGraph) {
  const Scenario s = load_scenario(kConfigs / "scenarios/graph-diamond.yaml");
  const auto& g = s.model.graph;
  ASSERT_EQ(g.num_ops(), 4u);
  ASSERT_EQ(g.num_edges(), 4u);
  const auto b = *g.find("b");
  EXPECT_EQ(g.op(b).parameters, 1048576);
  EXPECT_DOUBLE_EQ(g.op(b).parameter_bytes.value(), 4.0 * 1048576);  // fp32
  EXPECT_DOUBLE_EQ(g.op(b).forward_flops.value(), 2e6);
  ASSERT_EQ(g.op(b).gemms.size(), 1u);
  EXPECT_EQ(g.op(b).gemms[0].n, 1024);
  const auto c = *g.find("c");
  ASSERT_TRUE(g.op(c).measured.has_value());
  EXPECT_DOUBLE_EQ(g.op(c).measured->backward_per_sample.value(), 1e-3);
  EXPECT_EQ(g.sources(), (std::vector<model::OpId>{*g.find("a")}));
  EXPECT_EQ(g.sinks(), (std::vector<model::OpId>{*g.find("d")}));
}

TEST(Scenario, ImportPathIsRelativeToTheScenario) {
  if (!std::filesystem::exists(kShared)) GTEST_SKIP() << "shared data folder " << kShared << " is absent";
  const Scenario s = load_scenario(kConfigs / "scenarios/pipedream-vgg16.yaml");
  EXPECT_EQ(s.model_source, "import pipedream ../../../shared/data/pipedream-profiles/vgg16.txt");
  EXPECT_GT(s.model.graph.num_ops(), 10u);
}

}  // namespace
}  // namespace gppsim::config
