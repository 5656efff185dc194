#include "sim/engine/simulate.h"

#include <unordered_map>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/engine/event_lanes.h"
#include "sim/engine/flow_network.h"
#include "sim/core/huge_pages.h"
#include "sim/engine/task_costs.h"

namespace gppsim::engine {
using core::advise_huge_pages;
using core::assign_huge;
namespace {

using schedule::TaskId;

// A route between two devices, looked up once per device pair: the links and the latency
// every transfer between them is charged.
struct CachedRoute {
  std::vector<hw::LinkId> links;
  core::Time latency;
};

// One point-to-point movement of bytes: a whole transfer task or one hop of an all-reduce step.
struct Job {
  TaskId owner;
  std::size_t route;  // index in Simulator::routes_
  core::Bytes bytes;
};

struct RingState {
  int step = 0;
  int pending = 0;
};

// A single-node cluster has network links without a bandwidth; no route crosses them (checked
// in start_job), so they get a nominal capacity the FlowNetwork accepts.
std::vector<core::BytesPerSecond> link_capacities(const hw::Topology& topo) {
  std::vector<core::BytesPerSecond> out;
  for (const auto& l : topo.links()) {
    out.push_back(l.spec.bandwidth.value() > 0.0 ? l.spec.bandwidth : core::BytesPerSecond(1.0));
  }
  return out;
}

class Simulator {
 public:
  explicit Simulator(const SimulationInput& in)
      : in_(in), costs_(in.strategy, in.model, in.op_cost, in.optimizer), net_(link_capacities(in.topology)),
        next_(static_cast<std::size_t>(in.tasks.num_devices()), 0),
        busy_(next_.size(), false), dynamic_(next_.size()), dynamic_peak_(next_.size()) {
    assign_huge(trace_.tasks, in.tasks.size(), schedule::TaskTiming{});
    reserve_flows();
    build_dependents();
    init_static_memory();
  }

  schedule::Trace run() {
    for (TaskId t = 0; t < in_.tasks.size(); ++t) {
      if (remaining_[t] == 0) on_ready(t);
    }
    while (step()) {
    }
    check_all_done();
    for (std::size_t d = 0; d < next_.size(); ++d) {
      trace_.peak_memory.push_back(trace_.static_memory[d] + dynamic_peak_[d]);
    }
    return std::move(trace_);
  }

 private:
  // One flow per transfer task and 2 (n - 1) n per all-reduce over n devices.
  void reserve_flows() {
    std::size_t flows = 0;
    for (TaskId t = 0; t < in_.tasks.size(); ++t) {
      const auto& kind = in_.tasks.kind(t);
      if (std::holds_alternative<schedule::TransferTask>(kind)) ++flows;
      if (const auto* a = std::get_if<schedule::AllReduceTask>(&kind)) flows += 2 * a->ring.size() * a->ring.size();
    }
    flow_job_.reserve(flows);
    advise_huge_pages(flow_job_);
    net_.reserve_flows(flows);
  }

  // dependents_ lists, for each task, the tasks that depend on it, in increasing id order.
  void build_dependents() {
    const std::size_t n = in_.tasks.size();
    assign_huge(remaining_, n, std::uint32_t{0});
    GPPSIM_CHECK(n < UINT32_MAX && in_.tasks.num_dependencies() < UINT32_MAX, "too many tasks or dependencies");
    assign_huge(dep_begin_, n + 1, std::uint32_t{0});
    for (TaskId t = 0; t < n; ++t) {
      const auto deps = in_.tasks.deps(t);
      remaining_[t] = static_cast<std::uint32_t>(deps.size());
      for (const TaskId d : deps) ++dep_begin_[d + 1];
    }
    for (std::size_t i = 1; i < dep_begin_.size(); ++i) dep_begin_[i] += dep_begin_[i - 1];
    assign_huge(dependents_, dep_begin_.back(), std::uint32_t{0});
    // dep_begin_[d] serves as d's fill cursor (tasks visited in increasing order, so each list
    // ascends) and ends at the start of d + 1's list; shifting it back restores the starts.
    for (TaskId t = 0; t < n; ++t) {
      for (const TaskId d : in_.tasks.deps(t)) dependents_[dep_begin_[d]++] = static_cast<std::uint32_t>(t);
    }
    for (std::size_t d = n; d-- > 1;) dep_begin_[d] = dep_begin_[d - 1];
    dep_begin_[0] = 0;
  }

