// The real backend's numerics: a pipelined run on MPI ranks (any stage graph, schedule and
// data-parallel degree) must update the weights exactly as the single-rank reference does,
// up to float summation order. Expected values come from exec::reference_weights, which runs
// the whole model on the whole mini-batch in one process with no pipeline and no messages.

#include <gtest/gtest.h>

#include "correctness_check.h"

namespace gppsim::exec {
namespace {

using testing::expect_matches_reference;

const char* kChainStages = R"(stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0]}
  - {id: 1, ops: [b0.fc2, b0.fc3, concat], devices: [1]}
)";

TEST(ExecCorrectness, GpipeChainOnTwoRanks) {
  expect_matches_reference("gpipe", 2, "sgd", 1, std::string("schedule: gpipe\nmicro_batch_size: 4\n") + kChainStages);
}

TEST(ExecCorrectness, OneFOneBChainWithAdam) {
  expect_matches_reference("1f1b", 2, "adam", 1, std::string("schedule: 1f1b\nmicro_batch_size: 2\n") + kChainStages);
}

TEST(ExecCorrectness, ZeroBubbleSplitBackward) {
  expect_matches_reference("zbh1", 2, "momentum", 1, std::string("schedule: zb-h1\nmicro_batch_size: 4\n") + kChainStages);
}

// Graph 1F1B on a stage DAG: 0 -> 1 (the input feeds branch 1), 0 -> 2 and 1 -> 2 (the concat).
TEST(ExecCorrectness, GraphOneFOneBOnBranches) {
  expect_matches_reference("graph1f1b", 3, "sgd", 2, R"(schedule: 1f1b
micro_batch_size: 4
stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0]}
  - {id: 1, ops: [b1.fc0, b1.fc1], devices: [1]}
  - {id: 2, ops: [concat], devices: [2]}
)");
}

// Data parallel degree 2 in the second stage, with a different micro-batch size: every
// micro-batch is re-sharded between 1 and 2 devices, and the stage all-reduces its gradients.
TEST(ExecCorrectness, DataParallelStageWithResharding) {
  expect_matches_reference("dp2", 3, "sgd", 1, R"(schedule: 1f1b
stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0], micro_batch_size: 2}
  - {id: 1, ops: [b0.fc2, b0.fc3, concat], devices: [1, 2], micro_batch_size: 4}
)");
}

// A sequential pipeline of a branchy model: branch 0's output passes through stage 1.
TEST(ExecCorrectness, SequentialPipelineForwardsThroughStages) {
  expect_matches_reference("passthrough", 3, "sgd", 2, R"(schedule: 1f1b
micro_batch_size: 4
stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1], devices: [0]}
  - {id: 1, ops: [b1.fc0, b1.fc1], devices: [1]}
  - {id: 2, ops: [concat], devices: [2]}
edges: [[0, 1], [1, 2]]
)");
}

// Attention blocks (pre-LayerNorm, two heads) of two branches as a graph pipeline, ZB-H1 split.
// Not Adam: the K bias's true gradient is 0 (softmax ignores a per-query constant), and Adam's
// first step turns float noise in a zero gradient into a full step of either sign.
TEST(ExecCorrectness, AttentionBranchesAsAGraphPipeline) {
  expect_matches_reference("attention", 3, "momentum", 0, R"(schedule: zb-h1
micro_batch_size: 4
stages:
  - {id: 0, ops: [input, b0.k0.attn, b0.k0.lin1, b0.k0.lin2], devices: [0]}
  - {id: 1, ops: [b1.k0.attn, b1.k0.lin1, b1.k0.lin2], devices: [1]}
  - {id: 2, ops: [concat], devices: [2]}
)");
}

TEST(ExecCorrectness, PureDataParallelOnTwoRanks) {
  expect_matches_reference("dp-only", 2, "adam", 1, R"(schedule: 1f1b
micro_batch_size: 8
stages:
  - {id: 0, ops: [input, b0.fc0, b0.fc1, b0.fc2, b0.fc3, concat], devices: [0, 1]}
)");
}

}  // namespace
}  // namespace gppsim::exec
