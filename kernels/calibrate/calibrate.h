#pragma once
// `gppsim calibrate`: run a backend's sweep of microkernels, fit the measurements into a device
// profile and validate the fits on held-out measurements (kernels/README.md, "Calibration").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/calibrate/sweep_plan.h"
#include "kernels/common/measurement.h"
#include "sim/hw/device_profile.h"

namespace gppsim::calibrate {

/// What to calibrate and how.
struct CalibrateOptions {
  Backend backend = Backend::kCpu;
  bool quick = false;
  std::uint64_t seed = 1;
  std::string name;                          ///< the profile's name
  std::filesystem::path pingpong_binary;     ///< cpu: gppsim_mpi_pingpong, run under mpirun
  bool skip_links = false;                   ///< cpu: leave out the MPI ping-pong
  int link_timeout_s = 300;                  ///< cpu: the ping-pong run is killed after this
  int concurrent = 1;                        ///< cpu: processes that ran the sweep at once (recorded)
};

/// Called after every benchmark point: points done, points in all, what just ran.
using ProgressFn = std::function<void(std::size_t done, std::size_t total, const std::string& what)>;

/// What a sweep measured, and who measured it.
struct SweepMeasurements {
  std::vector<kernels::Measurement> fit;       ///< grid points (the fits' knots)
  std::vector<kernels::Measurement> holdout;   ///< off-grid points, for validation only
  kernels::Measurement launch;                 ///< launch overhead run
  std::string device;                          ///< the hardware's own name
  double memory_bytes = 0;                     ///< device (or host) memory
  std::map<std::string, std::string> versions; ///< driver, libraries
};

/// Relative error of one held-out point: |predicted - measured| / measured.
struct HoldoutError {
  std::string kernel;
  std::string dtype;
  std::vector<std::int64_t> shape;
  double measured_s = 0;
  double predicted_s = 0;
  double relative_error = 0;
};

/// A finished calibration.
struct CalibrationResult {
  hw::DeviceProfile profile;
  SweepMeasurements measurements;
  std::vector<HoldoutError> holdout_errors;
};

/// Why `backend` cannot be calibrated here ("" when it can): cuda needs the CUDA kernels (built
/// when CMake finds nvcc) and a visible device.
std::string backend_unavailable_reason(Backend backend);

/// Runs the sweep on the hardware (CPU: OpenBLAS on one thread, memory streaming, and MPI
/// ping-pong between two ranks under mpirun; CUDA: device 0), fits, validates. Throws
/// kernels::KernelError when a benchmark fails or is wrong, or when mpirun fails or times out.
CalibrationResult calibrate(const CalibrateOptions& options, const ProgressFn& progress);

/// The sweep of one backend (run_cpu.cc, run_cuda.cc).
SweepMeasurements run_cpu_sweep(const SweepPlan& plan, const CalibrateOptions& options, const ProgressFn& progress);
SweepMeasurements run_cuda_sweep(const SweepPlan& plan, const ProgressFn& progress);

/// Fits a profile to a sweep's measurements and validates it on the held-out ones (the
/// profile's `validation` is filled; the per-point errors are returned in `errors`).
hw::DeviceProfile build_profile(const SweepPlan& plan, const SweepMeasurements& m, const CalibrateOptions& options,
                                std::vector<HoldoutError>* errors);

/// The measurements of a sweep that ran in several processes at once, pooled point by point:
/// every process's timed iterations in one list (so fits use the median over all of them),
/// correct only where every process was, the worst check error. The processes ran the same
/// plan; the first may also have run the links, last in its lists, which are kept as they are.
/// Throws kernels::KernelError when the sweeps differ.
SweepMeasurements pool_measurements(SweepMeasurements first, const std::vector<SweepMeasurements>& others);

/// A sweep's measurements read back from raw_json's record (device, launch, fit and held-out
/// points). Throws nlohmann::json::exception on a malformed record.
SweepMeasurements measurements_from_raw_json(const nlohmann::json& raw);

/// Fits and validates a profile from given measurements, on the plan `options` describe.
CalibrationResult fit_measurements(const CalibrateOptions& options, SweepMeasurements measurements);

/// The raw measurements and held-out errors as JSON (kernels' nccl-tests-like record).
std::string raw_json(const CalibrationResult& result);

}  // namespace gppsim::calibrate
