#include "sim/engine/simulate.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/engine/event_lanes.h"
#include "sim/engine/flow_network.h"
#include "sim/core/huge_pages.h"
#include "sim/engine/task_costs.h"

namespace gppsim::engine {
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

constexpr TaskId kNoTask = SIZE_MAX;

// Per device: its queue's progress, with the next task kept at hand (no queue read to find it).
struct DeviceState {
  std::size_t next = 0;     // index in the queue of the next task to start
  TaskId head = kNoTask;    // that task; kNoTask past the queue's end
  bool busy = false;        // running a task
};

// Per task: dependencies not yet done, and where its dependents start in Simulator::dependents_.
struct TaskState {
  std::uint32_t remaining = 0;
  std::uint32_t first_dependent = 0;
};

struct RingState {
  int step = 0;
  int pending = 0;
  core::Seconds sum;  // a device's sum of one received chunk (zero where the collective sums while it copies)
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
        devices_(static_cast<std::size_t>(in.tasks.num_devices())), dynamic_(devices_.size()),
        dynamic_peak_(devices_.size()) {
    assign_huge(trace_.tasks, in.tasks.size(), schedule::TaskTiming{});
    build_dependents();
    init_static_memory();
    for (std::size_t d = 0; d < devices_.size(); ++d) {
      const auto& queue = in_.tasks.queue(static_cast<hw::DeviceId>(d));
      devices_[d].head = queue.empty() ? kNoTask : queue.front();
    }
  }

  schedule::Trace run() {
    for (TaskId t = 0; t < in_.tasks.size(); ++t) {
      if (state_[t].remaining == 0) on_ready(t);
    }
    while (step()) {
    }
    check_all_done();
    for (std::size_t d = 0; d < devices_.size(); ++d) {
      trace_.peak_memory.push_back(trace_.static_memory[d] + dynamic_peak_[d]);
    }
    return std::move(trace_);
  }

 private:
  // dependents_ lists, for each task, the tasks that depend on it, in increasing id order.
  void build_dependents() {
    const std::size_t n = in_.tasks.size();
    GPPSIM_CHECK(n < UINT32_MAX && in_.tasks.num_dependencies() < UINT32_MAX, "too many tasks or dependencies");
    assign_huge(state_, n + 1, TaskState{});
    for (TaskId t = 0; t < n; ++t) {
      const auto deps = in_.tasks.deps(t);
      state_[t].remaining = static_cast<std::uint32_t>(deps.size());
      for (const TaskId d : deps) ++state_[d + 1].first_dependent;
    }
    for (std::size_t i = 1; i <= n; ++i) state_[i].first_dependent += state_[i - 1].first_dependent;
    assign_huge(dependents_, state_[n].first_dependent, std::uint32_t{0});
    // first_dependent of d serves as d's fill cursor (tasks visited in increasing order, so each
    // list ascends) and ends at the start of d + 1's list; shifting it back restores the starts.
    for (TaskId t = 0; t < n; ++t) {
      for (const TaskId d : in_.tasks.deps(t)) dependents_[state_[d].first_dependent++] = static_cast<std::uint32_t>(t);
    }
    for (std::size_t d = n; d-- > 1;) state_[d].first_dependent = state_[d - 1].first_dependent;
    state_[0].first_dependent = 0;
  }

  void init_static_memory() {
    trace_.static_memory.assign(devices_.size(), core::Bytes());
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
      job_done(net_.finish(flow->second, now_));
      return true;
    }
    const Event e = events_.top();
    events_.pop();
    now_ = e.time;
    if (e.kind == EventKind::kComputeDone) {
      complete(e.id);
    } else if (e.kind == EventKind::kReductionDone) {
      start_ring_step(e.id, std::get<schedule::AllReduceTask>(in_.tasks.kind(e.id)));
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
    ring_[t].sum = costs_.reduction(a.bytes / static_cast<double>(a.ring.size()));
    start_ring_step(t, a);
  }

