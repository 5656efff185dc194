// Piper planner speed on the published case: gnmt-pp-dp.json, 4 devices, 2.5 GiB per device,
// 25 GiB/s, N = 256 (../shared/data/README.md). The published algo.cpp enumerated 17,914
// downsets and took about 260 s of CPU; the counter `vs_published` is 260 s / our time per plan
// (wall clock, single-threaded). Also timed: the enumeration alone, a case where pruning is
// weak, and the full 2-D DP with every TMPC on BERT. No main(): link benchmark_main.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>

#include "sim/model/importers.h"
#include "sim/plan/piper_downsets.h"
#include "sim/plan/piper_dp.h"
#include "sim/plan/piper_model.h"

namespace gppsim::plan {
namespace {

namespace fs = std::filesystem;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kPublishedSeconds = 260.0;

/// The published gnmt problem, or nullopt when the shared data is absent.
std::optional<PiperProblem> gnmt_problem() {
  const fs::path path =
      fs::path(GPPSIM_SOURCE_DIR "/../shared/data") / "piper-inputs" / "gnmt-pp-dp.json";
  if (!fs::exists(path)) return std::nullopt;
  const model::Model m = model::import_piper(path);
  const PiperScenario sc{4, core::Bytes(2.5 * kGiB), core::BytesPerSecond(25.0 * kGiB), 40000};
  PiperBuild build = piper_problem_from_json(m, sc, m.piper->micro_batches_in_batch);
  if (!build.error.empty()) return std::nullopt;
  return build.problem;
}

void solve_gnmt(benchmark::State& state) {
  const std::optional<PiperProblem> p = gnmt_problem();
  if (!p) {
    state.SkipWithError("shared data not found (../shared/data/piper-inputs/gnmt-pp-dp.json)");
    return;
  }
  PiperSolution s;
  for (auto _ : state) {
    s = solve_piper(*p);
    benchmark::DoNotOptimize(s);
  }
  state.counters["tps"] = s.time_per_sample.value();
  state.counters["stages"] = static_cast<double>(s.stages.size());
  state.counters["downsets"] = static_cast<double>(s.num_downsets);
  state.counters["pairs"] = static_cast<double>(s.num_pairs);
  state.counters["vs_published"] = benchmark::Counter(
      kPublishedSeconds * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_PiperGnmtPublishedCase(benchmark::State& state) { solve_gnmt(state); }
BENCHMARK(BM_PiperGnmtPublishedCase)->Unit(benchmark::kMillisecond)->UseRealTime();

/// gnmt with micro-batches of one sample (d = 1 only) on 8 devices: the DP's pruning is at its
/// weakest when replication is off and many stages are needed.
void BM_PiperGnmtEightDevicesNoReplication(benchmark::State& state) {
  std::optional<PiperProblem> p = gnmt_problem();
  if (!p) {
    state.SkipWithError("shared data not found");
    return;
  }
  p->devices = 8;
  p->data_degree_divisor = 1;
  PiperSolution s;
  for (auto _ : state) {
    s = solve_piper(*p);
    benchmark::DoNotOptimize(s);
  }
  state.counters["tps"] = s.time_per_sample.value();
  state.counters["stages"] = static_cast<double>(s.stages.size());
  state.counters["pairs"] = static_cast<double>(s.num_pairs);
}
BENCHMARK(BM_PiperGnmtEightDevicesNoReplication)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The full 2-D DP with every TMPC (tensor degrees 1-8, activation recomputation) on
/// bert32a100.json, 8 devices, 16 GiB, 25 GiB/s, N = 1920.
void BM_PiperBertAllTmpcs(benchmark::State& state) {
  const fs::path path =
      fs::path(GPPSIM_SOURCE_DIR "/../shared/data") / "piper-inputs" / "bert32a100.json";
  if (!fs::exists(path)) {
    state.SkipWithError("shared data not found");
    return;
  }
  const model::Model m = model::import_piper(path);
  const PiperScenario sc{8, core::Bytes(16.0 * kGiB), core::BytesPerSecond(25.0 * kGiB), 40000};
  PiperBuild build = piper_problem_from_json(m, sc, 1920);
  build.problem.all_options = true;
  PiperSolution s;
  for (auto _ : state) {
    s = solve_piper(build.problem);
    benchmark::DoNotOptimize(s);
  }
  state.counters["tps"] = s.time_per_sample.value();
  state.counters["stages"] = static_cast<double>(s.stages.size());
  state.counters["pairs"] = static_cast<double>(s.num_pairs);
}
BENCHMARK(BM_PiperBertAllTmpcs)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PiperGnmtEnumerateDownsets(benchmark::State& state) {
  const std::optional<PiperProblem> p = gnmt_problem();
  if (!p) {
    state.SkipWithError("shared data not found");
    return;
  }
  for (auto _ : state) {
    auto space = DownsetSpace::enumerate(p->options.size(), p->edges, p->max_downsets);
    benchmark::DoNotOptimize(space);
  }
}
BENCHMARK(BM_PiperGnmtEnumerateDownsets)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gppsim::plan
