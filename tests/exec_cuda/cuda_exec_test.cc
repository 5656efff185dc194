// The real backend on a GPU (sim/exec_cuda): every op kind's forward and backward and every
// optimizer on the device must update the weights as the CPU reference does, up to float
// summation order: single-rank (exec::reference_weights on each device) and pipelined over MPI
// ranks that share the GPU. Each test skips itself without a CUDA device (tests/exec checks the
// error --device cuda gives there).

#include <gtest/gtest.h>

#include <cmath>

#include "../exec/correctness_check.h"
#include "sim/config/scenario.h"
#include "sim/exec/run.h"
#include "sim/exec_cuda/cuda_device.h"

namespace gppsim::exec {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device on this machine"

// A small scenario of zoo `model_yaml` with `optimizer`, loaded as a user's file would be.
config::Scenario load(const std::string& name, const std::string& model_yaml, const std::string& optimizer) {
  const auto dir = testing::scratch("cuda-" + name);
  testing::write(dir / "s.yaml", fmt::format(R"(name: {}
model: {}
cluster: {{nodes: 1, gpus_per_node: 1, device: v100-sxm2-16gb}}
training: {{mini_batch: 16, dtype: fp32, optimizer: {}}}
plan: {{planner: manual}}
)", name, model_yaml, optimizer));
  return config::load_scenario(dir / "s.yaml");
}

// `iterations` steps of the whole model on the GPU against the same on the CPU.
void expect_gpu_matches_cpu(const config::Scenario& sc, int iterations) {
  const TrainingSetup setup{sc.training.mini_batch, sc.training.optimizer, 3};
  const auto gpu = make_cuda_device(0);
  const auto before = reference_weights(sc.model, setup, 0);
  const auto want = reference_weights(sc.model, setup, iterations);
  const auto got = reference_weights(sc.model, setup, iterations, *gpu);
  std::size_t checked = 0, moved = 0;
  for (const auto& [op, w] : want) {
    const auto& g = got.at(op);
    ASSERT_EQ(g.size(), w.size()) << op;
    for (std::size_t i = 0; i < w.size(); ++i) {
      ASSERT_NEAR(g[i], w[i], 1e-6 + 1e-4 * std::fabs(w[i])) << op << "[" << i << "]";
      moved += std::fabs(w[i] - before.at(op)[i]) > 1e-6 ? 1 : 0;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_GT(moved, checked / 4) << "the steps barely moved the weights: the comparison would be vacuous";
}

TEST(CudaExec, LinearChainsAndConcatMatchTheCpuWithAdam) {
  SKIP_WITHOUT_GPU();
  expect_gpu_matches_cpu(load("candle", "{zoo: candle_uno, args: {branches: 3, layers_per_branch: 3, hidden: 48}}",
                              "adam"), 3);
}

// Attention (pre-LayerNorm, two heads) and linear layers with a pre-LayerNorm. Momentum, not
// Adam: the K bias's true gradient is 0, and Adam turns float noise there into full steps.
TEST(CudaExec, AttentionAndLayerNormMatchTheCpuWithMomentum) {
  SKIP_WITHOUT_GPU();
  expect_gpu_matches_cpu(
      load("attention", "{zoo: two_branch, args: {branches: 2, blocks_per_branch: 2, hidden: 32, heads: 4, seq_len: 8}}",
           "momentum"), 2);
}

TEST(CudaExec, EmbeddingBagsMatchTheCpuWithSgd) {
  SKIP_WITHOUT_GPU();
  expect_gpu_matches_cpu(load("dlrm", "{zoo: dlrm, args: {dense_branches: 1, sparse_branches: 2, layers_per_branch: 2, "
                                      "hidden: 16, embedding_dim: 8, embedding_rows: 40, bag_size: 5, top_layers: 2}}",
                              "sgd"), 3);
}

const char* kChainStages = R"(stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0]}
  - {id: 1, ops: [b0.fc2, b0.fc3, concat], devices: [1]}
)";

TEST(CudaExec, OneFOneBChainOnTwoRanksMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  testing::expect_matches_reference("cuda-1f1b", 2, "adam", 1,
                                    std::string("schedule: 1f1b\nmicro_batch_size: 2\n") + kChainStages, "cuda");
}

// Re-sharding between degrees 1 and 2 and the all-reduce, staged through host memory.
TEST(CudaExec, DataParallelStageOnThreeRanksMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  testing::expect_matches_reference("cuda-dp2", 3, "sgd", 1, R"(schedule: 1f1b
stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0], micro_batch_size: 2}
  - {id: 1, ops: [b0.fc2, b0.fc3, concat], devices: [1, 2], micro_batch_size: 4}
)", "cuda");
}

TEST(CudaExec, AttentionGraphPipelineWithSplitBackwardMatchesTheReference) {
  SKIP_WITHOUT_GPU();
  testing::expect_matches_reference("cuda-attention", 3, "momentum", 0, R"(schedule: zb-h1
micro_batch_size: 4
stages:
  - {id: 0, ops: [input, b0.k0.attn, b0.k0.lin1, b0.k0.lin2], devices: [0]}
  - {id: 1, ops: [b1.k0.attn, b1.k0.lin1, b1.k0.lin2], devices: [1]}
  - {id: 2, ops: [concat], devices: [2]}
)", "cuda");
}

}  // namespace
}  // namespace gppsim::exec