  void start_ring_step(TaskId t, const schedule::AllReduceTask& a) {
    const std::size_t n = a.ring.size();
    ring_[t].pending = static_cast<int>(n);
    for (std::size_t i = 0; i < n; ++i) {
      start_job(Job{t, route(a.ring[i], a.ring[(i + 1) % n]), a.bytes / static_cast<double>(n)});
    }
  }

  // The index in routes_ of the route from src to dst, computed and checked on first use. A
  // device sends to few others, so a sorted list per source beats hashing the pair.
  std::size_t route(hw::DeviceId src, hw::DeviceId dst) {
    const auto s = static_cast<std::size_t>(src);
    if (s >= routes_from_.size()) routes_from_.resize(s + 1);
    auto& known = routes_from_[s];
    const auto it = std::lower_bound(known.begin(), known.end(), dst,
                                     [](const auto& entry, hw::DeviceId d) { return entry.first < d; });
    if (it != known.end() && it->first == dst) return it->second;
    const hw::Route r = in_.topology.route(src, dst);
    GPPSIM_CHECK(in_.topology.route_bandwidth(r).value() > 0.0, "a transfer over a link without bandwidth");
    routes_.push_back(CachedRoute{r.links, core::Time::from_seconds(in_.topology.route_latency(r))});
    known.emplace(it, dst, routes_.size() - 1);
    return routes_.size() - 1;
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
    // Job slots fit the tag: they were event ids (checked to fit 32 bits by EventLanes::push).
    net_.start(routes_[jobs_[job].route].links, jobs_[job].bytes, now_, static_cast<std::uint32_t>(job));
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
    const auto n = static_cast<int>(ring->ring.size());
    if (++st.step >= 2 * (n - 1)) {
      complete(t);
      return;
    }
    // The first n - 1 steps are the reduce-scatter: each device adds the chunk it received into
    // its own before passing the sum on, where the device does that in a pass of its own.
    if (st.step <= n - 1 && st.sum.value() > 0.0) {
      push(core::Time::from_seconds(st.sum), EventKind::kReductionDone, t);
      return;
    }
    start_ring_step(t, *ring);
  }

  [[nodiscard]] core::Seconds duration(TaskId t) {
    if (const auto* c = std::get_if<schedule::ComputeTask>(&in_.tasks.kind(t))) return costs_.compute(*c);
    return costs_.optimizer(std::get<schedule::OptimizerTask>(in_.tasks.kind(t)).stage);
  }

  void try_start(hw::DeviceId device) {
    DeviceState& dev = devices_[static_cast<std::size_t>(device)];
    const TaskId t = dev.head;
    if (dev.busy || t == kNoTask || state_[t].remaining != 0) return;
    dev.busy = true;
    const auto& queue = in_.tasks.queue(device);
    dev.head = ++dev.next < queue.size() ? queue[dev.next] : kNoTask;
    trace_.tasks[t].start = now_;
    push(core::Time::from_seconds(duration(t)), EventKind::kComputeDone, t);
    if (dev.head == kNoTask) return;
    prefetch_task(dev.head);
    if (dev.next + 1 < queue.size()) __builtin_prefetch(&queue[dev.next + 1]);
  }

  // The device's next task is looked at when this one ends, thousands of events later: asking
  // for its lines now hides the cache misses (they stay in L2 that long, not in L1).
  void prefetch_task(TaskId t) const {
    __builtin_prefetch(&state_[t]);
    __builtin_prefetch(&in_.tasks.kind(t));
  }

  void add_memory(hw::DeviceId device, core::Bytes delta) {
    auto& cur = dynamic_[static_cast<std::size_t>(device)];
    cur += delta;
    auto& peak = dynamic_peak_[static_cast<std::size_t>(device)];
    if (cur > peak) peak = cur;
  }

  // A received tensor is held from its transfer's end until its consumer ends. The consumer's
  // trace end, unused until then, notes the transfers it must release (kNoneHeld, the one
  // transfer + 1, or kManyHeld), so that its end need not look up every dependency's kind.
  static constexpr std::int64_t kNoneHeld = 0;
  static constexpr std::int64_t kManyHeld = -1;

