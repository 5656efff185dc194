#pragma once
// Asynchronous progress for a rank's messages: a thread of the rank enters MPI's progress engine
// every few microseconds while the rank computes. Open MPI moves a shared-memory message above
// its eager limit (rendezvous) only while the sender is inside an MPI call; without this thread a
// rank computing a GEMM held its consumer back by up to a whole task. The simulator's transfers
// move while both ends compute (a copy engine's), and so do the real backend's with it.

#include <chrono>
#include <cstddef>
#include <memory>

namespace gppsim::exec {

/// Lives as long as the object, probing a duplicate of MPI_COMM_WORLD that carries no messages
/// (so it never takes one) every `period` while the rank has sends in flight, and sleeping
/// otherwise: an eager send is done when posted and costs it nothing. (Waking every 20 us all
/// the time doubled the GEMMs' time on a 2-core VM, where each rank is bound to one core.)
/// Needs MPI_THREAD_MULTIPLE (`thread_multiple()`). Collective: every rank makes and destroys
/// one at the same point of its program.
class ProgressThread {
 public:
  explicit ProgressThread(std::chrono::microseconds period);
  ~ProgressThread();
  ProgressThread(const ProgressThread&) = delete;
  ProgressThread& operator=(const ProgressThread&) = delete;

  /// How many of the rank's sends have not completed (from the rank's own thread).
  void set_pending_sends(std::size_t count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether MPI was initialised with MPI_THREAD_MULTIPLE (a progress thread may run).
bool thread_multiple();

}  // namespace gppsim::exec
