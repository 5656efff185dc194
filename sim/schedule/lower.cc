#include "sim/schedule/lower.h"

#include <algorithm>
#include <array>
#include <map>

#include "sim/core/check.h"

namespace gppsim::schedule {
namespace {

constexpr std::size_t phase_index(Phase p) { return static_cast<std::size_t>(p); }

// Builds the task graph stage by stage; ids_[stage][phase][micro_batch * D + shard].
class Lowering {
 public:
  Lowering(const plan::Strategy& s, const Schedule& sched, const model::OpGraph& g, int num_devices)
      : s_(s), sched_(sched), graph_(g), tasks_(num_devices), ids_(s.stages.size()) {
    const auto bytes = stage_edge_bytes(s, g);
    for (std::size_t e = 0; e < s.edges.size(); ++e) edge_bytes_[s.edges[e]] = bytes[e];
    split_backward_ = s.schedule == plan::ScheduleKind::kZbH1;
  }

  TaskGraph run() {
    reserve();
    const auto order = s_.topological_order();
    for (const int st : order) add_forwards(st);
    for (auto it = order.rbegin(); it != order.rend(); ++it) add_backwards(*it);
    for (const auto& stage : s_.stages) add_gradient_sync(stage.id);
    fill_queues();
    return std::move(tasks_);
  }

 private:
  // Compute and optimizer tasks are counted exactly; transfers as one per consumer shard and
  // stage edge in each direction (exact when the two stages have equal sizes and degrees).
  void reserve() {
    std::size_t compute = 0;
    std::size_t transfers = 0;
    const std::size_t phases = split_backward_ ? 3 : 2;
    for (const auto& st : s_.stages) {
      const auto shards = static_cast<std::size_t>(sched_.micro_batches[static_cast<std::size_t>(st.id)]) * st.devices.size();
      compute += phases * shards + st.devices.size() + 1;
      transfers += 2 * shards * s_.successors(st.id).size();
    }
    tasks_.reserve(compute + transfers, 2 * (compute + transfers));
  }

  struct Range {
    std::int64_t lo, hi;  // global samples [lo, hi)
  };

  [[nodiscard]] std::int64_t shard_size(int st) const {
    const auto& stage = s_.stages[static_cast<std::size_t>(st)];
    return stage.micro_batch_size / static_cast<std::int64_t>(stage.devices.size());
  }
  [[nodiscard]] std::size_t degree(int st) const { return s_.stages[static_cast<std::size_t>(st)].devices.size(); }
  [[nodiscard]] Range shard_range(int st, std::int64_t mb, std::size_t k) const {
    const std::int64_t b = s_.stages[static_cast<std::size_t>(st)].micro_batch_size;
    const std::int64_t lo = mb * b + static_cast<std::int64_t>(k) * shard_size(st);
    return {lo, lo + shard_size(st)};
  }
  [[nodiscard]] hw::DeviceId device(int st, std::size_t k) const {
    return s_.stages[static_cast<std::size_t>(st)].devices[k];
  }
  std::vector<TaskId>& ids(int st, Phase p) { return ids_[static_cast<std::size_t>(st)][phase_index(p)]; }

  // Dependencies of consumer shard (st, mb, k) on the overlapping shards of `producer` in
  // phase `p`, each sample carrying `per_sample` bytes; adds a transfer for each pair on
  // different devices. Appends to deps_ and transfers_.
  void add_inputs(int producer, int st, std::int64_t mb, std::size_t k, Phase p, core::Bytes per_sample) {
    const Range want = shard_range(st, mb, k);
    const std::int64_t pb = s_.stages[static_cast<std::size_t>(producer)].micro_batch_size;
    const std::int64_t pq = shard_size(producer);
    for (std::int64_t sample = want.lo; sample < want.hi;) {
      const std::int64_t pmb = sample / pb;
      const auto pk = static_cast<std::size_t>((sample - pmb * pb) / pq);
      const Range have = shard_range(producer, pmb, pk);
      const std::int64_t overlap = std::min(want.hi, have.hi) - sample;
      const TaskId from = ids(producer, p)[static_cast<std::size_t>(pmb) * degree(producer) + pk];
      if (device(producer, pk) == device(st, k)) {
        deps_.push_back(from);
      } else {
        const TaskId t = tasks_.add(TransferTask{producer, st, p, device(producer, pk), device(st, k),
                                                 per_sample * static_cast<double>(overlap), 0},
                                    std::array{from});
        deps_.push_back(t);
        transfers_.push_back(t);
      }
      sample += overlap;
    }
  }

