// End-to-end tests of the gppsim executable: exit codes and outputs as a user sees them.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "run_gppsim.h"

namespace {

const std::filesystem::path kConfigs = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs/scenarios";

using gppsim::cli::testing::read_file;
using gppsim::cli::testing::Result;
using gppsim::cli::testing::run;

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


struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("gppsim-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

const std::filesystem::path kStrategies = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs/strategies";

TEST(CliSimulate, ChainClosedFormAndOutputs) {
  const TempDir dir;
  const Result r = run("simulate " + (kConfigs / "chain-4.yaml").string() + " --strategy " +
                       (kStrategies / "chain-4-pipeline.yaml").string() + " --out " + dir.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(read_file(dir.path / "summary.json"));
  // (m + p - 1)(F + B) = (8 + 3)(1 ms + 2 ms) = 33 ms; throughput 8 / 0.033 s.
  EXPECT_DOUBLE_EQ(j.at("iteration_time_s").get<double>(), 0.033);
  EXPECT_DOUBLE_EQ(j.at("throughput_samples_per_s").get<double>(), 8.0 / 0.033);
  EXPECT_EQ(j.at("num_micro_batches"), 8);
  EXPECT_EQ(j.at("pipeline_depth"), 4);
  EXPECT_EQ(j.at("feasible"), true);
  for (const char* key : {"mini_batch_size", "bubble_fraction", "devices", "stages", "events", "wall_time_s"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("stages").at(0).at("in_flight_micro_batches"), 4);
  EXPECT_TRUE(j.at("devices").at(0).contains("peak_memory_bytes"));
  const auto trace = nlohmann::json::parse(read_file(dir.path / "trace.json"));
  EXPECT_GT(trace.at("traceEvents").size(), 64u);  // 4 stages x 8 micro-batches x (F + B) spans at least
}

TEST(CliSimulate, SameInputsGiveIdenticalFiles) {
  const TempDir a, b;
  const std::string args = "simulate " + (kConfigs / "mmt-summit-8.yaml").string() + " --strategy " +
                           (kStrategies / "mmt-summit-8-gpp.yaml").string() + " --out ";
  ASSERT_EQ(run(args + a.path.string()).exit_code, 0);
  ASSERT_EQ(run(args + b.path.string()).exit_code, 0);
  EXPECT_EQ(read_file(a.path / "trace.json"), read_file(b.path / "trace.json"));
  auto ja = nlohmann::json::parse(read_file(a.path / "summary.json"));
  auto jb = nlohmann::json::parse(read_file(b.path / "summary.json"));
  ja.erase("wall_time_s");
  jb.erase("wall_time_s");
  EXPECT_EQ(ja.dump(), jb.dump());
}

TEST(CliSimulate, ManualWithoutStrategyExitsTwo) {
  const Result r = run("simulate " + (kConfigs / "chain-4.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--strategy"), std::string::npos) << r.out;
}

TEST(CliSimulate, OverCapacityExitsThreeWithNumbers) {
  // Stage 0 of the chain keeps 4 micro-batches of 1 MiB in flight under 1F1B: 4 MiB > 1 MiB.
  const TempDir dir;
  std::ofstream(dir.path / "tight.yaml")
      << "model: {zoo: chain, args: {layers: 4, activation_bytes: \"1 MiB\"}}\n"
         "cluster: {nodes: 1, gpus_per_node: 4, device: v100-sxm2-16gb, intra_node: {bandwidth: \"50 GB/s\", latency: \"0 s\"}}\n"
         "training: {mini_batch: 8, optimizer: sgd}\nplan: {planner: manual, memory_limit: \"1 MiB\"}\n";
  const Result r = run("simulate " + (dir.path / "tight.yaml").string() + " --strategy " +
                       (kStrategies / "chain-4-pipeline.yaml").string() + " --out " + (dir.path / "out").string());
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("device 0 needs"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(read_file(dir.path / "out/summary.json"));
  EXPECT_EQ(j.at("feasible"), false);
}

TEST(Cli, HelpExitsZero) {
  const Result r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
}

}  // namespace
