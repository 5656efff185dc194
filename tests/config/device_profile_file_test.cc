// Device profile files: round trip of the writer through the reader, precise errors for bad
// files, and scenarios that name a profile as their device.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "scenario_files.h"
#include "sim/config/device_profile_file.h"
#include "sim/config/scenario.h"
#include "sim/core/errors.h"

namespace gppsim::config {
namespace {

hw::DeviceProfile sample_profile() {
  hw::DeviceProfile p;
  p.name = "sample \"measured\"";
  p.backend = "cpu";
  p.device = "Test CPU";
  p.versions = {{"openblas", "0.3.21"}};
  p.date = "2026-11-22";
  p.sweep = {{"quick", "true"}};
  p.memory_capacity = core::Bytes{17179869184.0};
  p.launch_overhead = core::Seconds{1.25e-7};
  p.gemm[core::Dtype::kFp32] = hw::GridTable{{{16, 32}, {16}, {16, 64}}, {1.5e9, 2.25e9, 3e9, 4.125e10}};
  p.batched_gemm[core::Dtype::kFp32] = hw::GridTable{{{16}, {16}, {16}, {2, 8}}, {1e9, 2e9}};
  p.memory["elementwise"] = hw::PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{1e-7}, core::BytesPerSecond{1e10}},
                                                    {core::Bytes{65536}, core::Seconds{0}, core::BytesPerSecond{8e9}}}};
  p.links["mpi_pingpong"] =
      hw::PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{4e-7}, core::BytesPerSecond{5e9}}}};
  p.validation = {12, 0.05, 0.25};
  return p;
}

TEST(DeviceProfileFile, WriterOutputReadsBackEqual) {
  const hw::DeviceProfile p = sample_profile();
  const testing::TempFile file(device_profile_to_yaml(p), "profile.yaml");
  const hw::DeviceProfile q = load_device_profile(file.path());
  EXPECT_EQ(q.name, p.name);
  EXPECT_EQ(q.device, p.device);
  EXPECT_EQ(q.versions, p.versions);
  EXPECT_DOUBLE_EQ(q.memory_capacity.value(), p.memory_capacity.value());
  EXPECT_NEAR(q.launch_overhead.value(), 1.25e-7, 1e-18);
  EXPECT_EQ(q.gemm.at(core::Dtype::kFp32).axes, p.gemm.at(core::Dtype::kFp32).axes);
  const auto& rates = q.gemm.at(core::Dtype::kFp32).values;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    EXPECT_NEAR(rates[i] / p.gemm.at(core::Dtype::kFp32).values[i], 1.0, 1e-7);  // 7 significant digits
  }
  ASSERT_EQ(q.memory.at("elementwise").segments.size(), 2u);
  EXPECT_DOUBLE_EQ(q.memory.at("elementwise").segments[1].from.value(), 65536.0);
  EXPECT_NEAR(q.links.at("mpi_pingpong").segments[0].bandwidth.value(), 5e9, 1.0);
  EXPECT_EQ(q.validation.points, 12);
  EXPECT_FALSE(q.digest.empty());
  EXPECT_EQ(device_profile_to_yaml(p), device_profile_to_yaml(p));  // deterministic
}

TEST(DeviceProfileFile, BackwardLayoutTablesAndOptimizerFitsReadBack) {
  hw::DeviceProfile p = sample_profile();
  p.gemm_nt[core::Dtype::kFp32] = hw::GridTable{{{16, 32}, {16}, {16}}, {1e9, 2e9}};
  p.gemm_tn[core::Dtype::kFp32] = hw::GridTable{{{16}, {16, 32}, {16}}, {3e9, 5e9}};
  p.memory["adam"] = hw::PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{2e-7}, core::BytesPerSecond{6e9}}}};
  const std::string text = device_profile_to_yaml(p);
  EXPECT_NE(text.find("\ngemm_nt:\n"), std::string::npos);
  EXPECT_EQ(device_profile_to_yaml(sample_profile()).find("gemm_nt"), std::string::npos);  // only when measured
  const testing::TempFile file(text, "profile.yaml");
  const hw::DeviceProfile q = load_device_profile(file.path());
  EXPECT_EQ(q.gemm_nt.at(core::Dtype::kFp32).axes, p.gemm_nt.at(core::Dtype::kFp32).axes);
  EXPECT_NEAR(q.gemm_nt.at(core::Dtype::kFp32).values[1], 2e9, 1e3);
  EXPECT_EQ(q.gemm_tn.at(core::Dtype::kFp32).axes, p.gemm_tn.at(core::Dtype::kFp32).axes);
  EXPECT_NEAR(q.gemm_tn.at(core::Dtype::kFp32).values[1], 5e9, 1e3);
  EXPECT_NEAR(q.memory.at("adam").segments[0].bandwidth.value(), 6e9, 1.0);
}

