// Tests of import_piper: exact values on a hand-written input, every published input against
// totals computed by walking the JSON directly, and one test per input error (JSON path).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/core/errors.h"
#include "sim/model/importers.h"

namespace gppsim::model {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const fs::path kTiny = fs::path(GPPSIM_SOURCE_DIR) / "tests/model/data/piper_tiny.json";
const fs::path kInputs = fs::path(GPPSIM_SHARED_DATA_DIR) / "piper-inputs";

json load_json(const fs::path& path) { return json::parse(std::ifstream(path)); }

/// A temporary file named after the running test.
fs::path temp_path() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fs::path(::testing::TempDir()) / (std::string("piper_") + info->name() + ".json");
}

/// Imports `text` expecting a ConfigError; returns it.
core::ConfigError import_error(const std::string& text) {
  const fs::path path = temp_path();
  std::ofstream(path, std::ios::binary) << text;
  try {
    import_piper(path);
  } catch (const core::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigError for " << path;
  return core::ConfigError(core::SourceLocation{}, "none");
}

/// Imports the tiny fixture after `edit`, expecting an error at `json_path` that says `what`.
template <typename Edit>
void expect_error_at(Edit edit, const std::string& json_path, const std::string& what) {
  json j = load_json(kTiny);
  edit(j);
  const core::ConfigError e = import_error(j.dump(2));
  ASSERT_EQ(e.diagnostics().size(), 1u);
  EXPECT_EQ(e.diagnostics()[0].where.yaml_path, json_path) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(temp_path().filename().string()));
  EXPECT_THAT(e.what(), HasSubstr(json_path + ": "));
  EXPECT_THAT(e.what(), HasSubstr(what));
}

// ---- exact values on tests/model/data/piper_tiny.json ----

TEST(ImportPiper, TinyInputGlobalsAndNames) {
  const Model m = import_piper(kTiny);
  EXPECT_EQ(m.name, "piper_tiny");
  ASSERT_TRUE(m.piper.has_value());
  EXPECT_DOUBLE_EQ(m.piper->max_memory_per_device.value(), 1e6);
  EXPECT_EQ(m.piper->max_devices, 4);
  EXPECT_EQ(m.piper->micro_batches_in_batch, 8);
  EXPECT_DOUBLE_EQ(m.piper->bandwidth.value(), 2000.0);
  ASSERT_EQ(m.graph.num_ops(), 3u);
  // File order; "layer" appears twice (ids 3 and 5), so both get "#id".
  EXPECT_EQ(m.graph.op(0).name, "embed");
  EXPECT_EQ(m.graph.op(1).name, "layer#3");
  EXPECT_EQ(m.graph.op(2).name, "layer#5");
  EXPECT_EQ(m.graph.op(1).description, "layer");
}

TEST(ImportPiper, TinyInputOpValuesFromVanillaDegreeOne) {
  const Model m = import_piper(kTiny);
  const Op& embed = m.graph.op(0);
  EXPECT_EQ(embed.kind, OpKind::kProfiled);
  ASSERT_TRUE(embed.measured.has_value());
  EXPECT_DOUBLE_EQ(embed.measured->forward_per_sample.value(), 1.0);   // 3.0 / 3
  EXPECT_DOUBLE_EQ(embed.measured->backward_per_sample.value(), 2.0);  // 2 * 3.0 / 3
  EXPECT_DOUBLE_EQ(embed.parameter_bytes.value(), 400.0);
  EXPECT_EQ(embed.parameters, 100);                        // 400 / 4
  EXPECT_DOUBLE_EQ(embed.activation_bytes.value(), 64.0);  // max(64, 32)
  EXPECT_DOUBLE_EQ(embed.stashed_bytes.value(), 10.0);     // memoryUsageA
  // layer#3's vanilla option is listed second, after "activation recomp".
  const Op& layer3 = m.graph.op(1);
  EXPECT_DOUBLE_EQ(layer3.measured->forward_per_sample.value(), 2.0);   // 6.0 / 3
  EXPECT_DOUBLE_EQ(layer3.measured->backward_per_sample.value(), 4.0);  // 2 * 6.0 / 3
  EXPECT_DOUBLE_EQ(layer3.activation_bytes.value(), 16.0);              // its one out-edge
  EXPECT_DOUBLE_EQ(layer3.stashed_bytes.value(), 30.0);
  EXPECT_DOUBLE_EQ(m.graph.op(2).activation_bytes.value(), 0.0);               // a sink
  EXPECT_DOUBLE_EQ(m.graph.op(2).measured->forward_per_sample.value(), 0.25);  // 0.75 / 3
}

