// exec's ProgressThread moves a rendezvous message while its sender computes. The probe
// (tests/exec_probe) sends 8 MiB from rank 0, which then computes for 400 ms without entering
// MPI; Open MPI's shared memory is forced to copy in and out (no single-copy), so without the
// thread the receive cannot end before the sender's next MPI call.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include <fmt/format.h>

#include "mpi_run.h"

namespace gppsim::exec {
namespace {

double receive_ms(bool thread) {
  const auto r = testing::mpirun(2, fmt::format("-x OMPI_MCA_btl_vader_single_copy_mechanism=none {} --thread {} "
                                                "--busy-ms 400",
                                                GPPSIM_PROGRESS_PROBE, thread ? 1 : 0));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::smatch m;
  const std::regex pattern("receive_ms ([0-9.]+) thread ([01])");
  if (!std::regex_search(r.out, m, pattern)) {
    ADD_FAILURE() << "no receive time in: " << r.out;
    return -1.0;
  }
  EXPECT_EQ(m[2].str(), thread ? "1" : "0") << "MPI_THREAD_MULTIPLE is not available";
  return std::stod(m[1].str());
}

TEST(ProgressThread, MovesALargeMessageWhileTheSenderComputes) {
  const double without = receive_ms(false);
  if (without < 300.0) GTEST_SKIP() << "this MPI moves the message without the sender (" << without << " ms)";
  const double with = receive_ms(true);
  EXPECT_LT(with, 200.0) << "without the thread: " << without << " ms";
}

}  // namespace
}  // namespace gppsim::exec
