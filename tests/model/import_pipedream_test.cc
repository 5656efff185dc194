// Tests of import_pipedream: exact values on a hand-written profile, every published profile
// against an independent std::regex re-parse, and one test per input error.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/core/errors.h"
#include "sim/model/importers.h"

namespace gppsim::model {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(GPPSIM_SOURCE_DIR) / "tests/model/data";
const fs::path kProfiles = fs::path(GPPSIM_SHARED_DATA_DIR) / "pipedream-profiles";

/// A temporary file named after the running test.
fs::path temp_path() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fs::path(::testing::TempDir()) / (std::string("pd_") + info->name() + ".txt");
}

/// Writes `text` to temp_path(); returns that path.
fs::path write_temp(const std::string& text) {
  const fs::path path = temp_path();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// Imports `text` expecting a ConfigError; returns it.
core::ConfigError import_error(const std::string& text, int batch = 1) {
  const fs::path path = write_temp(text);
  try {
    import_pipedream(path, batch);
  } catch (const core::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigError for " << path;
  return core::ConfigError(core::SourceLocation{}, "none");
}

/// Asserts the first diagnostic names the temp file and `line`, and says `what`.
void expect_error_at(const core::ConfigError& e, int line, const std::string& what) {
  ASSERT_FALSE(e.diagnostics().empty());
  const std::string file = temp_path().filename().string();
  EXPECT_EQ(e.diagnostics()[0].where.line, line) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(file)) << e.what();
  if (line > 0) {
    EXPECT_THAT(e.what(), HasSubstr(file + ":" + std::to_string(line) + ": "));
  }
  EXPECT_THAT(e.what(), HasSubstr(what));
}

std::string node_line(const std::string& id,
                      const std::string& attrs =
                          "forward_compute_time=1.000, backward_compute_time=2.000, "
                          "activation_size=8.000, parameter_size=4.000") {
  return id + " -- Layer -- " + attrs + "\n";
}

// ---- exact values on tests/model/data/pipedream_tiny.txt, profiled batch 2 ----

TEST(ImportPipedream, TinyProfileExactValues) {
  const Model m = import_pipedream(kFixtures / "pipedream_tiny.txt", 2);
  EXPECT_EQ(m.name, "pipedream_tiny");
  EXPECT_EQ(m.dtype, core::Dtype::kFp32);
  EXPECT_FALSE(m.piper.has_value());
  ASSERT_EQ(m.graph.num_ops(), 4u);
  // Op order = order of node lines: node1, node3, node2, node4 (node2 is declared after the
  // edge node1 -- node2 that uses it).
  EXPECT_EQ(m.graph.op(0).name, "node1");
  EXPECT_EQ(m.graph.op(1).name, "node3");
  EXPECT_EQ(m.graph.op(2).name, "node2");
  EXPECT_EQ(m.graph.op(3).name, "node4");

  const Op& linear = m.graph.op(1);
  EXPECT_EQ(linear.kind, OpKind::kProfiled);
  EXPECT_EQ(linear.description, "Linear(in_features=10, out_features=5, bias=True)");
  ASSERT_TRUE(linear.measured.has_value());
  EXPECT_DOUBLE_EQ(linear.measured->forward_per_sample.value(), 0.002);   // 4 ms / 2
  EXPECT_DOUBLE_EQ(linear.measured->backward_per_sample.value(), 0.003);  // 6 ms / 2
  EXPECT_DOUBLE_EQ(linear.activation_bytes.value(), 120.0);               // (160 + 80) / 2
  EXPECT_DOUBLE_EQ(linear.stashed_bytes.value(), 120.0);
  EXPECT_DOUBLE_EQ(linear.parameter_bytes.value(), 220.0);  // not per sample
  EXPECT_EQ(linear.parameters, 55);                         // 220 / 4
  EXPECT_TRUE(linear.gemms.empty());
  EXPECT_DOUBLE_EQ(linear.forward_flops.value(), 0.0);

  const Op& conv = m.graph.op(2);
  EXPECT_EQ(conv.description, "Conv2d(1, 2, kernel_size=(3, 3)) -- fused");  // keeps its " -- "
  EXPECT_DOUBLE_EQ(conv.measured->forward_per_sample.value(), 0.001);        // 2 ms / 2
  EXPECT_DOUBLE_EQ(conv.measured->backward_per_sample.value(), 0.0015);      // 3 ms / 2
  EXPECT_EQ(conv.parameters, 20);                                            // 80 / 4
  EXPECT_EQ(m.graph.op(0).description, "Input");
  EXPECT_EQ(m.graph.op(3).description, "__getitem__(0)");          // stage_id dropped
  EXPECT_DOUBLE_EQ(m.graph.op(3).activation_bytes.value(), 50.0);  // 100 / 2
}

TEST(ImportPipedream, TinyProfileEdgesCarrySourceActivation) {
  const Model m = import_pipedream(kFixtures / "pipedream_tiny.txt", 2);
  const auto edges = m.graph.edges();
  ASSERT_EQ(edges.size(), 4u);
  // By source op, then file order: node1->node2, node1->node3, node3->node4, node2->node3.
  const std::vector<std::tuple<OpId, OpId, double>> expected{
      {0, 2, 400.0},  // node1's 800 B / 2
      {0, 1, 400.0},
      {1, 3, 120.0},  // node3's (160 + 80) / 2
      {2, 1, 200.0},  // node2's 400 / 2
  };
  for (std::size_t i = 0; i < edges.size(); ++i) {
    EXPECT_EQ(edges[i].from, std::get<0>(expected[i])) << i;
    EXPECT_EQ(edges[i].to, std::get<1>(expected[i])) << i;
    EXPECT_DOUBLE_EQ(edges[i].bytes.value(), std::get<2>(expected[i])) << i;
  }
  EXPECT_EQ(m.graph.sources(), std::vector<OpId>{0});
  EXPECT_EQ(m.graph.sinks(), std::vector<OpId>{3});
}

TEST(ImportPipedream, CrlfLineEndingsAndBlankLines) {
  const fs::path path = write_temp(
      "node1 -- Input -- forward_compute_time=1.0, backward_compute_time=0.0, activation_size=6.0, "
      "parameter_size=0.0\r\n\r\n"
      "node2 -- ReLU -- forward_compute_time=3.0, backward_compute_time=5.0, activation_size=6.0, "
      "parameter_size=8.0\r\n\tnode1 -- node2\r\n");
  const Model m = import_pipedream(path, 1);
  ASSERT_EQ(m.graph.num_ops(), 2u);
  EXPECT_EQ(m.graph.num_edges(), 1u);
  EXPECT_DOUBLE_EQ(m.graph.op(1).measured->backward_per_sample.value(), 0.005);  // 5 ms / 1
  EXPECT_EQ(m.graph.op(1).parameters, 2);                                        // 8 / 4
}

// ---- every published profile against an independent regex parse ----

/// Totals of one graph.txt computed with std::regex over the raw lines.
struct RawTotals {
  std::size_t nodes = 0;
  std::size_t edges = 0;
  double forward_ms = 0.0;
  double backward_ms = 0.0;
  double activation_bytes = 0.0;
  double parameter_bytes = 0.0;
  double edge_bytes = 0.0;  ///< sum over edge lines of the source node's activation_size
  std::map<std::string, std::string> descriptions;
};

double sum_numbers(const std::string& text) {
  static const std::regex number(R"([0-9]+(\.[0-9]+)?)");
  double sum = 0.0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number);
       it != std::sregex_iterator(); ++it) {
    sum += std::stod(it->str());
  }
  return sum;
}