  // The neighbours of `st` whose phase-`p` outputs it reads, with the bytes per sample of each.
  [[nodiscard]] std::vector<std::pair<int, core::Bytes>> inputs(int st, Phase p) const {
    std::vector<std::pair<int, core::Bytes>> out;
    const bool forward = p == Phase::kForward;
    for (const int other : forward ? s_.predecessors(st) : s_.successors(st)) {
      out.emplace_back(other, edge_bytes_.at(forward ? std::pair{other, st} : std::pair{st, other}));
    }
    return out;
  }

  // Adds compute shard (st, p, mb, k) depending on deps_, the consumer of transfers_.
  void add_compute(int st, Phase p, std::int64_t mb, std::size_t k) {
    const TaskId id = tasks_.add(ComputeTask{st, p, mb, device(st, k), shard_size(st)}, deps_);
    for (const TaskId t : transfers_) tasks_.set_consumer(t, id);
    ids(st, p)[static_cast<std::size_t>(mb) * degree(st) + k] = id;
  }

  void add_forwards(int st) {
    const std::int64_t m = sched_.micro_batches[static_cast<std::size_t>(st)];
    ids(st, Phase::kForward).assign(static_cast<std::size_t>(m) * degree(st), 0);
    const auto preds = inputs(st, Phase::kForward);
    for (std::int64_t mb = 0; mb < m; ++mb) {
      for (std::size_t k = 0; k < degree(st); ++k) {
        deps_.clear();
        transfers_.clear();
        for (const auto& [pred, bytes] : preds) add_inputs(pred, st, mb, k, Phase::kForward, bytes);
        add_compute(st, Phase::kForward, mb, k);
      }
    }
  }

  void add_backwards(int st) {
    const std::int64_t m = sched_.micro_batches[static_cast<std::size_t>(st)];
    const std::size_t n = static_cast<std::size_t>(m) * degree(st);
    ids(st, Phase::kBackward).assign(n, 0);
    if (split_backward_) ids(st, Phase::kWeightGrad).assign(n, 0);
    const auto succs = inputs(st, Phase::kBackward);
    for (std::int64_t mb = 0; mb < m; ++mb) {
      for (std::size_t k = 0; k < degree(st); ++k) {
        const std::size_t shard = static_cast<std::size_t>(mb) * degree(st) + k;
        deps_.assign(1, ids(st, Phase::kForward)[shard]);
        transfers_.clear();
        for (const auto& [succ, bytes] : succs) add_inputs(succ, st, mb, k, Phase::kBackward, bytes);
        add_compute(st, Phase::kBackward, mb, k);
        if (split_backward_) {
          deps_.assign(1, ids(st, Phase::kBackward)[shard]);
          transfers_.clear();
          add_compute(st, Phase::kWeightGrad, mb, k);
        }
      }
    }
  }

  // The last backward-phase slot of `st` in its lane: after it the stage's gradients are final.
  [[nodiscard]] Slot last_gradient_slot(int st) const {
    const auto& lane = sched_.lanes[static_cast<std::size_t>(sched_.lane_of_stage[static_cast<std::size_t>(st)])];
    for (auto it = lane.rbegin(); it != lane.rend(); ++it) {
      if (it->stage == st && it->phase != Phase::kForward) return *it;
    }
    GPPSIM_CHECK(false, "a stage without a backward slot");
    return {};
  }

  void add_gradient_sync(int st) {
    const Slot last = last_gradient_slot(st);
    const auto& stage = s_.stages[static_cast<std::size_t>(st)];
    std::vector<TaskId> finals;
    for (std::size_t k = 0; k < degree(st); ++k) {
      finals.push_back(ids(st, last.phase)[static_cast<std::size_t>(last.micro_batch) * degree(st) + k]);
    }
    std::vector<TaskId> opt_deps = finals;
    if (degree(st) > 1) {
      core::Bytes grads;
      for (const auto op : stage.ops) grads += graph_.op(op).parameter_bytes;
      opt_deps.assign(degree(st), tasks_.add(AllReduceTask{st, stage.devices, grads}, finals));
    }
    auto& opt = optimizer_ids_[st];
    for (std::size_t k = 0; k < degree(st); ++k) {
      opt.push_back(tasks_.add(OptimizerTask{st, device(st, k)}, std::array{opt_deps[k]}));
    }
  }

