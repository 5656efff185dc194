// A two-rank MPI program for tests/exec/progress_thread_test.cc: rank 0 posts a large send and
// then computes for `--busy-ms` without entering MPI; rank 1 reports how long its receive took.
// With `--thread 1` rank 0 runs exec's ProgressThread, which must let the message move anyway.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "sim/exec/progress_thread.h"

namespace {

/// Burns the CPU for `ms` milliseconds without calling MPI (a GEMM's stand-in).
double spin(int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  volatile double x = 1.0;
  while (std::chrono::steady_clock::now() < end) x = x * 1.0000001 + 1e-9;
  return x;
}

int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const bool thread = arg(argc, argv, "--thread", 0) != 0 && provided == MPI_THREAD_MULTIPLE;
  const int busy_ms = arg(argc, argv, "--busy-ms", 300);
  std::vector<float> data(std::size_t{2} << 20, 1.0f);  // 8 MiB: far above any eager limit
  {
    std::unique_ptr<gppsim::exec::ProgressThread> progress;
    if (thread) progress = std::make_unique<gppsim::exec::ProgressThread>(std::chrono::microseconds(20));
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    if (rank == 0) {
      MPI_Request request = MPI_REQUEST_NULL;
      MPI_Isend(data.data(), static_cast<int>(data.size()), MPI_FLOAT, 1, 7, MPI_COMM_WORLD, &request);
      if (progress) progress->set_pending_sends(1);  // as exec's rank does for a send in flight
      spin(busy_ms);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
      if (progress) progress->set_pending_sends(0);
    } else if (rank == 1) {
      MPI_Recv(data.data(), static_cast<int>(data.size()), MPI_FLOAT, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::printf("receive_ms %.3f thread %d\n", 1e3 * (MPI_Wtime() - t0), thread ? 1 : 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  MPI_Finalize();
  return 0;
}
