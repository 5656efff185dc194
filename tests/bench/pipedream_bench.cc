// PipeDreamPlanner search time on the published PipeDream profiles (../shared/data): vgg16 on
// 4 GPUs (one level, 40 antichain states), resnet50 on 8 GPUs (one level, 240 states), and for
// scale resnet50 on 2 nodes x 4 GPUs (two levels: the lower level's DP runs for every start
// state, cubic in states) and gnmt_large on 8 GPUs (1495 states). Each iteration is one whole
// plan() call: import excluded, state space, DP and strategy included. Skips with an error when
// the shared data is absent. No main(): linked with benchmark::benchmark_main.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "sim/cost/op_cost.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/hw/cluster.h"
#include "sim/hw/device_spec.h"
#include "sim/model/importers.h"
#include "sim/plan/pipedream.h"

namespace gppsim::plan {
namespace {

const std::filesystem::path kProfiles =
    std::filesystem::path(GPPSIM_SOURCE_DIR "/../shared/data") / "pipedream-profiles";

void run_planner(benchmark::State& state, const std::string& profile, int nodes, int gpus_per_node) {
  const std::filesystem::path file = kProfiles / (profile + ".txt");
  if (!std::filesystem::exists(file)) {
    state.SkipWithError(("shared data absent: " + file.string()).c_str());
    return;
  }
  const model::Model model = model::import_pipedream(file, 1);
  hw::ClusterSpec cluster;
  cluster.name = "bench";
  cluster.nodes = nodes;
  cluster.gpus_per_node = gpus_per_node;
  cluster.device = *hw::find_device_preset("v100-sxm2-16gb");
  cluster.intra_node = hw::LinkSpec{core::BytesPerSecond(nodes > 1 ? 1e11 : 1e10), core::Seconds(0.0)};
  cluster.inter_node = hw::LinkSpec{core::BytesPerSecond(1e10), core::Seconds(0.0)};
  const cost::SpecCostSource source(cluster.device);
  const cost::OpCost op_cost(source, core::Dtype::kFp32);
  PlanSettings settings;
  settings.planner = PlannerKind::kPipeDream;
  settings.micro_batch_sizes = {1, 2, 3, 4, 6, 8, 12, 24, 840};
  const PlanRequest request{model, cluster, op_cost, 840, model::Optimizer::kAdam, settings};
  const PipeDreamPlanner planner;
  PlanResult result;
  for (auto _ : state) {
    result = planner.plan(request);
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(result.feasible ? "time per stage " + std::to_string(result.objective_s) + " s"
                                 : "infeasible: " + result.reason);
}

void BM_PipeDreamVgg16FourGpus(benchmark::State& state) { run_planner(state, "vgg16", 1, 4); }
void BM_PipeDreamResnet50EightGpus(benchmark::State& state) { run_planner(state, "resnet50", 1, 8); }
void BM_PipeDreamResnet50TwoNodesOfFour(benchmark::State& state) { run_planner(state, "resnet50", 2, 4); }
void BM_PipeDreamGnmtLargeEightGpus(benchmark::State& state) { run_planner(state, "gnmt_large", 1, 8); }

BENCHMARK(BM_PipeDreamVgg16FourGpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PipeDreamResnet50EightGpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PipeDreamResnet50TwoNodesOfFour)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PipeDreamGnmtLargeEightGpus)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gppsim::plan
