// Property tests of the whole pipeline make_schedule -> lower -> simulate -> report over seeded
// random stage DAGs (tests/engine/random_strategy.h), for every schedule: every task runs once,
// dependencies and device queues are respected, tasks start as soon as they can, durations match
// the cost model, makespan >= critical path, peak >= static memory as a replay of the trace
// predicts, byte-identical outputs per seed, and a closed form for busy time. Plus hand-built
// task graphs whose queue order deadlocks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "random_strategy.h"
#include "sim/core/errors.h"
#include "sim/cost/op_cost.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/engine/simulate.h"
#include "sim/report/metrics.h"
#include "sim/report/outputs.h"
#include "sim/schedule/lower.h"
#include "sim/schedule/schedule.h"

namespace gppsim::engine {
namespace {

using plan::ScheduleKind;
using schedule::TaskId;
using test_support::CaseOptions;
using test_support::make_random_case;
using test_support::RandomCase;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr std::uint64_t kSeeds = 200;

/// One random case run through the whole pipeline. Members are built in declaration order and
/// reference the earlier ones, so a Pipeline is neither copied nor moved.
struct Pipeline {
  RandomCase c;
  hw::Topology topology;
  cost::SpecCostSource source;
  cost::OpCost op_cost;
  schedule::Schedule sched;
  schedule::TaskGraph tasks;
  schedule::Trace trace;

  explicit Pipeline(RandomCase rc)
      : c(std::move(rc)),
        topology(c.cluster),
        source(c.cluster.device),
        op_cost(source, c.model.dtype),
        sched(schedule::make_schedule(c.strategy, c.mini_batch)),
        tasks(schedule::lower(c.strategy, sched, c.model.graph, c.mini_batch, c.cluster.num_devices())),
        trace(simulate(SimulationInput{c.strategy, tasks, c.model, topology, op_cost, model::Optimizer::kAdam})) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  [[nodiscard]] report::IterationMetrics metrics() const {
    return report::compute_metrics(c.strategy, sched, tasks, trace, c.model.graph, c.mini_batch,
                                   c.cluster.device.memory_capacity);
  }
};

std::string case_name(std::uint64_t seed, ScheduleKind kind) {
  return fmt::format("seed {} schedule {}", seed, plan::to_string(kind));
}

const schedule::ComputeTask* as_compute(const Pipeline& p, TaskId t) {
  return std::get_if<schedule::ComputeTask>(&p.tasks.kind(t));
}

bool is_queue_task(const Pipeline& p, TaskId t) {
  return as_compute(p, t) != nullptr || std::holds_alternative<schedule::OptimizerTask>(p.tasks.kind(t));
}

hw::DeviceId queue_device(const Pipeline& p, TaskId t) {
  if (const auto* c = as_compute(p, t)) return c->device;
  return std::get<schedule::OptimizerTask>(p.tasks.kind(t)).device;
}

core::Time duration(const Pipeline& p, TaskId t) { return p.trace.tasks[t].end - p.trace.tasks[t].start; }

// ---------------------------------------------------------------------------------------------
// Structural properties.

/// Every compute/optimizer task is in exactly one queue, its own device's; every task has
/// end >= start.
AssertionResult each_task_runs_once(const Pipeline& p) {
  if (p.trace.tasks.size() != p.tasks.size()) {
    return AssertionFailure() << p.trace.tasks.size() << " timings for " << p.tasks.size() << " tasks";
  }
  std::vector<int> seen(p.tasks.size(), 0);
  for (int d = 0; d < p.tasks.num_devices(); ++d) {
    for (const TaskId t : p.tasks.queue(d)) {
      if (!is_queue_task(p, t) || queue_device(p, t) != d) {
        return AssertionFailure() << "task " << t << " in queue " << d;
      }
      ++seen[t];
    }
  }
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    if (is_queue_task(p, t) && seen[t] != 1) {
      return AssertionFailure() << "task " << t << " queued " << seen[t] << " times";
    }
    if (p.trace.tasks[t].end < p.trace.tasks[t].start) {
      return AssertionFailure() << "task " << t << " ends before it starts";
    }
  }
  return AssertionSuccess();
}

/// Every dependency ends no later than its dependent starts.
AssertionResult dependencies_respected(const Pipeline& p) {
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    for (const TaskId d : p.tasks.deps(t)) {
      if (p.trace.tasks[d].end > p.trace.tasks[t].start) {
        return AssertionFailure() << "task " << t << " starts at " << p.trace.tasks[t].start.ps()
                                  << " ps before dependency " << d << " ends at " << p.trace.tasks[d].end.ps() << " ps";
      }
    }
  }
  return AssertionSuccess();
}

