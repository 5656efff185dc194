#pragma once
// The lowered plan: every task of one training iteration with its dependencies, and each
// device's compute order. Executor-neutral: it says what runs where and after what, never how
// long anything takes (the simulator asks the cost model; the real backend measures).

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

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
struct AllReduceTask {
  int stage = 0;
  std::vector<hw::DeviceId> ring;
  core::Bytes bytes;
};

/// The optimizer update of one stage's weights on one device.
struct OptimizerTask {
  int stage = 0;
  hw::DeviceId device = 0;
};

/// A closed set of task kinds.
using TaskKind = std::variant<ComputeTask, TransferTask, AllReduceTask, OptimizerTask>;

/// All tasks of one iteration. Dependencies point to earlier tasks only (ids are a topological
/// order). Compute and optimizer tasks also run in their device's queue order.
class TaskGraph {
 public:
  explicit TaskGraph(int num_devices);

  /// Reserves room for `tasks` tasks with `dependencies` dependencies in all (an estimate).
  void reserve(std::size_t tasks, std::size_t dependencies);
  /// Appends a task; every dependency must already exist.
  TaskId add(TaskKind kind, std::span<const TaskId> deps);
  /// Sets the consumer of a transfer added earlier (the consumer is created after it).
  void set_consumer(TaskId transfer, TaskId consumer);
  /// Appends a compute or optimizer task to its device's queue.
  void enqueue(hw::DeviceId device, TaskId task);

  [[nodiscard]] std::size_t size() const { return kinds_.size(); }
  [[nodiscard]] int num_devices() const { return static_cast<int>(queues_.size()); }
  [[nodiscard]] const TaskKind& kind(TaskId id) const { return kinds_[id]; }
  [[nodiscard]] std::span<const TaskId> deps(TaskId id) const;
  [[nodiscard]] const std::vector<TaskId>& queue(hw::DeviceId device) const { return queues_[device]; }
  [[nodiscard]] std::size_t num_dependencies() const { return deps_.size(); }

 private:
  std::vector<TaskKind> kinds_;
  std::vector<std::size_t> dep_begin_;  // CSR: deps of task i are deps_[dep_begin_[i] .. dep_begin_[i+1])
  std::vector<TaskId> deps_;
  std::vector<std::vector<TaskId>> queues_;
};

}  // namespace gppsim::schedule
