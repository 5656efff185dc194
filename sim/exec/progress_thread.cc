#include "sim/exec/progress_thread.h"

#include <mpi.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace gppsim::exec {

struct ProgressThread::Impl {
  explicit Impl(std::chrono::microseconds p) : period(p) {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    thread = std::thread([this] { loop(); });
  }
  ~Impl() {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    wake.notify_one();
    thread.join();
    MPI_Comm_free(&comm);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // MPI_Iprobe runs the progress engine for every request of the process (sends and receives of
  // the rank's own thread included) without touching them.
  void loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [this] { return stop || pending > 0; });
      if (stop) return;
      lock.unlock();
      int flag = 0;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, MPI_STATUS_IGNORE);
      std::this_thread::sleep_for(period);
      lock.lock();
    }
  }

  std::chrono::microseconds period;
  MPI_Comm comm = MPI_COMM_NULL;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::size_t pending = 0;
  std::thread thread;
};

ProgressThread::ProgressThread(std::chrono::microseconds period) : impl_(std::make_unique<Impl>(period)) {}

ProgressThread::~ProgressThread() = default;

void ProgressThread::set_pending_sends(std::size_t count) {
  {
    const std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->pending = count;
  }
  if (count > 0) impl_->wake.notify_one();
}

bool thread_multiple() {
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  return provided == MPI_THREAD_MULTIPLE;
}

}  // namespace gppsim::exec
