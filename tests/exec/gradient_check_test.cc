// Backward of every op kind against central finite differences of the loss: a tiny two_branch
// model (pre-LayerNorm attention, a pre-LayerNorm linear, a linear, concat) and a tiny DLRM
// (embedding bags, concat, top layers). Independent of how backward is written: only forward
// and the loss are used for the expected values.

#include <gtest/gtest.h>

#include <cmath>

#include "sim/exec/exec_model.h"
#include "sim/exec/stage_boundary.h"
#include "sim/exec/stage_runner.h"
#include "sim/model/zoo.h"

namespace gppsim::exec {
namespace {

constexpr std::int64_t kBatch = 2;

void check_gradients(const model::Model& m) {
  const ExecModel em = build_exec_model(m);
  plan::Strategy one;
  one.stages.push_back(plan::Stage{0, m.graph.topological_order(), {0}, kBatch});
  const StageBoundary boundary = make_stage_boundary(one, em);
  MemoryCounter mem;
  StageRunner runner(em, one.stages[0], boundary, TrainingSetup{kBatch, model::Optimizer::kSgd, 3}, mem);
  runner.forward(0, 0, kBatch, {});
  runner.backward(0, {}, false);
  const std::vector<float> grads(runner.gradients().data(), runner.gradients().data() + runner.gradients().size());
  std::size_t offset = 0, checked = 0;
  for (const auto id : one.stages[0].ops) {
    std::vector<float> w = runner.op_weights(id);
    for (std::size_t i = 0; i < w.size(); i += 5) {
      const float keep = w[i];
      const float eps = 1e-2f;
      w[i] = keep + eps;
      runner.set_op_weights(id, w);
      runner.forward(1, 0, kBatch, {});
      const double up = runner.loss(1);
      w[i] = keep - eps;
      runner.set_op_weights(id, w);
      runner.forward(1, 0, kBatch, {});
      const double down = runner.loss(1);
      w[i] = keep;
      runner.set_op_weights(id, w);
      const double numeric = (up - down) / (2.0 * eps);
      EXPECT_NEAR(grads[offset + i], numeric, 2e-3 + 3e-2 * std::fabs(numeric))
          << m.graph.op(id).name << " parameter " << i;
      ++checked;
    }
    offset += w.size();
  }
  EXPECT_GT(checked, 20u);
}

TEST(GradientCheck, AttentionLayerNormAndLinearMatchFiniteDifferences) {
  check_gradients(model::build_zoo_model(model::TwoBranchArgs{1, 1, 8, 2, 3}, core::Dtype::kFp32));
}

TEST(GradientCheck, EmbeddingBagsAndConcatMatchFiniteDifferences) {
  check_gradients(model::build_zoo_model(model::DlrmArgs{1, 1, 1, 6, 4, 5, 3, 2}, core::Dtype::kFp32));
}

}  // namespace
}  // namespace gppsim::exec