RawTotals regex_totals(const fs::path& path) {
  static const std::regex node(
      R"(^(\S+) -- (.*) -- forward_compute_time=([0-9.]+), backward_compute_time=([0-9.]+), )"
      R"(activation_size=(\[[0-9.; ]+\]|[0-9.]+), parameter_size=([0-9.]+)$)");
  static const std::regex edge(R"(^\t(\S+) -- (\S+)$)");
  RawTotals t;
  std::map<std::string, double> activation;
  std::vector<std::string> edge_sources;
  std::ifstream in(path);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, node)) {
      ++t.nodes;
      t.descriptions[m[1]] = m[2];
      t.forward_ms += std::stod(m[3]);
      t.backward_ms += std::stod(m[4]);
      activation[m[1]] = sum_numbers(m[5]);
      t.activation_bytes += activation[m[1]];
      t.parameter_bytes += std::stod(m[6]);
    } else if (std::regex_match(line, m, edge)) {
      ++t.edges;
      edge_sources.push_back(m[1]);
    } else {
      ADD_FAILURE() << path << ": line matches neither regex: " << line;
    }
  }
  for (const auto& source : edge_sources) t.edge_bytes += activation.at(source);
  return t;
}

void expect_relative(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::max(1.0, std::abs(expected))) << what;
}

