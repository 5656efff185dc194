#pragma once
// ComputeCostSource from a calibrated hw::DeviceProfile: GEMM rates interpolated from the
// measured tables, bandwidth-bound time from the measured piecewise-linear fit
// (sim/cost/README.md, "ProfileCostSource").

#include <memory>
#include <string>

#include "sim/cost/compute_cost_source.h"
#include "sim/hw/device_profile.h"

namespace gppsim::cost {

/// Costs of a calibrated device.
///
/// gemm_time(m, n, k, batch = 1) = 2 m n k / R_gemm(m, n, k), R from the layout's table
///   (gemm_nt for kNT, gemm_tn for kTN) when the profile measured it, else from gemm
/// gemm_time(m, n, k, batch > 1) = 2 m n k batch / R_batched(m, n, k, batch), or
///                                 batch * gemm_time(m, n, k, 1) when the dtype has no batched table
/// with R the log-log multilinear interpolation of the measured FLOP/s (hw::GridTable), clamped
/// to the measured range. memory_time(bytes) = the "elementwise" fit's time(bytes);
/// optimizer_time(o, bytes) = the fit of o's step ("sgd", "momentum", "adam") when measured,
/// else memory_time(bytes). reduction_time(bytes) = memory_time(3 bytes) on a CPU profile (MPI
/// sums each received ring chunk in a pass of its own), 0 on a CUDA profile (NCCL sums while it
/// copies).
/// launch_overhead() = 0: calibration times kernels back to back, so every measured time already
/// holds the launch gap of a kernel too short to hide it; adding the profile's measured
/// launch_overhead on top would count it twice.
class ProfileCostSource final : public ComputeCostSource {
 public:
  /// `profile` must satisfy DeviceProfile::validate() (an InternalError otherwise: config
  /// validates profiles it reads).
  explicit ProfileCostSource(std::shared_ptr<const hw::DeviceProfile> profile);

  /// True when the profile has a GEMM table for `dtype`.
  [[nodiscard]] bool supports(core::Dtype dtype) const override;
  /// See the class comment. Throws core::PlanError naming the profile and the measured dtypes
  /// when `dtype` was not calibrated.
  [[nodiscard]] core::Seconds gemm_time(const model::GemmShape& concrete_shape, core::Dtype dtype,
                                        GemmLayout layout) const override;
  /// The elementwise fit at `bytes` (reads plus writes).
  [[nodiscard]] core::Seconds memory_time(core::Bytes bytes) const override;
  /// The optimizer's own fit at `bytes`, or memory_time(bytes) (see the class comment).
  [[nodiscard]] core::Seconds optimizer_time(model::Optimizer optimizer, core::Bytes bytes) const override;
  /// See the class comment.
  [[nodiscard]] core::Seconds reduction_time(core::Bytes bytes) const override;
  /// 0 (see the class comment); the measured value stays in profile().launch_overhead.
  [[nodiscard]] core::Seconds launch_overhead() const override;
  /// The measured device memory.
  [[nodiscard]] core::Bytes memory_capacity() const override;
  /// The profile's name.
  [[nodiscard]] std::string name() const override;

  /// The profile these costs come from.
  [[nodiscard]] const hw::DeviceProfile& profile() const { return *profile_; }

 private:
  /// The batch-1 table of `layout` at `dtype`, or `nn` when the profile did not measure it.
  [[nodiscard]] const hw::GridTable& layout_table(GemmLayout layout, core::Dtype dtype, const hw::GridTable& nn) const;

  std::shared_ptr<const hw::DeviceProfile> profile_;
};

}  // namespace gppsim::cost
