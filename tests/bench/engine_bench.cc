// Engine throughput on synchronous 1F1B chains: the time to lower a strategy (make_schedule +
// lower) and to simulate the lowered TaskGraph, measured separately, plus the events the engine
// processes per second of simulate (events_per_s, a kIsRate counter over CPU time), and the
// simulated iteration time (simulated_s).
//
// The chain model has 64 measured layers (1 ms forward / 2 ms backward per sample, 1 MiB of
// activation per sample, 16 MiB of parameters each, so every data-parallel stage all-reduces
// its gradients). Stage s holds 64 / stages consecutive layers on the dp devices s dp .. s dp +
// dp - 1 of a summit-like cluster (V100, NVLink 50 GB/s, EDR 12.5 GB/s, 5 us) with 8 GPUs per
// node; every device takes one sample per micro-batch (micro-batch size dp). Cases:
//  - 1024 devices: 64 stages x data-parallel 16 on 128 nodes, 512 micro-batches (~2.1M tasks);
//  - 8 stages x 1 device on one node, 64 micro-batches.
// One iteration per repetition; run with --benchmark_repetitions=3 for medians.
// No main(): link benchmark::benchmark_main, so several suites can share one executable.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/cost/op_cost.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/engine/simulate.h"
#include "sim/hw/cluster.h"
#include "sim/hw/topology.h"
#include "sim/model/zoo.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/lower.h"
#include "sim/schedule/schedule.h"

namespace gppsim::engine {
namespace {

constexpr std::int64_t kLayers = 64;
constexpr int kGpusPerNode = 8;
constexpr double kMiB = 1024.0 * 1024.0;

/// The shape of a benchmarked chain.
struct ChainShape {
  int stages = 1;
  int data_parallel = 1;
  std::int64_t micro_batches = 1;
};

/// A lowered-ready 1F1B chain: model, strategy, cluster and mini-batch (see the file comment).
struct ChainCase {
  model::Model model;
  plan::Strategy strategy;
  hw::ClusterSpec cluster;
  std::int64_t mini_batch = 0;
};

/// Builds the chain of the file comment for `shape`.
ChainCase chain_case(const ChainShape& shape) {
  ChainCase c;
  model::ChainArgs args;
  args.layers = kLayers;
  args.forward_time = core::Seconds(1e-3);
  args.backward_time = core::Seconds(2e-3);
  args.activation_bytes = core::Bytes(kMiB);
  args.parameter_bytes = core::Bytes(16.0 * kMiB);
  c.model = model::build_zoo_model(args, core::Dtype::kFp32);
  c.cluster = *hw::find_cluster_preset("summit");
  c.cluster.gpus_per_node = kGpusPerNode;
  c.cluster.nodes = (shape.stages * shape.data_parallel + kGpusPerNode - 1) / kGpusPerNode;
  c.strategy.schedule = plan::ScheduleKind::kOneFOneB;
  std::vector<int> stage_of;
  const std::int64_t per_stage = kLayers / shape.stages;
  for (int s = 0; s < shape.stages; ++s) {
    plan::Stage st;
    st.id = s;
    for (std::int64_t l = s * per_stage; l < (s + 1) * per_stage; ++l) st.ops.push_back(static_cast<model::OpId>(l));
    for (int k = 0; k < shape.data_parallel; ++k) st.devices.push_back(s * shape.data_parallel + k);
    st.micro_batch_size = shape.data_parallel;
    stage_of.insert(stage_of.end(), static_cast<std::size_t>(per_stage), s);
    c.strategy.stages.push_back(std::move(st));
  }
  c.strategy.edges = plan::derive_stage_edges(c.model.graph, stage_of);
  c.mini_batch = shape.micro_batches * shape.data_parallel;
  return c;
}

/// make_schedule + lower of one iteration.
schedule::TaskGraph lower_case(const ChainCase& c) {
  const schedule::Schedule sched = schedule::make_schedule(c.strategy, c.mini_batch);
  return schedule::lower(c.strategy, sched, c.model.graph, c.mini_batch, c.cluster.num_devices());
}

/// Times make_schedule + lower.
void run_lower(benchmark::State& state, const ChainShape& shape) {
  const ChainCase c = chain_case(shape);
  std::size_t tasks = 0;
  for (auto _ : state) {
    const schedule::TaskGraph g = lower_case(c);
    tasks = g.size();
    benchmark::DoNotOptimize(tasks);
  }
  state.counters["tasks"] = static_cast<double>(tasks);
  state.counters["tasks_per_s"] = benchmark::Counter(
      static_cast<double>(tasks) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

/// Times simulate alone on a TaskGraph lowered beforehand.
void run_simulate(benchmark::State& state, const ChainShape& shape) {
  const ChainCase c = chain_case(shape);
  const schedule::TaskGraph tasks = lower_case(c);
  const hw::Topology topology(c.cluster);
  const cost::SpecCostSource source(c.cluster.device);
  const cost::OpCost op_cost(source, c.model.dtype);
  std::uint64_t events = 0;
  double makespan_s = 0.0;
  for (auto _ : state) {
    const schedule::Trace trace =
        simulate(SimulationInput{c.strategy, tasks, c.model, topology, op_cost, model::Optimizer::kAdam});
    events = trace.events;
    makespan_s = trace.makespan().seconds().value();
    benchmark::DoNotOptimize(events);
  }
  state.counters["tasks"] = static_cast<double>(tasks.size());
  state.counters["events"] = static_cast<double>(events);
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(events) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["simulated_s"] = makespan_s;
}

constexpr ChainShape k1024Devices{64, 16, 512};
constexpr ChainShape kEightStages{8, 1, 64};

void BM_Lower1F1B_1024Devices(benchmark::State& state) { run_lower(state, k1024Devices); }
void BM_Simulate1F1B_1024Devices(benchmark::State& state) { run_simulate(state, k1024Devices); }
void BM_Lower1F1B_8Stages(benchmark::State& state) { run_lower(state, kEightStages); }
void BM_Simulate1F1B_8Stages(benchmark::State& state) { run_simulate(state, kEightStages); }

BENCHMARK(BM_Lower1F1B_1024Devices)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Simulate1F1B_1024Devices)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Lower1F1B_8Stages)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_Simulate1F1B_8Stages)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace gppsim::engine
