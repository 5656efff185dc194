// Closed forms of METHODS §5 and DESIGN's link semantics, end to end through schedule,
// lowering and the engine. Every expected value is derived by hand in the comments.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/cost/op_cost.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/engine/simulate.h"
#include "sim/hw/cluster.h"
#include "sim/report/metrics.h"
#include "sim/schedule/lower.h"

namespace gppsim::engine {
namespace {

using core::Bytes;
using core::Seconds;
using core::Time;

constexpr double kMiB = 1048576.0;

hw::ClusterSpec one_node(int gpus, core::BytesPerSecond bw, Seconds latency) {
  hw::ClusterSpec c;
  c.name = "test";
  c.nodes = 1;
  c.gpus_per_node = gpus;
  c.device = *hw::find_device_preset("v100-sxm2-16gb");
  c.intra_node = hw::LinkSpec{bw, latency};
  return c;
}

// A chain of `layers` measured ops: forward F, backward B per sample, stash bytes per sample,
// zero-byte activations (no transfers to wait for) and no parameters.
model::Model chain(int layers, Seconds f, Seconds b, Bytes stash) {
  model::Model m;
  m.name = "chain";
  for (int i = 0; i < layers; ++i) {
    model::Op op;
    op.name = "layer" + std::to_string(i);
    op.measured = model::MeasuredTimes{f, b};
    op.stashed_bytes = stash;
    const auto id = m.graph.add_op(op);
    if (i > 0) m.graph.add_edge(id - 1, id, Bytes());
  }
  return m;
}

// One op per stage; stage s on device s % groups (groups = stages except for interleaving).
plan::Strategy one_op_per_stage(int stages, int groups, plan::ScheduleKind kind) {
  plan::Strategy s;
  s.schedule = kind;
  for (int i = 0; i < stages; ++i) {
    s.stages.push_back(plan::Stage{i, {static_cast<model::OpId>(i)}, {i % groups}, 1});
    if (i > 0) s.edges.emplace_back(i - 1, i);
  }
  return s;
}

struct SimRun {
  schedule::Schedule schedule;
  schedule::Trace trace;
  report::IterationMetrics metrics;
};

SimRun run(const model::Model& m, const plan::Strategy& s, const hw::ClusterSpec& c, std::int64_t mini_batch) {
  SimRun r{schedule::make_schedule(s, mini_batch), {}, {}};
  const auto tasks = schedule::lower(s, r.schedule, m.graph, mini_batch, c.num_devices());
  const hw::Topology topo(c);
  const cost::SpecCostSource source(c.device);
  const cost::OpCost op_cost(source, m.dtype);
  r.trace = simulate(SimulationInput{s, tasks, m, topo, op_cost, model::Optimizer::kSgd});
  r.metrics = report::compute_metrics(s, r.schedule, tasks, r.trace, m.graph, mini_batch, c.device.memory_capacity);
  return r;
}

const auto kFast = core::BytesPerSecond(50e9);

TEST(ClosedForm, GpipeAndOneFOneBChainOfFour) {
  // p = 4 stages, m = 8 micro-batches of 1 sample, F = 1 ms, B = 2 ms:
  // iteration = (m + p - 1)(F + B) = 11 x 3 ms = 33 ms; bubble = (p - 1)/(m + p - 1) = 3/11.
  const auto m = chain(4, Seconds(1e-3), Seconds(2e-3), Bytes(kMiB));
  const auto c = one_node(4, kFast, Seconds(0));
  for (const auto kind : {plan::ScheduleKind::kGpipe, plan::ScheduleKind::kOneFOneB}) {
    const SimRun r = run(m, one_op_per_stage(4, 4, kind), c, 8);
    EXPECT_EQ(r.trace.makespan(), Time::from_ps(33'000'000'000)) << plan::to_string(kind);
    EXPECT_NEAR(r.metrics.bubble_fraction, 3.0 / 11.0, 1e-12);
    EXPECT_EQ(r.metrics.pipeline_depth, 4);
  }
}

TEST(ClosedForm, InFlightAndActivationMemory) {
  // 1F1B: stage i keeps p - i = 4, 3, 2, 1 micro-batches in flight; GPipe keeps all m = 8.
  // Each micro-batch stashes 1 MiB and nothing else is held (zero-byte activations, no weights),
  // so the peak memory is exactly in-flight x 1 MiB.
  const auto m = chain(4, Seconds(1e-3), Seconds(2e-3), Bytes(kMiB));
  const auto c = one_node(4, kFast, Seconds(0));
  const SimRun f1b = run(m, one_op_per_stage(4, 4, plan::ScheduleKind::kOneFOneB), c, 8);
  const SimRun gpipe = run(m, one_op_per_stage(4, 4, plan::ScheduleKind::kGpipe), c, 8);
  for (int i = 0; i < 4; ++i) {
    const auto u = static_cast<std::size_t>(i);
    EXPECT_EQ(f1b.schedule.in_flight_micro_batches[u], 4 - i);
    EXPECT_DOUBLE_EQ(f1b.trace.peak_memory[u].value(), (4 - i) * kMiB);
    EXPECT_EQ(gpipe.schedule.in_flight_micro_batches[u], 8);
    EXPECT_DOUBLE_EQ(gpipe.trace.peak_memory[u].value(), 8 * kMiB);
  }
}

TEST(ClosedForm, ZeroBubbleH1) {
  // Measured ops split the backward in half: B = W = 1 ms, F = 1 ms. ZB-H1 on p = 4, m = 8:
  // m (F + B + W) + (p - 1)(F + B - W) = 8 x 3 + 3 x 1 = 27 ms, against 1F1B's 33 ms; its bubble
  // (p - 1)(F + B - W) = 3 ms is a third of 1F1B's (p - 1)(F + B + W) = 9 ms.
  const auto m = chain(4, Seconds(1e-3), Seconds(2e-3), Bytes(kMiB));
  const auto c = one_node(4, kFast, Seconds(0));
  const SimRun r = run(m, one_op_per_stage(4, 4, plan::ScheduleKind::kZbH1), c, 8);
  EXPECT_EQ(r.trace.makespan(), Time::from_ps(27'000'000'000));
  // Same activation memory as 1F1B: stage i holds at most p - i micro-batches (freed after W).
  for (int i = 0; i < 4; ++i) {
    EXPECT_LE(r.trace.peak_memory[static_cast<std::size_t>(i)].value(), 4 * kMiB);
  }
}

TEST(ClosedForm, InterleavedOneFOneB) {
  // p = 4 devices, v = 2 chunks each (8 stages of one layer, stage s on device s mod 4),
  // layer F = 0.5 ms, B = 1 ms: per device F + B = 2 x 1.5 = 3 ms per micro-batch.
  // Megatron: iteration = (m + (p - 1)/v)(F + B) = (8 + 1.5) x 3 ms = 28.5 ms.
  const auto m = chain(8, Seconds(0.5e-3), Seconds(1e-3), Bytes());
  const auto c = one_node(4, kFast, Seconds(0));
  const SimRun r = run(m, one_op_per_stage(8, 4, plan::ScheduleKind::kInterleaved1F1B), c, 8);
  EXPECT_EQ(r.trace.makespan(), Time::from_ps(28'500'000'000));
}

TEST(ClosedForm, GraphOneFOneBOnTwoBranches) {
  // METHODS' two-branch example: two branches of two stages each, {0 -> 1} and {2 -> 3}: depth
  // 2; linearised 0 -> 1 -> 2 -> 3 it has depth 4. Warm-up (in flight) under graph 1F1B:
  // 1 + longest path to a sink = 2, 1, 2, 1 against 4, 3, 2, 1.
  model::Model m = chain(2, Seconds(1e-3), Seconds(2e-3), Bytes(kMiB));
  model::Op a;
  a.name = "b1.l0";
  a.measured = model::MeasuredTimes{Seconds(1e-3), Seconds(2e-3)};
  const auto x = m.graph.add_op(a);
  a.name = "b1.l1";
  const auto y = m.graph.add_op(a);
  m.graph.add_edge(x, y, Bytes());
  plan::Strategy dag;
  dag.schedule = plan::ScheduleKind::kOneFOneB;
  for (int i = 0; i < 4; ++i) dag.stages.push_back(plan::Stage{i, {static_cast<model::OpId>(i)}, {i}, 1});
  dag.edges = {{0, 1}, {2, 3}};
  const SimRun r = run(m, dag, one_node(4, kFast, Seconds(0)), 8);
  EXPECT_EQ(r.metrics.pipeline_depth, 2);
  EXPECT_EQ(r.schedule.in_flight_micro_batches, (std::vector<std::int64_t>{2, 1, 2, 1}));
  // Each branch is a 2-stage pipeline: (m + 2 - 1)(F + B) = 9 x 3 ms = 27 ms (vs 33 ms for depth 4).
  EXPECT_EQ(r.trace.makespan(), Time::from_ps(27'000'000'000));
}

// Hand-built task graphs of communication only, to pin the link semantics down.
schedule::Trace run_tasks(const hw::ClusterSpec& c, const schedule::TaskGraph& tasks,
                          const cost::ComputeCostSource& source) {
  const model::Model m;
  const plan::Strategy s;
  const hw::Topology topo(c);
  const cost::OpCost op_cost(source, m.dtype);
  return simulate(SimulationInput{s, tasks, m, topo, op_cost, model::Optimizer::kSgd});
}

schedule::Trace run_transfers(const hw::ClusterSpec& c, const std::vector<schedule::TransferTask>& transfers) {
  schedule::TaskGraph tasks(c.num_devices());
  for (const auto& t : transfers) tasks.add(t, {});
  return run_tasks(c, tasks, cost::SpecCostSource(c.device));
}

schedule::TransferTask transfer(hw::DeviceId src, hw::DeviceId dst, Bytes bytes) {
  return schedule::TransferTask{0, 1, schedule::Phase::kForward, src, dst, bytes, 0};
}

TEST(Links, SharingHalvesTheRateAndLatencyCountsOnce) {
  // 1 GB over 10 GB/s = 100 ms, plus 5 us latency once = 100.005 ms = 100'005'000'000 ps.
  const auto c = one_node(2, core::BytesPerSecond(10e9), Seconds(5e-6));
  const auto alone = run_transfers(c, {transfer(0, 1, Bytes(1e9))});
  EXPECT_EQ(alone.tasks[0].end, Time::from_ps(100'005'000'000));
  // Two equal transfers on the same link share it: each takes 200 ms + 5 us.
  const auto shared = run_transfers(c, {transfer(0, 1, Bytes(1e9)), transfer(0, 1, Bytes(1e9))});
  EXPECT_EQ(shared.tasks[0].end, Time::from_ps(200'005'000'000));
  EXPECT_EQ(shared.tasks[1].end, Time::from_ps(200'005'000'000));
  // Opposite directions are separate links (full duplex): no sharing.
  const auto duplex = run_transfers(c, {transfer(0, 1, Bytes(1e9)), transfer(1, 0, Bytes(1e9))});
  EXPECT_EQ(duplex.tasks[1].end, Time::from_ps(100'005'000'000));
  // Half the bandwidth, twice the time: 200 ms + 5 us.
  const auto half = run_transfers(one_node(2, core::BytesPerSecond(5e9), Seconds(5e-6)), {transfer(0, 1, Bytes(1e9))});
  EXPECT_EQ(half.tasks[0].end, Time::from_ps(200'005'000'000));
}

// Wraps the V100 datasheet and adds a reduction of 1 ps per byte (1 ms per GB), as a CPU
// profile's MPI ring would.
class SummingSource final : public cost::ComputeCostSource {
 public:
  explicit SummingSource(hw::DeviceSpec spec) : spec_(std::move(spec)) {}
  bool supports(core::Dtype d) const override { return spec_.supports(d); }
  Seconds gemm_time(const model::GemmShape& g, core::Dtype d, cost::GemmLayout l) const override {
    return spec_.gemm_time(g, d, l);
  }
  Seconds memory_time(Bytes b) const override { return spec_.memory_time(b); }
  Seconds optimizer_time(model::Optimizer o, Bytes b) const override { return spec_.optimizer_time(o, b); }
  Seconds reduction_time(Bytes b) const override { return Seconds(b.value() * 1e-12); }
  Seconds launch_overhead() const override { return spec_.launch_overhead(); }
  Bytes memory_capacity() const override { return spec_.memory_capacity(); }
  std::string name() const override { return "summing"; }

 private:
  cost::SpecCostSource spec_;
};

schedule::Trace run_ring(const hw::ClusterSpec& c, const cost::ComputeCostSource& source, Bytes bytes) {
  schedule::TaskGraph tasks(c.num_devices());
  const std::vector<hw::DeviceId> ring = {0, 1, 2};
  tasks.add(schedule::AllReduceTask{0, ring, bytes}, {});
  return run_tasks(c, tasks, source);
}

TEST(Links, RingAllReduceSumsAfterEachReduceScatterStepWhereTheDeviceDoes) {
  // 3 GB over a ring of 3 at 10 GB/s and 5 us: chunks of 1 GB, 2 (3 - 1) = 4 steps of
  // 100 ms + 5 us each = 400.02 ms. GPUs sum while they copy; a device that sums in a pass of its
  // own adds 1 ms after each of the 3 - 1 = 2 reduce-scatter steps: 402.02 ms.
  const auto c = one_node(3, core::BytesPerSecond(10e9), Seconds(5e-6));
  const cost::SpecCostSource gpu(c.device);
  EXPECT_EQ(run_ring(c, gpu, Bytes(3e9)).tasks[0].end, Time::from_ps(400'020'000'000));
  const SummingSource cpu(c.device);
  EXPECT_EQ(run_ring(c, cpu, Bytes(3e9)).tasks[0].end, Time::from_ps(402'020'000'000));
}

TEST(Links, FlowsLeavingOneNodeShareItsUplink) {
  // Two nodes of 2 GPUs, network 10 GB/s per direction and 5 us. Transfers 0 -> 2 and 1 -> 3
  // both cross node 0's uplink: each gets 5 GB/s, 1 GB takes 200 ms (+ 5 us + 5 us of route
  // latency: uplink and downlink, counted once per transfer).
  hw::ClusterSpec c = one_node(2, core::BytesPerSecond(50e9), Seconds(1e-6));
  c.nodes = 2;
  c.inter_node = hw::LinkSpec{core::BytesPerSecond(10e9), Seconds(5e-6)};
  const auto t = run_transfers(c, {transfer(0, 2, Bytes(1e9)), transfer(1, 3, Bytes(1e9))});
  EXPECT_EQ(t.tasks[0].end, Time::from_ps(200'010'000'000));
  EXPECT_EQ(t.tasks[1].end, Time::from_ps(200'010'000'000));
}

}  // namespace
}  // namespace gppsim::engine
