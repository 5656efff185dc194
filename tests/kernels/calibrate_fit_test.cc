// Calibration fitting and validation on synthetic measurements with known answers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/calibrate/calibrate.h"
#include "kernels/calibrate/fit.h"
#include "kernels/calibrate/sweep_plan.h"
#include "kernels/common/kernel_error.h"

namespace gppsim::calibrate {
namespace {

TEST(FitPiecewiseLinear, RecoversOneLineExactly) {
  // t = 2 us + s / 10 GB/s at 6 sizes: 5 segments, all on the same line.
  std::vector<SizeTime> pts;
  for (const double s : {1e8, 1e3, 1e4, 1e5, 1e6, 1e7}) pts.push_back({s, 2e-6 + s / 1e10});
  const auto fit = fit_piecewise_linear(pts);
  ASSERT_EQ(fit.segments.size(), 5u);
  EXPECT_EQ(fit.segments[0].from.value(), 0.0);
  EXPECT_EQ(fit.segments[1].from.value(), 1e4);  // sorted by size
  for (const auto& seg : fit.segments) {
    EXPECT_NEAR(seg.latency.value(), 2e-6, 1e-12);
    EXPECT_NEAR(seg.bandwidth.value() / 1e10, 1.0, 1e-6);
  }
}

TEST(FitPiecewiseLinear, InterpolatesBetweenKnots) {
  // (1 KB, 1 us), (3 KB, 2 us), (5 KB, 2 us): at 2 KB halfway -> 1.5 us; flat beyond 3 KB.
  const auto fit = fit_piecewise_linear({{1e3, 1e-6}, {3e3, 2e-6}, {5e3, 2e-6}});
  EXPECT_NEAR(fit.time(core::Bytes{2e3}).value(), 1.5e-6, 1e-15);
  EXPECT_NEAR(fit.time(core::Bytes{4e3}).value(), 2e-6, 1e-14);  // + 4e3 B / 1e18 B/s
  EXPECT_NEAR(fit.time(core::Bytes{1e3}).value(), 1e-6, 1e-15);
}

TEST(FitPiecewiseLinear, NegativeInterceptGoesThroughTheOrigin) {
  // Through (2 KB, 1 us) and (4 KB, 3 us) the line is s / 1 GB/s - 1 us: latency < 0, so the
  // segment becomes t = s * 3 us / 4 KB (bandwidth 4e3 / 3e-6 B/s).
  const auto fit = fit_piecewise_linear({{2e3, 1e-6}, {4e3, 3e-6}});
  ASSERT_EQ(fit.segments.size(), 1u);
  EXPECT_EQ(fit.segments[0].latency.value(), 0.0);
  EXPECT_NEAR(fit.segments[0].bandwidth.value(), 4e3 / 3e-6, 1e-3);
}

TEST(FitPiecewiseLinear, TooFewPointsThrow) {
  EXPECT_THROW((void)fit_piecewise_linear({{1e3, 1e-6}}), kernels::KernelError);
}

kernels::Measurement gemm_measurement(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t b, double rate,
                                      const std::string& layout = "nn") {
  kernels::Measurement x;
  x.kernel = kernels::gemm_kernel_name(kernels::GemmPoint{m, n, k, b, "fp32", layout});
  x.dtype = "fp32";
  x.shape = {m, n, k, b};
  x.flops = 2.0 * static_cast<double>(m * n * k * b);
  x.times_s = {x.flops / rate};
  x.correct = true;
  return x;
}

TEST(FitGemmTable, RatesAreFlopsOverMedianTime) {
  std::vector<kernels::Measurement> ms;
  for (const std::int64_t m : {16, 32})
    for (const std::int64_t n : {16, 32}) ms.push_back(gemm_measurement(m, n, 8, 1, 1e9 * static_cast<double>(m + n)));
  const auto t = fit_gemm_table({{16, 32}, {16, 32}, {8}}, ms);
  // Row-major (m, n, k): (16,16) 32e9, (16,32) 48e9, (32,16) 48e9, (32,32) 64e9.
  EXPECT_THAT(t.values, ::testing::Pointwise(::testing::DoubleNear(1.0), std::vector<double>{32e9, 48e9, 48e9, 64e9}));
  EXPECT_THROW((void)fit_gemm_table({{16, 32, 64}, {16, 32}, {8}}, ms), kernels::KernelError);
}

/// Whether `grid` holds the batch-1 GEMM (m, n, k) in `layout`.
bool has_plain_gemm(const std::vector<kernels::GemmPoint>& grid, std::int64_t m, std::int64_t n, std::int64_t k,
                    const std::string& layout) {
  return std::any_of(grid.begin(), grid.end(), [&](const kernels::GemmPoint& g) {
    return g.m == m && g.n == n && g.k == k && g.batch == 1 && g.layout == layout;
  });
}

TEST(SweepPlan, HoldoutsAreAFifthOffTheGrid) {
  EXPECT_EQ(holdout_count(80, 0.2), 20u);  // 20 / (80 + 20) = 0.2
  const auto sizes = holdout_sizes(16, 1024, 200, 8, 7);
  for (const auto s : sizes) {
    EXPECT_GE(s, 16);
    EXPECT_LE(s, 1024);
    EXPECT_EQ(s % 8, 0);
    EXPECT_NE(s & (s - 1), 0) << s << " is a power of two (a knot)";
  }
  EXPECT_EQ(sizes, holdout_sizes(16, 1024, 200, 8, 7));
  const SweepPlan p = make_sweep_plan(Backend::kCpu, true, 1);
  // CPU quick: m 1..256 (9 values) x n, k 16..256 (5 each) = 225 plain grid points per layout
  // (nn, nt, tn) -> ceil(225 / 4) = 57 held out each; batched 3*3*2*3 = 54 -> ceil(13.5) = 14.
  EXPECT_EQ(p.holdout_gemms.size(), 3u * 57u + 14u);
  for (const std::string layout : {"nn", "nt", "tn"}) {
    EXPECT_EQ(std::count_if(p.holdout_gemms.begin(), p.holdout_gemms.end(),
                            [&](const kernels::GemmPoint& g) { return g.batch == 1 && g.layout == layout; }),
              57)
        << layout;
  }
  EXPECT_EQ(p.grid_gemms(core::Dtype::kFp32).size(), 3u * 225u + 54u);
  // tn (dW += X^T dY) has the rows as k: its grid is m, n 16..256 by k 1..256, and so are its
  // held-out shapes.
  const auto grid = p.grid_gemms(core::Dtype::kFp32);
  const auto has = [&](std::int64_t m, std::int64_t n, std::int64_t k, const std::string& layout) {
    return has_plain_gemm(grid, m, n, k, layout);
  };
  EXPECT_TRUE(has(256, 256, 1, "tn"));
  EXPECT_FALSE(has(1, 16, 16, "tn"));
  EXPECT_TRUE(has(1, 16, 16, "nn"));
  EXPECT_TRUE(has(1, 16, 16, "nt"));
  for (const auto& g : p.holdout_gemms) {
    if (g.layout != "tn" || g.batch != 1) continue;
    EXPECT_GE(g.m, 16);
    EXPECT_GE(g.n, 16);
    EXPECT_LE(g.k, 256);
  }
}

TEST(SweepPlan, CudaMeasuresTheBackwardLayoutsWithTheRowsAsTnsK) {
  const SweepPlan p = make_sweep_plan(Backend::kCuda, true, 1);
  EXPECT_EQ(p.gemm_layouts, (std::vector<std::string>{"nn", "nt", "tn"}));
  // CUDA quick: m 1..2048 (12 values) x n, k 64..2048 (6 each) = 432 points for nn and nt; tn is
  // m, n 64..2048 by k 1..2048, also 432. Batched 5*5*3*4 = 300. Per dtype (4 of them).
  const auto grid = p.grid_gemms(core::Dtype::kBf16);
  EXPECT_EQ(grid.size(), 3u * 432u + 300u);
  const auto has = [&](std::int64_t m, std::int64_t n, std::int64_t k, const std::string& layout) {
    return has_plain_gemm(grid, m, n, k, layout);
  };
  EXPECT_TRUE(has(2048, 64, 1, "tn"));
  EXPECT_FALSE(has(1, 64, 64, "tn"));
  EXPECT_TRUE(has(1, 64, 64, "nt"));
  // ceil(432 / 4) = 108 held out per layout and dtype.
  EXPECT_EQ(std::count_if(p.holdout_gemms.begin(), p.holdout_gemms.end(),
                          [](const kernels::GemmPoint& g) { return g.layout == "tn" && g.dtype == "fp16"; }),
            108);
}

// A synthetic sweep: GEMM rates follow a power law (exact under log-log interpolation) scaled
// per layout (nt half, tn twice nn's, so a held-out point read from the wrong table is off by 2x),
// memory and link times are one line each; held-out measurements are 10% slower than the law.
SweepMeasurements synthetic(const SweepPlan& plan, double holdout_slowdown) {
  const auto rate = [](const kernels::GemmPoint& g) {
    const double layout = g.layout == "nt" ? 0.5 : g.layout == "tn" ? 2.0 : 1.0;
    return layout * 1e8 * std::sqrt(static_cast<double>(g.m * g.n)) * std::cbrt(static_cast<double>(g.k * g.batch));
  };
  SweepMeasurements s;
  s.device = "synthetic";
  s.memory_bytes = 1e9;
  s.launch.times_s = {1e-7};
  s.launch.correct = true;
  for (const auto& g : plan.grid_gemms(core::Dtype::kFp32)) {
    s.fit.push_back(gemm_measurement(g.m, g.n, g.k, g.batch, rate(g), g.layout));
  }
  for (const auto& g : plan.holdout_gemms) {
    s.holdout.push_back(gemm_measurement(g.m, g.n, g.k, g.batch, rate(g) / holdout_slowdown, g.layout));
  }
  const auto add_size = [&](const std::string& kernel, double bytes, double slowdown, bool fit) {
    kernels::Measurement x;
    x.kernel = kernel;
    x.bytes = bytes;
    x.shape = {static_cast<std::int64_t>(bytes)};
    x.times_s = {(1e-6 + bytes / 1e10) * slowdown};
    x.correct = true;
    (fit ? s.fit : s.holdout).push_back(x);
  };
  for (const auto& k : plan.memory_kernels) {
    for (const auto b : plan.memory_bytes) add_size(k, static_cast<double>(b), 1.0, true);
    for (const auto b : plan.holdout_memory_bytes) add_size(k, static_cast<double>(b), holdout_slowdown, false);
  }
  for (const auto& k : plan.link_kinds) {
    for (const auto b : plan.link_bytes) add_size(k, static_cast<double>(b), 1.0, true);
    for (const auto b : plan.holdout_link_bytes) add_size(k, static_cast<double>(b), holdout_slowdown, false);
  }
  return s;
}

CalibrateOptions named(const std::string& name) {
  CalibrateOptions o;
  o.name = name;
  return o;
}

TEST(BuildProfile, ExactLawsValidateWithZeroError) {
  const SweepPlan plan = make_sweep_plan(Backend::kCpu, true, 1);
  std::vector<HoldoutError> errors;
  const auto p = build_profile(plan, synthetic(plan, 1.0), named("synthetic"), &errors);
  EXPECT_EQ(p.validate(), "");
  EXPECT_EQ(static_cast<std::size_t>(p.validation.points), errors.size());
  EXPECT_EQ(errors.size(), plan.holdout_gemms.size() + plan.memory_kernels.size() * plan.holdout_memory_bytes.size() +
                               plan.holdout_link_bytes.size());
  EXPECT_EQ(p.gemm_nt.count(core::Dtype::kFp32), 1u);
  EXPECT_EQ(p.gemm_tn.count(core::Dtype::kFp32), 1u);
  EXPECT_EQ(p.memory.count("adam"), 1u);
  EXPECT_LT(p.validation.max_relative_error, 1e-9);
  for (const auto& e : errors) EXPECT_LT(e.relative_error, 1e-9) << e.kernel << " " << e.shape[0];
  EXPECT_NEAR(p.launch_overhead.value(), 1e-7, 1e-20);
}

TEST(BuildProfile, TenPercentSlowerHoldoutsShowTheirError) {
  // predicted = t, measured = 1.1 t: |t - 1.1 t| / 1.1 t = 1/11 for every held-out point.
  const SweepPlan plan = make_sweep_plan(Backend::kCpu, true, 1);
  std::vector<HoldoutError> errors;
  const auto p = build_profile(plan, synthetic(plan, 1.1), named("synthetic"), &errors);
  EXPECT_NEAR(p.validation.median_relative_error, 1.0 / 11.0, 1e-9);
  EXPECT_NEAR(p.validation.max_relative_error, 1.0 / 11.0, 1e-9);
}

}  // namespace
}  // namespace gppsim::calibrate

