// GridTable interpolation, PiecewiseLinearFit evaluation and DeviceProfile invariants, checked
// against closed forms.

#include <gtest/gtest.h>

#include <cmath>

#include "sim/hw/device_profile.h"

namespace gppsim::hw {
namespace {

// v(m, n, k) = 3 m^0.5 n^-0.25 k: log v is linear in (log m, log n, log k), so log-log
// multilinear interpolation reproduces it exactly anywhere inside the grid.
double power_law(double m, double n, double k) { return 3.0 * std::sqrt(m) * std::pow(n, -0.25) * k; }

GridTable power_law_table() {
  GridTable t;
  t.axes = {{16, 64, 256}, {8, 32}, {4, 16, 64, 256}};
  for (const double m : t.axes[0])
    for (const double n : t.axes[1])
      for (const double k : t.axes[2]) t.values.push_back(power_law(m, n, k));
  return t;
}

TEST(GridTable, InterpolatesAPowerLawExactlyOffTheGrid) {
  const GridTable t = power_law_table();
  ASSERT_EQ(t.validate(), "");
  for (const auto& p : std::vector<std::vector<double>>{{20, 10, 5}, {100, 30, 200}, {250, 9, 17}}) {
    EXPECT_NEAR(t.interpolate(p) / power_law(p[0], p[1], p[2]), 1.0, 1e-12);
  }
}

TEST(GridTable, ReturnsGridValuesAtKnotsAndClampsOutside) {
  const GridTable t = power_law_table();
  EXPECT_NEAR(t.interpolate({64, 32, 16}), power_law(64, 32, 16), 1e-9);
  // Below and above the grid: the edge's value (m clamped to 16 and 256, n to 8, k to 256).
  EXPECT_NEAR(t.interpolate({1, 8, 4}), power_law(16, 8, 4), 1e-9);
  EXPECT_NEAR(t.interpolate({1e6, 1, 1e6}), power_law(256, 8, 256), 1e-9);
}

TEST(GridTable, SingleValueAxisIsConstantAlongIt) {
  GridTable t;
  t.axes = {{10}, {1, 100}};
  t.values = {2.0, 200.0};
  // Along the second axis: log-linear between 2 at 1 and 200 at 100 -> 20 at 10.
  EXPECT_NEAR(t.interpolate({5, 10}), 20.0, 1e-12);
}

TEST(GridTable, ValidateNamesTheProblem) {
  GridTable t = power_law_table();
  t.values.pop_back();
  EXPECT_NE(t.validate().find("expected 24 values"), std::string::npos) << t.validate();
  t = power_law_table();
  t.axes[1] = {32, 8};
  EXPECT_NE(t.validate().find("not strictly increasing"), std::string::npos);
  t = power_law_table();
  t.values[3] = 0.0;
  EXPECT_NE(t.validate().find("not positive"), std::string::npos);
}

TEST(PiecewiseLinearFit, PicksTheSegmentBySize) {
  // 0..1 KiB: 1 us + s / 1 GB/s; from 1024 B: 5 us + s / 10 GB/s.
  const PiecewiseLinearFit fit{{{core::Bytes{0}, core::Seconds{1e-6}, core::BytesPerSecond{1e9}},
                                {core::Bytes{1024}, core::Seconds{5e-6}, core::BytesPerSecond{1e10}}}};
  ASSERT_EQ(fit.validate(), "");
  EXPECT_DOUBLE_EQ(fit.time(core::Bytes{0}).value(), 0.0);
  EXPECT_DOUBLE_EQ(fit.time(core::Bytes{1000}).value(), 1e-6 + 1000 / 1e9);   // 2.0 us
  EXPECT_DOUBLE_EQ(fit.time(core::Bytes{1024}).value(), 5e-6 + 1024 / 1e10);  // 5.1024 us
  EXPECT_DOUBLE_EQ(fit.asymptotic_bandwidth().value(), 1e10);
  EXPECT_DOUBLE_EQ(fit.base_latency().value(), 1e-6);
}

TEST(PiecewiseLinearFit, ValidateRejectsBadSegments) {
  PiecewiseLinearFit fit{{{core::Bytes{8}, core::Seconds{0}, core::BytesPerSecond{1}}}};
  EXPECT_NE(fit.validate().find("start at 0 B"), std::string::npos);
  fit.segments = {{core::Bytes{0}, core::Seconds{-1}, core::BytesPerSecond{1}}};
  EXPECT_NE(fit.validate().find("latency"), std::string::npos);
  fit.segments = {{core::Bytes{0}, core::Seconds{0}, core::BytesPerSecond{0}}};
  EXPECT_NE(fit.validate().find("bandwidth"), std::string::npos);
}

TEST(DeviceProfile, SummarySpecTakesBestRateAndAsymptoticBandwidth) {
  DeviceProfile p;
  p.name = "test";
  p.memory_capacity = core::Bytes{1e9};
  p.gemm[core::Dtype::kFp32] = power_law_table();
  p.memory["elementwise"] = PiecewiseLinearFit{{{core::Bytes{0}, core::Seconds{1e-6}, core::BytesPerSecond{5e10}}}};
  ASSERT_EQ(p.validate(), "");
  const DeviceSpec s = p.summary_spec();
  // Best rate: m = 256, n = 8, k = 256: 3 * 16 * 8^-0.25 * 256.
  EXPECT_NEAR(s.peak.at(core::Dtype::kFp32).value(), 3.0 * 16 * std::pow(8.0, -0.25) * 256, 1e-9);
  EXPECT_DOUBLE_EQ(s.memory_bandwidth.value(), 5e10);
  EXPECT_DOUBLE_EQ(s.memory_capacity.value(), 1e9);
}

TEST(DeviceProfile, ValidateListsEveryMissingPart) {
  DeviceProfile p;
  const std::string problems = p.validate();
  EXPECT_NE(problems.find("no name"), std::string::npos);
  EXPECT_NE(problems.find("memory_capacity"), std::string::npos);
  EXPECT_NE(problems.find("no GEMM table"), std::string::npos);
  EXPECT_NE(problems.find("elementwise"), std::string::npos);
}

}  // namespace
}  // namespace gppsim::hw
