// Runs the gppsim_mpi_pingpong executable under mpirun, as the calibration driver does, and
// reads its JSON back with measurement_from_json.

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kernels/common/measurement.h"

namespace gppsim::kernels {
namespace {

/// Output and exit status of a shell command.
struct CommandResult {
  std::string output;  ///< stdout and stderr together
  int exit_code = -1;  ///< -1 when the command did not exit normally
};

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char chunk[4096];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) result.output.append(chunk, got);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// mpirun with `-np ranks` and the root permissions this container needs, then the binary
/// with `args`. Open MPI's session files go to a folder of this test process (mpiruns started
/// together by ctest -j otherwise race to create the shared one, and the loser fails).
std::string pingpong_command(int ranks, const std::string& extra_mpirun_flags, const std::string& args) {
  // detect_leaks=0 last: an ASAN_OPTIONS from the environment (scripts/test.sh) would otherwise
  // override the binary's own default and report Open MPI's exit-time leaks.
  return "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:detect_leaks=0\" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "OMPI_MCA_orte_tmpdir_base=" + ::testing::TempDir() + "gppsim-ompi-" + std::to_string(getpid()) +
         " mpirun -np " + std::to_string(ranks) +
         " " + extra_mpirun_flags + " " + GPPSIM_MPI_PINGPONG_BINARY + " " + args;
}

class MpiPingPongTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun is not on PATH";
    out_ = ::testing::TempDir() + "gppsim_pingpong_" + std::to_string(getpid()) + ".json";
    std::remove(out_.c_str());
  }
  void TearDown() override {
    std::remove(out_.c_str());
    std::filesystem::remove_all(::testing::TempDir() + "gppsim-ompi-" + std::to_string(getpid()));
  }

  std::string out_;
};

TEST_F(MpiPingPongTest, TwoRanksWriteOneCorrectMeasurementPerSize) {
  const CommandResult r =
      run_command(pingpong_command(2, "", "--sizes 1,4096 --warmup 1 --iterations 2 --out " + out_));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out_);
  ASSERT_TRUE(in) << "no output file " << out_;
  const nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 2u);
  const std::int64_t sizes[] = {1, 4096};
  for (std::size_t i = 0; i < 2; ++i) {
    const Measurement m = measurement_from_json(doc[i]);
    EXPECT_EQ(m.kernel, "mpi_pingpong");
    EXPECT_EQ(m.dtype, "");
    EXPECT_EQ(m.shape, (std::vector<std::int64_t>{sizes[i]}));
    EXPECT_DOUBLE_EQ(m.bytes, static_cast<double>(sizes[i]));
    EXPECT_DOUBLE_EQ(m.flops, 0.0);
    EXPECT_TRUE(m.correct);
    ASSERT_EQ(m.times_s.size(), 2u);
    for (const double t : m.times_s) EXPECT_GT(t, 0.0);
  }
  std::ifstream tmp(out_ + ".tmp");
  EXPECT_FALSE(tmp) << "the temporary file was left behind";
}

TEST_F(MpiPingPongTest, ThreeRanksAreRejected) {
  // --oversubscribe so that mpirun starts 3 ranks on 2 cores and the binary itself refuses.
  const CommandResult r = run_command(pingpong_command(3, "--oversubscribe", "--sizes 1 --out " + out_));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("exactly 2 MPI ranks"), std::string::npos) << r.output;
  std::ifstream in(out_);
  EXPECT_FALSE(in);
}

TEST_F(MpiPingPongTest, BadSizesValueIsRejectedNamingTheArgument) {
  const CommandResult r = run_command(pingpong_command(2, "", "--sizes 1,abc --out " + out_));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--sizes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'abc'"), std::string::npos) << r.output;
  std::ifstream in(out_);
  EXPECT_FALSE(in);
}

}  // namespace
}  // namespace gppsim::kernels
