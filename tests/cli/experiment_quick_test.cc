// The README's main job in its --quick form, end to end through the binary: the CSV's structure
// and the invariants that hold on the quick subset.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <unistd.h>

namespace {

const std::filesystem::path kSource = GPPSIM_SOURCE_DIR;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  for (const char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) { out.push_back(cell); cell.clear(); }
    else cell += c;
  }
  out.push_back(cell);
  return out;
}

struct Row {
  std::map<std::string, std::string> at;
  [[nodiscard]] double num(const std::string& k) const { return std::stod(at.at(k)); }
};

std::vector<Row> read_csv(const std::filesystem::path& p, std::vector<std::string>* header) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  *header = split_csv_line(line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    const auto cells = split_csv_line(line);
    Row r;
    for (std::size_t i = 0; i < header->size() && i < cells.size(); ++i) r.at[(*header)[i]] = cells[i];
    rows.push_back(r);
  }
  return rows;
}

class QuickExperiment : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("gppsim-quick-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    const std::string cmd = std::string(GPPSIM_BINARY) + " experiment " + (kSource / "experiments/graphpipe_eval.yaml").string() +
                            " --quick --out " + dir_.string() + " > " + (dir_.string() + ".log") + " 2>&1";
    const int status = std::system(cmd.c_str());
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_.string() + ".log");
  }
  static inline std::filesystem::path dir_;
  static inline int exit_code_ = -1;
};

TEST_F(QuickExperiment, RunsAndWritesTheTables) {
  ASSERT_EQ(exit_code_, 0);
  for (const char* f : {"throughput.csv", "throughput.md", "speedup.csv", "search_time.csv", "case_study.md", "report.md"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / f)) << f;
  }
}

TEST_F(QuickExperiment, ThroughputCsvStructure) {
  ASSERT_EQ(exit_code_, 0);
  std::vector<std::string> header;
  const auto rows = read_csv(dir_ / "throughput.csv", &header);
  const std::vector<std::string> required{"model", "gpus", "planner", "feasible", "throughput_samples_per_s",
                                          "iteration_time_s", "search_time_s", "pipeline_depth", "micro_batch_size",
                                          "peak_memory_bytes"};
  for (const auto& k : required) EXPECT_NE(std::find(header.begin(), header.end(), k), header.end()) << k;
  // quick: 2 models x 2 GPU counts x 3 planners.
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& r : rows) {
    if (r.at.at("feasible") != "true") continue;
    EXPECT_GT(r.num("throughput_samples_per_s"), 0.0);
    // throughput = mini-batch / iteration time
    EXPECT_NEAR(r.num("throughput_samples_per_s") * r.num("iteration_time_s"), r.num("mini_batch"),
                1e-3 * r.num("mini_batch"));
    EXPECT_LE(r.num("peak_memory_bytes"), 16.0 * 1073741824.0);  // V100 16 GiB
  }
}

TEST_F(QuickExperiment, InvariantsOfTheQuickSubset) {
  ASSERT_EQ(exit_code_, 0);
  std::vector<std::string> header;
  const auto rows = read_csv(dir_ / "throughput.csv", &header);
  std::map<std::string, double> tput;  // "model/gpus/planner"
  for (const auto& r : rows) {
    const std::string key = r.at.at("model") + "/" + r.at.at("gpus") + "/" + r.at.at("planner");
    tput[key] = r.at.at("feasible") == "true" ? r.num("throughput_samples_per_s") : 0.0;
    if (r.at.at("planner") == "graphpipe") {
      EXPECT_EQ(r.at.at("feasible"), "true") << key;
    }
    // Piper gives up on CANDLE-Uno's 7 branches (METHODS §6).
    if (r.at.at("model") == "candle_uno" && r.at.at("planner") == "piper") {
      EXPECT_EQ(r.at.at("feasible"), "false");
      EXPECT_NE(r.at.at("reason").find("gave up"), std::string::npos);
    }
  }
  // MMT: GraphPipe beats PipeDream, and its lead grows from 4 to 8 GPUs.
  const double lead4 = tput["mmt/4/graphpipe"] / tput["mmt/4/pipedream"];
  const double lead8 = tput["mmt/8/graphpipe"] / tput["mmt/8/pipedream"];
  EXPECT_GT(lead4, 1.0);
  EXPECT_GT(lead8, lead4);
  // CANDLE-Uno's lead grows with the GPU count too.
  EXPECT_GT(tput["candle_uno/8/graphpipe"] / tput["candle_uno/8/pipedream"],
            tput["candle_uno/4/graphpipe"] / tput["candle_uno/4/pipedream"]);
}

TEST_F(QuickExperiment, CaseStudyGraphPipelineIsShallower) {
  ASSERT_EQ(exit_code_, 0);
  std::vector<std::string> header;
  const auto rows = read_csv(dir_ / "case_study.csv", &header);
  std::map<std::string, double> depth;
  for (const auto& r : rows) depth[r.at.at("planner")] = r.num("pipeline_depth");
  ASSERT_TRUE(depth.contains("graphpipe") && depth.contains("pipedream"));
  EXPECT_LT(depth["graphpipe"], depth["pipedream"]);  // the paper: 4 against 8
}

}  // namespace
