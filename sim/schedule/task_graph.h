#pragma once
// The lowered plan: every task of one training iteration with its dependencies, and each
// device's compute order. Executor-neutral: it says what runs where and after what, never how
// long anything takes (the simulator asks the cost model; the real backend measures).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/core/check.h"
#include "sim/core/units.h"
#include "sim/hw/topology.h"
#include "sim/schedule/schedule.h"

namespace gppsim::schedule {

/// Index of a task in its TaskGraph.
using TaskId = std::size_t;

/// Compute of one phase of one micro-batch of a stage, on one device of the stage, over
/// `samples` samples (micro_batch_size / data-parallel degree).
struct ComputeTask {
  int stage = 0;
  Phase phase = Phase::kForward;
  std::int64_t micro_batch = 0;
  hw::DeviceId device = 0;
  std::int64_t samples = 0;
};

/// A tensor moved between devices: activations (phase kForward, producer stage -> consumer
/// stage) or their gradients (phase kBackward, the other way). `consumer` is the compute task
/// that reads it; the receiving buffer lives from arrival until that task ends.
struct TransferTask {
  int from_stage = 0;
  int to_stage = 0;
  Phase phase = Phase::kForward;
  hw::DeviceId src = 0;
  hw::DeviceId dst = 0;
  core::Bytes bytes;
  TaskId consumer = 0;
};

/// Gradient all-reduce of a data-parallel stage over its devices, as a ring in the given order.
/// `ring` is a view: TaskGraph::add copies the devices it names into storage the graph owns and
/// points the stored task's view there, so the caller's devices need only outlive the add()
/// call, and a task read back from a graph is valid while that graph lives. A view keeps every
/// task kind trivially copyable (the lowering copies millions of them).
struct AllReduceTask {
  int stage = 0;
  std::span<const hw::DeviceId> ring;
  core::Bytes bytes;
};

/// The optimizer update of one stage's weights on one device.
struct OptimizerTask {
  int stage = 0;
  hw::DeviceId device = 0;
};

/// A closed set of task kinds.
using TaskKind = std::variant<ComputeTask, TransferTask, AllReduceTask, OptimizerTask>;
static_assert(std::is_trivially_copyable_v<TaskKind>, "task kinds are copied as plain bytes");

/// All tasks of one iteration. Dependencies point to earlier tasks only (ids are a topological
/// order). Compute and optimizer tasks also run in their device's queue order.
class TaskGraph {
 public:
  explicit TaskGraph(int num_devices);
  /// Copies re-point their all-reduce rings to their own storage; moves keep it.
  TaskGraph(const TaskGraph& other);
  TaskGraph& operator=(const TaskGraph& other);
  TaskGraph(TaskGraph&&) noexcept = default;
  TaskGraph& operator=(TaskGraph&&) noexcept = default;
  ~TaskGraph() = default;

  /// Reserves room for `tasks` tasks with `dependencies` dependencies in all (an estimate).
  void reserve(std::size_t tasks, std::size_t dependencies);
  /// Appends a task; every dependency must already exist. An all-reduce's ring is copied.
  TaskId add(TaskKind kind, std::span<const TaskId> deps);
  /// Reserves room for `tasks` tasks in `device`'s queue (an estimate).
  void reserve_queue(hw::DeviceId device, std::size_t tasks);
  /// Sets the consumer of a transfer added earlier (the consumer is created after it).
  void set_consumer(TaskId transfer, TaskId consumer);
  /// Appends a compute or optimizer task to its device's queue.
  void enqueue(hw::DeviceId device, TaskId task);

  [[nodiscard]] std::size_t size() const { return kinds_.size(); }
  [[nodiscard]] int num_devices() const { return static_cast<int>(queues_.size()); }
  [[nodiscard]] const TaskKind& kind(TaskId id) const { return kinds_[id]; }
  [[nodiscard]] std::span<const TaskId> deps(TaskId id) const {
    GPPSIM_CHECK(id < size(), "task id out of range");
    return {deps_.data() + dep_begin_[id], dep_begin_[id + 1] - dep_begin_[id]};
  }
  [[nodiscard]] const std::vector<TaskId>& queue(hw::DeviceId device) const { return queues_[device]; }
  [[nodiscard]] std::size_t num_dependencies() const { return deps_.size(); }

 private:
  /// A copy of `ring` in rings_, which outlives every view of it (moves keep the arrays).
  std::span<const hw::DeviceId> own_ring(std::span<const hw::DeviceId> ring);

  std::vector<TaskKind> kinds_;
  std::vector<std::size_t> dep_begin_;  // CSR: deps of task i are deps_[dep_begin_[i] .. dep_begin_[i+1])
  std::vector<TaskId> deps_;
  std::vector<std::vector<TaskId>> queues_;
  std::vector<std::unique_ptr<hw::DeviceId[]>> rings_;  // the devices all-reduce rings view
};

}  // namespace gppsim::schedule
