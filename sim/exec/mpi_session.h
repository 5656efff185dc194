#pragma once
// The MPI world of `gppsim exec`, without exposing mpi.h: initialisation and finalisation,
// the ranks' agreement on their inputs, clock offsets, and ending every rank on a failure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gppsim::exec {

/// Initialises MPI on construction and finalises it on destruction (one per process).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

/// Ends every rank of the job with `code` (MPI_Abort): for a rank that failed while others
/// may be waiting on it. Does not return.
[[noreturn]] void abort_world(int code);

/// Throws core::ConfigError on every rank unless all ranks passed the same fingerprint (a hash
/// of the scenario, strategy and options they read); the message names the ranks that differ.
void check_same_inputs(std::uint64_t fingerprint);

/// Per rank: its clock minus rank 0's clock, in seconds, estimated by ping-pong with rank 0
/// (the round trip with the smallest delay of `rounds`). Collective; every rank gets all.
std::vector<double> clock_offsets(int rounds);

/// Open MPI's shared-memory eager limit in bytes as this process runs with it (exec sets
/// 256 KiB unless the user chose a value); 0 under other MPI libraries (every send may then need
/// its sender's progress).
std::size_t eager_limit_bytes();

/// This rank's index among the ranks on its node, and how many ranks its node runs.
int local_rank();
int local_size();

/// Seconds on this rank's MPI clock.
double wall_seconds();

}  // namespace gppsim::exec
