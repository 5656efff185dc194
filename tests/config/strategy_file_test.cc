// strategy.yaml: valid files load into the expected Strategy; bad ones are rejected with the
// file, line and YAML path. The scenario is a 4-layer chain on 4 GPUs, mini-batch 8.

#include <gtest/gtest.h>

#include "scenario_files.h"
#include "sim/config/strategy_file.h"
#include "sim/core/errors.h"

namespace gppsim::config {
namespace {

const char* kScenario =
    "model: {zoo: chain, args: {layers: 4}}\n"
    "cluster: {nodes: 1, gpus_per_node: 4, device: v100-sxm2-16gb, intra_node: {bandwidth: \"50 GB/s\", latency: \"0 s\"}}\n"
    "training: {mini_batch: 8}\n"
    "plan: {planner: manual}\n";

plan::Strategy load(const std::string& strategy_text) {
  const testing::TempFile scenario(kScenario);
  const testing::TempFile strategy(strategy_text, "strategy.yaml");
  return load_strategy(strategy.path(), load_scenario(scenario.path()));
}

TEST(StrategyFile, LoadsStagesAndDerivesEdges) {
  const auto s = load(
      "schedule: gpipe\nmicro_batch_size: 2\nstages:\n"
      "  - {id: 0, ops: [layer1, layer0], devices: [0, 1]}\n"
      "  - {id: 1, ops: [layer2, layer3], devices: [2], micro_batch_size: 4}\n");
  EXPECT_EQ(s.schedule, plan::ScheduleKind::kGpipe);
  ASSERT_EQ(s.stages.size(), 2u);
  EXPECT_EQ(s.stages[0].ops, (std::vector<model::OpId>{0, 1}));  // sorted into graph order
  EXPECT_EQ(s.stages[0].devices, (std::vector<hw::DeviceId>{0, 1}));
  EXPECT_EQ(s.stages[0].micro_batch_size, 2);
  EXPECT_EQ(s.stages[1].micro_batch_size, 4);
  EXPECT_EQ(s.edges, (std::vector<std::pair<int, int>>{{0, 1}}));  // layer1 -> layer2
}

TEST(StrategyFile, ChainEdgesMakeASequentialPipeline) {
  // layer0 -> layer1 -> layer2 -> layer3 with stages {layer0}, {layer1}, {layer2, layer3}; the
  // extra edge [0, 2] is allowed alongside the chain (a superset that connects every op edge).
  const auto s = load(
      "micro_batch_size: 1\nstages:\n  - {id: 0, ops: [layer0], devices: [0]}\n  - {id: 1, ops: [layer1], devices: [1]}\n"
      "  - {id: 2, ops: [layer2, layer3], devices: [2]}\nedges: [[0, 1], [1, 2], [0, 2]]\n");
  EXPECT_EQ(s.edges, (std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {1, 2}}));
}

TEST(StrategyFile, RoundTripsThroughItsWriter) {
  const auto s = load(
      "micro_batch_size: 1\nstages:\n  - {id: 0, ops: [layer0, layer1], devices: [0]}\n"
      "  - {id: 1, ops: [layer2, layer3], devices: [3]}\n");
  const testing::TempFile scenario(kScenario);
  const auto sc = load_scenario(scenario.path());
  const testing::TempFile again(strategy_to_yaml(s, sc.model.graph), "again.yaml");
  const auto t = load_strategy(again.path(), sc);
  EXPECT_EQ(t.schedule, s.schedule);
  EXPECT_EQ(t.edges, s.edges);
  ASSERT_EQ(t.stages.size(), s.stages.size());
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    EXPECT_EQ(t.stages[i].ops, s.stages[i].ops);
    EXPECT_EQ(t.stages[i].devices, s.stages[i].devices);
  }
}

struct BadStrategy {
  std::string name;
  std::string text;
  int line;
  std::string path;
  std::string message;
};

void PrintTo(const BadStrategy& b, std::ostream* os) { *os << b.name; }

class StrategyRejects : public ::testing::TestWithParam<BadStrategy> {};

