#pragma once
// ComputeCostSource from a datasheet DeviceSpec: a roofline with a best-case GEMM efficiency
// and wave quantisation over the SMs (sim/cost/README.md).

#include <string>

#include "sim/cost/compute_cost_source.h"
#include "sim/hw/device_spec.h"

namespace gppsim::cost {

/// Datasheet-based costs of one device.
///
/// gemm_time(m, n, k, batch) = max(F / (peak(dtype) * max_gemm_efficiency * wave_efficiency),
///                                 (m k + k n + m n) * batch * element_size(dtype) / memory_bw)
/// with F = 2 m n k batch, tiles = ceil(m / tile) * ceil(n / tile) * batch and
/// wave_efficiency = tiles / (ceil(tiles / sm_count) * sm_count).
/// memory_time(bytes) = bytes / memory_bandwidth; optimizer_time(o, bytes) = memory_time(bytes);
/// reduction_time = 0 (the presets are GPUs, whose collectives sum while they copy).
/// A datasheet says nothing of operand layouts: every layout costs the same.
class SpecCostSource final : public ComputeCostSource {
 public:
  /// `spec` must be sane (positive bandwidth, sm_count and gemm_tile >= 1, efficiency in
  /// (0, 1], positive peaks); a violation is an InternalError (config validates user specs).
  explicit SpecCostSource(hw::DeviceSpec spec);

  /// True when spec.peak has an entry for `dtype`.
  [[nodiscard]] bool supports(core::Dtype dtype) const override;
  /// See the class comment. Throws core::PlanError naming the device and the dtype when the
  /// device has no such arithmetic: training at that dtype is a valid request that this
  /// hardware cannot carry out, i.e. no plan exists (exit code 3), not malformed input.
  [[nodiscard]] core::Seconds gemm_time(const model::GemmShape& concrete_shape, core::Dtype dtype,
                                        GemmLayout layout) const override;
  /// bytes / memory_bandwidth.
  [[nodiscard]] core::Seconds memory_time(core::Bytes bytes) const override;
  /// memory_time(bytes): a step streams its parameters, gradients and state.
  [[nodiscard]] core::Seconds optimizer_time(model::Optimizer optimizer, core::Bytes bytes) const override;
  /// 0: see the class comment.
  [[nodiscard]] core::Seconds reduction_time(core::Bytes bytes) const override;
  /// spec.launch_overhead.
  [[nodiscard]] core::Seconds launch_overhead() const override;
  /// spec.memory_capacity.
  [[nodiscard]] core::Bytes memory_capacity() const override;
  /// spec.name.
  [[nodiscard]] std::string name() const override;

  /// The spec this source was built from.
  [[nodiscard]] const hw::DeviceSpec& spec() const { return spec_; }
  /// tiles / (ceil(tiles / sm_count) * sm_count) for a concrete shape, in (0, 1].
  [[nodiscard]] double wave_efficiency(const model::GemmShape& concrete_shape) const;

 private:
  hw::DeviceSpec spec_;
};

}  // namespace gppsim::cost
