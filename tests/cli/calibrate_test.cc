// gppsim calibrate end to end on the CPU (quick sweep), and simulate reading the profile.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "run_gppsim.h"
#include "sim/config/device_profile_file.h"

namespace {

using gppsim::cli::testing::read_file;
using gppsim::cli::testing::Result;
using gppsim::cli::testing::run;

class CalibrateCpu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("gppsim-calibrate-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    result_ = run("calibrate --backend cpu --quick --out " + (dir_ / "cpu.yaml").string());
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static inline std::filesystem::path dir_;
  static inline Result result_;
};

TEST_F(CalibrateCpu, WritesAProfileThatLoadsAndRawMeasurements) {
  ASSERT_EQ(result_.exit_code, 0) << result_.out;
  EXPECT_NE(result_.out.find("held-out validation"), std::string::npos) << result_.out;
  const auto profile = gppsim::config::load_device_profile(dir_ / "cpu.yaml");
  EXPECT_EQ(profile.name, "cpu");
  EXPECT_EQ(profile.backend, "cpu");
  EXPECT_EQ(profile.gemm.count(gppsim::core::Dtype::kFp32), 1u);
  EXPECT_EQ(profile.links.count("mpi_pingpong"), 1u);
  EXPECT_GT(profile.validation.points, 0);
  const auto raw = nlohmann::json::parse(read_file(dir_ / "cpu.raw.json"));
  // Held-out points are a fifth of all measured points (the launch run aside).
  const double fit = static_cast<double>(raw.at("fit_points").size());
  const double held = static_cast<double>(raw.at("holdout_points").size());
  EXPECT_NEAR(held / (fit + held), 0.2, 0.02);
  EXPECT_EQ(raw.at("holdout_errors").size(), raw.at("holdout_points").size());
  for (const auto& m : raw.at("fit_points")) EXPECT_TRUE(m.at("correct").get<bool>()) << m.dump();
}

TEST_F(CalibrateCpu, SimulateRunsOnTheProfile) {
  ASSERT_EQ(result_.exit_code, 0) << result_.out;
  const auto scenario = dir_ / "scenario.yaml";
  std::ofstream(scenario) << "name: transformer-on-cpu-profile\n"
                             "model: {zoo: transformer, args: {layers: 4, hidden: 256, heads: 4, ffn: 1024, "
                             "seq_len: 64}}\n"
                             "cluster: {nodes: 1, gpus_per_node: 2, device: cpu.yaml,\n"
                             "          intra_node: {bandwidth: \"10 GB/s\", latency: \"1 us\"}}\n"
                             "training: {mini_batch: 8, dtype: fp32, optimizer: adam}\n"
                             "plan: {planner: graphpipe, micro_batch_sizes: [1, 2]}\n";
  const Result r = run("simulate " + scenario.string() + " --out " + (dir_ / "sim").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(read_file(dir_ / "sim/summary.json"));
  EXPECT_GT(j.at("iteration_time_s").get<double>(), 0.0);
  const auto profile = gppsim::config::load_device_profile(dir_ / "cpu.yaml");
  EXPECT_DOUBLE_EQ(j.at("devices").at(0).at("memory_capacity_bytes").get<double>(),
                   profile.memory_capacity.value());
}

// --concurrent 2: a second process runs the same sweep at the same time and every point holds
// both processes' timed iterations (quick: 3 each); the MPI ping-pong, run by the first process
// alone, keeps its own.
TEST(CalibrateConcurrent, PoolsTheTimesOfBothProcesses) {
  const auto dir = std::filesystem::temp_directory_path() / ("gppsim-calibrate-conc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Result r = run("calibrate --backend cpu --quick --concurrent 2 --out " + (dir / "cpu.yaml").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto profile = gppsim::config::load_device_profile(dir / "cpu.yaml");
  EXPECT_EQ(profile.sweep.at("concurrent_processes"), "2");
  const auto raw = nlohmann::json::parse(read_file(dir / "cpu.raw.json"));
  for (const auto& m : raw.at("fit_points")) {
    const std::size_t expected = m.at("kernel") == "mpi_pingpong" ? 10u : 6u;
    EXPECT_EQ(m.at("times_s").size(), expected) << m.at("kernel");
  }
  EXPECT_EQ(raw.at("launch").at("times_s").size(), 100u);  // 2 x 50
  std::filesystem::remove_all(dir);
}

TEST(CalibrateConcurrent, CudaRefusesIt) {
  const Result r = run("calibrate --backend cuda --concurrent 2 --out /tmp/never-written-conc.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(std::filesystem::exists("/tmp/never-written-conc.yaml"));
}

TEST(CalibrateArguments, BadArgumentsExitTwo) {
  EXPECT_EQ(run("calibrate --backend cpu").exit_code, 2);  // --out is required
  EXPECT_EQ(run("calibrate --backend tpu --out /tmp/x.yaml").exit_code, 2);
}

TEST(CalibrateArguments, CudaWithoutDeviceOrBuildExitsTwoSayingWhy) {
  if (std::filesystem::exists("/dev/nvidia0")) GTEST_SKIP() << "a GPU is present: the CUDA sweep would run";
  const Result r = run("calibrate --backend cuda --out /tmp/never-written.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--backend cuda"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists("/tmp/never-written.yaml"));
}

}  // namespace