TEST(ImportPipedream, EveryPublishedProfileMatchesRegexReparse) {
  if (!fs::is_directory(kProfiles)) GTEST_SKIP() << "shared data not found at " << kProfiles;
  constexpr int kBatch = 8;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kProfiles)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".txt" || path.filename() == "LICENSE.txt") continue;
    SCOPED_TRACE(path.string());
    ++files;
    const Model m = import_pipedream(path, kBatch);
    const RawTotals raw = regex_totals(path);
    EXPECT_EQ(m.name, path.stem().string());
    EXPECT_EQ(m.graph.num_ops(), raw.nodes);
    EXPECT_EQ(m.graph.num_edges(), raw.edges);
    EXPECT_FALSE(m.graph.find_cycle().has_value());
    double fw = 0.0, bw = 0.0, act = 0.0, param = 0.0, edge_bytes = 0.0;
    for (OpId id = 0; id < m.graph.num_ops(); ++id) {
      const Op& op = m.graph.op(id);
      ASSERT_TRUE(op.measured.has_value()) << op.name;
      fw += op.measured->forward_per_sample.value();
      bw += op.measured->backward_per_sample.value();
      act += op.activation_bytes.value();
      param += op.parameter_bytes.value();
      EXPECT_EQ(op.description, raw.descriptions.at(op.name));
    }
    for (const OpEdge& e : m.graph.edges()) edge_bytes += e.bytes.value();
    // Per-sample seconds back to ms for the profiled batch: x * batch * 1000.
    expect_relative(fw * kBatch * 1000.0, raw.forward_ms, "forward");
    expect_relative(bw * kBatch * 1000.0, raw.backward_ms, "backward");
    expect_relative(act * kBatch, raw.activation_bytes, "activation");
    expect_relative(param, raw.parameter_bytes, "parameters");
    expect_relative(edge_bytes * kBatch, raw.edge_bytes, "edge bytes");
  }
  EXPECT_EQ(files, 10);  // the ten profiles listed in ../shared/data/README.md
}

TEST(ImportPipedream, Vgg16KnownFacts) {
  const fs::path path = kProfiles / "vgg16.txt";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  const Model m = import_pipedream(path, 1);
  // `grep -c '^node' vgg16.txt` = 41 and `grep -cP '^\t' vgg16.txt` = 41: a chain of 41 layers.
  EXPECT_EQ(m.graph.num_ops(), 41u);
  EXPECT_EQ(m.graph.num_edges(), 41u);
  // The only source is node1 (Input); the only sink node41, Linear(4096 -> 1000) whose
  // 4096 * 1000 + 1000 = 4,097,000 fp32 parameters are 16,388,000 bytes.
  const auto sources = m.graph.sources();
  const auto sinks = m.graph.sinks();
  ASSERT_EQ(sources.size(), 1u);
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(m.graph.op(sources[0]).name, "node1");
  EXPECT_EQ(m.graph.op(sources[0]).description, "Input");
  EXPECT_EQ(m.graph.op(sinks[0]).name, "node41");
  EXPECT_EQ(m.graph.op(sinks[0]).parameters, 4097000);
}

// ---- errors: each names the file and the 1-based line ----

TEST(ImportPipedream, MissingFile) {
  const fs::path path = fs::path(::testing::TempDir()) / "pd_no_such_profile.txt";
  try {
    import_pipedream(path, 1);
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
    EXPECT_THAT(e.what(), HasSubstr("no file"));
  }
}

TEST(ImportPipedream, DirectoryIsNotAProfile) {
  EXPECT_THROW(import_pipedream(fs::path(::testing::TempDir()), 1), core::ConfigError);
}

TEST(ImportPipedream, BatchSizeBelowOne) {
  expect_error_at(import_error(node_line("node1"), 0), 0, "batch size >= 1, found 0");
}

