// The single-rank reference itself, against a hand derivation with naive double-precision loops
// (no BLAS): a chain of ReLU linear layers with biases, loss 0.5 * sum(y^2) / N, one SGD step
// (lr 0.01). The pipelined tests compare against this reference, so its math is pinned here.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/units.h"
#include "sim/exec/exec_model.h"
#include "sim/exec/op_kernels.h"
#include "sim/exec/run.h"
#include "sim/model/zoo.h"

namespace gppsim::exec {
namespace {

using Matrix = std::vector<std::vector<double>>;

TEST(ReferenceMath, ChainOfLinearLayersMatchesAHandDerivedSgdStep) {
  constexpr int kHidden = 3, kLayers = 2, kBatch = 2;
  const model::Model m = model::build_zoo_model(model::CandleUnoArgs{1, kLayers, kHidden}, core::Dtype::kFp32);
  const ExecModel em = build_exec_model(m);
  const TrainingSetup setup{kBatch, model::Optimizer::kSgd, 7};
  // Ops: input (id 0), b0.fc0, b0.fc1, concat (the sink; its output is the last layer's).
  Matrix x(kBatch, std::vector<double>(kHidden));
  for (int g = 0; g < kBatch; ++g) {
    for (int j = 0; j < kHidden; ++j) x[g][j] = seeded_uniform(setup.seed, 1 + 0, g, j);
  }
  std::vector<std::vector<float>> params(kLayers);
  std::vector<Matrix> inputs, outputs;
  for (int l = 0; l < kLayers; ++l) {
    const ExecOp& op = em.ops[*m.graph.find("b0.fc" + std::to_string(l))];
    params[l].resize(static_cast<std::size_t>(op.parameters));  // W (3 x 3) then bias (3)
    init_parameters(op, setup.seed, params[l].data());
    Matrix y(kBatch, std::vector<double>(kHidden));
    for (int g = 0; g < kBatch; ++g) {
      for (int n = 0; n < kHidden; ++n) {
        double z = params[l][kHidden * kHidden + n];
        for (int k = 0; k < kHidden; ++k) z += x[g][k] * params[l][k * kHidden + n];
        y[g][n] = z > 0 ? z : 0;
      }
    }
    inputs.push_back(x);
    outputs.push_back(y);
    x = y;
  }
  // dL/dy = y / N at the sink; back through ReLU and each layer.
  Matrix dy = outputs.back();
  for (auto& row : dy) for (auto& v : row) v /= kBatch;
  std::vector<std::vector<double>> expected(kLayers);
  for (int l = kLayers - 1; l >= 0; --l) {
    Matrix dz = dy, dx(kBatch, std::vector<double>(kHidden, 0.0));
    for (int g = 0; g < kBatch; ++g) for (int n = 0; n < kHidden; ++n) if (outputs[l][g][n] <= 0) dz[g][n] = 0;
    expected[l].assign(params[l].begin(), params[l].end());
    for (int k = 0; k < kHidden; ++k) {
      for (int n = 0; n < kHidden; ++n) {
        double dw = 0;
        for (int g = 0; g < kBatch; ++g) dw += inputs[l][g][k] * dz[g][n];
        expected[l][k * kHidden + n] -= 0.01 * dw;
      }
    }
    for (int n = 0; n < kHidden; ++n) {
      double db = 0;
      for (int g = 0; g < kBatch; ++g) db += dz[g][n];
      expected[l][kHidden * kHidden + n] -= 0.01 * db;
    }
    for (int g = 0; g < kBatch; ++g)
      for (int k = 0; k < kHidden; ++k)
        for (int n = 0; n < kHidden; ++n) dx[g][k] += dz[g][n] * params[l][k * kHidden + n];
    dy = dx;
  }
  const auto got = reference_weights(m, setup, 1);
  int moved = 0;
  for (int l = 0; l < kLayers; ++l) {
    const auto& w = got.at("b0.fc" + std::to_string(l));
    ASSERT_EQ(w.size(), expected[l].size());
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(w[i], expected[l][i], 1e-6) << "layer " << l << " parameter " << i;
      moved += std::fabs(expected[l][i] - params[l][i]) > 1e-7 ? 1 : 0;
    }
  }
  EXPECT_GT(moved, 4) << "the hand-derived step barely moves the weights";
}

TEST(ReferenceMath, UnsupportedDtypeIsABadInput) {
  const model::Model m = model::build_zoo_model(model::CandleUnoArgs{1, 1, 4}, core::Dtype::kBf16);
  EXPECT_THROW(build_exec_model(m), core::ConfigError);
}

}  // namespace
}  // namespace gppsim::exec
