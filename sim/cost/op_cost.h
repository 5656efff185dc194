#pragma once
// Time of one operator's forward, backward and optimizer step on one device at one micro-batch
// size, from a ComputeCostSource. Formulas and their reasons: sim/cost/README.md.

#include <cstddef>
#include <cstdint>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/cost/compute_cost_source.h"
#include "sim/model/op.h"
#include "sim/model/summary.h"

namespace gppsim::cost {

/// The two GEMMs of the backward pass of a forward GEMM C[m x n] = A[m x k] B[k x n]:
/// dA = dC B^T, shape (m, k, n), and dB = A^T dC, shape (k, n, m). Both keep `batch` and
/// `scales`. For a BatchDim::kM GEMM (a layer weight B shared by all rows) dB is the weight
/// gradient; for a BatchDim::kBatch GEMM (both operands per-sample, e.g. attention scores) both
/// are input gradients.
struct BackwardGemms {
  model::GemmShape input_grad;  ///< dA: (m, k, n)
  model::GemmShape other_grad;  ///< dB: (k, n, m)
};

/// Backward GEMMs of a concrete (micro-batch-scaled) forward shape.
BackwardGemms backward_gemms(const model::GemmShape& concrete_forward);

/// Backward time split into the input-gradient part (B of zero-bubble schedules) and the
/// weight-gradient part (W). Invariant: input_grad + weight_grad == OpCost::backward (up to
/// floating-point rounding); both are >= 0.
struct BackwardSplit {
  core::Seconds input_grad;
  core::Seconds weight_grad;
};

/// Costs of operators at one training dtype on one device. Holds a reference to `source`,
/// which must outlive this object. Every micro_batch argument must be >= 1.
///
/// Measured ops (op.measured set): forward = forward_per_sample * b and backward =
/// backward_per_sample * b exactly. Otherwise, with L = launch overhead, G = the op's GEMMs at
/// micro-batch b and M(x) = memory_time(x):
///  - kInput: 0 (data loading is not simulated).
///  - kConcat: a copy, L + M((bytes_read + bytes_written) b) each way; 0 when it moves no bytes.
///  - others: forward  = max(1, |G|) L + max(sum gemm_time(G, nn), M((r + w) b + P)),
///            backward = max(1, 2|G|) L + max(sum gemm_time(dA, nt) + gemm_time(dB, tn),
///                                            M(2 (r + w) b + 2 P))
///    with r, w = bytes_read, bytes_written per sample and P = parameter_bytes, except that an
///    embedding bag streams no P (it gathers only the rows counted in bytes_read).
class OpCost {
 public:
  /// Bytes of device memory Adam moves per parameter byte: reads weight, gradient, first and
  /// second moment, writes weight and both moments (all at the training dtype).
  static constexpr double kAdamBytesPerParameterByte = 7.0;
  /// The same for each optimizer: SGD reads weight and gradient and writes the weight (3);
  /// momentum also reads and writes its velocity (5); Adam 7.
  static double bytes_per_parameter_byte(model::Optimizer optimizer);

  /// Throws core::PlanError when `source` does not support `dtype`.
  OpCost(const ComputeCostSource& source, core::Dtype dtype);

  /// Forward time of `op` on a micro-batch of `micro_batch` samples, launches included.
  [[nodiscard]] core::Seconds forward(const model::Op& op, std::int64_t micro_batch) const;
  /// Backward time (input and weight gradients), launches included.
  [[nodiscard]] core::Seconds backward(const model::Op& op, std::int64_t micro_batch) const;
  /// backward() split for zero-bubble schedules: measured ops split it in half (Zero Bubble's
  /// B ~ W assumption); ops without GEMMs put it all in input_grad; otherwise weight_grad is
  /// backward * (sum of dB GEMM times of kM GEMMs) / (sum of all backward GEMM times).
  [[nodiscard]] BackwardSplit backward_split(const model::Op& op, std::int64_t micro_batch) const;
  /// One update of the op's weights by `optimizer`: 0 when parameter_bytes is 0, else
  /// optimizer_time(optimizer, bytes_per_parameter_byte(optimizer) * parameter_bytes) of the
  /// source (a datasheet's memory_time; a profile's measured step), no launch (a fused
  /// multi-tensor update covers a whole stage in a few launches). Independent of micro-batch.
  [[nodiscard]] core::Seconds optimizer_step(const model::Op& op, model::Optimizer optimizer) const;

  /// The source these costs are computed from.
  [[nodiscard]] const ComputeCostSource& source() const { return *source_; }
  /// The training dtype every GEMM runs at.
  [[nodiscard]] core::Dtype dtype() const { return dtype_; }

 private:
  [[nodiscard]] core::Seconds launches(std::size_t kernels) const;
  [[nodiscard]] core::Seconds copy_time(const model::Op& op, std::int64_t micro_batch) const;
  [[nodiscard]] core::Bytes streamed_parameter_bytes(const model::Op& op) const;

  const ComputeCostSource* source_;
  core::Dtype dtype_;
};

}  // namespace gppsim::cost
