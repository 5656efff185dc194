#pragma once
// One stage's ops on one device: forward and backward of a shard of a micro-batch, the stash
// between them, the stage's parameters, their gradients and the optimizer step. Executor-free:
// the MPI runtime and the single-rank reference drive it the same way.

#include <cstdint>
#include <map>
#include <vector>

#include "sim/exec/attention_kernels.h"
#include "sim/exec/buffer.h"
#include "sim/exec/exec_model.h"
#include "sim/exec/stage_boundary.h"
#include "sim/model/summary.h"
#include "sim/plan/strategy.h"

namespace gppsim::exec {

/// Fixed training hyper-parameters of the real backend.
struct TrainingSetup {
  std::int64_t mini_batch = 1;   ///< the loss averages over it
  model::Optimizer optimizer = model::Optimizer::kSgd;
  std::uint64_t seed = 1;        ///< weights, inputs and embedding indices
};

/// Runs one stage of a strategy on one device.
class StageRunner {
 public:
  /// Allocates and initialises the stage's parameters, gradients and optimizer state.
  StageRunner(const ExecModel& model, const plan::Stage& stage, const StageBoundary& boundary,
              const TrainingSetup& setup, MemoryCounter& mem);

  /// Forward of global samples [first, first + rows) as micro-batch `mb`; `inputs` holds the
  /// stage's boundary in-edges for those rows. Returns its boundary out-edges.
  EdgeTensors forward(std::int64_t mb, std::int64_t first, std::size_t rows, const EdgeTensors& inputs);
  /// Backward of micro-batch `mb` given the gradients of the boundary out-edges; returns those
  /// of the in-edges. With `split`, weight gradients wait for weight_grad(mb) (ZB-H1's W).
  EdgeTensors backward(std::int64_t mb, const EdgeTensors& out_grads, bool split);
  /// The weight-gradient half of a split backward.
  void weight_grad(std::int64_t mb);
  /// Applies the optimizer to the accumulated gradients, then zeroes them.
  void optimizer_step();

  /// All of the stage's gradients, contiguous (the all-reduce buffer).
  [[nodiscard]] Buffer& gradients() { return grads_; }
  /// The current weights of one op of the stage.
  [[nodiscard]] std::vector<float> op_weights(model::OpId op) const;
  /// Replaces one op's weights (as many values as it has parameters).
  void set_op_weights(model::OpId op, const std::vector<float>& values);
  /// The loss of forwarded micro-batch `mb`: 0.5 * sum(y^2) / mini_batch over the stage's sinks.
  [[nodiscard]] double loss(std::int64_t mb) const;
  /// Bytes of weights, gradients, optimizer state and input datasets.
  [[nodiscard]] std::size_t static_bytes() const;
  [[nodiscard]] const plan::Stage& stage() const { return stage_; }

 private:
  struct Stash {
    std::int64_t first = 0;
    std::map<model::OpId, Tensor> x, y, dy, dqkv;
    std::map<model::OpId, AttentionStash> attention;
  };
  Tensor run_forward(const ExecOp& op, const std::vector<Tensor>& in, Stash& stash, std::size_t rows);
  Tensor output_grad(const ExecOp& op, const std::map<std::size_t, Tensor>& local, const EdgeTensors& out_grads,
                     const Stash& stash);
  std::vector<Tensor> run_backward(const ExecOp& op, const Tensor& dy, Stash& stash, bool split);
  void run_weight_grad(const ExecOp& op, const Stash& stash);
  [[nodiscard]] bool in_stage(model::OpId op) const;
  [[nodiscard]] Device& dev() const { return mem_.device(); }

  const ExecModel& model_;
  const plan::Stage& stage_;
  const StageBoundary& boundary_;
  TrainingSetup setup_;
  MemoryCounter& mem_;
  std::map<model::OpId, std::size_t> offset_;  // into the flat parameter arrays
  Buffer weights_, grads_, state1_, state2_;
  std::int64_t steps_ = 0;
  std::map<std::int64_t, Stash> stash_;
  std::map<model::OpId, Buffer> datasets_;  // of the stage's input ops
};

}  // namespace gppsim::exec