TEST(ImportPiper, TinyInputTmpcsSortedByDegreeOptionsInFileOrder) {
  const Model m = import_piper(kTiny);
  const Op& embed = m.graph.op(0);
  // Keys "16", "1", "2" in the file: numerically 1, 2, 16 (not the string order 1, 16, 2).
  ASSERT_EQ(embed.piper.size(), 3u);
  EXPECT_EQ(embed.piper[0].tensor_degree, 1);
  EXPECT_EQ(embed.piper[1].tensor_degree, 2);
  EXPECT_EQ(embed.piper[2].tensor_degree, 16);
  ASSERT_EQ(embed.piper[0].options.size(), 2u);
  const PiperOption& vanilla = embed.piper[0].options[0];
  EXPECT_EQ(vanilla.id, "vanilla");
  EXPECT_EQ(embed.piper[0].options[1].id, "activation recomp");
  EXPECT_DOUBLE_EQ(vanilla.time_per_sample, 3.0);
  EXPECT_DOUBLE_EQ(vanilla.memory_a.value(), 10.0);
  EXPECT_DOUBLE_EQ(vanilla.memory_b.value(), 20.0);
  EXPECT_TRUE(vanilla.sync_time_fw.empty());
  EXPECT_EQ(vanilla.sync_time_bw, (std::map<std::int64_t, double>{{3, 0.5}, {5, 0.125}}));
  EXPECT_DOUBLE_EQ(embed.piper[2].options[0].parameter_bytes.value(), 25.0);
}

TEST(ImportPiper, TinyInputEdgesMapIdsToOps) {
  const Model m = import_piper(kTiny);
  const auto edges = m.graph.edges();
  ASSERT_EQ(edges.size(), 3u);
  // ids 7, 3, 5 are ops 0, 1, 2: 7->3 (64 B), 7->5 (32 B), 3->5 (16 B).
  EXPECT_EQ(edges[0].from, 0u);
  EXPECT_EQ(edges[0].to, 1u);
  EXPECT_DOUBLE_EQ(edges[0].bytes.value(), 64.0);
  EXPECT_EQ(edges[1].to, 2u);
  EXPECT_DOUBLE_EQ(edges[1].bytes.value(), 32.0);
  EXPECT_EQ(edges[2].from, 1u);
  EXPECT_EQ(edges[2].to, 2u);
  EXPECT_DOUBLE_EQ(edges[2].bytes.value(), 16.0);
}

// ---- every published input against a direct walk of its JSON ----

/// Totals of one Piper input computed by walking the JSON directly.
struct JsonTotals {
  std::size_t options = 0;
  double time_per_sample = 0.0;  ///< vanilla degree-1 options
  double parameter_bytes = 0.0;
  double memory_a = 0.0;
  double max_out_cost = 0.0;  ///< sum over nodes of their largest out-edge cost
  double edge_cost = 0.0;
};

JsonTotals json_totals(const json& j) {
  JsonTotals t;
  for (const json& node : j["nodes"]) {
    for (const auto& [degree, options] : node["TMPCs"].items()) t.options += options.size();
    for (const json& option : node["TMPCs"]["1"]) {
      if (option["id"] != "vanilla") continue;
      t.time_per_sample += option["timePerSample"].get<double>();
      t.parameter_bytes += option["parameterSize"].get<double>();
      t.memory_a += option["memoryUsageA"].get<double>();
    }
  }
  std::map<std::int64_t, double> max_out;
  for (const json& edge : j["edges"]) {
    const auto cost = edge["communicationCost"].get<double>();
    t.edge_cost += cost;
    auto& m = max_out[edge["sourceId"].get<std::int64_t>()];
    m = std::max(m, cost);
  }
  for (const auto& [id, cost] : max_out) t.max_out_cost += cost;
  return t;
}

void expect_relative(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::max(1.0, std::abs(expected))) << what;
}

