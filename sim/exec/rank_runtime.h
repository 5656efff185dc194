#pragma once
// Private to sim/exec: one rank's execution of its tasks of a TaskGraph, one iteration at a
// time. Compute and optimizer tasks run in the device's queue order; transfers are MPI
// point-to-point messages (receives posted one compute task ahead, sends non-blocking as soon
// as their producer ends); a data-parallel stage's gradients are all-reduced with
// MPI_Iallreduce on the stage's own communicator once this rank's last backward of it ends.

#include <mpi.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "sim/exec/buffer.h"
#include "sim/exec/exec_model.h"
#include "sim/exec/stage_boundary.h"
#include "sim/exec/stage_runner.h"
#include "sim/schedule/task_graph.h"

namespace gppsim::exec::detail {

/// What one rank saw of one task, in seconds on its own clock. `part`: 0 a whole task
/// (compute, optimizer), 1 a transfer's send (start), 2 a transfer's arrival (end), 3 this
/// rank's share of an all-reduce.
struct TaskRecord {
  double id = 0;
  double start = 0;
  double end = 0;
  double part = 0;
};

/// One rank's tasks and state across iterations.
class RankRuntime {
 public:
  /// The rank computes on `device` (which outlives it); messages and all-reduces go through
  /// host memory, with staging copies when the device's memory is not the host's.
  RankRuntime(const ExecModel& model, const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
              const TrainingSetup& setup, int rank, Device& device);
  ~RankRuntime();
  RankRuntime(const RankRuntime&) = delete;
  RankRuntime& operator=(const RankRuntime&) = delete;

  /// Runs this rank's part of one iteration; returns its records.
  std::vector<TaskRecord> run_iteration();
  /// Called with the number of this rank's sends above `min_bytes` still in flight after each
  /// send and each task (a progress thread runs while it is not zero; smaller, eager sends need
  /// no progress from their sender).
  void on_pending_sends(std::function<void(std::size_t)> callback, std::size_t min_bytes) {
    on_pending_sends_ = std::move(callback);
    progress_min_bytes_ = min_bytes;
  }
  /// The device's memory (peak memory is read from it).
  [[nodiscard]] MemoryCounter& memory() { return mem_; }
  [[nodiscard]] std::size_t static_bytes() const;
  /// The runner of a stage this rank holds, or null.
  [[nodiscard]] StageRunner* runner(int stage);

 private:
  struct Range {
    std::int64_t lo = 0, hi = 0;
  };
  /// The samples two shards share (they overlap by construction of the lowering).
  static Range overlap(Range a, Range b) { return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)}; }
  static std::size_t rows(Range r) { return static_cast<std::size_t>(r.hi - r.lo); }
  struct Pending {
    MPI_Request request = MPI_REQUEST_NULL;
    Buffer buffer;
    double arrived = -1.0;
  };
  void index_tasks();
  void make_communicators();
  [[nodiscard]] Range range(schedule::TaskId compute) const;
  [[nodiscard]] const std::vector<std::size_t>& payload_of(const schedule::TransferTask& t) const;
  void post_receives(schedule::TaskId compute);
  void wait_receive(schedule::TaskId transfer);
  void poll_receives();
  void report_pending_sends();
  EdgeTensors gather_inputs(schedule::TaskId id, const schedule::ComputeTask& c);
  void run_compute(schedule::TaskId id);
  void send_outputs(schedule::TaskId id, const EdgeTensors& out);
  void release(schedule::TaskId producer);
  void after_compute(schedule::TaskId id);
  void run_optimizer(schedule::TaskId id);
  /// Where messages and all-reduce buffers live: the device's counter if it is host memory.
  [[nodiscard]] MemoryCounter& staging() { return mem_.device().host_memory() ? mem_ : host_mem_; }

  const ExecModel& model_;
  const plan::Strategy& strategy_;
  const schedule::TaskGraph& tasks_;
  StageBoundary boundary_;
  int rank_;
  MemoryCounter mem_;
  MemoryCounter host_mem_;  // staging buffers of a device without host memory (its staging())
  std::map<int, std::unique_ptr<StageRunner>> runners_;
  std::map<int, MPI_Comm> stage_comm_;
  std::map<schedule::TaskId, int> tag_;                            // transfers from or to this rank
  std::map<schedule::TaskId, std::vector<schedule::TaskId>> sends_;  // producer -> its transfers
  std::map<schedule::TaskId, int> users_;                           // local readers of an output
  std::map<schedule::TaskId, std::vector<schedule::TaskId>> reduce_after_;  // last local dep -> all-reduces
  std::map<int, schedule::TaskId> reduce_of_stage_;
  // Per iteration:
  std::map<schedule::TaskId, int> remaining_;
  std::map<schedule::TaskId, EdgeTensors> outputs_;
  std::map<schedule::TaskId, Pending> receives_;
  std::vector<std::pair<MPI_Request, Buffer>> sends_in_flight_;
  std::map<schedule::TaskId, MPI_Request> reductions_;
  std::map<schedule::TaskId, Buffer> reduction_staging_;  // all-reduce -> its host copy of the gradients
  std::map<schedule::TaskId, std::size_t> reduction_record_;  // all-reduce -> its entry in records_
  std::vector<TaskRecord> records_;
  std::function<void(std::size_t)> on_pending_sends_;
  std::size_t progress_min_bytes_ = 0;
};

}  // namespace gppsim::exec::detail
