#include "kernels/calibrate/fit.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/common/kernel_error.h"

namespace gppsim::calibrate {
namespace {

constexpr double kMaxBandwidth = 1e18;  // B/s: "not measurable" for size-independent times

using ShapeKey = std::vector<std::int64_t>;

std::map<ShapeKey, double> rates_by_shape(const std::vector<kernels::Measurement>& measurements, std::size_t rank) {
  std::map<ShapeKey, double> out;
  for (const auto& m : measurements) {
    if (m.shape.size() < rank) continue;
    out[ShapeKey(m.shape.begin(), m.shape.begin() + static_cast<std::ptrdiff_t>(rank))] = m.flops_per_s();
  }
  return out;
}

/// The segment through two measured points from `from` on; latency clamped to >= 0 (then the
/// line goes through the origin and the upper point), flat when time does not grow with size.
hw::LinearSegment through(const SizeTime& lo, const SizeTime& hi, double from) {
  const double slope = (hi.seconds - lo.seconds) / (hi.bytes - lo.bytes);
  if (!(slope > 1.0 / kMaxBandwidth)) {
    return hw::LinearSegment{core::Bytes{from}, core::Seconds{lo.seconds}, core::BytesPerSecond{kMaxBandwidth}};
  }
  const double latency = lo.seconds - slope * lo.bytes;
  if (latency < 0.0) {
    return hw::LinearSegment{core::Bytes{from}, core::Seconds{0.0}, core::BytesPerSecond{hi.bytes / hi.seconds}};
  }
  return hw::LinearSegment{core::Bytes{from}, core::Seconds{latency}, core::BytesPerSecond{1.0 / slope}};
}

}  // namespace

hw::GridTable fit_gemm_table(const std::vector<std::vector<std::int64_t>>& axes,
                             const std::vector<kernels::Measurement>& measurements) {
  const auto rates = rates_by_shape(measurements, axes.size());
  hw::GridTable t;
  for (const auto& axis : axes) t.axes.emplace_back(axis.begin(), axis.end());
  t.values.resize(t.size());
  std::vector<std::size_t> index(axes.size(), 0);
  for (std::size_t flat = 0; flat < t.values.size(); ++flat) {
    ShapeKey key(axes.size());
    std::size_t rest = flat;
    for (std::size_t a = axes.size(); a-- > 0;) {
      key[a] = axes[a][rest % axes[a].size()];
      rest /= axes[a].size();
    }
    const auto it = rates.find(key);
    if (it == rates.end() || !(it->second > 0.0)) {
      throw kernels::KernelError(fmt::format("GEMM grid point ({}) has no usable measurement", fmt::join(key, ", ")));
    }
    t.values[flat] = it->second;
  }
  return t;
}

hw::PiecewiseLinearFit fit_piecewise_linear(std::vector<SizeTime> points) {
  if (points.size() < 2) {
    throw kernels::KernelError(fmt::format("a piecewise-linear fit needs at least 2 points, found {}", points.size()));
  }
  for (const auto& p : points) {
    if (!(p.seconds > 0.0) || p.bytes < 0.0) {
      throw kernels::KernelError(fmt::format("cannot fit a time of {} s at {} bytes", p.seconds, p.bytes));
    }
  }
  std::sort(points.begin(), points.end(), [](const SizeTime& x, const SizeTime& y) { return x.bytes < y.bytes; });
  hw::PiecewiseLinearFit fit;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    if (points[i + 1].bytes == points[i].bytes) {
      throw kernels::KernelError(fmt::format("two measurements at the same size {} bytes", points[i].bytes));
    }
    fit.segments.push_back(through(points[i], points[i + 1], i == 0 ? 0.0 : points[i].bytes));
  }
  return fit;
}

}  // namespace gppsim::calibrate