TEST_P(StrategyRejects, WithLocation) {
  const auto& c = GetParam();
  try {
    (void)load(c.text);
    FAIL() << "accepted:\n" << c.text;
  } catch (const core::ConfigError& e) {
    bool found = false;
    for (const auto& d : e.diagnostics()) {
      found = found || ((c.line == 0 || d.where.line == c.line) && (c.path.empty() || d.where.yaml_path == c.path) &&
                        d.message.find(c.message) != std::string::npos && d.where.file.find("strategy.yaml") != std::string::npos);
    }
    EXPECT_TRUE(found) << e.what();
  }
}

const char* kHead = "micro_batch_size: 1\nstages:\n";  // lines 1-2; stages start on line 3

INSTANTIATE_TEST_SUITE_P(
    Catalogue, StrategyRejects,
    ::testing::Values(
        BadStrategy{"op_missing", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1, layer2], devices: [0]}\n", 1, "",
                    "not in any stage: layer3"},
        BadStrategy{"op_twice", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1], devices: [0]}\n"
                    "  - {id: 1, ops: [layer1, layer2, layer3], devices: [1]}\n", 4, "stages[1]", "already in stage 0"},
        BadStrategy{"unknown_op", std::string(kHead) + "  - {id: 0, ops: [layer0, conv9], devices: [0]}\n", 3,
                    "stages[0].ops[1]", "unknown op \"conv9\""},
        BadStrategy{"device_out_of_range", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [4]}\n",
                    3, "stages[0].devices[0]", "from 0 to 3, found 4"},
        BadStrategy{"devices_shared", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1], devices: [0]}\n"
                    "  - {id: 1, ops: [layer2, layer3], devices: [0]}\n", 4, "stages[1]", "already used by stage 0"},
        BadStrategy{"not_convex", std::string(kHead) + "  - {id: 0, ops: [layer0, layer2], devices: [0]}\n"
                    "  - {id: 1, ops: [layer1, layer3], devices: [1]}\n", 1, "", "form a cycle"},
        BadStrategy{"wrong_id", std::string(kHead) + "  - {id: 3, ops: [layer0, layer1, layer2, layer3], devices: [0]}\n", 3,
                    "stages[0].id", "this is stage 0, found id 3"},
        BadStrategy{"micro_batch_not_dividing", "micro_batch_size: 3\nstages:\n  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0]}\n",
                    3, "stages[0]", "dividing training.mini_batch = 8, found 3"},
        BadStrategy{"micro_batch_not_divisible_by_devices",
                    "micro_batch_size: 1\nstages:\n  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0, 1]}\n", 3,
                    "stages[0]", "divisible by the stage's 2 devices"},
        BadStrategy{"wrong_edges", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1], devices: [0]}\n"
                    "  - {id: 1, ops: [layer2, layer3], devices: [1]}\nedges: [[1, 0]]\n", 5, "edges", "needs a path from stage 0 to stage 1"},
        BadStrategy{"edge_to_missing_stage", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0]}\n"
                    "edges: [[0, 5]]\n", 4, "edges", "between two different stages 0..0, found [0, 5]"},
        BadStrategy{"missing_micro_batch", "stages:\n  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0]}\n", 2,
                    "stages[0]", "missing required key \"micro_batch_size\""},
        BadStrategy{"unknown_key", std::string(kHead) + "  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0], gpus: 2}\n", 3,
                    "stages[0].gpus", "unknown key"},
        BadStrategy{"bad_schedule", "schedule: pipedream-2bw\n" + std::string(kHead) +
                    "  - {id: 0, ops: [layer0, layer1, layer2, layer3], devices: [0]}\n", 1, "schedule", "expected one of: gpipe"},
        BadStrategy{"interleaved_not_round_robin", "schedule: interleaved-1f1b\n" + std::string(kHead) +
                    "  - {id: 0, ops: [layer0], devices: [0]}\n  - {id: 1, ops: [layer1], devices: [1]}\n"
                    "  - {id: 2, ops: [layer2], devices: [1]}\n  - {id: 3, ops: [layer3], devices: [0]}\n", 1, "",
                    "stage s on the devices of stage s mod p"}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace gppsim::config
