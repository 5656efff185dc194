// End-to-end tests of the gppsim executable: exit codes and outputs as a user sees them.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace {

const std::string kBinary = GPPSIM_BINARY;
const std::filesystem::path kConfigs = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs/scenarios";

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Result run(const std::string& args) {
  Result r;
  FILE* pipe = popen((kBinary + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) r.out += buf.data();
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(Cli, InspectJsonHasTheContractKeys) {
  const Result r = run("inspect --json " + (kConfigs / "two_branch-summit-8.yaml").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  // two_branch: input + 2 branches x 4 blocks x 3 ops + concat = 1 + 24 + 1 = 26 ops;
  // edges: 2 (input->branch) + 2 x 11 (within a branch) + 2 (branch->concat) = 26.
  EXPECT_EQ(j.at("num_ops"), 26);
  EXPECT_EQ(j.at("num_edges"), 26);
  // Per block (h = 1024): attention 4h^2 + 6h, linear 1 h^2 + 3h (pre-norm 2h + bias h),
  // linear 2 h^2 + h -> 6h^2 + 10h = 6291456 + 10240 = 6301696; x 8 blocks = 50413568.
  EXPECT_EQ(j.at("parameters"), 50413568);
  EXPECT_TRUE(j.contains("forward_flops_per_sample"));
  EXPECT_EQ(j.at("blocks").at(0).at("branch_sizes"), nlohmann::json::parse("[12, 12]"));
}

TEST(Cli, InspectTextNamesBranches) {
  const Result r = run("inspect " + (kConfigs / "mmt-summit-8.yaml").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("4 branches of [24, 24, 24, 24] ops"), std::string::npos) << r.out;
}

TEST(Cli, BadInputExitsTwoWithLocation) {
  const auto dir = std::filesystem::temp_directory_path() / ("gppsim-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "bad.yaml";
  std::ofstream(file) << "model: {zoo: mmt}\ncluster: {preset: summit, nodes: 1, gpus_per_node: 4,\n"
                         "  inter_node: {bandwidth: 12.5, latency: \"5 us\"}}\ntraining: {mini_batch: 8}\n"
                         "plan: {planner: graphpipe}\n";
  const Result r = run("inspect " + file.string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("bad.yaml:3:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cluster.inter_node.bandwidth"), std::string::npos) << r.out;
}

TEST(Cli, MissingFileExitsTwo) {
  const Result r = run("inspect /no/such/scenario.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("/no/such/scenario.yaml"), std::string::npos) << r.out;
}

TEST(Cli, UnknownVerbAndMissingArgumentExitTwo) {
  EXPECT_EQ(run("frobnicate").exit_code, 2);
  EXPECT_EQ(run("inspect").exit_code, 2);
  EXPECT_EQ(run("").exit_code, 2);
}

TEST(Cli, HelpExitsZero) {
  const Result r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
}

}  // namespace