  // Each device's queue length, so that the queues are allocated once.
  void reserve_queues() {
    std::vector<std::size_t> length(static_cast<std::size_t>(tasks_.num_devices()), 0);
    for (const auto& slots : sched_.lanes) {
      if (slots.empty()) continue;
      for (std::size_t k = 0; k < degree(slots.front().stage); ++k) {
        for (const Slot& sl : slots) ++length[static_cast<std::size_t>(device(sl.stage, k))];
      }
    }
    for (const auto& [st, opt] : optimizer_ids_) {
      for (std::size_t k = 0; k < opt.size(); ++k) ++length[static_cast<std::size_t>(device(st, k))];
    }
    for (std::size_t d = 0; d < length.size(); ++d) tasks_.reserve_queue(static_cast<hw::DeviceId>(d), length[d]);
  }

  void fill_queues() {
    reserve_queues();
    for (std::size_t lane = 0; lane < sched_.lanes.size(); ++lane) {
      const auto& slots = sched_.lanes[lane];
      GPPSIM_CHECK(!slots.empty(), "an empty lane");
      const int first = slots.front().stage;
      for (std::size_t k = 0; k < degree(first); ++k) {
        for (const Slot& sl : slots) {
          tasks_.enqueue(device(sl.stage, k), ids(sl.stage, sl.phase)[static_cast<std::size_t>(sl.micro_batch) * degree(sl.stage) + k]);
        }
      }
    }
    for (const auto& [st, opt] : optimizer_ids_) {
      for (std::size_t k = 0; k < opt.size(); ++k) tasks_.enqueue(device(st, k), opt[k]);
    }
  }

  const plan::Strategy& s_;
  const Schedule& sched_;
  const model::OpGraph& graph_;
  TaskGraph tasks_;
  std::vector<std::array<std::vector<TaskId>, 3>> ids_;
  std::map<std::pair<int, int>, core::Bytes> edge_bytes_;
  std::map<int, std::vector<TaskId>> optimizer_ids_;
  std::vector<TaskId> deps_;       // scratch: dependencies of the compute task being built
  std::vector<TaskId> transfers_;  // scratch: the transfers it consumes
  bool split_backward_ = false;
};

}  // namespace

std::vector<core::Bytes> stage_edge_bytes(const plan::Strategy& strategy, const model::OpGraph& graph) {
  std::vector<int> stage_of(graph.num_ops(), -1);
  for (const auto& st : strategy.stages) {
    for (const auto op : st.ops) stage_of[op] = st.id;
  }
  std::vector<core::Bytes> out(strategy.edges.size());
  for (const auto& e : graph.edges()) {
    if (stage_of[e.from] == stage_of[e.to]) continue;
    for (const std::size_t edge : stage_path(strategy, stage_of[e.from], stage_of[e.to])) out[edge] += e.bytes;
  }
  return out;
}

std::vector<std::size_t> stage_path(const plan::Strategy& strategy, int from, int to) {
  // Breadth-first over stage edges in their sorted order: the shortest path, smallest ids first.
  std::vector<int> parent_edge(strategy.stages.size(), -1);
  std::vector<int> frontier{from};
  std::vector<bool> seen(strategy.stages.size(), false);
  seen[static_cast<std::size_t>(from)] = true;
  while (!frontier.empty() && !seen[static_cast<std::size_t>(to)]) {
    std::vector<int> next;
    for (const int v : frontier) {
      for (std::size_t e = 0; e < strategy.edges.size(); ++e) {
        const auto [a, b] = strategy.edges[e];
        if (a != v || seen[static_cast<std::size_t>(b)]) continue;
        seen[static_cast<std::size_t>(b)] = true;
        parent_edge[static_cast<std::size_t>(b)] = static_cast<int>(e);
        next.push_back(b);
      }
    }
    frontier = std::move(next);
  }
  GPPSIM_CHECK(seen[static_cast<std::size_t>(to)], "an op edge between stages that no stage path connects");
  std::vector<std::size_t> path;
  for (int v = to; v != from;) {
    const auto e = static_cast<std::size_t>(parent_edge[static_cast<std::size_t>(v)]);
    path.push_back(e);
    v = strategy.edges[e].first;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

TaskGraph lower(const plan::Strategy& strategy, const Schedule& schedule, const model::OpGraph& graph,
                std::int64_t mini_batch, int num_devices) {
  GPPSIM_CHECK(mini_batch >= 1, "mini-batch must be positive");
  return Lowering(strategy, schedule, graph, num_devices).run();
}

}  // namespace gppsim::schedule