namespace gppsim::calibrate {
namespace {

TEST(BuildProfile, AnIncorrectPointStopsTheFit) {
  const SweepPlan plan = make_sweep_plan(Backend::kCpu, true, 1);
  SweepMeasurements s = synthetic(plan, 1.0);
  s.holdout.back().correct = false;
  std::vector<HoldoutError> errors;
  EXPECT_THROW((void)build_profile(plan, s, named("x"), &errors), kernels::KernelError);
}

}  // namespace
}  // namespace gppsim::calibrate

namespace gppsim::calibrate {
namespace {

kernels::Measurement timed(const std::string& kernel, std::int64_t size, std::vector<double> times, bool correct = true,
                           double error = 0.0) {
  kernels::Measurement m;
  m.kernel = kernel;
  m.shape = {size};
  m.times_s = std::move(times);
  m.correct = correct;
  m.max_relative_error = error;
  return m;
}

// Two processes' sweeps, pooled: each point's iterations side by side (the median is then over
// all six: 3.5), correct only where both were, the worse error; the first process's trailing
// link point, which the other did not run, stays as measured.
TEST(PoolMeasurements, PutsEveryProcesssIterationsInOnePoint) {
  SweepMeasurements first;
  first.fit = {timed("copy", 64, {1, 2, 3}), timed("copy", 128, {1, 1, 1}, true, 1e-7),
               timed("mpi_pingpong", 8, {9, 9})};
  first.holdout = {timed("copy", 96, {5})};
  first.launch = timed("gemm", 1, {0.5});
  SweepMeasurements other;
  other.fit = {timed("copy", 64, {4, 5, 6}), timed("copy", 128, {2, 2, 2}, false, 3e-7)};
  other.holdout = {timed("copy", 96, {7})};
  other.launch = timed("gemm", 1, {0.25});
  const auto pooled = pool_measurements(first, {other});
  ASSERT_EQ(pooled.fit.size(), 3u);
  EXPECT_EQ(pooled.fit[0].times_s, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_DOUBLE_EQ(pooled.fit[0].median_s(), 3.5);
  EXPECT_FALSE(pooled.fit[1].correct);
  EXPECT_DOUBLE_EQ(pooled.fit[1].max_relative_error, 3e-7);
  EXPECT_EQ(pooled.fit[2].times_s, (std::vector<double>{9, 9}));
  EXPECT_EQ(pooled.holdout[0].times_s, (std::vector<double>{5, 7}));
  EXPECT_EQ(pooled.launch.times_s, (std::vector<double>{0.5, 0.25}));
}

TEST(PoolMeasurements, DifferentSweepsAreRefused) {
  SweepMeasurements first;
  first.fit = {timed("copy", 64, {1})};
  SweepMeasurements other = first;
  other.fit[0].shape = {128};
  EXPECT_THROW((void)pool_measurements(first, {other}), kernels::KernelError);
  other = first;
  other.fit.push_back(timed("copy", 128, {1}));  // more points than the first process ran
  EXPECT_THROW((void)pool_measurements(first, {other}), kernels::KernelError);
}

// raw_json's record reads back into the same measurements.
TEST(PoolMeasurements, RawRecordReadsBack) {
  const SweepPlan plan = make_sweep_plan(Backend::kCpu, true, 1);
  CalibrateOptions o;
  o.name = "synthetic";
  o.quick = true;
  CalibrationResult r = fit_measurements(o, synthetic(plan, 1.0));
  const auto back = measurements_from_raw_json(nlohmann::json::parse(raw_json(r)));
  ASSERT_EQ(back.fit.size(), r.measurements.fit.size());
  ASSERT_EQ(back.holdout.size(), r.measurements.holdout.size());
  for (std::size_t i = 0; i < back.fit.size(); ++i) {
    EXPECT_EQ(back.fit[i].kernel, r.measurements.fit[i].kernel);
    EXPECT_EQ(back.fit[i].shape, r.measurements.fit[i].shape);
    EXPECT_EQ(back.fit[i].times_s, r.measurements.fit[i].times_s);
  }
  EXPECT_EQ(back.device, "synthetic");
}

}  // namespace
}  // namespace gppsim::calibrate
