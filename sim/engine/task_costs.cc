#include "sim/engine/task_costs.h"

namespace gppsim::engine {

TaskCosts::TaskCosts(const plan::Strategy& strategy, const model::Model& model, const cost::OpCost& op_cost,
                     model::Optimizer optimizer)
    : strategy_(&strategy), model_(&model), op_cost_(&op_cost), recent_(3 * strategy.stages.size()) {
  const core::Bytes per_param = model::static_bytes_per_parameter(model.dtype, optimizer);
  const core::Bytes element = core::element_size(model.dtype);
  for (const auto& st : strategy.stages) {
    core::Seconds opt;
    core::Bytes stash;
    core::Bytes weights;
    for (const auto id : st.ops) {
      const auto& op = model.graph.op(id);
      opt += op_cost.optimizer_step(op, optimizer);
      stash += op.stashed_bytes;
      weights += op.parameter_bytes;
    }
    optimizer_.push_back(opt);
    stash_.push_back(stash);
    // Parameters counted from bytes so imported profiles (bytes only) work the same.
    static_.push_back(per_param * (weights / element));
  }
}

core::Seconds TaskCosts::compute(const schedule::ComputeTask& task) {
  Recent& recent = recent_[3 * static_cast<std::size_t>(task.stage) + static_cast<std::size_t>(task.phase)];
  if (recent.samples == task.samples) return recent.duration;
  recent.samples = task.samples;
  recent.duration = cached_compute(task);
  return recent.duration;
}

core::Seconds TaskCosts::cached_compute(const schedule::ComputeTask& task) {
  const auto key = std::tuple{task.stage, static_cast<int>(task.phase), task.samples};
  if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
  core::Seconds total;
  for (const auto id : strategy_->stages[static_cast<std::size_t>(task.stage)].ops) {
    const auto& op = model_->graph.op(id);
    switch (task.phase) {
      case schedule::Phase::kForward: total += op_cost_->forward(op, task.samples); break;
      case schedule::Phase::kBackward:
        total += strategy_->schedule == plan::ScheduleKind::kZbH1 ? op_cost_->backward_split(op, task.samples).input_grad
                                                                  : op_cost_->backward(op, task.samples);
        break;
      case schedule::Phase::kWeightGrad: total += op_cost_->backward_split(op, task.samples).weight_grad; break;
    }
  }
  cache_.emplace(key, total);
  return total;
}

core::Seconds TaskCosts::optimizer(int stage) const { return optimizer_[static_cast<std::size_t>(stage)]; }
core::Bytes TaskCosts::stash_per_sample(int stage) const { return stash_[static_cast<std::size_t>(stage)]; }
core::Bytes TaskCosts::static_memory(int stage) const { return static_[static_cast<std::size_t>(stage)]; }

}  // namespace gppsim::engine