  void init_static_memory() {
    trace_.static_memory.assign(next_.size(), core::Bytes());
    for (const auto& st : in_.strategy.stages) {
      for (const auto d : st.devices) trace_.static_memory[static_cast<std::size_t>(d)] += costs_.static_memory(st.id);
    }
  }

  // Processes the earliest event or flow completion; false when nothing is left.
  bool step() {
    // While events remain at the current time no flow can complete first (flows never complete
    // in the past, and events win ties), so the FlowNetwork is not asked: its changes then
    // accumulate and are re-shared once per instant.
    const bool have_event = !events_.empty();
    const bool event_now = have_event && events_.top().time == now_;
    const auto flow = event_now ? std::nullopt : net_.next_completion();
    if (!have_event && !flow) return false;
    ++trace_.events;
    if (flow && (!have_event || flow->first < events_.top().time)) {
      now_ = flow->first;
      net_.finish(flow->second, now_);
      job_done(flow_job_[flow->second]);
      return true;
    }
    const Event e = events_.top();
    events_.pop();
    now_ = e.time;
    if (e.kind == EventKind::kComputeDone) {
      complete(e.id);
    } else {
      start_flow(e.id);
    }
    return true;
  }

  void push(core::Time delay, EventKind kind, std::size_t id) { events_.push(now_, delay, kind, id); }

  void on_ready(TaskId t) {
    std::visit([&](const auto& k) { ready(t, k); }, in_.tasks.kind(t));
  }
  void ready(TaskId, const schedule::ComputeTask& c) { try_start(c.device); }
  void ready(TaskId, const schedule::OptimizerTask& o) { try_start(o.device); }
  void ready(TaskId t, const schedule::TransferTask& x) {
    trace_.tasks[t].start = now_;
    start_job(Job{t, route(x.src, x.dst), x.bytes});
  }
  void ready(TaskId t, const schedule::AllReduceTask& a) {
    trace_.tasks[t].start = now_;
    if (a.ring.size() < 2 || a.bytes.value() <= 0.0) {
      complete(t);
      return;
    }
    start_ring_step(t, a);
  }

  void start_ring_step(TaskId t, const schedule::AllReduceTask& a) {
    const std::size_t n = a.ring.size();
    ring_[t].pending = static_cast<int>(n);
    for (std::size_t i = 0; i < n; ++i) {
      start_job(Job{t, route(a.ring[i], a.ring[(i + 1) % n]), a.bytes / static_cast<double>(n)});
    }
  }

  // The index in routes_ of the route from src to dst, computed and checked on first use.
  std::size_t route(hw::DeviceId src, hw::DeviceId dst) {
    const auto key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(src)) << 32) | static_cast<std::uint32_t>(dst);
    const auto [it, added] = route_index_.try_emplace(key, routes_.size());
    if (added) {
      const hw::Route r = in_.topology.route(src, dst);
      GPPSIM_CHECK(in_.topology.route_bandwidth(r).value() > 0.0, "a transfer over a link without bandwidth");
      routes_.push_back(CachedRoute{r.links, core::Time::from_seconds(in_.topology.route_latency(r))});
    }
    return it->second;
  }

  // Jobs live in recycled slots: a million transfers need only as many slots as are in flight.
  void start_job(const Job& job) {
    std::size_t slot = jobs_.size();
    if (free_jobs_.empty()) {
      jobs_.push_back(job);
    } else {
      slot = free_jobs_.back();
      free_jobs_.pop_back();
      jobs_[slot] = job;
    }
    push(routes_[job.route].latency, EventKind::kLatencyDone, slot);
  }

  void start_flow(std::size_t job) {
    const FlowId f = net_.start(routes_[jobs_[job].route].links, jobs_[job].bytes, now_);
    if (f >= flow_job_.size()) flow_job_.resize(f + 1);
    flow_job_[f] = static_cast<std::uint32_t>(job);
  }

  void job_done(std::size_t job) {
    const TaskId t = jobs_[job].owner;
    free_jobs_.push_back(job);
    const auto* ring = std::get_if<schedule::AllReduceTask>(&in_.tasks.kind(t));
    if (ring == nullptr) {
      complete(t);
      return;
    }
    RingState& st = ring_[t];
    if (--st.pending > 0) return;
    if (++st.step < 2 * (static_cast<int>(ring->ring.size()) - 1)) {
      start_ring_step(t, *ring);
    } else {
      complete(t);
    }
  }

  [[nodiscard]] core::Seconds duration(TaskId t) {
    if (const auto* c = std::get_if<schedule::ComputeTask>(&in_.tasks.kind(t))) return costs_.compute(*c);
    return costs_.optimizer(std::get<schedule::OptimizerTask>(in_.tasks.kind(t)).stage);
  }

