#pragma once
// Asynchronous progress for a rank's messages: a thread of the rank enters MPI's progress engine
// every few microseconds while the rank computes. Open MPI moves a shared-memory message above
// its eager limit (rendezvous) only while the sender is inside an MPI call; without this thread a
// rank computing a GEMM held its consumer back by up to a whole task. The simulator's transfers
// move while both ends compute (a copy engine's), and so do the real backend's with it.

#include <chrono>
#include <memory>

namespace gppsim::exec {

/// Runs while it lives, probing a duplicate of MPI_COMM_WORLD that carries no messages (so it
/// never takes one). Needs MPI_THREAD_MULTIPLE (`thread_multiple()`). Collective: every rank
/// makes and destroys one at the same point of its program.
class ProgressThread {
 public:
  explicit ProgressThread(std::chrono::microseconds period);
  ~ProgressThread();
  ProgressThread(const ProgressThread&) = delete;
  ProgressThread& operator=(const ProgressThread&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether MPI was initialised with MPI_THREAD_MULTIPLE (a progress thread may run).
bool thread_multiple();

}  // namespace gppsim::exec
