#include "sim/schedule/task_graph.h"

#include <algorithm>
#include <cstdint>

#include "sim/core/check.h"
#include "sim/core/huge_pages.h"

namespace gppsim::schedule {
using core::advise_huge_pages;

TaskGraph::TaskGraph(int num_devices) : dep_begin_{0}, queues_(static_cast<std::size_t>(num_devices)) {
  GPPSIM_CHECK(num_devices >= 1, "a task graph needs at least one device");
}

TaskGraph::TaskGraph(const TaskGraph& other)
    : kinds_(other.kinds_), dep_begin_(other.dep_begin_), deps_(other.deps_), queues_(other.queues_) {
  for (auto& kind : kinds_) {
    if (auto* a = std::get_if<AllReduceTask>(&kind)) a->ring = own_ring(a->ring);
  }
}

TaskGraph& TaskGraph::operator=(const TaskGraph& other) {
  if (this != &other) *this = TaskGraph(other);
  return *this;
}

std::span<const hw::DeviceId> TaskGraph::own_ring(std::span<const hw::DeviceId> ring) {
  auto copy = std::make_unique<hw::DeviceId[]>(ring.size());
  std::copy(ring.begin(), ring.end(), copy.get());
  rings_.push_back(std::move(copy));
  return {rings_.back().get(), ring.size()};
}

void TaskGraph::reserve(std::size_t tasks, std::size_t dependencies) {
  kinds_.reserve(tasks);
  dep_begin_.reserve(tasks + 1);
  deps_.reserve(dependencies);
  advise_huge_pages(kinds_);
  advise_huge_pages(dep_begin_);
  advise_huge_pages(deps_);
}

TaskId TaskGraph::add(TaskKind kind, std::span<const TaskId> deps) {
  const TaskId id = kinds_.size();
  for (const TaskId d : deps) GPPSIM_CHECK(d < id, "a dependency must name an earlier task");
  deps_.insert(deps_.end(), deps.begin(), deps.end());
  if (auto* a = std::get_if<AllReduceTask>(&kind)) a->ring = own_ring(a->ring);
  kinds_.push_back(kind);
  dep_begin_.push_back(deps_.size());
  return id;
}

void TaskGraph::set_consumer(TaskId transfer, TaskId consumer) {
  GPPSIM_CHECK(transfer < size() && consumer < size(), "task id out of range");
  auto* t = std::get_if<TransferTask>(&kinds_[transfer]);
  GPPSIM_CHECK(t != nullptr, "set_consumer on a task that is not a transfer");
  t->consumer = consumer;
}

void TaskGraph::reserve_queue(hw::DeviceId device, std::size_t tasks) {
  GPPSIM_CHECK(device >= 0 && device < num_devices(), "device out of range");
  queues_[static_cast<std::size_t>(device)].reserve(tasks);
}

void TaskGraph::enqueue(hw::DeviceId device, TaskId task) {
  GPPSIM_CHECK(device >= 0 && device < num_devices(), "device out of range");
  GPPSIM_CHECK(task < size(), "task id out of range");
  GPPSIM_CHECK(std::holds_alternative<ComputeTask>(kinds_[task]) ||
                   std::holds_alternative<OptimizerTask>(kinds_[task]),
               "only compute and optimizer tasks run in a device queue");
  queues_[static_cast<std::size_t>(device)].push_back(task);
}

}  // namespace gppsim::schedule
