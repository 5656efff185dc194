#include "sim/exec/progress_thread.h"

#include <mpi.h>

#include <atomic>
#include <thread>

namespace gppsim::exec {

struct ProgressThread::Impl {
  explicit Impl(std::chrono::microseconds p) : period(p) {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    thread = std::thread([this] { loop(); });
  }
  ~Impl() {
    stop.store(true, std::memory_order_relaxed);
    thread.join();
    MPI_Comm_free(&comm);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // MPI_Iprobe runs the progress engine for every request of the process (sends and receives of
  // the rank's own thread included) without touching them.
  void loop() const {
    while (!stop.load(std::memory_order_relaxed)) {
      int flag = 0;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, MPI_STATUS_IGNORE);
      std::this_thread::sleep_for(period);
    }
  }

  std::chrono::microseconds period;
  MPI_Comm comm = MPI_COMM_NULL;
  std::atomic<bool> stop{false};
  std::thread thread;
};

ProgressThread::ProgressThread(std::chrono::microseconds period) : impl_(std::make_unique<Impl>(period)) {}

ProgressThread::~ProgressThread() = default;

bool thread_multiple() {
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  return provided == MPI_THREAD_MULTIPLE;
}

}  // namespace gppsim::exec