/// Queue tasks of a device run one at a time, in queue order.
AssertionResult devices_not_double_booked(const Pipeline& p) {
  for (int d = 0; d < p.tasks.num_devices(); ++d) {
    const auto& q = p.tasks.queue(d);
    for (std::size_t i = 1; i < q.size(); ++i) {
      if (p.trace.tasks[q[i - 1]].end > p.trace.tasks[q[i]].start) {
        return AssertionFailure() << "device " << d << ": task " << q[i] << " starts before task " << q[i - 1]
                                  << " ends";
      }
    }
  }
  return AssertionSuccess();
}

/// simulate.h: a queue task starts as soon as its dependencies are done and the previous task of
/// its queue has ended; a transfer or all-reduce as soon as its dependencies are done.
AssertionResult tasks_start_when_ready(const Pipeline& p) {
  std::vector<core::Time> ready(p.tasks.size());
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    for (const TaskId d : p.tasks.deps(t)) ready[t] = std::max(ready[t], p.trace.tasks[d].end);
  }
  for (int d = 0; d < p.tasks.num_devices(); ++d) {
    const auto& q = p.tasks.queue(d);
    for (std::size_t i = 1; i < q.size(); ++i) ready[q[i]] = std::max(ready[q[i]], p.trace.tasks[q[i - 1]].end);
  }
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    if (p.trace.tasks[t].start != ready[t]) {
      return AssertionFailure() << "task " << t << " ready at " << ready[t].ps() << " ps starts at "
                                << p.trace.tasks[t].start.ps() << " ps";
    }
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------
// Durations.

/// A compute task's cost per op_cost.h: the sum over the stage's ops of the phase's time at its
/// sample count (ZB-H1 splits the backward into input-gradient B and weight-gradient W).
core::Seconds compute_cost(const Pipeline& p, const schedule::ComputeTask& c) {
  core::Seconds sum;
  const bool split = p.c.strategy.schedule == ScheduleKind::kZbH1;
  for (const auto id : p.c.strategy.stages[static_cast<std::size_t>(c.stage)].ops) {
    const model::Op& op = p.c.model.graph.op(id);
    if (c.phase == schedule::Phase::kForward) sum += p.op_cost.forward(op, c.samples);
    if (c.phase == schedule::Phase::kBackward) {
      sum += split ? p.op_cost.backward_split(op, c.samples).input_grad : p.op_cost.backward(op, c.samples);
    }
    if (c.phase == schedule::Phase::kWeightGrad) sum += p.op_cost.backward_split(op, c.samples).weight_grad;
  }
  return sum;
}

core::Seconds optimizer_cost(const Pipeline& p, int stage) {
  core::Seconds sum;
  for (const auto id : p.c.strategy.stages[static_cast<std::size_t>(stage)].ops) {
    sum += p.op_cost.optimizer_step(p.c.model.graph.op(id), model::Optimizer::kAdam);
  }
  return sum;
}

/// Fastest possible move of `bytes` from `src` to `dst`: latency + bytes / bandwidth, in ps.
double fastest_move_ps(const Pipeline& p, hw::DeviceId src, hw::DeviceId dst, core::Bytes bytes) {
  const hw::Route r = p.topology.route(src, dst);
  return (p.topology.route_latency(r) + bytes / p.topology.route_bandwidth(r)).value() * 1e12;
}