void check_against_json(const fs::path& path) {
  const json j = load_json(path);
  const JsonTotals t = json_totals(j);
  const Model m = import_piper(path);
  EXPECT_EQ(m.graph.num_ops(), j["nodes"].size());
  EXPECT_EQ(m.graph.num_edges(), j["edges"].size());
  EXPECT_FALSE(m.graph.find_cycle().has_value());
  ASSERT_TRUE(m.piper.has_value());
  EXPECT_EQ(m.piper->max_devices, j["maxDevices"].get<int>());
  EXPECT_EQ(m.piper->micro_batches_in_batch, j["mbsInBatch"].get<int>());
  EXPECT_DOUBLE_EQ(m.piper->bandwidth.value(), j["bandwidth"].get<double>());
  EXPECT_DOUBLE_EQ(m.piper->max_memory_per_device.value(), j["maxMemoryPerDevice"].get<double>());
  double fw = 0.0, bw = 0.0, param = 0.0, stashed = 0.0, act = 0.0, edge_bytes = 0.0;
  std::size_t options = 0;
  for (OpId id = 0; id < m.graph.num_ops(); ++id) {
    const Op& op = m.graph.op(id);
    ASSERT_TRUE(op.measured.has_value()) << op.name;
    fw += op.measured->forward_per_sample.value();
    bw += op.measured->backward_per_sample.value();
    param += op.parameter_bytes.value();
    stashed += op.stashed_bytes.value();
    act += op.activation_bytes.value();
    for (std::size_t k = 0; k < op.piper.size(); ++k) {
      options += op.piper[k].options.size();
      if (k > 0) {
        EXPECT_LT(op.piper[k - 1].tensor_degree, op.piper[k].tensor_degree) << op.name;
      }
    }
  }
  for (const OpEdge& e : m.graph.edges()) edge_bytes += e.bytes.value();
  expect_relative(fw + bw, t.time_per_sample, "forward + backward");
  expect_relative(fw, t.time_per_sample / 3.0, "forward");
  expect_relative(param, t.parameter_bytes, "parameter bytes");
  expect_relative(stashed, t.memory_a, "stashed bytes");
  expect_relative(act, t.max_out_cost, "activation bytes");
  expect_relative(edge_bytes, t.edge_cost, "edge bytes");
  EXPECT_EQ(options, t.options);
}

TEST(ImportPiper, EveryPublishedInputMatchesJsonWalk) {
  if (!fs::is_directory(kInputs)) GTEST_SKIP() << "shared data not found at " << kInputs;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kInputs)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    ++files;
    check_against_json(entry.path());
  }
  EXPECT_EQ(files, 5);  // bert32a100, gnmt, gnmt-pp-dp, resnet, resnet-pp-dp
}

TEST(ImportPiper, Bert32KnownFacts) {
  const fs::path path = kInputs / "bert32a100.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  const Model m = import_piper(path);
  // `grep -c '"TMPCs"'` = 37 nodes, `grep -c '"sourceId"'` = 67 edges,
  // `grep -c '"name": "ParallelTransformerLayer"'` = 32 repeated names, each made "name#id".
  EXPECT_EQ(m.graph.num_ops(), 37u);
  EXPECT_EQ(m.graph.num_edges(), 67u);
  int layers = 0;
  for (OpId id = 0; id < m.graph.num_ops(); ++id) {
    const Op& op = m.graph.op(id);
    if (op.description != "ParallelTransformerLayer") continue;
    ++layers;
    EXPECT_THAT(op.name, ::testing::StartsWith("ParallelTransformerLayer#"));
    ASSERT_EQ(op.piper.size(), 4u);  // tensor degrees 1, 2, 4, 8
    EXPECT_EQ(op.piper[3].tensor_degree, 8);
  }
  EXPECT_EQ(layers, 32);
  EXPECT_EQ(m.piper->micro_batches_in_batch, 1920);  // "mbsInBatch": 1920
}

// ---- errors: each names the file and the JSON path ----

