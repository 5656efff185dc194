#include "sim/schedule/task_graph.h"

#include "sim/core/check.h"

namespace gppsim::schedule {

TaskGraph::TaskGraph(int num_devices) : dep_begin_{0}, queues_(static_cast<std::size_t>(num_devices)) {
  GPPSIM_CHECK(num_devices >= 1, "a task graph needs at least one device");
}

void TaskGraph::reserve(std::size_t tasks, std::size_t dependencies) {
  kinds_.reserve(tasks);
  dep_begin_.reserve(tasks + 1);
  deps_.reserve(dependencies);
}

TaskId TaskGraph::add(TaskKind kind, std::span<const TaskId> deps) {
  const TaskId id = kinds_.size();
  for (const TaskId d : deps) {
    GPPSIM_CHECK(d < id, "a dependency must name an earlier task");
    deps_.push_back(d);
  }
  kinds_.push_back(std::move(kind));
  dep_begin_.push_back(deps_.size());
  return id;
}

void TaskGraph::set_consumer(TaskId transfer, TaskId consumer) {
  GPPSIM_CHECK(transfer < size() && consumer < size(), "task id out of range");
  auto* t = std::get_if<TransferTask>(&kinds_[transfer]);
  GPPSIM_CHECK(t != nullptr, "set_consumer on a task that is not a transfer");
  t->consumer = consumer;
}

void TaskGraph::enqueue(hw::DeviceId device, TaskId task) {
  GPPSIM_CHECK(device >= 0 && device < num_devices(), "device out of range");
  GPPSIM_CHECK(task < size(), "task id out of range");
  GPPSIM_CHECK(!std::holds_alternative<TransferTask>(kinds_[task]) &&
                   !std::holds_alternative<AllReduceTask>(kinds_[task]),
               "only compute and optimizer tasks run in a device queue");
  queues_[static_cast<std::size_t>(device)].push_back(task);
}

std::span<const TaskId> TaskGraph::deps(TaskId id) const {
  GPPSIM_CHECK(id < size(), "task id out of range");
  return {deps_.data() + dep_begin_[id], dep_begin_[id + 1] - dep_begin_[id]};
}

}  // namespace gppsim::schedule
