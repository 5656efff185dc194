#pragma once
// A calibrated device: what `gppsim calibrate` measured on real hardware, fitted into tables and
// piecewise-linear fits that the cost model reads instead of datasheet numbers
// (sim/cost/profile_cost_source.h; file format: configs/devices/README.md).

#include <map>
#include <string>
#include <vector>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/hw/device_spec.h"
#include "sim/hw/grid_table.h"
#include "sim/hw/piecewise_linear.h"

namespace gppsim::hw {

/// How well the fits predict measurements they were not fitted on.
struct ProfileValidation {
  int points = 0;                     ///< held-out measurements compared
  double median_relative_error = 0;   ///< median of |predicted - measured| / measured
  double max_relative_error = 0;      ///< worst of the same
};

/// A calibrated device profile. Invariants (validate()): a name, a positive memory capacity, a
/// non-negative launch overhead, at least one GEMM table, an "elementwise" memory fit; GEMM
/// tables (gemm, gemm_nt, gemm_tn) have axes (m, n, k) and batched tables (m, n, k, batch) with
/// values in FLOP/s.
struct DeviceProfile {
  std::string name;                                 ///< e.g. "h100-sxm5-80gb-measured"
  std::string backend;                              ///< "cuda" or "cpu"
  std::string device;                               ///< what the hardware calls itself
  std::map<std::string, std::string> versions;      ///< driver, runtime, cuBLAS, OpenBLAS, ...
  std::string date;                                 ///< ISO date of the calibration
  std::map<std::string, std::string> sweep;         ///< the sweep's parameters, as run
  core::Bytes memory_capacity;
  core::Seconds launch_overhead;                    ///< per kernel
  std::map<core::Dtype, GridTable> gemm;            ///< FLOP/s over (m, n, k), batch 1: C = A B
  /// Optional FLOP/s over (m, n, k) of C = A B^T (a layer's input gradient, dX = dY W^T).
  std::map<core::Dtype, GridTable> gemm_nt;
  /// Optional FLOP/s over (m, n, k) of C += A^T B (a layer's weight gradient, dW += X^T dY).
  std::map<core::Dtype, GridTable> gemm_tn;
  std::map<core::Dtype, GridTable> batched_gemm;    ///< FLOP/s over (m, n, k, batch)
  std::map<std::string, PiecewiseLinearFit> memory; ///< bandwidth-bound kernels: time vs bytes moved
  std::map<std::string, PiecewiseLinearFit> links;  ///< data movement between memories or ranks
  ProfileValidation validation;
  std::string digest;  ///< hex hash of the file it was read from (caches key on it); "" in memory

  /// Empty when the invariants hold, else one sentence per failure, joined by "; ".
  [[nodiscard]] std::string validate() const;
  /// The profile seen as a datasheet, for code that reports a DeviceSpec: the best measured
  /// rate per dtype as the peak (efficiency 1), the elementwise fit's asymptotic bandwidth.
  [[nodiscard]] DeviceSpec summary_spec() const;
};

/// Names of the memory fits a profile may hold (elementwise is required; "sgd", "momentum" and
/// "adam" are optimizer steps, timed against the bytes they move).
const std::vector<std::string>& profile_memory_kernels();
/// Names of the link fits a profile may hold.
const std::vector<std::string>& profile_link_kinds();

}  // namespace gppsim::hw
