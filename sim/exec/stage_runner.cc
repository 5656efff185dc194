#include "sim/exec/stage_runner.h"

#include <algorithm>

#include "sim/core/check.h"
#include "sim/exec/op_kernels.h"
#include "sim/exec/optimizer.h"

namespace gppsim::exec {
namespace {

Tensor copy_of(const Buffer& b, MemoryCounter& mem) {
  auto out = std::make_shared<Buffer>(mem, b.rows(), b.cols());
  mem.device().copy(out->data(), b.data(), b.size());
  return out;
}

std::size_t state_size(model::Optimizer o, int which, std::size_t n) {
  return optimizer_state_floats(o) >= which ? n : 0;
}

}  // namespace

StageRunner::StageRunner(const ExecModel& model, const plan::Stage& stage, const StageBoundary& boundary,
                         const TrainingSetup& setup, MemoryCounter& mem)
    : model_(model), stage_(stage), boundary_(boundary), setup_(setup), mem_(mem) {
  std::size_t n = 0;
  for (const auto op : stage.ops) {
    offset_[op] = n;
    n += static_cast<std::size_t>(model.ops[op].parameters);
  }
  weights_ = Buffer(mem, 1, n);
  grads_ = Buffer(mem, 1, n);
  state1_ = Buffer(mem, 1, state_size(setup.optimizer, 1, n));
  state2_ = Buffer(mem, 1, state_size(setup.optimizer, 2, n));
  std::vector<float> initial(n);
  for (const auto op : stage.ops) {
    init_parameters(model.ops[op], setup.seed, initial.data() + offset_[op]);
    if (model.ops[op].kind == ExecOpKind::kInput) datasets_[op] = make_dataset(model.ops[op], setup.seed, setup.mini_batch, mem);
  }
  dev().upload(weights_.data(), initial.data(), n);
}

bool StageRunner::in_stage(model::OpId op) const { return boundary_.stage_of[op] == stage_.id; }

Tensor StageRunner::run_forward(const ExecOp& op, const std::vector<Tensor>& in, Stash& stash, std::size_t rows) {
  const float* w = weights_.data() + offset_[op.id];
  switch (op.kind) {
    case ExecOpKind::kInput: return input_forward(datasets_.at(op.id), stash.first, rows, mem_);
    case ExecOpKind::kConcat: return concat(in, mem_);
    case ExecOpKind::kEmbeddingBag:
      return dev().embedding_forward(op, w, bag_indices(op, setup_.seed, stash.first, rows), rows, mem_);
    case ExecOpKind::kAttention: {
      const Tensor x = in.size() == 1 ? in.front() : concat(in, mem_);
      return dev().attention_forward(op, w, x, &stash.attention[op.id], mem_);
    }
    case ExecOpKind::kLinear: break;
  }
  const Tensor x = in.size() == 1 ? in.front() : concat(in, mem_);
  Tensor y = dev().linear_forward(op, w, *x, mem_);
  stash.x[op.id] = x;
  stash.y[op.id] = y;
  return y;
}

EdgeTensors StageRunner::forward(std::int64_t mb, std::int64_t first, std::size_t rows, const EdgeTensors& inputs) {
  Stash& stash = stash_[mb];
  stash.first = first;
  std::map<model::OpId, Tensor> values;
  for (const auto id : stage_.ops) {
    const ExecOp& op = model_.ops[id];
    std::vector<Tensor> in;
    for (const auto e : op.in_edges) {
      const auto from = model_.edges[e].from;
      in.push_back(in_stage(from) ? values.at(from) : inputs.at(e));
    }
    values[id] = run_forward(op, in, stash, rows);
    if (op.sink) stash.y[id] = values[id];
  }
  EdgeTensors out;
  for (const auto e : boundary_.out_edges[static_cast<std::size_t>(stage_.id)]) {
    const auto from = model_.edges[e].from;
    out[e] = in_stage(from) ? values.at(from) : inputs.at(e);
  }
  return out;
}

Tensor StageRunner::output_grad(const ExecOp& op, const std::map<std::size_t, Tensor>& local,
                                const EdgeTensors& out_grads, const Stash& stash) {
  Tensor dy;
  const auto add = [&](const Buffer& g) {
    if (!dy) dy = copy_of(g, mem_); else dev().add_into(dy->data(), g.data(), dy->size());
  };
  for (const auto e : op.out_edges) add(in_stage(model_.edges[e].to) ? *local.at(e) : *out_grads.at(e));
  if (op.sink) {
    // d/dy of 0.5 * sum(y^2) / mini_batch, added in place.
    const Buffer& y = *stash.y.at(op.id);
    if (!dy) dy = std::make_shared<Buffer>(mem_, y.rows(), y.cols());
    dev().add_scaled(dy->data(), y.data(), 1.0f / static_cast<float>(setup_.mini_batch), y.size());
  }
  return dy;
}

std::vector<Tensor> StageRunner::run_backward(const ExecOp& op, const Tensor& dy, Stash& stash, bool split) {
  std::vector<std::int64_t> widths;
  for (const auto e : op.in_edges) widths.push_back(model_.edge_width(e));
  const float* w = weights_.data() + offset_[op.id];
  float* g = grads_.data() + offset_[op.id];
  switch (op.kind) {
    case ExecOpKind::kConcat: return split_columns(*dy, widths, mem_);
    case ExecOpKind::kInput:
    case ExecOpKind::kEmbeddingBag: {
      if (op.kind == ExecOpKind::kEmbeddingBag && !split) {
        dev().embedding_backward(op, bag_indices(op, setup_.seed, stash.first, dy->rows()), *dy, g);
      }
      if (split) stash.dy[op.id] = dy;
      std::vector<Tensor> zeros;
      for (const auto width : widths) zeros.push_back(std::make_shared<Buffer>(mem_, dy->rows(), static_cast<std::size_t>(width)));
      return zeros;
    }
    case ExecOpKind::kLinear:
    case ExecOpKind::kAttention: break;
  }
  Tensor dx;
  if (op.kind == ExecOpKind::kAttention) {
    const AttentionStash& a = stash.attention.at(op.id);
    Tensor dqkv;
    dx = dev().attention_backward_input(op, w, a, *dy, &dqkv, g, mem_);
    if (split) stash.dqkv[op.id] = dqkv; else dev().attention_backward_weight(op, w, a, *dy, *dqkv, g, mem_);
  } else {
    dx = dev().linear_backward_input(op, w, *stash.x.at(op.id), *stash.y.at(op.id), *dy, g, mem_);
    if (!split) dev().linear_backward_weight(op, w, *stash.x.at(op.id), *dy, g, mem_);
  }
  if (split) stash.dy[op.id] = dy;
  if (widths.size() == 1) return {dx};
  return split_columns(*dx, widths, mem_);
}

EdgeTensors StageRunner::backward(std::int64_t mb, const EdgeTensors& out_grads, bool split) {
  Stash& stash = stash_.at(mb);
  std::map<std::size_t, Tensor> local;  // gradients of op edges inside the stage
  EdgeTensors result;
  for (auto it = stage_.ops.rbegin(); it != stage_.ops.rend(); ++it) {
    const ExecOp& op = model_.ops[*it];
    const Tensor dy = output_grad(op, local, out_grads, stash);
    const std::vector<Tensor> dx = run_backward(op, dy, stash, split);
    for (std::size_t i = 0; i < op.in_edges.size(); ++i) {
      const auto e = op.in_edges[i];
      (in_stage(model_.edges[e].from) ? local : result)[e] = dx[i];
    }
    for (const auto e : op.out_edges) local.erase(e);
  }
  for (const auto e : boundary_.in_edges[static_cast<std::size_t>(stage_.id)]) {
    if (!in_stage(model_.edges[e].to)) result[e] = out_grads.at(e);  // passed through this stage
  }
  if (split) {
    stash.y.clear();
    for (auto& [id, a] : stash.attention) a.qkv.reset(), a.probs.reset();  // W needs only x, ctx
  } else {
    stash_.erase(mb);
  }
  return result;
}

void StageRunner::weight_grad(std::int64_t mb) {
  Stash& stash = stash_.at(mb);
  for (const auto id : stage_.ops) {
    const ExecOp& op = model_.ops[id];
    float* g = grads_.data() + offset_[id];
    const float* w = weights_.data() + offset_[id];
    if (op.kind == ExecOpKind::kLinear) {
      dev().linear_backward_weight(op, w, *stash.x.at(id), *stash.dy.at(id), g, mem_);
    } else if (op.kind == ExecOpKind::kAttention) {
      dev().attention_backward_weight(op, w, stash.attention.at(id), *stash.dy.at(id), *stash.dqkv.at(id), g, mem_);
    } else if (op.kind == ExecOpKind::kEmbeddingBag) {
      const Buffer& dy = *stash.dy.at(id);
      dev().embedding_backward(op, bag_indices(op, setup_.seed, stash.first, dy.rows()), dy, g);
    }
  }
  stash_.erase(mb);
}

void StageRunner::optimizer_step() {
  ++steps_;
  dev().optimizer_step(optimizer_kind(setup_.optimizer), steps_, weights_.data(), grads_.data(), state1_.data(),
                       state2_.data(), weights_.size());  // also clears the gradients
}

std::vector<float> StageRunner::op_weights(model::OpId op) const {
  std::vector<float> out(static_cast<std::size_t>(model_.ops[op].parameters));
  dev().download(out.data(), weights_.data() + offset_.at(op), out.size());
  return out;
}

void StageRunner::set_op_weights(model::OpId op, const std::vector<float>& values) {
  GPPSIM_CHECK(values.size() == static_cast<std::size_t>(model_.ops[op].parameters), "wrong number of weights");
  dev().upload(weights_.data() + offset_.at(op), values.data(), values.size());
}

double StageRunner::loss(std::int64_t mb) const {
  double sum = 0.0;
  for (const auto id : stage_.ops) {
    if (!model_.ops[id].sink) continue;
    const Buffer& y = *stash_.at(mb).y.at(id);
    sum += 0.5 * dev().sum_squares(y.data(), y.size());
  }
  return sum / static_cast<double>(setup_.mini_batch);
}

std::size_t StageRunner::static_bytes() const {
  std::size_t data = 0;
  for (const auto& [op, d] : datasets_) data += d.bytes();
  return weights_.bytes() + grads_.bytes() + state1_.bytes() + state2_.bytes() + data;
}

}  // namespace gppsim::exec
