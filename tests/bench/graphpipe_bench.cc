// GraphPipe planner search time on the paper configurations (METHODS.md §6, graphpipe.md
// "Paper configurations"): MMT, DLRM and CANDLE-Uno on 4, 8, 16 and 32 Summit V100s (4 per
// node). One iteration = one full GraphPipePlanner::plan (SP decomposition, estimator tables,
// every micro-batch candidate's binary search). Counters: objective_us (TPS of the slowest
// stage), stages, depth, dp_runs. No main(): links benchmark::benchmark_main.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cost/spec_cost_source.h"
#include "sim/hw/device_spec.h"
#include "sim/model/zoo.h"
#include "sim/plan/graphpipe.h"
#include "sim/plan/registry.h"

namespace gppsim::plan {
namespace {

struct PaperConfig {
  model::ZooArgs args;
  std::int64_t mini_batch;
  std::vector<std::int64_t> micro_batches;
};

/// Model index 0 = MMT, 1 = DLRM, 2 = CANDLE-Uno.
PaperConfig paper_config(std::int64_t model_index, int gpus) {
  if (model_index == 0) {
    const std::int64_t mini = gpus <= 4 ? 128 : gpus <= 8 ? 256 : 512;
    return {model::MmtArgs{}, mini, {1, 2, 4, 8, 16, 32}};
  }
  const std::vector<std::int64_t> sizes = {32, 64, 128, 256, 512, 1024};
  if (model_index == 1) return {model::DlrmArgs{}, 4096, sizes};
  return {model::CandleUnoArgs{}, 4096, sizes};
}

/// Everything a PlanRequest refers to, for one paper configuration on Summit (4 GPUs per node).
struct PaperSetup {
  PaperSetup(std::int64_t model_index, int gpus)
      : config(paper_config(model_index, gpus)),
        m(model::build_zoo_model(config.args, core::Dtype::kFp32)),
        cluster(summit(gpus)),
        source(cluster.device),
        op_cost(source, m.dtype) {
    settings.micro_batch_sizes = config.micro_batches;
  }
  static hw::ClusterSpec summit(int gpus) {
    hw::ClusterSpec c = *hw::find_cluster_preset("summit");
    c.gpus_per_node = 4;
    c.nodes = gpus / 4;
    return c;
  }
  [[nodiscard]] PlanRequest request() const {
    return PlanRequest{m, cluster, op_cost, config.mini_batch, model::Optimizer::kAdam, settings};
  }

  PaperConfig config;
  model::Model m;
  hw::ClusterSpec cluster;
  cost::SpecCostSource source;
  cost::OpCost op_cost;
  PlanSettings settings;
};

void BM_GraphPipePlan(benchmark::State& state) {
  const PaperSetup setup(state.range(0), static_cast<int>(state.range(1)));
  const PlanRequest request = setup.request();
  const PaperConfig& config = setup.config;
  const GraphPipePlanner planner;
  PlanResult result;
  for (auto _ : state) {
    result = planner.plan(request);
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(std::string(model::zoo_name(config.args)) + (result.feasible ? "" : " infeasible"));
  if (result.feasible) {
    state.counters["objective_us"] = result.objective_s * 1e6;
    state.counters["stages"] = static_cast<double>(result.strategy->stages.size());
    state.counters["depth"] = result.strategy->depth();
    state.counters["micro_batch"] = static_cast<double>(result.strategy->stages.front().micro_batch_size);
  }
  for (const auto& [key, value] : result.notes) {
    if (key == "dp_runs") state.counters["dp_runs"] = std::stod(value);
  }
}

BENCHMARK(BM_GraphPipePlan)
    ->ArgNames({"model", "gpus"})
    ->ArgsProduct({{0, 1, 2}, {4, 8, 16, 32}})
    ->Unit(benchmark::kMillisecond);

/// The baselines on the same inputs: planner 1 = PipeDream, 2 = Piper (Piper gives up on
/// every one of these models at its default downset cap; the time is how long that takes).
void BM_BaselinePlan(benchmark::State& state) {
  const PaperSetup setup(state.range(0), static_cast<int>(state.range(1)));
  const PlanRequest request = setup.request();
  const PaperConfig& config = setup.config;
  const auto planner = make_planner(state.range(2) == 1 ? PlannerKind::kPipeDream : PlannerKind::kPiper);
  PlanResult result;
  for (auto _ : state) {
    result = planner->plan(request);
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(std::string(model::zoo_name(config.args)) + (result.feasible ? "" : " no strategy"));
  if (result.feasible) state.counters["stages"] = static_cast<double>(result.strategy->stages.size());
}

BENCHMARK(BM_BaselinePlan)
    ->ArgNames({"model", "gpus", "planner"})
    ->ArgsProduct({{0, 1, 2}, {4, 8, 16, 32}, {1, 2}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gppsim::plan