TEST(ImportPipedream, EmptyFile) {
  expect_error_at(import_error("\n  \n"), 0, "at least one node line");
}

TEST(ImportPipedream, MalformedNodeLine) {
  expect_error_at(import_error(node_line("node1") + "node2 -- Conv2d\n"), 2, "malformed node line");
}

TEST(ImportPipedream, MalformedEdgeLine) {
  expect_error_at(import_error(node_line("node1") + node_line("node2") + "\tnode1 node2\n"), 3,
                  "malformed edge line");
}

TEST(ImportPipedream, NonNumericValue) {
  const std::string attrs =
      "forward_compute_time=abc, backward_compute_time=2.0, activation_size=8.0, "
      "parameter_size=4.0";
  expect_error_at(import_error(node_line("node1", attrs)), 1,
                  "`forward_compute_time`, found `abc`");
}

TEST(ImportPipedream, NegativeValue) {
  const std::string attrs =
      "forward_compute_time=1.0, backward_compute_time=2.0, activation_size=8.0, "
      "parameter_size=-4.0";
  expect_error_at(import_error(node_line("node1") + node_line("node2") + node_line("node3", attrs)),
                  3, "non-negative number for `parameter_size`, found `-4.0`");
}

TEST(ImportPipedream, BadActivationList) {
  const std::string attrs =
      "forward_compute_time=1.0, backward_compute_time=2.0, activation_size=[8.0; x], "
      "parameter_size=4.0";
  expect_error_at(import_error(node_line("node1", attrs)), 1, "`activation_size`, found `x`");
}

TEST(ImportPipedream, MissingAttribute) {
  const std::string attrs =
      "forward_compute_time=1.0, backward_compute_time=2.0, activation_size=8.0";
  expect_error_at(import_error(node_line("node1") + node_line("node2", attrs)), 2,
                  "missing attribute `parameter_size`");
}

TEST(ImportPipedream, UnknownAttribute) {
  const std::string attrs =
      "forward_compute_time=1.0, backward_compute_time=2.0, activation_size=8.0, "
      "parameter_size=4.0, "
      "colour=3";
  expect_error_at(import_error(node_line("node1", attrs)), 1, "found `colour=3`");
}

TEST(ImportPipedream, DuplicateNodeId) {
  expect_error_at(import_error(node_line("node1") + node_line("node2") + node_line("node1")), 3,
                  "duplicate node id `node1`: expected each node once, found it already on line 1");
}

TEST(ImportPipedream, EdgeToUnknownNode) {
  expect_error_at(import_error(node_line("node1") + node_line("node2") + "\tnode1 -- node9\n"), 3,
                  "unknown node `node9`");
}

TEST(ImportPipedream, DuplicateEdge) {
  expect_error_at(import_error(node_line("node1") + node_line("node2") +
                               "\tnode1 -- node2\n\tnode1 -- node2\n"),
                  4, "duplicate edge `node1 -- node2`: already given on line 3");
}

TEST(ImportPipedream, SelfLoop) {
  expect_error_at(import_error(node_line("node1") + node_line("node2") + "\tnode2 -- node2\n"), 3,
                  "self-loop `node2 -- node2`");
}

TEST(ImportPipedream, Cycle) {
  // Lines: 1-3 nodes, 4 node1->node2, 5 node2->node3, 6 node3->node2 closes node2->node3->node2.
  const auto e = import_error(node_line("node1") + node_line("node2") + node_line("node3") +
                              "\tnode1 -- node2\n\tnode2 -- node3\n\tnode3 -- node2\n");
  expect_error_at(e, 6, "expected an acyclic graph, found the cycle");
  EXPECT_THAT(e.what(), HasSubstr("node2"));
  EXPECT_THAT(e.what(), HasSubstr("node3"));
  EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("node1 ->")));
}

TEST(ImportPipedream, ReportsEveryBadLineAtOnce) {
  const auto e = import_error("node1 -- Input\n" + node_line("node2") + "node3 -- X -- y=1\n");
  ASSERT_GE(e.diagnostics().size(), 2u);
  EXPECT_EQ(e.diagnostics()[0].where.line, 1);
  EXPECT_EQ(e.diagnostics()[1].where.line, 3);
}

}  // namespace
}  // namespace gppsim::model
