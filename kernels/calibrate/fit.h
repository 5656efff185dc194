#pragma once
// Fitting measurements into a device profile's tables and piecewise-linear fits.

#include <cstdint>
#include <vector>

#include "kernels/common/measurement.h"
#include "sim/hw/grid_table.h"
#include "sim/hw/piecewise_linear.h"

namespace gppsim::calibrate {

/// One measured (size, time) pair of a size sweep.
struct SizeTime {
  double bytes = 0;    ///< the message or buffer size the time belongs to
  double seconds = 0;  ///< median time
};

/// The GEMM rate table over `axes` (m, n, k[, batch]) from measurements whose shapes cover every
/// grid point (shape {m, n, k, batch}; batch ignored for a 3-axis table). Values are
/// flops / median time. Throws KernelError naming a grid point without a measurement or with a
/// non-positive time.
hw::GridTable fit_gemm_table(const std::vector<std::vector<std::int64_t>>& axes,
                             const std::vector<kernels::Measurement>& measurements);

/// Piecewise-linear time against size through the measured points: with points sorted by size,
/// segment i runs from point i (the first from 0 B) with the line through points i and i + 1
/// (the last segment extends past the largest point). A line whose latency would be negative
/// goes through the origin and the upper point instead; one whose time does not grow with size
/// is flat (bandwidth 1e18 B/s). Needs at least 2 points at distinct sizes; throws KernelError
/// otherwise. (Interpolating the knots predicted held-out sizes better than least-squares lines
/// over groups of points on measured GPU and CPU sweeps.)
hw::PiecewiseLinearFit fit_piecewise_linear(std::vector<SizeTime> points);

}  // namespace gppsim::calibrate
