#pragma once
// Test helper: runs a plan with `gppsim exec` on MPI ranks (on the CPU or, with device "cuda",
// on GPUs) and checks every (stage, device)'s weights after one step against the CPU
// single-rank reference (exec::reference_weights). Shared by tests/exec and tests/exec_cuda.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config/scenario.h"
#include "sim/exec/run.h"
#include "mpi_run.h"

namespace gppsim::exec::testing {

// A model with two branches of two 32-wide linear layers each, concatenated (branches 1: one
// branch of four); branches 0 gives two_branch's attention blocks instead.
inline std::string scenario(int devices, const std::string& optimizer, int branches) {
  const std::string model = branches == 0
      ? "model: {zoo: two_branch, args: {branches: 2, blocks_per_branch: 1, hidden: 16, heads: 2, seq_len: 4}}\n"
      : fmt::format("model:\n  zoo: candle_uno\n  args: {{branches: {}, layers_per_branch: {}, hidden: 32}}\n",
                    branches, branches == 1 ? 4 : 2);
  return fmt::format(R"(name: exec-test
{}cluster: {{nodes: 1, gpus_per_node: {}, device: v100-sxm2-16gb, intra_node: {{bandwidth: "10 GB/s", latency: "1 us"}}}}
training: {{mini_batch: 16, dtype: fp32, optimizer: {}}}
plan: {{planner: manual}}
)", model, devices, optimizer);
}

using Weights = std::map<std::string, std::vector<float>>;

// Runs the plan with one iteration and compares every (stage, device)'s weights with the
// reference after one step; also checks the step moved the weights (the test can fail).
inline void expect_matches_reference(const std::string& name, int devices, const std::string& optimizer,
                                     int branches, const std::string& strategy, const std::string& device = "cpu") {
  const auto dir = scratch(name);
  write(dir / "scenario.yaml", scenario(devices, optimizer, branches));
  write(dir / "strategy.yaml", strategy);
  const auto r = mpirun(devices, fmt::format("{} exec {} --strategy {} --out {} --iterations 1 --warmup 0 "
                                             "--dump-weights --device {}",
                                             binary(), (dir / "scenario.yaml").string(),
                                             (dir / "strategy.yaml").string(), (dir / "out").string(), device));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto sc = config::load_scenario(dir / "scenario.yaml");
  const TrainingSetup setup{sc.training.mini_batch, sc.training.optimizer, 1};
  const Weights before = reference_weights(sc.model, setup, 0);
  const Weights after = reference_weights(sc.model, setup, 1);
  const auto dumped = nlohmann::json::parse(read(dir / "out" / "weights.json"));
  std::size_t checked = 0, moved = 0;
  for (const auto& entry : dumped) {
    for (const auto& [op, values] : entry["ops"].items()) {
      const auto& want = after.at(op);
      ASSERT_EQ(values.size(), want.size()) << op;
      for (std::size_t i = 0; i < want.size(); ++i) {
        const float got = values[i].get<float>();
        ASSERT_NEAR(got, want[i], 1e-6 + 1e-4 * std::fabs(want[i])) << op << "[" << i << "] on device " << entry["device"];
        moved += std::fabs(want[i] - before.at(op)[i]) > 1e-6 ? 1 : 0;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_GT(moved, checked / 4) << "the step barely moved the weights: the comparison would be vacuous";
}

}  // namespace gppsim::exec::testing
