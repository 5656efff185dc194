// Experiment cells: expansion of a spec, fingerprints, the cache, dependent cells, threads.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <fstream>
#include <set>

#include <unistd.h>

#include "sim/experiment/cell.h"
#include "sim/experiment/runner.h"

namespace gppsim::experiment {
namespace {

config::Experiment small_experiment() {
  config::Experiment e;
  e.name = "t";
  e.cluster = *hw::find_cluster_preset("summit");
  e.micro_batch_sizes = {1, 2, 4, 3};
  e.models["cu"] = model::CandleUnoArgs{2, 2, 64};
  e.mini_batch["cu"] = {{4, 16}, {8, 32}};
  e.parts.throughput = config::ThroughputPart{{"cu"}, {4, 8}, {plan::PlannerKind::kGraphPipe, plan::PlannerKind::kPipeDream}};
  e.parts.ablation = config::AblationPart{{"cu"}, {8}};
  e.parts.branch_sweep = config::BranchSweepPart{"cu", {2, 4}, {4}, 8, {plan::PlannerKind::kPipeDream}};
  e.quick.throughput = config::ThroughputPart{{"cu"}, {4}, {plan::PlannerKind::kGraphPipe}};
  return e;
}

TEST(Expand, CellsInOrderWithCandidatesDividingTheMiniBatch) {
  const auto cells = expand(small_experiment(), false);
  // throughput 1 model x 2 GPU counts x 2 planners = 4; ablation 3; branch sweep 2 x 1 x 1 = 2.
  ASSERT_EQ(cells.size(), 9u);
  EXPECT_EQ(cells[0].part, "throughput");
  EXPECT_EQ(cells[0].gpus, 4);
  EXPECT_EQ(cells[0].mini_batch, 16);
  EXPECT_EQ(cells[0].micro_batch_sizes, (std::vector<std::int64_t>{1, 2, 4}));  // 3 does not divide 16
  EXPECT_EQ(cells[4].variant, "spp");
  EXPECT_EQ(cells[5].variant, "parallel_only");
  ASSERT_TRUE(cells[5].micro_batch_of.has_value());
  EXPECT_EQ(*cells[5].micro_batch_of, 4u);
  EXPECT_EQ(cells[6].variant, "gpp");
  EXPECT_EQ(cells[7].branches, 2);
  EXPECT_EQ(std::get<model::CandleUnoArgs>(cells[8].args).branches, 4);
  EXPECT_EQ(cells[7].mini_batch, 8 * 4);  // mini_batch_per_gpu x gpus
  // 8 GPUs on summit: 2 nodes of 4.
  EXPECT_EQ(cells[2].cluster.nodes, 2);
  EXPECT_EQ(cells[2].cluster.gpus_per_node, 4);
  EXPECT_EQ(expand(small_experiment(), true).size(), 1u);
}

TEST(Expand, FingerprintsSeparateInputsButNotLabels) {
  const auto cells = expand(small_experiment(), false);
  // The ablation's "gpp" and "spp" cells equal the throughput cells of graphpipe and pipedream at
  // 8 GPUs: one result each.
  EXPECT_EQ(cells[6].fingerprint(), cells[2].fingerprint());
  EXPECT_EQ(cells[4].fingerprint(), cells[3].fingerprint());
  std::set<std::string> distinct;
  for (const auto& c : cells) distinct.insert(c.fingerprint());
  EXPECT_EQ(distinct.size(), 7u);  // 9 cells, two pairs shared
}

TEST(ClusterFor, SmallCountsUseOnePartialNode) {
  const auto base = *hw::find_cluster_preset("summit");
  EXPECT_EQ(cluster_for(base, 2).num_devices(), 2);
  EXPECT_EQ(cluster_for(base, 2).nodes, 1);
  EXPECT_EQ(cluster_for(base, 32).nodes, 8);
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("gppsim-runner-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::remove_all(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(RunCells, CachesByFingerprintAndResolvesDependencies) {
  const TempDir dir;
  std::atomic<int> calls{0};
  std::mutex m;
  std::vector<std::vector<std::int64_t>> seen_candidates;
  const CellEvaluator fake = [&](const CellSpec& c) {
    ++calls;
    const std::lock_guard lock(m);
    seen_candidates.push_back(c.micro_batch_sizes);
    CellResult r;
    r.feasible = true;
    r.micro_batch_size = c.micro_batch_sizes.empty() ? 0 : c.micro_batch_sizes.back();
    r.throughput_samples_per_s = static_cast<double>(c.gpus * 10 + r.micro_batch_size);
    r.partition = c.model;
    return r;
  };
  std::size_t progress_calls = 0;
  const RunnerOptions options{dir.path, 2, [&](const Progress& p) {
                                progress_calls = p.done;
                                EXPECT_LE(p.done, p.total);
                              }};
  auto cells = expand(small_experiment(), false);
  const auto first = run_cells(cells, fake, options);
  // Each distinct cell once, except that cells sharing a fingerprint may both run when they race.
  const int first_calls = calls.load();
  EXPECT_GE(first_calls, 7);
  EXPECT_LE(first_calls, 9);
  EXPECT_EQ(progress_calls, 9u);
  // The parallel_only cell ran with the SPP cell's best micro-batch (4, the largest candidate here).
  EXPECT_EQ(cells[5].micro_batch_sizes, (std::vector<std::int64_t>{first[4].micro_batch_size}));
  EXPECT_DOUBLE_EQ(first[0].throughput_samples_per_s, 4 * 10 + 4);
  // A rerun takes everything from the cache: no evaluation, identical results.
  auto again_cells = expand(small_experiment(), false);
  const auto again = run_cells(again_cells, fake, options);
  EXPECT_EQ(calls.load(), first_calls);
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i].throughput_samples_per_s, first[i].throughput_samples_per_s);
    EXPECT_EQ(again[i].partition, first[i].partition);
  }
  // A damaged cache file is recomputed, not trusted.
  const auto file = cache_file(dir.path, again_cells[0].fingerprint());
  std::ofstream(file) << "{ not json";
  auto third_cells = expand(small_experiment(), false);
  (void)run_cells(third_cells, fake, options);
  EXPECT_EQ(calls.load(), first_calls + 1);
}

}  // namespace
}  // namespace gppsim::experiment
