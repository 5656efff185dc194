// `gppsim exec` and `gppsim crosscheck` as a user runs them: outputs, the comparison's own
// arithmetic, and the fault paths (wrong rank count, ranks that disagree, a failing rank, a run
// past its time limit, a model the backend cannot run) ending with a clear error, never a hang.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "sim/config/scenario.h"
#include "sim/config/strategy_file.h"
#include "sim/exec/exec_model.h"
#include "mpi_run.h"

namespace gppsim::exec {
namespace {

using testing::mpirun;

const std::filesystem::path kConfigs = std::filesystem::path(GPPSIM_SOURCE_DIR) / "configs" / "crosscheck";

std::string exec_args(const std::string& name, const std::string& extra) {
  return fmt::format("{} exec {} --strategy {} {}", testing::binary(), (kConfigs / (name + ".yaml")).string(),
                     (kConfigs / (name + ".strategy.yaml")).string(), extra);
}

// Every cross-check scenario loads, its strategy loads (one beside it, or its planner makes one:
// then it names a planner, not manual), and the real backend accepts its model.
TEST(ExecConfigs, EveryCrosscheckScenarioAndStrategyLoads) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kConfigs)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name.find(".strategy.") != std::string::npos) continue;
    const auto sc = config::load_scenario(entry.path());
    auto strategy_file = entry.path();
    strategy_file.replace_extension(".strategy.yaml");
    if (std::filesystem::exists(strategy_file)) {
      EXPECT_NO_THROW(config::load_strategy(strategy_file, sc)) << name;
    } else {
      EXPECT_NE(sc.plan.planner, config::PlannerKind::kManual) << name << " has no strategy and no planner";
    }
    EXPECT_NO_THROW(build_exec_model(sc.model)) << name;
    ++seen;
  }
  EXPECT_GE(seen, 7);
}

// The CI cross-check: chain-2 on 2 ranks with a quick calibration. The comparison's error must
// be (simulated - measured) / measured of the two summaries the run wrote.
TEST(Crosscheck, ChainOnTwoRanksWritesAConsistentComparison) {
  const auto dir = testing::scratch("crosscheck");
  const auto r = mpirun(1, "true");  // mpirun is usable here
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string cmd = fmt::format(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 {} crosscheck {} --strategy {} --out {} "
      "--quick-calibration --iterations 3 --warmup 1 2>&1",
      testing::binary(), (kConfigs / "chain-2.yaml").string(), (kConfigs / "chain-2.strategy.yaml").string(),
      dir.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const auto c = nlohmann::json::parse(testing::read(dir / "comparison.json"));
  const auto sim = nlohmann::json::parse(testing::read(dir / "simulated" / "summary.json"));
  const auto real = nlohmann::json::parse(testing::read(dir / "measured" / "summary.json"));
  const double s = sim["iteration_time_s"], m = real["iteration_time_s"];
  EXPECT_NEAR(c["simulated_iteration_time_s"].get<double>(), s, 1e-9 + 1e-6 * s);
  EXPECT_NEAR(c["measured_iteration_time_s"].get<double>(), m, 1e-9 + 1e-6 * m);
  EXPECT_NEAR(c["relative_error"].get<double>(), (s - m) / m, 1e-6);
  EXPECT_GT(m, 0.0);
  ASSERT_EQ(c["stages"].size(), 2u);
  ASSERT_EQ(c["ranks_memory"].size(), 2u);
  EXPECT_EQ(c["measured_iterations_s"].size(), 3u);
  EXPECT_NE(testing::read(dir / "comparison.md").find("Error:"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "measured" / "trace.json"));
}

TEST(ExecFaults, RankCountMustMatchTheDevices) {
  const auto r = mpirun(1, exec_args("chain-2", "--out " + testing::scratch("ranks").string()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("the plan has 2 devices but the job has 1 MPI ranks"), std::string::npos) << r.out;
}

TEST(ExecFaults, RanksWithDifferentInputsStopTogether) {
  const auto out = testing::scratch("mismatch").string();
  const auto r = mpirun(1, exec_args("chain-2", "--seed 1 --out " + out) + " : -np 1 " +
                               exec_args("chain-2", "--seed 2 --out " + out));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("the ranks read different inputs: ranks 1 differ from rank 0"), std::string::npos) << r.out;
}

TEST(ExecFaults, AFailingRankEndsTheJob) {
  const auto out = testing::scratch("failing").string();
  const std::string bad = fmt::format("{} exec {} --strategy /nonexistent/strategy.yaml --out {}", testing::binary(),
                                      (kConfigs / "chain-2.yaml").string(), out);
  const auto r = mpirun(1, exec_args("chain-2", "--out " + out) + " : -np 1 " + bad);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("gppsim exec (rank 1): bad input"), std::string::npos) << r.out;
}

TEST(ExecFaults, ARunPastItsTimeLimitEnds) {
  const auto r = mpirun(2, exec_args("chain-2", "--iterations 1000 --time-limit 0.5 --out " +
                                                    testing::scratch("limit").string()));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("passed its time limit of 0.5 s"), std::string::npos) << r.out;
}

// Without a usable GPU (none on the machine, or a build without CUDA) --device cuda is a bad
// input that says why: never a silent run on the CPU.
TEST(ExecFaults, DeviceCudaWithoutAGpuIsABadInput) {
  if (std::system("nvidia-smi -L > /dev/null 2>&1") == 0) GTEST_SKIP() << "this machine has a GPU";
  const auto r = mpirun(2, exec_args("chain-2", "--device cuda --out " + testing::scratch("nogpu").string()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--device cuda: this"), std::string::npos) << r.out;
}

TEST(ExecFaults, ProfiledOpsAreRejectedByName) {
  const auto dir = testing::scratch("profiled");
  testing::write(dir / "s.yaml", R"(name: prof
model: {zoo: chain, args: {layers: 2, forward_time: "1 ms", backward_time: "2 ms", activation_bytes: "4 B", parameter_bytes: "0 B"}}
cluster: {nodes: 1, gpus_per_node: 1, device: v100-sxm2-16gb, intra_node: {bandwidth: "10 GB/s", latency: "1 us"}}
training: {mini_batch: 4, dtype: fp32, optimizer: sgd}
plan: {planner: manual}
)");
  testing::write(dir / "st.yaml", "schedule: 1f1b\nmicro_batch_size: 4\nstages:\n  - {id: 0, ops: [layer0, layer1], devices: [0]}\n");
  const auto r = mpirun(1, fmt::format("{} exec {} --strategy {} --out {}", testing::binary(), (dir / "s.yaml").string(),
                                       (dir / "st.yaml").string(), (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot run op 'layer0': its kind is profiled"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gppsim::exec
