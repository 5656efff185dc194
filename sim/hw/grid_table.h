#pragma once
// A positive quantity measured on a full grid (every combination of the axis values), read back
// at any point by multilinear interpolation in log-log space: between grid points the quantity
// follows a power law of each coordinate, which is exact for rates that scale as x^a and close
// for GEMM efficiencies that saturate smoothly with size.

#include <cstddef>
#include <string>
#include <vector>

namespace gppsim::hw {

/// Values on the grid axes[0] x axes[1] x ... (row-major: the last axis varies fastest).
/// Invariants (checked by validate()): at least one axis; each axis non-empty, strictly
/// increasing and positive; values.size() == product of axis sizes; every value positive.
struct GridTable {
  std::vector<std::vector<double>> axes;
  std::vector<double> values;

  /// Empty string when the invariants hold, else a sentence saying which one fails.
  [[nodiscard]] std::string validate() const;
  /// Number of grid points (product of axis sizes).
  [[nodiscard]] std::size_t size() const;
  /// Row-major index of the grid point with these per-axis indices.
  [[nodiscard]] std::size_t flat_index(const std::vector<std::size_t>& index) const;
  /// exp of the multilinear interpolation of log(value) over log(coordinate); coordinates
  /// outside an axis are clamped to its ends (the value of the nearest edge). `point` has one
  /// positive coordinate per axis. Precondition: validate() is empty.
  [[nodiscard]] double interpolate(const std::vector<double>& point) const;
};

}  // namespace gppsim::hw