/// The fastest ring all-reduce: 2 (n - 1) steps, each at least as long as its slowest hop.
double fastest_ring_ps(const Pipeline& p, const schedule::AllReduceTask& a) {
  const std::size_t n = a.ring.size();
  if (n < 2 || a.bytes.value() <= 0.0) return 0.0;
  double step = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    step = std::max(step, fastest_move_ps(p, a.ring[i], a.ring[(i + 1) % n], a.bytes / static_cast<double>(n)));
  }
  return step * 2.0 * static_cast<double>(n - 1);
}

/// Compute and optimizer tasks take their cost-model time (to the picosecond); transfers and
/// all-reduces take no less than their unshared, latency-included time (up to rounding).
AssertionResult durations_match_costs(const Pipeline& p) {
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    const auto& kind = p.tasks.kind(t);
    const std::int64_t got = duration(p, t).ps();
    if (is_queue_task(p, t)) {
      const core::Seconds want = as_compute(p, t) != nullptr
                                     ? compute_cost(p, *as_compute(p, t))
                                     : optimizer_cost(p, std::get<schedule::OptimizerTask>(kind).stage);
      if (std::abs(got - core::Time::from_seconds(want).ps()) > 1) {
        return AssertionFailure() << "task " << t << " lasts " << got << " ps, cost model says " << want.value()
                                  << " s";
      }
      continue;
    }
    double floor_ps = 0.0;
    int steps = 1;
    if (const auto* x = std::get_if<schedule::TransferTask>(&kind)) {
      floor_ps = fastest_move_ps(p, x->src, x->dst, x->bytes);
    }
    if (const auto* a = std::get_if<schedule::AllReduceTask>(&kind)) {
      floor_ps = fastest_ring_ps(p, *a);
      steps = 2 * static_cast<int>(a->ring.size());
    }
    if (static_cast<double>(got) < floor_ps * (1.0 - 1e-9) - 2.0 * steps) {
      return AssertionFailure() << "task " << t << " lasts " << got << " ps, faster than the unshared " << floor_ps
                                << " ps";
    }
  }
  return AssertionSuccess();
}

/// Longest dependency chain where compute/optimizer tasks weigh their simulated duration and
/// transfers and all-reduces weigh 0; task ids are a topological order of the dependencies.
core::Time critical_path(const Pipeline& p) {
  std::vector<core::Time> finish(p.tasks.size());
  core::Time longest;
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    core::Time start;
    for (const TaskId d : p.tasks.deps(t)) start = std::max(start, finish[d]);
    finish[t] = is_queue_task(p, t) ? start + duration(p, t) : start;
    longest = std::max(longest, finish[t]);
  }
  return longest;
}

