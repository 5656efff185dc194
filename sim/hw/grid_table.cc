#include "sim/hw/grid_table.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::hw {
namespace {

std::string validate_axis(const std::vector<double>& axis, std::size_t a) {
  if (axis.empty()) return fmt::format("axis {} is empty", a);
  for (std::size_t i = 0; i < axis.size(); ++i) {
    if (!(axis[i] > 0.0) || !std::isfinite(axis[i])) {
      return fmt::format("axis {} has a value that is not positive and finite ({})", a, axis[i]);
    }
    if (i > 0 && !(axis[i] > axis[i - 1])) {
      return fmt::format("axis {} is not strictly increasing ({} after {})", a, axis[i], axis[i - 1]);
    }
  }
  return {};
}

/// Position of log(x) on a log axis: the lower grid index and the weight of the upper one.
std::pair<std::size_t, double> locate(const std::vector<double>& axis, double x) {
  if (axis.size() == 1 || x <= axis.front()) return {0, 0.0};
  if (x >= axis.back()) return {axis.size() - 2, 1.0};
  const auto upper = static_cast<std::size_t>(std::upper_bound(axis.begin(), axis.end(), x) - axis.begin());
  const std::size_t lo = upper - 1;
  const double w = (std::log(x) - std::log(axis[lo])) / (std::log(axis[lo + 1]) - std::log(axis[lo]));
  return {lo, w};
}

}  // namespace

std::string GridTable::validate() const {
  if (axes.empty()) return "the table has no axes";
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (auto problem = validate_axis(axes[a], a); !problem.empty()) return problem;
  }
  if (values.size() != size()) {
    return fmt::format("expected {} values (the product of the axis sizes), found {}", size(), values.size());
  }
  for (const double v : values) {
    if (!(v > 0.0) || !std::isfinite(v)) return fmt::format("a value is not positive and finite ({})", v);
  }
  return {};
}

std::size_t GridTable::size() const {
  std::size_t n = axes.empty() ? 0 : 1;
  for (const auto& axis : axes) n *= axis.size();
  return n;
}

std::size_t GridTable::flat_index(const std::vector<std::size_t>& index) const {
  GPPSIM_CHECK(index.size() == axes.size(), "grid index has the wrong rank");
  std::size_t flat = 0;
  for (std::size_t a = 0; a < axes.size(); ++a) flat = flat * axes[a].size() + index[a];
  return flat;
}

double GridTable::interpolate(const std::vector<double>& point) const {
  GPPSIM_CHECK(point.size() == axes.size(), "interpolation point has the wrong rank");
  const std::size_t rank = axes.size();
  std::vector<std::pair<std::size_t, double>> cell(rank);
  for (std::size_t a = 0; a < rank; ++a) cell[a] = locate(axes[a], point[a]);
  // Sum over the 2^rank corners of the cell, each weighted by the product of its axis weights.
  double log_value = 0.0;
  std::vector<std::size_t> index(rank);
  for (std::size_t corner = 0; corner < (std::size_t{1} << rank); ++corner) {
    double weight = 1.0;
    for (std::size_t a = 0; a < rank; ++a) {
      const bool upper = ((corner >> a) & 1U) != 0;
      const auto [lo, w] = cell[a];
      if (upper && axes[a].size() == 1) { weight = 0.0; break; }
      weight *= upper ? w : 1.0 - w;
      index[a] = upper ? lo + 1 : lo;
    }
    if (weight == 0.0) continue;
    log_value += weight * std::log(values[flat_index(index)]);
  }
  return std::exp(log_value);
}

}  // namespace gppsim::hw
