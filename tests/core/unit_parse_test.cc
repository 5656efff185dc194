#include "sim/core/unit_parse.h"

#include <gtest/gtest.h>

namespace gppsim::core {
namespace {

TEST(UnitParse, SizesDecimalBinaryAndBits) {
  EXPECT_DOUBLE_EQ(parse_bytes("16 GiB").value(), 16.0 * 1024 * 1024 * 1024);  // 17179869184
  EXPECT_DOUBLE_EQ(parse_bytes("1.5 MB").value(), 1.5e6);
  EXPECT_DOUBLE_EQ(parse_bytes("512 B").value(), 512.0);
  EXPECT_DOUBLE_EQ(parse_bytes("2KiB").value(), 2048.0);  // no space is fine
  EXPECT_DOUBLE_EQ(parse_bytes("100 Gb").value(), 100e9 / 8);  // bits: 1.25e10 B
  EXPECT_DOUBLE_EQ(parse_bytes("  3 TB ").value(), 3e12);
}

TEST(UnitParse, Durations) {
  EXPECT_DOUBLE_EQ(parse_seconds("5 us").value(), 5e-6);
  EXPECT_DOUBLE_EQ(parse_seconds("5 \xC2\xB5s").value(), 5e-6);
  EXPECT_DOUBLE_EQ(parse_seconds("1.2 ms").value(), 1.2e-3);
  EXPECT_DOUBLE_EQ(parse_seconds("3 ps").value(), 3e-12);
  EXPECT_DOUBLE_EQ(parse_seconds("2 min").value(), 120.0);
  EXPECT_DOUBLE_EQ(parse_seconds("1e-3 s").value(), 1e-3);
}

TEST(UnitParse, Bandwidths) {
  EXPECT_DOUBLE_EQ(parse_bandwidth("12.5 GB/s").value(), 1.25e10);
  EXPECT_DOUBLE_EQ(parse_bandwidth("25 GiB/s").value(), 25.0 * 1073741824.0);  // 26843545600
  EXPECT_DOUBLE_EQ(parse_bandwidth("100 Gb/s").value(), 1.25e10);              // EDR InfiniBand
  EXPECT_DOUBLE_EQ(parse_bandwidth("900 GB/s").value(), 9e11);
}

TEST(UnitParse, Flops) {
  EXPECT_DOUBLE_EQ(parse_flop_rate("125 TFLOP/s").value(), 1.25e14);
  EXPECT_DOUBLE_EQ(parse_flop_rate("15.7 TFLOPS").value(), 1.57e13);
  EXPECT_DOUBLE_EQ(parse_flops("3 GFLOP").value(), 3e9);
  EXPECT_DOUBLE_EQ(parse_flops("2 MFLOPs").value(), 2e6);
  EXPECT_DOUBLE_EQ(parse_flops("7 FLOP").value(), 7.0);
}

TEST(UnitParse, PlainNumberIsAnError) {
  try {
    (void)parse_bandwidth("12.5");
    FAIL() << "a plain number must not parse";
  } catch (const UnitParseError& e) {
    EXPECT_NE(std::string(e.what()).find("plain number"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("12.5 GB/s"), std::string::npos) << e.what();
  }
}

TEST(UnitParse, WrongDimensionAndGarbage) {
  EXPECT_THROW((void)parse_bytes("5 us"), UnitParseError);
  EXPECT_THROW((void)parse_seconds("5 GB"), UnitParseError);
  EXPECT_THROW((void)parse_bandwidth("12 GB"), UnitParseError);  // a size is not a rate
  EXPECT_THROW((void)parse_flop_rate("3 GFLOP"), UnitParseError);
  EXPECT_THROW((void)parse_bytes("GB"), UnitParseError);
  EXPECT_THROW((void)parse_bytes(""), UnitParseError);
  EXPECT_THROW((void)parse_bytes("nan GB"), UnitParseError);
  EXPECT_THROW((void)parse_bytes("5 gigabytes"), UnitParseError);
}

TEST(UnitParse, NegativeNumbersParseForCallersToJudge) {
  EXPECT_DOUBLE_EQ(parse_bytes("-1 KB").value(), -1000.0);
}

TEST(UnitFormat, BytesAndSeconds) {
  EXPECT_EQ(format_bytes(Bytes(512)), "512 B");
  EXPECT_EQ(format_bytes(Bytes(16.0 * 1073741824.0)), "16.00 GiB");
  EXPECT_EQ(format_bytes(Bytes(1.5 * 1048576.0)), "1.50 MiB");
  EXPECT_EQ(format_seconds(Seconds(0.033)), "33.000 ms");
  EXPECT_EQ(format_seconds(Seconds(5e-6)), "5.000 us");
  EXPECT_EQ(format_seconds(Seconds(2.5)), "2.500 s");
}

}  // namespace
}  // namespace gppsim::core