  // Records one dependency of `consumer` on transfer x (so many times as it lists x).
  void note_held(TaskId consumer, TaskId x) {
    core::Time& held = trace_.tasks[consumer].end;
    held = core::Time::from_ps(held.ps() == kNoneHeld ? static_cast<std::int64_t>(x) + 1 : kManyHeld);
  }

  // Releases, in dependency order, the tensors held for compute task t (see note_held).
  void release_held(TaskId t, core::Time held) {
    if (held.ps() > kNoneHeld) {
      const auto& x = std::get<schedule::TransferTask>(in_.tasks.kind(static_cast<TaskId>(held.ps() - 1)));
      add_memory(x.dst, core::Bytes() - x.bytes);
      return;
    }
    if (held.ps() == kNoneHeld) return;
    for (const TaskId dep : in_.tasks.deps(t)) {
      const auto* x = std::get_if<schedule::TransferTask>(&in_.tasks.kind(dep));
      if (x != nullptr && x->consumer == t) add_memory(x->dst, core::Bytes() - x->bytes);
    }
  }

  // Memory changes at the end of compute task t: received tensors go, activations come or go.
  void account_compute(TaskId t, const schedule::ComputeTask& c, core::Time held) {
    release_held(t, held);
    const core::Bytes stash = costs_.stash_per_sample(c.stage) * static_cast<double>(c.samples);
    const bool split = in_.strategy.schedule == plan::ScheduleKind::kZbH1;
    if (c.phase == schedule::Phase::kForward) add_memory(c.device, stash);
    const auto frees = split ? schedule::Phase::kWeightGrad : schedule::Phase::kBackward;
    if (c.phase == frees) add_memory(c.device, core::Bytes() - stash);
  }

  void complete(TaskId t) {
    const core::Time held = trace_.tasks[t].end;
    trace_.tasks[t].end = now_;
    const auto& kind = in_.tasks.kind(t);
    const auto* x = std::get_if<schedule::TransferTask>(&kind);
    const auto* c = std::get_if<schedule::ComputeTask>(&kind);
    if (x != nullptr) add_memory(x->dst, x->bytes);  // held until its consumer ends
    if (c != nullptr) account_compute(t, *c, held);
    const TaskId consumer = x != nullptr ? x->consumer : in_.tasks.size();
    for (std::size_t i = state_[t].first_dependent; i < state_[t + 1].first_dependent; ++i) {
      const TaskId d = dependents_[i];
      if (d == consumer) note_held(d, t);  // before d may run and end within on_ready
      if (--state_[d].remaining == 0) on_ready(d);
    }
    hw::DeviceId device = -1;
    if (c != nullptr) device = c->device;
    if (const auto* o = std::get_if<schedule::OptimizerTask>(&kind)) device = o->device;
    if (device >= 0) {
      devices_[static_cast<std::size_t>(device)].busy = false;
      try_start(device);
    }
    ++done_;
  }

  void check_all_done() const {
    if (done_ == in_.tasks.size()) return;
    for (TaskId t = 0; t < in_.tasks.size(); ++t) {
      if (state_[t].remaining != 0) {
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
  // Per task (and one past the last, for the end of the last list), the fields read together
  // when a task starts or ends: one cache line instead of one per array. 32-bit (checked in
  // build_dependents): half the fresh memory and cache lines of TaskIds.
  std::vector<TaskState> state_;
  std::vector<std::uint32_t> dependents_;
  std::vector<DeviceState> devices_;
  std::vector<core::Bytes> dynamic_;
  std::vector<core::Bytes> dynamic_peak_;
  EventLanes events_;
  std::vector<Job> jobs_;
  std::vector<std::size_t> free_jobs_;
  std::vector<CachedRoute> routes_;
  std::vector<std::vector<std::pair<hw::DeviceId, std::size_t>>> routes_from_;  // by src: (dst, routes_ index)
  std::unordered_map<TaskId, RingState> ring_;
  schedule::Trace trace_;
  core::Time now_;
  std::size_t done_ = 0;
};

}  // namespace

schedule::Trace simulate(const SimulationInput& input) { return Simulator(input).run(); }

}  // namespace gppsim::engine
