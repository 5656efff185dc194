#pragma once
// The seam between "what one device can do" and the op costs built on it: datasheet specs now
// (SpecCostSource), calibrated device profiles later. Formulas: sim/cost/README.md.

#include <string>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/model/op.h"
#include "sim/model/summary.h"

namespace gppsim::cost {

/// How a GEMM's operands are stored, as a layer's three products use them: kNN C = A B (the
/// forward, Y = X W), kNT C = A B^T (the input gradient, dX = dY W^T), kTN C += A^T B (the
/// weight gradient, dW += X^T dY, accumulating). Libraries run the three at different rates.
enum class GemmLayout { kNN, kNT, kTN };

/// Per-device primitive costs. Implementations are immutable after construction, so one
/// instance may be shared by any number of OpCost objects and threads.
class ComputeCostSource {
 public:
  ComputeCostSource() = default;
  ComputeCostSource(const ComputeCostSource&) = default;
  ComputeCostSource& operator=(const ComputeCostSource&) = default;
  virtual ~ComputeCostSource() = default;

  /// Whether the device has arithmetic for `dtype` (gemm_time throws core::PlanError if not).
  [[nodiscard]] virtual bool supports(core::Dtype dtype) const = 0;
  /// Time of ONE kernel running `concrete_shape` (already scaled to the micro-batch, every
  /// dimension >= 1) at `dtype` with operands stored as `layout`, excluding the launch overhead.
  /// Throws core::PlanError when the device does not support `dtype`.
  [[nodiscard]] virtual core::Seconds gemm_time(const model::GemmShape& concrete_shape, core::Dtype dtype,
                                                GemmLayout layout) const = 0;
  /// Time to stream `bytes` (reads plus writes) through device memory; 0 for 0 bytes.
  [[nodiscard]] virtual core::Seconds memory_time(core::Bytes bytes) const = 0;
  /// Time of `optimizer`'s step over parameters whose step moves `bytes` (reads plus writes:
  /// OpCost::bytes_per_parameter_byte per parameter byte); 0 for 0 bytes.
  [[nodiscard]] virtual core::Seconds optimizer_time(model::Optimizer optimizer, core::Bytes bytes) const = 0;
  /// Time to add a received all-reduce chunk of `bytes` into the local one where the collective
  /// does it in a pass of its own once the chunk has arrived: MPI on CPUs reads both chunks and
  /// writes the sum (3 x bytes of traffic) before the ring moves on. Zero where the collective
  /// sums while it copies (NCCL on GPUs fuses the reduction into its transfer kernel).
  [[nodiscard]] virtual core::Seconds reduction_time(core::Bytes bytes) const = 0;
  /// Fixed host-side cost of launching one kernel.
  [[nodiscard]] virtual core::Seconds launch_overhead() const = 0;
  /// Device memory available for weights, optimizer state and activations.
  [[nodiscard]] virtual core::Bytes memory_capacity() const = 0;
  /// A human-readable name of the device or profile (for messages and reports).
  [[nodiscard]] virtual std::string name() const = 0;
};

}  // namespace gppsim::cost
