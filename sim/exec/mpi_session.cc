#include "sim/exec/mpi_session.h"

#include <mpi.h>

#include <cstdlib>

#include <fmt/format.h>

#include "sim/core/errors.h"

namespace gppsim::exec {
namespace {

/// The TaskGraph's all-reduce is a ring over the stage's devices, and that ring is what the
/// simulator times. Open MPI's non-blocking all-reduce otherwise picks recursive doubling for
/// few ranks (each rank sends and sums the whole vector: about 2.5x the ring's time for 16 MB
/// on 2 ranks here), so its ring is selected, unless the user chose an algorithm. Other MPI
/// libraries ignore the variable.
void select_ring_allreduce() {
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "ring", /*overwrite=*/0);
}

/// The simulator's transfers move while both ends compute (a copy engine's). Open MPI's shared
/// memory sends a message above its eager limit (4 KiB) by rendezvous: without a single-copy
/// mechanism (containers often disable CMA) the sender copies the rest only when it next enters
/// MPI, after the compute task it is running, so each pipeline hop waits up to one task. Sends of
/// up to 256 KiB (activations and gradients of these models' micro-batches) are made eager
/// instead, unless the user chose the limits. On 8 ranks of a 16-core VM this cut a chain's
/// iteration from 113-122 ms to 84-95 ms. Eager fragments live in the sender's shared-memory
/// segment (4 MiB by default): a stage that runs several forwards ahead of four consumers filled
/// it and its sends queued until it next entered MPI (16 ranks: 285-307 ms; with 64 MiB
/// segments 184-186 ms). Other MPI libraries ignore the variables.
void send_eagerly() {
  setenv("OMPI_MCA_btl_vader_eager_limit", "262144", /*overwrite=*/0);
  setenv("OMPI_MCA_btl_vader_max_send_size", "262144", /*overwrite=*/0);
  setenv("OMPI_MCA_btl_vader_segment_size", "67108864", /*overwrite=*/0);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  select_ring_allreduce();
  send_eagerly();
  // MPI_THREAD_MULTIPLE lets a progress thread (progress_thread.h) move messages while the rank
  // computes; where the library cannot, the rank runs without one.
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
  // Errors on MPI calls end the job with a message rather than returning codes nobody reads.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void abort_world(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

void check_same_inputs(std::uint64_t fingerprint) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<std::uint64_t> all(static_cast<std::size_t>(size));
  MPI_Allgather(&fingerprint, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  std::string differ;
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (all[r] != all[0]) differ += fmt::format("{}{}", differ.empty() ? "" : ", ", r);
  }
  if (differ.empty()) return;
  throw core::ConfigError(core::SourceLocation{}, fmt::format(
      "the ranks read different inputs: ranks {} differ from rank 0 in the scenario, strategy or options "
      "(every rank must run the same files and flags)", differ));
}

std::vector<double> clock_offsets(int rounds) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<double> offsets(static_cast<std::size_t>(size), 0.0);
  for (int r = 1; r < size; ++r) {
    double best_rtt = 1e300;
    for (int i = 0; i < rounds; ++i) {
      if (rank == 0) {
        double remote = 0.0;
        const double t1 = MPI_Wtime();
        MPI_Send(&t1, 1, MPI_DOUBLE, r, 0, MPI_COMM_WORLD);
        MPI_Recv(&remote, 1, MPI_DOUBLE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        const double t2 = MPI_Wtime();
        if (t2 - t1 < best_rtt) {
          best_rtt = t2 - t1;
          offsets[static_cast<std::size_t>(r)] = remote - 0.5 * (t1 + t2);
        }
      } else if (rank == r) {
        double t1 = 0.0;
        MPI_Recv(&t1, 1, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        const double now = MPI_Wtime();
        MPI_Send(&now, 1, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
      }
    }
  }
  MPI_Bcast(offsets.data(), size, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return offsets;
}

std::size_t eager_limit_bytes() {
  const char* value = std::getenv("OMPI_MCA_btl_vader_eager_limit");
  if (value == nullptr) return 0;
  char* end = nullptr;
  const unsigned long long bytes = std::strtoull(value, &end, 10);
  return end != value && *end == '\0' ? static_cast<std::size_t>(bytes) : 0;
}

namespace {

// The ranks sharing this rank's node (split once, kept for the process).
MPI_Comm node_comm() {
  static MPI_Comm comm = [] {
    MPI_Comm c = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &c);
    return c;
  }();
  return comm;
}

}  // namespace

int local_rank() {
  int r = 0;
  MPI_Comm_rank(node_comm(), &r);
  return r;
}

int local_size() {
  int n = 1;
  MPI_Comm_size(node_comm(), &n);
  return n;
}

double wall_seconds() { return MPI_Wtime(); }

}  // namespace gppsim::exec
