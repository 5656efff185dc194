#include "kernels/common/measurement.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gppsim::kernels {
namespace {

TEST(MeasurementTest, MedianOfOddCountIsMiddleValue) {
  Measurement m;
  m.times_s = {3.0, 1.0, 2.0};  // sorted 1, 2, 3 -> middle 2
  EXPECT_DOUBLE_EQ(m.median_s(), 2.0);
}

TEST(MeasurementTest, MedianOfEvenCountIsMeanOfMiddlePair) {
  Measurement m;
  m.times_s = {4.0, 1.0, 3.0, 2.0};  // sorted 1, 2, 3, 4 -> (2 + 3) / 2 = 2.5
  EXPECT_DOUBLE_EQ(m.median_s(), 2.5);
}

TEST(MeasurementTest, EmptyTimesGiveZeroRates) {
  Measurement m;
  m.flops = 1e9;
  m.bytes = 1e9;
  EXPECT_DOUBLE_EQ(m.median_s(), 0.0);
  EXPECT_DOUBLE_EQ(m.flops_per_s(), 0.0);
  EXPECT_DOUBLE_EQ(m.bytes_per_s(), 0.0);
}

TEST(MeasurementTest, RatesDivideByMedian) {
  Measurement m;
  m.flops = 3e9;
  m.bytes = 6e9;
  m.times_s = {2.0, 0.5, 1.5};  // median 1.5 s
  EXPECT_DOUBLE_EQ(m.flops_per_s(), 2e9);  // 3e9 / 1.5
  EXPECT_DOUBLE_EQ(m.bytes_per_s(), 4e9);  // 6e9 / 1.5
}

TEST(MeasurementTest, JsonRoundTripKeepsEveryField) {
  Measurement m;
  m.kernel = "batched_gemm";
  m.dtype = "fp64";
  m.shape = {8, 5, 3, 4};
  m.flops = 960.0;
  m.bytes = 2528.0;
  m.times_s = {0.25, 0.125, 0.5};
  m.correct = true;
  m.max_relative_error = 1e-15;
  const nlohmann::json j = to_json(m);
  EXPECT_DOUBLE_EQ(j.at("median_s").get<double>(), 0.25);       // sorted 0.125, 0.25, 0.5
  EXPECT_DOUBLE_EQ(j.at("flops_per_s").get<double>(), 3840.0);  // 960 / 0.25
  EXPECT_DOUBLE_EQ(j.at("bytes_per_s").get<double>(), 10112.0); // 2528 / 0.25
  // Through text, as the calibration driver reads it.
  const Measurement back = measurement_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.kernel, "batched_gemm");
  EXPECT_EQ(back.dtype, "fp64");
  EXPECT_EQ(back.shape, (std::vector<std::int64_t>{8, 5, 3, 4}));
  EXPECT_DOUBLE_EQ(back.flops, 960.0);
  EXPECT_DOUBLE_EQ(back.bytes, 2528.0);
  EXPECT_EQ(back.times_s, (std::vector<double>{0.25, 0.125, 0.5}));
  EXPECT_TRUE(back.correct);
  EXPECT_DOUBLE_EQ(back.max_relative_error, 1e-15);
}

TEST(MeasurementTest, FromJsonRejectsMissingField) {
  nlohmann::json j = to_json(Measurement{});
  j.erase("times_s");
  EXPECT_THROW(measurement_from_json(j), nlohmann::json::exception);
}

}  // namespace
}  // namespace gppsim::kernels