/// The sample profile with one line replaced; asserts the error names file, line and key.
void expect_rejected(const std::string& from, const std::string& to, int line, const std::string& path,
                     const std::string& message) {
  std::string text = device_profile_to_yaml(sample_profile());
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  const testing::TempFile file(text, "profile.yaml");
  try {
    (void)load_device_profile(file.path());
    FAIL() << "accepted:\n" << text;
  } catch (const core::ConfigError& e) {
    bool found = false;
    for (const auto& d : e.diagnostics()) {
      found = found || ((line == 0 || d.where.line == line) && d.where.yaml_path == path &&
                        d.message.find(message) != std::string::npos && d.where.file == file.path().string());
    }
    EXPECT_TRUE(found) << "expected line " << line << " " << path << ": " << message << "\ngot: " << e.what();
  }
}

TEST(DeviceProfileFile, BadFilesAreRejectedWithLocation) {
  // Line numbers follow the writer's layout: format, name, backend, device, date, versions,
  // sweep, memory_capacity (8), launch_overhead (9), gemm (10), fp32 (11), unit (12), m (13);
  // a table's own problems are reported where its mapping starts (line 12).
  expect_rejected("format: gppsim-device-profile/1", "format: something-else", 1, "format",
                  "expected format \"gppsim-device-profile/1\"");
  expect_rejected("memory_capacity: \"17179869184 B\"", "memory_capacity: 16", 8, "memory_capacity", "unit");
  expect_rejected("    unit: GFLOP/s\n    m: [16, 32]", "    unit: GB/s\n    m: [16, 32]", 12, "gemm.fp32.unit",
                  "expected a rate unit");
  expect_rejected("m: [16, 32]", "m: [16, 32, 64]", 12, "gemm.fp32", "expected 6 values");
  expect_rejected("m: [16, 32]", "m: [32, 16]", 12, "gemm.fp32", "not strictly increasing");
  expect_rejected("backend: cpu", "backend: tpu", 3, "backend", "expected one of: cuda, cpu");
  expect_rejected("launch_overhead", "launch_overheads", 9, "launch_overheads", "unknown key \"launch_overheads\"");
  expect_rejected("{from: \"0 B\", latency: \"0.1 us\"", "{from: \"8 B\", latency: \"0.1 us\"", 0,
                  "memory.elementwise", "start at 0 B");
  expect_rejected("  mpi_pingpong:", "  infiniband:", 0, "links.infiniband", "expected one of");
}

TEST(DeviceProfileFile, ScenarioReadsAProfileRelativeToItself) {
  const testing::TempFile scenario(
      "model: {zoo: chain, args: {layers: 4}}\n"
      "cluster: {preset: summit, nodes: 1, gpus_per_node: 2, device: devices/sample.yaml}\n"
      "training: {mini_batch: 8}\nplan: {planner: graphpipe}\n");
  std::filesystem::create_directories(scenario.path().parent_path() / "devices");
  std::ofstream(scenario.path().parent_path() / "devices/sample.yaml") << device_profile_to_yaml(sample_profile());
  const Scenario s = load_scenario(scenario.path());
  ASSERT_NE(s.cluster.profile, nullptr);
  EXPECT_EQ(s.cluster.device.name, "sample \"measured\"");
  EXPECT_DOUBLE_EQ(s.cluster.device.memory_capacity.value(), 17179869184.0);
}

TEST(DeviceProfileFile, ScenarioWithMissingProfileNamesThePath) {
  const testing::TempFile scenario(
      "model: {zoo: chain, args: {layers: 4}}\n"
      "cluster: {preset: summit, nodes: 1, gpus_per_node: 2, device: no/such/profile.yaml}\n"
      "training: {mini_batch: 8}\nplan: {planner: graphpipe}\n");
  try {
    (void)load_scenario(scenario.path());
    FAIL();
  } catch (const core::ConfigError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics()[0].where.yaml_path, "cluster.device");
    EXPECT_EQ(e.diagnostics()[0].where.line, 2);
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gppsim::config

namespace gppsim::config {
namespace {

// Every profile checked in under configs/devices must load and keep its invariants.
TEST(DeviceProfileSmoke, EveryCheckedInProfileLoads) {
  const auto dir = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs/devices";
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    hw::DeviceProfile p;
    EXPECT_NO_THROW(p = load_device_profile(entry.path()));
    EXPECT_EQ(p.validate(), "");
    EXPECT_GT(p.validation.points, 0);
    ++loaded;
  }
  EXPECT_GE(loaded, 1);
}

}  // namespace
}  // namespace gppsim::config
