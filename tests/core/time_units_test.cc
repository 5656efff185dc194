#include <gtest/gtest.h>

#include "sim/core/dtype.h"
#include "sim/core/errors.h"
#include "sim/core/check.h"
#include "sim/core/time.h"
#include "sim/core/units.h"

namespace gppsim::core {
namespace {

using namespace literals;

TEST(Time, RoundsToNearestPicosecond) {
  EXPECT_EQ(Time::from_seconds(1_ms).ps(), 1'000'000'000);   // 1e-3 s = 1e9 ps
  EXPECT_EQ(Time::from_seconds(Seconds(1.4e-12)).ps(), 1);
  EXPECT_EQ(Time::from_seconds(Seconds(1.6e-12)).ps(), 2);
  EXPECT_EQ(Time::from_seconds(33_ms).ps(), 33'000'000'000);
  EXPECT_DOUBLE_EQ(Time::from_ps(5'000'000).seconds().value(), 5e-6);
}

TEST(Time, ArithmeticAndOrder) {
  const Time a = Time::from_ps(10);
  const Time b = Time::from_ps(25);
  EXPECT_EQ((a + b).ps(), 35);
  EXPECT_EQ((b - a).ps(), 15);
  EXPECT_LT(a, b);
  EXPECT_GT(Time::max(), b);
}

TEST(Time, OutOfRangeIsAnInternalError) {
  EXPECT_THROW((void)Time::from_seconds(Seconds(1e9)), InternalError);  // 1e21 ps > 9.2e18
}

TEST(Units, CrossUnitRelations) {
  // 1 GB over 12.5 GB/s = 0.08 s; 1 TFLOP at 125 TFLOP/s = 8 ms.
  EXPECT_DOUBLE_EQ((Bytes(1e9) / BytesPerSecond(1.25e10)).value(), 0.08);
  EXPECT_DOUBLE_EQ((Flops(1e12) / FlopsPerSecond(1.25e14)).value(), 0.008);
  EXPECT_DOUBLE_EQ((Bytes(100) / Seconds(4)).value(), 25.0);
  EXPECT_DOUBLE_EQ((BytesPerSecond(10) * Seconds(3)).value(), 30.0);
  EXPECT_DOUBLE_EQ(Bytes(6) / Bytes(3), 2.0);
  EXPECT_EQ(max(Seconds(1), Seconds(2)), Seconds(2));
  EXPECT_EQ(min(Seconds(1), Seconds(2)), Seconds(1));
}

TEST(Dtype, SizesAndNames) {
  EXPECT_EQ(element_size(Dtype::kFp32).value(), 4.0);
  EXPECT_EQ(element_size(Dtype::kBf16).value(), 2.0);
  EXPECT_EQ(parse_dtype("fp16"), Dtype::kFp16);
  EXPECT_FALSE(parse_dtype("fp8").has_value());
  EXPECT_EQ(to_string(Dtype::kTf32), "tf32");
}

TEST(Errors, DiagnosticFormatNamesFileLineColumnAndPath) {
  const Diagnostic d{SourceLocation{"s.yaml", 12, 5, "cluster.inter_node.bandwidth"}, "expected X, found Y"};
  EXPECT_EQ(d.format(), "s.yaml:12:5: cluster.inter_node.bandwidth: expected X, found Y");
  EXPECT_EQ((Diagnostic{SourceLocation{"f.txt", 3, 0, ""}, "bad"}).format(), "f.txt:3: bad");
}

TEST(Errors, SinkThrowsAllDiagnosticsAtOnce) {
  DiagnosticSink sink;
  sink.throw_if_any();  // nothing yet: no throw
  sink.add(SourceLocation{"a.yaml", 1, 1, "x"}, "one");
  sink.add(SourceLocation{"a.yaml", 2, 1, "y"}, "two");
  try {
    sink.throw_if_any();
    FAIL();
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(std::string(e.what()), "a.yaml:1:1: x: one\na.yaml:2:1: y: two");
  }
}

TEST(Errors, CheckThrowsInternalErrorWithCondition) {
  try {
    GPPSIM_CHECK(1 + 1 == 3, "arithmetic");
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("1 + 1 == 3"), std::string::npos);
  }
}

}  // namespace
}  // namespace gppsim::core
