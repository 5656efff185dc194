#include "sim/plan/strategy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/model/op_graph.h"

namespace gppsim::plan {
namespace {

using ::testing::ElementsAre;
using Edges = std::vector<std::pair<int, int>>;

/// `n` single-device stages joined by `edges` (already sorted).
Strategy with_edges(int n, Edges edges) {
  Strategy s;
  for (int i = 0; i < n; ++i) s.stages.push_back(Stage{i, {}, {i}, 1});
  s.edges = std::move(edges);
  return s;
}

Edges chain_edges(int n) {
  Edges e;
  for (int i = 0; i + 1 < n; ++i) e.emplace_back(i, i + 1);
  return e;
}

TEST(StrategyKinds, NamesMatchTheConfigSpelling) {
  EXPECT_EQ(to_string(PlannerKind::kGraphPipe), "graphpipe");
  EXPECT_EQ(to_string(PlannerKind::kPipeDream), "pipedream");
  EXPECT_EQ(to_string(PlannerKind::kPiper), "piper");
  EXPECT_EQ(to_string(PlannerKind::kExhaustive), "exhaustive");
  EXPECT_EQ(to_string(PlannerKind::kManual), "manual");
  EXPECT_EQ(to_string(ScheduleKind::kGpipe), "gpipe");
  EXPECT_EQ(to_string(ScheduleKind::kOneFOneB), "1f1b");
  EXPECT_EQ(to_string(ScheduleKind::kInterleaved1F1B), "interleaved-1f1b");
  EXPECT_EQ(to_string(ScheduleKind::kZbH1), "zb-h1");
}

// Diamond with a long arm: 0 -> 1 -> 3 and 0 -> 2 -> 4 -> 3.
Strategy long_arm_diamond() { return with_edges(5, {{0, 1}, {0, 2}, {1, 3}, {2, 4}, {4, 3}}); }

TEST(Strategy, SuccessorsAndPredecessorsAscending) {
  const Strategy s = long_arm_diamond();
  EXPECT_THAT(s.successors(0), ElementsAre(1, 2));
  EXPECT_THAT(s.successors(3), ElementsAre());
  EXPECT_THAT(s.predecessors(3), ElementsAre(1, 4));
  EXPECT_THAT(s.predecessors(0), ElementsAre());
  EXPECT_THROW((void)s.successors(5), core::InternalError);
}

TEST(Strategy, LongestPathsCountTheStageItself) {
  const Strategy s = long_arm_diamond();
  // By hand: sink 3 -> 1; 4 -> 3 gives 2; 1 -> 3 gives 2; 2 -> 4 -> 3 gives 3;
  // 0 -> max(1 + 2, 1 + 3) = 4.
  EXPECT_EQ(s.longest_path_to_sink(3), 1);
  EXPECT_EQ(s.longest_path_to_sink(4), 2);
  EXPECT_EQ(s.longest_path_to_sink(1), 2);
  EXPECT_EQ(s.longest_path_to_sink(2), 3);
  EXPECT_EQ(s.longest_path_to_sink(0), 4);
  EXPECT_EQ(s.longest_paths_to_sink(), (std::vector<int>{4, 2, 3, 1, 2}));
  EXPECT_EQ(s.depth(), 4);
}

TEST(Strategy, TwoBranchStageGraphIsHalfAsDeepAsItsLinearisation) {
  // METHODS §2's two-branch shape: each branch is two stages and the branches run side by
  // side (0 -> 1 and 2 -> 3), depth 2; sequential pipelining orders the same four stages into
  // the chain 0 -> 1 -> 2 -> 3, depth 4.
  const Strategy gpp = with_edges(4, {{0, 1}, {2, 3}});
  const Strategy spp = with_edges(4, chain_edges(4));
  EXPECT_EQ(gpp.depth(), 2);
  EXPECT_EQ(spp.depth(), 4);
  EXPECT_EQ(gpp.longest_path_to_sink(2), 2);
  EXPECT_EQ(spp.longest_path_to_sink(2), 2);
  EXPECT_EQ(spp.longest_path_to_sink(0), 4);
}

TEST(Strategy, DepthOfSingleStageAndEmptyStrategy) {
  EXPECT_EQ(with_edges(1, {}).depth(), 1);
  EXPECT_EQ(Strategy{}.depth(), 0);
  // Three unconnected stages: every stage is its own source and sink.
  EXPECT_EQ(with_edges(3, {}).depth(), 1);
}

TEST(Strategy, TopologicalOrderTakesSmallestReadyIdFirst) {
  // Edges 1 -> 0, 2 -> 0, 3 -> 1. Ready at start {2, 3}: take 2 (0 still waits on 1), then 3,
  // which frees 1, then 1, which frees 0.
  const Strategy s = with_edges(4, {{1, 0}, {2, 0}, {3, 1}});
  EXPECT_THAT(s.topological_order(), ElementsAre(2, 3, 1, 0));
  EXPECT_THAT(long_arm_diamond().topological_order(), ElementsAre(0, 1, 2, 4, 3));
}

TEST(Strategy, CycleIsAnInternalError) {
  const Strategy s = with_edges(3, {{0, 1}, {1, 2}, {2, 0}});
  EXPECT_THROW((void)s.topological_order(), core::InternalError);
  EXPECT_THROW((void)s.depth(), core::InternalError);
}

model::Op named(std::string name) {
  model::Op op;
  op.name = std::move(name);
  return op;
}

TEST(DeriveStageEdges, OneEdgePerStagePairSortedWithoutDuplicates) {
  // Two-branch op graph: in(0) -> a1(1) -> a2(2) -> cat(5), in -> b1(3) -> b2(4) -> cat, and a
  // skip edge a1 -> cat. Stages: {in} 0, {a1, a2} 1, {b1, b2} 2, {cat} 3. The B branch's edges
  // are inserted first so the result must be sorted, not in insertion order.
  model::OpGraph g;
  for (const char* n : {"in", "a1", "a2", "b1", "b2", "cat"}) g.add_op(named(n));
  g.add_edge(0, 3, core::Bytes(4.0));
  g.add_edge(3, 4, core::Bytes(4.0));
  g.add_edge(4, 5, core::Bytes(4.0));
  g.add_edge(0, 1, core::Bytes(4.0));
  g.add_edge(1, 2, core::Bytes(4.0));
  g.add_edge(2, 5, core::Bytes(4.0));
  g.add_edge(1, 5, core::Bytes(4.0));
  const std::vector<int> stage_of{0, 1, 1, 2, 2, 3};
  // Op edges by stage pair: (0,2) (2,2) (2,3) (0,1) (1,1) (1,3) (1,3): drop the two intra-stage
  // pairs and the repeated (1,3).
  const Edges edges = derive_stage_edges(g, stage_of);
  EXPECT_EQ(edges, (Edges{{0, 1}, {0, 2}, {1, 3}, {2, 3}}));
  EXPECT_EQ(with_edges(4, edges).depth(), 3);
}

TEST(DeriveStageEdges, SingleStageHasNoEdgesAndSizeMismatchIsABug) {
  model::OpGraph g;
  g.add_op(named("x"));
  g.add_op(named("y"));
  g.add_edge(0, 1, core::Bytes(1.0));
  EXPECT_TRUE(derive_stage_edges(g, {0, 0}).empty());
  EXPECT_THROW((void)derive_stage_edges(g, {0}), core::InternalError);
}

}  // namespace
}  // namespace gppsim::plan