AssertionResult makespan_bounded_below(const Pipeline& p) {
  const core::Time makespan = p.trace.makespan();
  if (makespan < critical_path(p)) {
    return AssertionFailure() << "makespan " << makespan.ps() << " ps < critical path " << critical_path(p).ps()
                              << " ps";
  }
  for (int d = 0; d < p.tasks.num_devices(); ++d) {
    core::Time busy;
    for (const TaskId t : p.tasks.queue(d)) busy += duration(p, t);
    if (makespan < busy) return AssertionFailure() << "makespan below device " << d << "'s busy time";
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------
// Memory.

/// Static bytes per device, fp32 + Adam: per parameter 4 B weight + 4 B gradient + 8 B for
/// Adam's two fp32 moments = 16 B, i.e. 4x the stage's parameter bytes on each of its devices.
std::vector<double> expected_static(const Pipeline& p) {
  std::vector<double> out(static_cast<std::size_t>(p.c.cluster.num_devices()), 0.0);
  for (const auto& st : p.c.strategy.stages) {
    double bytes = 0.0;
    for (const auto id : st.ops) bytes += p.c.model.graph.op(id).parameter_bytes.value();
    for (const auto d : st.devices) out[static_cast<std::size_t>(d)] += 4.0 * bytes;
  }
  return out;
}

/// One change of a device's dynamic memory, per simulate.h's contract.
struct MemoryEvent {
  core::Time time;
  bool free = false;
  double bytes = 0.0;
};

/// Replays simulate.h's memory rules from the trace: a forward's stash (the stage's stashed
/// bytes per sample x samples) is held from its end until its backward's end (W's under ZB-H1);
/// a received tensor from the transfer's end until its consumer's end.
std::vector<std::vector<MemoryEvent>> memory_events(const Pipeline& p) {
  std::vector<std::vector<MemoryEvent>> out(static_cast<std::size_t>(p.tasks.num_devices()));
  const auto frees =
      p.c.strategy.schedule == ScheduleKind::kZbH1 ? schedule::Phase::kWeightGrad : schedule::Phase::kBackward;
  for (TaskId t = 0; t < p.tasks.size(); ++t) {
    const core::Time end = p.trace.tasks[t].end;
    if (const auto* x = std::get_if<schedule::TransferTask>(&p.tasks.kind(t))) {
      out[static_cast<std::size_t>(x->dst)].push_back({end, false, x->bytes.value()});
      out[static_cast<std::size_t>(x->dst)].push_back({p.trace.tasks[x->consumer].end, true, x->bytes.value()});
    }
    const auto* c = as_compute(p, t);
    if (c == nullptr || (c->phase != schedule::Phase::kForward && c->phase != frees)) continue;
    double stash = 0.0;
    for (const auto id : p.c.strategy.stages[static_cast<std::size_t>(c->stage)].ops) {
      stash += p.c.model.graph.op(id).stashed_bytes.value() * static_cast<double>(c->samples);
    }
    out[static_cast<std::size_t>(c->device)].push_back({end, c->phase != schedule::Phase::kForward, stash});
  }
  return out;
}

/// Peak of the running sum. Events at one instant may be applied in any order; applying the
/// frees first gives the lowest possible peak, the allocations first the highest.
double replay_peak(std::vector<MemoryEvent> events, bool frees_first) {
  std::sort(events.begin(), events.end(), [&](const MemoryEvent& a, const MemoryEvent& b) {
    return a.time != b.time ? a.time < b.time : (a.free == frees_first) > (b.free == frees_first);
  });
  double level = 0.0;
  double peak = 0.0;
  for (const MemoryEvent& e : events) {
    level += e.free ? -e.bytes : e.bytes;
    peak = std::max(peak, level);
  }
  return peak;
}

/// Static memory as computed by hand; peak = static + a dynamic peak within the replay's bounds.
AssertionResult memory_matches_replay(const Pipeline& p) {
  const auto statics = expected_static(p);
  const auto events = memory_events(p);
  for (std::size_t d = 0; d < statics.size(); ++d) {
    const double stat = p.trace.static_memory.at(d).value();
    const double dynamic = p.trace.peak_memory.at(d).value() - stat;
    if (stat != statics[d]) {
      return AssertionFailure() << "device " << d << " static " << stat << " B, expected " << statics[d];
    }
    if (dynamic < 0.0) return AssertionFailure() << "device " << d << " peak below its static memory";
    const double lo = replay_peak(events[d], true);
    const double hi = replay_peak(events[d], false);
    if (dynamic < lo - 0.5 || dynamic > hi + 0.5) {
      return AssertionFailure() << "device " << d << " dynamic peak " << dynamic << " B outside the replay's [" << lo
                                << ", " << hi << "]";
    }
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------
// The tests.

std::string schedule_test_name(const ::testing::TestParamInfo<ScheduleKind>& info) {
  std::string name(plan::to_string(info.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class ScheduleProperty : public ::testing::TestWithParam<ScheduleKind> {};

TEST_P(ScheduleProperty, InvariantsHoldOnRandomCases) {
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(case_name(seed, GetParam()));
    const Pipeline p(make_random_case(seed, CaseOptions{GetParam(), false, false}));
    ASSERT_TRUE(each_task_runs_once(p));
    ASSERT_TRUE(dependencies_respected(p));
    ASSERT_TRUE(devices_not_double_booked(p));
    ASSERT_TRUE(tasks_start_when_ready(p));
    ASSERT_TRUE(durations_match_costs(p));
    ASSERT_TRUE(makespan_bounded_below(p));
    ASSERT_TRUE(memory_matches_replay(p));
  }
}

TEST_P(ScheduleProperty, SameSeedGivesByteIdenticalOutputs) {
  // Every 8th seed: building two Chrome traces per case is the slowest part of the suite.
  for (std::uint64_t seed = 0; seed < kSeeds; seed += 8) {
    SCOPED_TRACE(case_name(seed, GetParam()));
    const CaseOptions o{GetParam(), false, false};
    const Pipeline a(make_random_case(seed, o));
    const Pipeline b(make_random_case(seed, o));
    const report::RunInfo info{"property", "random", std::string(plan::to_string(GetParam())), 0.0};
    const std::string summary = report::summary_json(a.metrics(), info);
    ASSERT_EQ(summary, report::summary_json(b.metrics(), info));
    ASSERT_EQ(report::chrome_trace_json(a.tasks, a.trace, a.topology),
              report::chrome_trace_json(b.tasks, b.trace, b.topology));
    ASSERT_EQ(a.trace.events, b.trace.events);
  }
}

/// With one device per stage and no bytes anywhere, a device is busy exactly for the compute of
/// its stage: per micro-batch F + B (ZB-H1: F + B/2 + B/2), with measured times scaling
/// linearly, F(b) = forward_per_sample x b; no optimizer time since there are no parameters.
/// Each task's time is rounded to the picosecond on its own, hence the per-task tolerance.
TEST_P(ScheduleProperty, BusyTimeIsComputeSumWithoutBytes) {
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(case_name(seed, GetParam()));
    const Pipeline p(make_random_case(seed, CaseOptions{GetParam(), true, true}));
    std::vector<std::int64_t> want_ps(static_cast<std::size_t>(p.c.cluster.num_devices()), 0);
    std::vector<double> tasks(want_ps.size(), 0.0);
    const bool split = GetParam() == ScheduleKind::kZbH1;
    for (const auto& st : p.c.strategy.stages) {
      core::Seconds f, b;
      for (const auto id : st.ops) {
        f += p.c.model.graph.op(id).measured->forward_per_sample * static_cast<double>(st.micro_batch_size);
        b += p.c.model.graph.op(id).measured->backward_per_sample * static_cast<double>(st.micro_batch_size);
      }
      const std::int64_t per_micro_batch =
          split ? core::Time::from_seconds(f).ps() + 2 * core::Time::from_seconds(b * 0.5).ps()
                : core::Time::from_seconds(f).ps() + core::Time::from_seconds(b).ps();
      const std::int64_t m = p.c.mini_batch / st.micro_batch_size;
      want_ps[static_cast<std::size_t>(st.devices.at(0))] += m * per_micro_batch;
      tasks[static_cast<std::size_t>(st.devices.at(0))] += static_cast<double>(m * (split ? 3 : 2) + 1);
    }
    const auto metrics = p.metrics();
    for (std::size_t d = 0; d < want_ps.size(); ++d) {
      EXPECT_NEAR(metrics.devices[d].busy.value(), static_cast<double>(want_ps[d]) * 1e-12, tasks[d] * 1e-12)
          << "device " << d;
    }
    ASSERT_FALSE(HasFailure());
  }
}

// ---------------------------------------------------------------------------------------------
// The generator itself: its cases must be valid (as sim/config checks strategies) and varied,
// since the properties above are only as strong as the cases they see.

TEST(RandomStrategy, DagCasesAreValidAndVaried) {
  std::map<std::string, int> seen;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    const RandomCase c = make_random_case(seed, CaseOptions{ScheduleKind::kOneFOneB, false, false});
    ASSERT_EQ(test_support::case_problem(c, c.strategy.stages.size()), "") << "seed " << seed;
    test_support::count_features(c, &seen);
  }
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& [what, count] : seen) EXPECT_GE(count, 10) << what;
}

TEST(RandomStrategy, InterleavedCasesAreValidChains) {
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    const RandomCase c = make_random_case(seed, CaseOptions{ScheduleKind::kInterleaved1F1B, false, false});
    std::set<std::vector<hw::DeviceId>> lanes;
    for (const auto& st : c.strategy.stages) lanes.insert(st.devices);
    const std::size_t p = lanes.size();
    ASSERT_EQ(test_support::case_problem(c, p), "") << "seed " << seed;
    ASSERT_GE(p, 2u);
    ASSERT_EQ(c.strategy.stages.size() % p, 0u);
    ASSERT_EQ(c.strategy.edges.size(), c.strategy.stages.size() - 1) << "a chain of stages";
    ASSERT_EQ(c.mini_batch / c.strategy.stages[0].micro_batch_size % static_cast<std::int64_t>(p), 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Deadlocks: queue orders that contradict the dependencies.

/// One measured op per stage, stage s alone on device s of a one-node cluster; the task graph is
/// supplied by the test.
struct HandBuilt {
  model::Model model;
  plan::Strategy strategy;
  hw::ClusterSpec cluster;

  explicit HandBuilt(int stages) {
    for (int s = 0; s < stages; ++s) {
      model::Op op;
      op.name = fmt::format("op{}", s);
      op.measured = model::MeasuredTimes{core::Seconds(1e-3), core::Seconds(2e-3)};
      const model::OpId id = model.graph.add_op(std::move(op));
      strategy.stages.push_back(plan::Stage{s, {id}, {s}, 1});
    }
    cluster.name = "hand-built";
    cluster.gpus_per_node = stages;
    cluster.device = *hw::find_device_preset("v100-sxm2-16gb");
    cluster.intra_node = {core::BytesPerSecond(50e9), core::Seconds(5e-6)};
    cluster.inter_node = cluster.intra_node;
  }

  void simulate_expecting_deadlock(const schedule::TaskGraph& tasks) const {
    const hw::Topology topology(cluster);
    const cost::SpecCostSource source(cluster.device);
    const cost::OpCost op_cost(source, model.dtype);
    try {
      (void)simulate(SimulationInput{strategy, tasks, model, topology, op_cost, model::Optimizer::kAdam});
      ADD_FAILURE() << "simulate returned although no task order can run";
    } catch (const core::InternalError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("deadlock"));
    }
  }
};

schedule::ComputeTask compute(int stage, schedule::Phase phase, hw::DeviceId device) {
  return schedule::ComputeTask{stage, phase, 0, device, 1};
}

TEST(EngineDeadlock, QueueRunsDependentFirst) {
  // Device 0 must run B (which needs F) before F.
  HandBuilt h(1);
  schedule::TaskGraph g(h.cluster.num_devices());
  const TaskId f = g.add(compute(0, schedule::Phase::kForward, 0), {});
  const TaskId b = g.add(compute(0, schedule::Phase::kBackward, 0), std::vector<TaskId>{f});
  g.enqueue(0, b);
  g.enqueue(0, f);
  h.simulate_expecting_deadlock(g);
}

TEST(EngineDeadlock, QueuesWaitOnEachOther) {
  // Device 0 runs x0 (needs y1) then y0; device 1 runs x1 (needs y0) then y1: a cycle
  // x0 -> y1 -> x1 -> y0 -> x0 through both queues, though the dependencies alone are acyclic.
  HandBuilt h(2);
  schedule::TaskGraph g(h.cluster.num_devices());
  const TaskId y0 = g.add(compute(0, schedule::Phase::kForward, 0), {});
  const TaskId y1 = g.add(compute(1, schedule::Phase::kForward, 1), {});
  const TaskId x0 = g.add(compute(0, schedule::Phase::kBackward, 0), std::vector<TaskId>{y1});
  const TaskId x1 = g.add(compute(1, schedule::Phase::kBackward, 1), std::vector<TaskId>{y0});
  g.enqueue(0, x0);
  g.enqueue(0, y0);
  g.enqueue(1, x1);
  g.enqueue(1, y1);
  h.simulate_expecting_deadlock(g);
}

INSTANTIATE_TEST_SUITE_P(AllSchedules, ScheduleProperty,
                         ::testing::Values(ScheduleKind::kGpipe, ScheduleKind::kOneFOneB, ScheduleKind::kZbH1,
                                           ScheduleKind::kInterleaved1F1B),
                         schedule_test_name);

}  // namespace
}  // namespace gppsim::engine
