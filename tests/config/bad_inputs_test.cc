// The catalogue of bad inputs: each must be rejected with a ConfigError whose message names the
// file, the line, the YAML path and what was expected. Line numbers are counted by hand in kBase.

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "scenario_files.h"
#include "sim/config/scenario.h"
#include "sim/core/errors.h"

namespace gppsim::config {
namespace {

// Line numbers (1-based) of the valid base scenario.
const std::vector<std::string> kBase{
    "name: t",                                           // 1
    "model:",                                            // 2
    "  zoo: mmt",                                        // 3
    "  args: {branches: 2, layers_per_branch: 1}",       // 4
    "cluster:",                                          // 5
    "  preset: summit",                                  // 6
    "  nodes: 1",                                        // 7
    "  gpus_per_node: 4",                                // 8
    "training: {mini_batch: 16}",                        // 9
    "plan: {planner: graphpipe}",                        // 10
};

struct BadCase {
  std::string name;
  int line_to_replace;        // 0: use `text` as the whole file
  int last_line_to_replace;   // lines line_to_replace..last are replaced by `text`
  std::string text;           // replacement line(s) or whole file
  int expected_line;          // 0: not checked
  std::string expected_path;  // "" : not checked
  std::string expected_message;
};

// Block mappings are located at their first key, so a problem "at cluster" is on line 6.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::string build_text(const BadCase& c) {
  if (c.line_to_replace == 0) return c.text;
  std::ostringstream out;
  for (int line = 1; line <= static_cast<int>(kBase.size()); ++line) {
    if (line == c.line_to_replace) out << c.text << '\n';
    if (line < c.line_to_replace || line > c.last_line_to_replace) out << kBase[line - 1] << '\n';
  }
  return out.str();
}

const std::vector<BadCase>& cases() {
  static const std::vector<BadCase> kCases{
      {"malformed_yaml", 0, 0, "name: t\nmodel: {zoo: mmt\ncluster: x\n", 3, "", "malformed YAML"},
      {"empty_document", 0, 0, "", 1, "", "empty document"},
      {"top_level_list", 0, 0, "- a\n- b\n", 1, "", "expected a mapping"},
      {"unknown_top_key", 10, 10, "plan: {planner: graphpipe}\nextra: 1", 11, "extra", "unknown key \"extra\"; valid keys here: name, model"},
      {"missing_cluster", 5, 8, "# no cluster", 1, "", "missing required key \"cluster\""},
      {"mini_batch_not_int", 9, 9, "training: {mini_batch: abc}", 9, "training.mini_batch", "expected an integer, found \"abc\""},
      {"mini_batch_zero", 9, 9, "training: {mini_batch: 0}", 9, "training.mini_batch", "at least 1, found 0"},
      {"negative_nodes", 7, 7, "  nodes: -2", 7, "cluster.nodes", "from 1 to 4096, found -2"},
      {"zero_devices", 8, 8, "  gpus_per_node: 0", 8, "cluster.gpus_per_node", "from 1 to 1024, found 0"},
      {"plain_number_bandwidth", 8, 8, "  inter_node: {bandwidth: 12.5, latency: \"5 us\"}", 8,
       "cluster.inter_node.bandwidth", "plain number"},
      {"wrong_unit_dimension", 8, 8, "  intra_node: {bandwidth: \"50 GB/s\", latency: \"5 GB\"}", 8,
       "cluster.intra_node.latency", "expected a duration"},
      {"zero_bandwidth", 8, 8, "  intra_node: {bandwidth: \"0 GB/s\", latency: \"5 us\"}", 8,
       "cluster.intra_node.bandwidth", "positive bandwidth"},
      {"unknown_cluster_preset", 6, 6, "  preset: frontier", 6, "cluster.preset", "expected a cluster preset (summit"},
      {"unknown_device", 6, 6, "  preset: summit\n  device: tpu-v4", 7, "cluster.device", "expected a device preset (v100-sxm2-16gb"},
      {"unknown_zoo_model", 3, 3, "  zoo: resnet", 3, "model.zoo", "expected one of: mmt, dlrm"},
      {"unknown_zoo_arg", 4, 4, "  args: {branchez: 2}", 4, "model.args.branchez", "valid keys here: branches, layers_per_branch"},
      {"heads_not_dividing_hidden", 4, 4, "  args: {hidden: 100, heads: 16}", 4, "model.args", "heads to divide hidden"},
      {"zoo_and_graph", 4, 4, "  args: {branches: 2}\n  graph: {ops: []}", 3, "model", "exactly one of zoo, graph, import, found 2"},
      {"model_null", 0, 0,
       "name: t\nmodel:\ncluster: {preset: summit, nodes: 1, gpus_per_node: 4}\ntraining: {mini_batch: 16}\n"
       "plan: {planner: graphpipe}\n",
       0, "model", "found nothing (null)"},
      {"graph_empty_ops", 3, 4, "  graph: {ops: []}", 3, "model.graph.ops", "at least one op"},
      {"graph_cycle", 3, 4,
       "  graph:\n    ops: [{name: a, kind: input}, {name: b, kind: linear}]\n    edges: [[a, b], [b, a]]", 5,
       "model.graph.edges", "cycle a -> b -> a"},
      {"graph_dangling_edge", 3, 4,
       "  graph:\n    ops: [{name: a, kind: input}]\n    edges: [[a, ghost]]", 5, "model.graph.edges[0]",
       "unknown op \"ghost\""},
      {"graph_duplicate_op", 3, 4, "  graph:\n    ops: [{name: a, kind: input}, {name: a, kind: linear}]", 4,
       "model.graph.ops[1]", "duplicate op name \"a\""},
      {"graph_self_loop", 3, 4, "  graph:\n    ops: [{name: a, kind: input}]\n    edges: [[a, a]]", 5,
       "model.graph.edges[0]", "self-loop"},
      {"graph_edge_three_ends", 3, 4,
       "  graph:\n    ops: [{name: a, kind: input}, {name: b, kind: linear}]\n    edges: [[a, b, a]]", 5,
       "model.graph.edges[0]", "two op names, found 3"},
      {"graph_profiled_without_times", 3, 4, "  graph:\n    ops: [{name: a, kind: profiled}]", 4, "model.graph.ops[0]",
       "forward_time and backward_time"},
      {"graph_unknown_op_kind", 3, 4, "  graph:\n    ops: [{name: a, kind: conv}]", 4, "model.graph.ops[0].kind",
       "expected one of: input, linear"},
      {"micro_batch_not_dividing", 10, 10, "plan: {planner: graphpipe, micro_batch_sizes: [3]}", 10,
       "plan.micro_batch_sizes[0]", "divides training.mini_batch = 16, found 3"},
      {"unknown_planner", 10, 10, "plan: {planner: megatron}", 10, "plan.planner", "expected one of: graphpipe, pipedream"},
      {"duplicate_key", 8, 8, "  gpus_per_node: 4\n  gpus_per_node: 2", 9, "cluster.gpus_per_node", "duplicate key"},
      {"bad_bool", 10, 10, "plan: {planner: pipedream, straight: maybe}", 10, "plan.straight", "true or false"},
      {"import_missing_file", 3, 4, "  import: {format: pipedream, path: no/such/graph.txt}", 3, "model.import.path",
       "could not import"},
      {"import_bad_format", 3, 4, "  import: {format: onnx, path: x.onnx}", 3, "model.import.format",
       "expected one of: pipedream, piper"},
      {"negative_size", 3, 4, "  zoo: chain\n  args: {activation_bytes: \"-1 KB\"}", 4, "model.args.activation_bytes",
       "non-negative size"},
      {"bad_dtype", 9, 9, "training: {mini_batch: 16, dtype: fp8}", 9, "training.dtype", "expected one of: fp32, tf32"},
      {"bare_cluster_missing_link", 6, 6, "  device: v100-sxm2-16gb", 6, "cluster", "missing required key \"intra_node\""},
  };
  return kCases;
}

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, IsRejectedWithLocation) {
  const BadCase& c = GetParam();
  const testing::TempFile file(build_text(c));
  try {
    (void)load_scenario(file.path());
    FAIL() << "accepted a bad input:\n" << build_text(c);
  } catch (const core::ConfigError& e) {
    const std::string what = e.what();
    bool found = false;
    for (const auto& d : e.diagnostics()) {
      const bool line_ok = c.expected_line == 0 || d.where.line == c.expected_line;
      const bool path_ok = c.expected_path.empty() || d.where.yaml_path == c.expected_path;
      const bool msg_ok = d.message.find(c.expected_message) != std::string::npos;
      found = found || (line_ok && path_ok && msg_ok && d.where.file == file.path().string());
    }
    EXPECT_TRUE(found) << "expected line " << c.expected_line << ", path '" << c.expected_path << "', message '"
                       << c.expected_message << "'; got:\n" << what;
    EXPECT_NE(what.find(file.path().string()), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInput, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(BadInputFiles, MissingFileNamesThePath) {
  try {
    (void)load_scenario("/nonexistent/scenario.yaml");
    FAIL();
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/scenario.yaml"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

TEST(BadInputFiles, DirectoryIsNotAScenario) {
  EXPECT_THROW((void)load_scenario(std::filesystem::temp_directory_path()), core::ConfigError);
}

TEST(BadInputFiles, AllProblemsAreReportedAtOnce) {
  // Three independent mistakes on lines 3, 7 and 9.
  const testing::TempFile file(
      "model:\n  zoo: mmt\n  args: {heads: x}\ncluster:\n  preset: summit\n  nodes: 1\n  gpus_per_node: -1\n"
      "training:\n  mini_batch: 0\nplan: {planner: graphpipe}\n");
  try {
    (void)load_scenario(file.path());
    FAIL();
  } catch (const core::ConfigError& e) {
    std::vector<int> lines;
    for (const auto& d : e.diagnostics()) lines.push_back(d.where.line);
    EXPECT_EQ(lines, (std::vector<int>{3, 7, 9})) << e.what();  // sorted by line
  }
}

}  // namespace
}  // namespace gppsim::config