  void try_start(hw::DeviceId device) {
    const auto d = static_cast<std::size_t>(device);
    const auto& queue = in_.tasks.queue(device);
    if (busy_[d] || next_[d] >= queue.size()) return;
    const TaskId t = queue[next_[d]];
    if (remaining_[t] != 0) return;
    busy_[d] = true;
    ++next_[d];
    trace_.tasks[t].start = now_;
    push(core::Time::from_seconds(duration(t)), EventKind::kComputeDone, t);
  }

  void add_memory(hw::DeviceId device, core::Bytes delta) {
    auto& cur = dynamic_[static_cast<std::size_t>(device)];
    cur += delta;
    auto& peak = dynamic_peak_[static_cast<std::size_t>(device)];
    if (cur > peak) peak = cur;
  }

  void account_memory(TaskId t) {
    const auto& kind = in_.tasks.kind(t);
    if (const auto* x = std::get_if<schedule::TransferTask>(&kind)) {
      add_memory(x->dst, x->bytes);  // held until its consumer ends
      return;
    }
    const auto* c = std::get_if<schedule::ComputeTask>(&kind);
    if (c == nullptr) return;
    for (const TaskId dep : in_.tasks.deps(t)) {
      const auto* x = std::get_if<schedule::TransferTask>(&in_.tasks.kind(dep));
      if (x != nullptr && x->consumer == t) add_memory(x->dst, core::Bytes() - x->bytes);
    }
    const core::Bytes stash = costs_.stash_per_sample(c->stage) * static_cast<double>(c->samples);
    const bool split = in_.strategy.schedule == plan::ScheduleKind::kZbH1;
    if (c->phase == schedule::Phase::kForward) add_memory(c->device, stash);
    const auto frees = split ? schedule::Phase::kWeightGrad : schedule::Phase::kBackward;
    if (c->phase == frees) add_memory(c->device, core::Bytes() - stash);
  }

  void complete(TaskId t) {
    trace_.tasks[t].end = now_;
    account_memory(t);
    for (std::size_t i = dep_begin_[t]; i < dep_begin_[t + 1]; ++i) {
      const TaskId d = dependents_[i];
      if (--remaining_[d] == 0) on_ready(d);
    }
    const auto& kind = in_.tasks.kind(t);
    hw::DeviceId device = -1;
    if (const auto* c = std::get_if<schedule::ComputeTask>(&kind)) device = c->device;
    if (const auto* o = std::get_if<schedule::OptimizerTask>(&kind)) device = o->device;
    if (device >= 0) {
      busy_[static_cast<std::size_t>(device)] = false;
      try_start(device);
    }
    ++done_;
  }

  void check_all_done() const {
    if (done_ == in_.tasks.size()) return;
    for (TaskId t = 0; t < in_.tasks.size(); ++t) {
      if (remaining_[t] != 0) {
        GPPSIM_CHECK(false, fmt::format("deadlock: {} of {} tasks never ran (first: task {}); the device queue "
                                        "order contradicts the dependencies",
                                        in_.tasks.size() - done_, in_.tasks.size(), t));
      }
    }
    GPPSIM_CHECK(false, fmt::format("deadlock: {} tasks ready but never started (device queue order)",
                                    in_.tasks.size() - done_));
  }

  const SimulationInput& in_;
  TaskCosts costs_;
  FlowNetwork net_;
  std::vector<std::uint32_t> remaining_;
  // 32-bit (checked in build_dependents): half the fresh memory and cache lines of TaskIds.
  std::vector<std::uint32_t> dep_begin_;
  std::vector<std::uint32_t> dependents_;
  std::vector<std::size_t> next_;
  std::vector<bool> busy_;
  std::vector<core::Bytes> dynamic_;
  std::vector<core::Bytes> dynamic_peak_;
  EventLanes events_;
  std::vector<Job> jobs_;
  std::vector<std::size_t> free_jobs_;
  std::vector<std::uint32_t> flow_job_;  // job slot by FlowId (ids are dense, never reused)
  std::vector<CachedRoute> routes_;
  std::unordered_map<std::uint64_t, std::size_t> route_index_;  // (src << 32 | dst) -> routes_
  std::unordered_map<TaskId, RingState> ring_;
  schedule::Trace trace_;
  core::Time now_;
  std::size_t done_ = 0;
};

}  // namespace

schedule::Trace simulate(const SimulationInput& input) { return Simulator(input).run(); }

}  // namespace gppsim::engine
