#include "sim/cost/op_cost.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace gppsim::cost {
namespace {

void check_micro_batch(const model::Op& op, std::int64_t micro_batch) {
  GPPSIM_CHECK(micro_batch >= 1,
               fmt::format("op '{}': micro-batch size {} < 1", op.name, micro_batch));
}

// Per-sample activation traffic of one pass, scaled to the micro-batch.
core::Bytes activation_traffic(const model::Op& op, std::int64_t micro_batch) {
  return (op.bytes_read + op.bytes_written) * static_cast<double>(micro_batch);
}

}  // namespace

BackwardGemms backward_gemms(const model::GemmShape& f) {
  BackwardGemms g{f, f};
  g.input_grad.m = f.m;
  g.input_grad.n = f.k;
  g.input_grad.k = f.n;
  g.other_grad.m = f.k;
  g.other_grad.n = f.n;
  g.other_grad.k = f.m;
  return g;
}

OpCost::OpCost(const ComputeCostSource& source, core::Dtype dtype)
    : source_(&source), dtype_(dtype) {
  if (!source.supports(dtype)) {
    throw core::PlanError(fmt::format("device '{}' has no {} arithmetic; cannot train at {}",
                                      source.name(), core::to_string(dtype),
                                      core::to_string(dtype)));
  }
}

core::Seconds OpCost::launches(std::size_t kernels) const {
  return source_->launch_overhead() * static_cast<double>(kernels);
}

core::Seconds OpCost::copy_time(const model::Op& op, std::int64_t micro_batch) const {
  const core::Bytes bytes = activation_traffic(op, micro_batch);
  if (bytes.value() == 0.0) return core::Seconds(0.0);
  return launches(1) + source_->memory_time(bytes);
}

core::Bytes OpCost::streamed_parameter_bytes(const model::Op& op) const {
  // An embedding bag touches only the rows it gathers, which bytes_read already counts.
  return op.kind == model::OpKind::kEmbeddingBag ? core::Bytes(0.0) : op.parameter_bytes;
}

core::Seconds OpCost::forward(const model::Op& op, std::int64_t micro_batch) const {
  check_micro_batch(op, micro_batch);
  if (op.measured) return op.measured->forward_per_sample * static_cast<double>(micro_batch);
  if (op.kind == model::OpKind::kInput) return core::Seconds(0.0);
  if (op.kind == model::OpKind::kConcat) return copy_time(op, micro_batch);
  core::Seconds gemm_sum;
  for (const model::GemmShape& g : op.gemms) {
    gemm_sum += source_->gemm_time(g.at_micro_batch(micro_batch), dtype_, GemmLayout::kNN);
  }
  const core::Seconds memory = source_->memory_time(activation_traffic(op, micro_batch) +
                                                    streamed_parameter_bytes(op));
  return launches(std::max<std::size_t>(1, op.gemms.size())) + core::max(gemm_sum, memory);
}

core::Seconds OpCost::backward(const model::Op& op, std::int64_t micro_batch) const {
  check_micro_batch(op, micro_batch);
  if (op.measured) return op.measured->backward_per_sample * static_cast<double>(micro_batch);
  if (op.kind == model::OpKind::kInput) return core::Seconds(0.0);
  if (op.kind == model::OpKind::kConcat) return copy_time(op, micro_batch);
  core::Seconds gemm_sum;
  for (const model::GemmShape& g : op.gemms) {
    const BackwardGemms bw = backward_gemms(g.at_micro_batch(micro_batch));
    gemm_sum += source_->gemm_time(bw.input_grad, dtype_, GemmLayout::kNT);
    gemm_sum += source_->gemm_time(bw.other_grad, dtype_, GemmLayout::kTN);
  }
  // Reads the input (r) and the output gradient (w), writes the input gradient (r) and re-reads
  // the output for element-wise parts (w): 2 (r + w) b. Reads W for dA, writes dW: 2 P.
  const core::Seconds memory = source_->memory_time(activation_traffic(op, micro_batch) * 2.0 +
                                                    streamed_parameter_bytes(op) * 2.0);
  return launches(std::max<std::size_t>(1, 2 * op.gemms.size())) + core::max(gemm_sum, memory);
}

BackwardSplit OpCost::backward_split(const model::Op& op, std::int64_t micro_batch) const {
  const core::Seconds total = backward(op, micro_batch);
  if (op.measured) return {total * 0.5, total * 0.5};
  core::Seconds all_gemms;
  core::Seconds weight_gemms;
  for (const model::GemmShape& g : op.gemms) {
    const BackwardGemms bw = backward_gemms(g.at_micro_batch(micro_batch));
    all_gemms += source_->gemm_time(bw.input_grad, dtype_, GemmLayout::kNT);
    const core::Seconds other = source_->gemm_time(bw.other_grad, dtype_, GemmLayout::kTN);
    all_gemms += other;
    if (g.scales == model::BatchDim::kM) weight_gemms += other;
  }
  if (all_gemms.value() == 0.0) return {total, core::Seconds(0.0)};
  const core::Seconds weight = total * (weight_gemms / all_gemms);
  return {total - weight, weight};
}

double OpCost::bytes_per_parameter_byte(model::Optimizer optimizer) {
  switch (optimizer) {
    case model::Optimizer::kSgd: return 3.0;
    case model::Optimizer::kMomentum: return 5.0;
    case model::Optimizer::kAdam: return kAdamBytesPerParameterByte;
  }
  return kAdamBytesPerParameterByte;
}

core::Seconds OpCost::optimizer_step(const model::Op& op, model::Optimizer optimizer) const {
  if (op.parameter_bytes.value() == 0.0) return core::Seconds(0.0);
  return source_->optimizer_time(optimizer, op.parameter_bytes * bytes_per_parameter_byte(optimizer));
}

}  // namespace gppsim::cost