TEST(ImportPiper, MissingFile) {
  const fs::path path = fs::path(::testing::TempDir()) / "piper_no_such_input.json";
  try {
    import_piper(path);
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
}

TEST(ImportPiper, SyntaxErrorHasLineAndColumn) {
  // The string on line 3 follows `4` without a comma; nlohmann stops at its closing quote,
  // column 14 of `  "mbsInBatch": 8`.
  const auto e = import_error("{\n  \"maxDevices\": 4\n  \"mbsInBatch\": 8\n}");
  ASSERT_EQ(e.diagnostics().size(), 1u);
  EXPECT_EQ(e.diagnostics()[0].where.line, 3);
  EXPECT_EQ(e.diagnostics()[0].where.column, 14);
  EXPECT_THAT(e.what(), HasSubstr(temp_path().filename().string() + ":3:14: "));
  EXPECT_THAT(e.what(), HasSubstr("expected valid JSON"));
}

TEST(ImportPiper, UnknownTopLevelKey) {
  expect_error_at([](json& j) { j["colour"] = 1; }, "colour", "unknown key `colour`; valid keys:");
}

TEST(ImportPiper, MissingTopLevelKey) {
  expect_error_at([](json& j) { j.erase("bandwidth"); }, "bandwidth", "missing key `bandwidth`");
}

TEST(ImportPiper, ZeroDevices) {
  expect_error_at([](json& j) { j["maxDevices"] = 0; }, "maxDevices", "expected an integer >= 1");
}

TEST(ImportPiper, MissingOptionKey) {
  expect_error_at([](json& j) { j["nodes"][1]["TMPCs"]["1"][0].erase("timePerSample"); },
                  "nodes[1].TMPCs.1[0].timePerSample", "missing key `timePerSample`");
}

TEST(ImportPiper, WrongType) {
  expect_error_at([](json& j) { j["nodes"][1]["TMPCs"]["1"][1]["timePerSample"] = "fast"; },
                  "nodes[1].TMPCs.1[1].timePerSample",
                  "expected a non-negative number, found string");
}

TEST(ImportPiper, NegativeValue) {
  expect_error_at([](json& j) { j["nodes"][0]["TMPCs"]["2"][0]["parameterSize"] = -1.0; },
                  "nodes[0].TMPCs.2[0].parameterSize",
                  "expected a non-negative number, found -1.0");
}

TEST(ImportPiper, BadDegreeKey) {
  expect_error_at([](json& j) { j["nodes"][2]["TMPCs"]["x"] = j["nodes"][2]["TMPCs"]["1"]; },
                  "nodes[2].TMPCs.x", "positive integer tensor degree");
}

TEST(ImportPiper, MissingVanillaDegreeOne) {
  expect_error_at([](json& j) { j["nodes"][2]["TMPCs"]["1"][0]["id"] = "activation recomp"; },
                  "nodes[2].TMPCs", "`vanilla` at tensor degree 1");
}

TEST(ImportPiper, DuplicateNodeId) {
  expect_error_at([](json& j) { j["nodes"][2]["id"] = 7; }, "nodes[2].id",
                  "duplicate node id 7, already used by nodes[0]");
}

TEST(ImportPiper, SyncTimeNamesUnknownNode) {
  expect_error_at([](json& j) { j["nodes"][1]["TMPCs"]["1"][1]["syncTimeFw"]["42"] = 0.0; },
                  "nodes[1].TMPCs.1[1].syncTimeFw.42", "unknown id 42");
}

TEST(ImportPiper, EdgeToUnknownNode) {
  expect_error_at([](json& j) { j["edges"][1]["destId"] = 9; }, "edges[1].destId", "unknown id 9");
}

TEST(ImportPiper, SelfLoop) {
  expect_error_at([](json& j) { j["edges"][0]["destId"] = 7; }, "edges[0]", "self-loop on node 7");
}

TEST(ImportPiper, DuplicateEdge) {
  expect_error_at([](json& j) { j["edges"][2] = j["edges"][0]; }, "edges[2]",
                  "duplicate edge 7 -> 3, already given by edges[0]");
}

TEST(ImportPiper, Cycle) {
  // Adding 5 -> 7 as edges[3] closes 7 -> 3 -> 5 -> 7 (or 7 -> 5 -> 7).
  expect_error_at(
      [](json& j) {
        j["edges"].push_back({{"sourceId", 5}, {"destId", 7}, {"communicationCost", 1.0}});
      },
      "edges[3]", "expected an acyclic graph, found the cycle");
}

}  // namespace
}  // namespace gppsim::model
