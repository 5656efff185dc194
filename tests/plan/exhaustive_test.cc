#include "sim/plan/exhaustive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/cost/spec_cost_source.h"
#include "sim/hw/device_spec.h"
#include "plan_world.h"
#include "sim/plan/graphpipe.h"
#include "sim/plan/sp_symmetry.h"

namespace gppsim::plan {
namespace {

using ::testing::HasSubstr;
using model::OpId;

using testing::World;

hw::ClusterSpec cluster_of(int nodes, int gpus_per_node) {
  hw::ClusterSpec c = *hw::find_cluster_preset("summit");
  c.nodes = nodes;
  c.gpus_per_node = gpus_per_node;
  return c;
}

model::Op measured(const std::string& name, double fw_ms, double bw_ms) {
  model::Op op;
  op.name = name;
  op.measured = model::MeasuredTimes{core::Seconds(fw_ms * 1e-3), core::Seconds(bw_ms * 1e-3)};
  return op;
}

/// The diamond 0 -> {1, 2} -> 3 with free transfers.
model::Model diamond(double fork_ms, double b1_ms, double b2_ms, double join_ms) {
  model::Model m;
  m.name = "diamond";
  m.graph.add_op(measured("fork", fork_ms, 0.0));
  m.graph.add_op(measured("b1", b1_ms, 0.0));
  m.graph.add_op(measured("b2", b2_ms, 0.0));
  m.graph.add_op(measured("join", join_ms, 0.0));
  for (const auto& [a, b] : std::vector<std::pair<OpId, OpId>>{{0, 1}, {0, 2}, {1, 3}, {2, 3}}) {
    m.graph.add_edge(a, b, core::Bytes(0.0));
  }
  return m;
}

/// Partitions as sorted sets of sorted stages, for comparisons.
std::set<std::vector<std::vector<OpId>>> canonical(const std::vector<StagePartition>& parts) {
  std::set<std::vector<std::vector<OpId>>> out;
  for (StagePartition p : parts) {
    for (auto& s : p) std::sort(s.begin(), s.end());
    std::sort(p.begin(), p.end());
    out.insert(p);
  }
  return out;
}

// By hand (graphpipe.md grammar) for S(0, P(1, 2), 3): {0123}, {012}{3}, {0}{123}, {0}{12}{3},
// {0}{1}{2}{3}, {0}{1}{23} (join with the last branch's tail), {01}{2}{3} (fork with the first
// branch's head), {01}{23}. {02}{1}{3} is not in the space: the fork joins only branch 0.
TEST(StagePartitions, DiamondByHand) {
  const model::Model m = diamond(1, 1, 1, 1);
  const SpTree t = decompose_series_parallel(m.graph);
  const auto all = canonical(enumerate_stage_partitions(t, 4));
  using P = std::vector<std::vector<OpId>>;
  const std::set<P> expected = {
      P{{0, 1, 2, 3}},      P{{0, 1, 2}, {3}},         P{{0}, {1, 2, 3}}, P{{0}, {1, 2}, {3}},
      P{{0}, {1}, {2}, {3}}, P{{0}, {1}, {2, 3}}, P{{0, 1}, {2}, {3}}, P{{0, 1}, {2, 3}},
  };
  EXPECT_EQ(all, expected);
  EXPECT_EQ(enumerate_stage_partitions(t, 2).size(), 4U);  // {0123}, {012}{3}, {0}{123}, {01}{23}
}

// Junction ownership in plans: a chain segment may end or start at the junction 1 of 0 -> 1 -> 2.
TEST(StagePartitions, JunctionGoesEitherWay) {
  model::Model m;
  for (int i = 0; i < 3; ++i) m.graph.add_op(measured("o" + std::to_string(i), 1, 1));
  m.graph.add_edge(0, 1, core::Bytes(0.0));
  m.graph.add_edge(1, 2, core::Bytes(0.0));
  const auto all = canonical(enumerate_stage_partitions(decompose_series_parallel(m.graph), 3));
  using P = std::vector<std::vector<OpId>>;
  EXPECT_TRUE(all.count(P{{0, 1}, {2}}));  // upstream owns it
  EXPECT_TRUE(all.count(P{{0}, {1, 2}}));  // downstream owns it
  EXPECT_EQ(all.size(), 4U);               // 2^2 compositions of a 3-chain
}

// Free transfers, no parameters: TPS = Σ (fw + bw) of the stage / its degree. Two devices,
// b = 1 (so d = 1): fork 0.5, branches 1 and 1, join 0.5 ms. Best: {fork, b1} {b2, join} at
// 1.5 ms each; any other 2-stage plan has a 2 ms or larger stage, one stage costs 3 ms.
TEST(ExhaustivePlanner, PicksTheForkAndJoinExtensionsByHand) {
  World w(diamond(0.5, 1.0, 1.0, 0.5), cluster_of(1, 2), 4, {1});
  w.cluster.intra_node.latency = core::Seconds(0.0);
  const PlanResult r = ExhaustivePlanner().plan(w.request());
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_NEAR(r.objective_s, 1.5e-3, 1e-15);
  ASSERT_EQ(r.strategy->stages.size(), 2U);
  EXPECT_EQ(r.strategy->stages[0].ops, (std::vector<OpId>{0, 1}));
  EXPECT_EQ(r.strategy->stages[1].ops, (std::vector<OpId>{2, 3}));
  const PlanResult g = GraphPipePlanner().plan(w.request());
  ASSERT_TRUE(g.feasible);
  EXPECT_NEAR(g.objective_s, 1.5e-3, 1.5e-3 * w.settings.epsilon);
}

TEST(ExhaustivePlanner, GivesUpOnLargeInputs) {
  model::Model m;
  for (int i = 0; i < 17; ++i) m.graph.add_op(measured("o" + std::to_string(i), 1, 1));
  const World w(std::move(m), cluster_of(1, 2), 4, {1});
  const PlanResult r = ExhaustivePlanner().plan(w.request());
  EXPECT_FALSE(r.feasible);
  EXPECT_THAT(r.reason, HasSubstr("gives up"));
}

/// Random two-terminal series-parallel fragments (plus open tops: several sources or sinks).
/// With `mirror`, half the parallel fragments repeat one random branch 2 or 3 times (same ops,
/// figures and edges: interchangeable subtrees, sp_symmetry.h) and edge bytes are whole numbers.
class RandomSp {
 public:
  explicit RandomSp(std::uint64_t seed, bool mirror = false) : rng_(seed), mirror_(mirror) {}

  model::Model build(int ops) {
    model::Model m;
    m.name = "random";
    graph_ = &m.graph;
    const int shape = static_cast<int>(rng_() % 5);
    if (shape == 0 && ops >= 3) {
      open_top(ops, rng_() % 2 == 0);
    } else {
      fragment(ops);
    }
    return m;
  }

 private:
  std::pair<OpId, OpId> fragment(int n) {
    if (n == 1) {
      const OpId op = add();
      return {op, op};
    }
    if (n >= 4 && rng_() % 2 == 0) return parallel(n);
    const int first = 1 + static_cast<int>(rng_() % static_cast<unsigned>(n - 1));
    const auto a = fragment(first);
    const auto b = fragment(n - first);
    connect(a.second, b.first);
    return {a.first, b.second};
  }

  std::pair<OpId, OpId> parallel(int n) {
    const OpId fork = add();
    std::vector<std::pair<OpId, OpId>> branches = mirror_ && rng_() % 2 == 0 ? copies(n - 2) : split(n - 2);
    const OpId join = add();
    for (const auto& [entry, exit] : branches) {
      connect(fork, entry);
      connect(exit, join);
    }
    if (rng_() % 5 == 0) connect(fork, join);  // a skip edge
    return {fork, join};
  }

  /// Branches with `n` ops in total, 2 or 3 of them.
  std::vector<std::pair<OpId, OpId>> split(int n) {
    const int k = std::min(n, 2 + static_cast<int>(rng_() % 2));
    std::vector<int> sizes(static_cast<std::size_t>(k), 1);
    for (int left = n - k; left > 0; --left) ++sizes[rng_() % static_cast<unsigned>(k)];
    std::vector<std::pair<OpId, OpId>> out;
    for (const int s : sizes) out.push_back(fragment(s));
    return out;
  }

  /// 2 or 3 copies of one random branch of about n / copies ops.
  std::vector<std::pair<OpId, OpId>> copies(int n) {
    const int k = std::min(n, 2 + static_cast<int>(rng_() % 2));
    const OpId start = graph_->num_ops();
    const auto first = fragment(std::max(1, n / k));
    const OpId end = graph_->num_ops();
    std::vector<model::OpEdge> inner;
    for (const model::OpEdge& e : graph_->edges()) {
      if (e.from >= start && e.to >= start) inner.push_back(e);
    }
    std::vector<std::pair<OpId, OpId>> out = {first};
    for (int c = 1; c < k; ++c) {
      const OpId offset = graph_->num_ops() - start;
      for (OpId op = start; op < end; ++op) {
        model::Op copy = graph_->op(op);
        copy.name = "op" + std::to_string(graph_->num_ops());
        graph_->add_op(std::move(copy));
      }
      for (const model::OpEdge& e : inner) graph_->add_edge(e.from + offset, e.to + offset, e.bytes);
      out.emplace_back(first.first + offset, first.second + offset);
    }
    return out;
  }

  /// Branches without a common fork (several sources) or without a common join (several sinks).
  void open_top(int n, bool with_join) {
    std::vector<std::pair<OpId, OpId>> branches = split(n - 1);
    const OpId end = add();
    for (const auto& [entry, exit] : branches) {
      if (with_join) {
        connect(exit, end);
      } else {
        connect(end, entry);
      }
    }
  }

  OpId add() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double fw = 0.05 + 2.0 * u(rng_);
    model::Op op = measured("op" + std::to_string(graph_->num_ops()), fw, fw * (1.0 + 1.5 * u(rng_)));
    op.activation_bytes = core::Bytes(u(rng_) < 0.2 ? 0.0 : 32e6 * u(rng_));
    if (mirror_) op.activation_bytes = core::Bytes(std::floor(op.activation_bytes.value()));
    op.stashed_bytes = core::Bytes(200e6 * u(rng_));
    op.parameter_bytes = core::Bytes(u(rng_) < 0.3 ? 0.0 : 800e6 * u(rng_));
    return graph_->add_op(std::move(op));
  }

  void connect(OpId a, OpId b) { graph_->add_edge(a, b, graph_->op(a).activation_bytes); }

  std::mt19937_64 rng_;
  bool mirror_ = false;
  model::OpGraph* graph_ = nullptr;
};

/// Total static memory (fp32 Adam: 4x weight bytes) and the largest op's.
std::pair<double, double> static_memory(const model::OpGraph& g) {
  double total = 0.0;
  double largest = 0.0;
  for (OpId op = 0; op < g.num_ops(); ++op) {
    const double s = 4.0 * g.op(op).parameter_bytes.value();
    total += s;
    largest = std::max(largest, s);
  }
  return {total, largest};
}

/// Counts of a batch of GraphPipe-against-brute-force trials.
struct MatchCounts {
  int feasible = 0;
  int tight = 0;      ///< trials whose memory limit is below the total static memory
  int symmetric = 0;  ///< trials with interchangeable subtrees
};

// GraphPipe against brute force on `trials` random SP graphs of 3-10 ops, 1-4 devices, half of
// them with a memory limit near the largest op's static memory.
MatchCounts match_random_graphs(std::uint64_t seed, int trials, bool mirror) {
  std::mt19937_64 rng(seed);
  MatchCounts counts;
  int& feasible = counts.feasible;
  int& tight = counts.tight;
  for (int trial = 0; trial < trials; ++trial) {
    const int ops = 3 + static_cast<int>(rng() % 8);
    model::Model m = RandomSp(rng(), mirror).build(ops);
    const int devices = 1 + static_cast<int>(rng() % 4);
    const bool two_nodes = devices == 4 && rng() % 2 == 0;
    World w(std::move(m), two_nodes ? cluster_of(2, 2) : cluster_of(1, devices), 8, {1, 2, 4, 8});
    const auto [total, largest] = static_memory(w.model.graph);
    if (rng() % 2 == 0) {
      std::uniform_real_distribution<double> u(1.0, 3.0);
      w.settings.memory_limit = core::Bytes(largest * u(rng) + 1e9 * u(rng));
      tight += w.settings.memory_limit->value() < total ? 1 : 0;
    }
    const std::vector<int> canon =
        interchangeable_nodes(decompose_series_parallel(w.model.graph), StageEstimator(w.request()));
    for (std::size_t v = 0; v < canon.size(); ++v) {
      if (canon[v] != static_cast<int>(v)) {
        ++counts.symmetric;
        break;
      }
    }
    const PlanResult ex = ExhaustivePlanner().plan(w.request());
    const PlanResult gp = GraphPipePlanner().plan(w.request());
    EXPECT_EQ(gp.feasible, ex.feasible) << "trial " << trial << ": " << gp.reason << " / " << ex.reason;
    if (!ex.feasible || !gp.feasible) continue;
    ++feasible;
    EXPECT_GE(gp.objective_s, ex.objective_s * (1.0 - 1e-12)) << "trial " << trial;
    EXPECT_LE(gp.objective_s, ex.objective_s * (1.0 + w.settings.epsilon) * (1.0 + 1e-12)) << "trial " << trial;
    // The DP's own stage graph is priced and checked the same way.
    const StrategyFigures f = evaluate_strategy(StageEstimator(w.request()), *gp.strategy);
    EXPECT_TRUE(f.fits) << "trial " << trial;
    EXPECT_DOUBLE_EQ(f.objective.value(), gp.objective_s);
  }
  return counts;
}

// The DP equals brute force over the same space on 240 random SP graphs.
TEST(ExhaustivePlanner, GraphPipeMatchesOnRandomSpGraphs) {
  const MatchCounts c = match_random_graphs(2024, 240, false);
  EXPECT_GE(c.feasible, 150);
  EXPECT_GE(c.tight, 40);
}

// Where branches repeat, the DP answers interchangeable subtrees from one memo entry and one
// set of candidate stages (sp_symmetry.h); brute force prices every stage of its own.
TEST(ExhaustivePlanner, GraphPipeMatchesOnRandomGraphsWithRepeatedBranches) {
  const MatchCounts c = match_random_graphs(77, 240, true);
  EXPECT_GE(c.feasible, 150);
  EXPECT_GE(c.tight, 40);
  EXPECT_GE(c.symmetric, 50);
}

// Non-SP DAGs go through the linearising fix-up, where the DP may overestimate in-flight counts
// (graphpipe.md): its plans stay valid and never beat brute force over the same space.
TEST(ExhaustivePlanner, GraphPipeStaysValidOnRandomDags) {
  std::mt19937_64 rng(77);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int linearised = 0;
  for (int trial = 0; trial < 60; ++trial) {
    model::Model m;
    const auto n = static_cast<OpId>(3 + rng() % 7);
    for (OpId i = 0; i < n; ++i) {
      model::Op op = measured("op" + std::to_string(i), 0.1 + u(rng), 0.1 + u(rng));
      op.activation_bytes = core::Bytes(16e6 * u(rng));
      op.stashed_bytes = core::Bytes(100e6 * u(rng));
      op.parameter_bytes = core::Bytes(500e6 * u(rng));
      m.graph.add_op(std::move(op));
    }
    for (OpId a = 0; a < n; ++a) {
      for (OpId b = a + 1; b < n; ++b) {
        if (u(rng) < 0.35) m.graph.add_edge(a, b, m.graph.op(a).activation_bytes);
      }
    }
    linearised += decompose_series_parallel(m.graph).linearized.empty() ? 0 : 1;
    World w(std::move(m), cluster_of(1, 1 + static_cast<int>(rng() % 4)), 8, {1, 2, 4});
    w.settings.memory_limit = core::Bytes(4e9);
    const PlanResult ex = ExhaustivePlanner().plan(w.request());
    const PlanResult gp = GraphPipePlanner().plan(w.request());
    if (!gp.feasible) continue;
    ASSERT_TRUE(ex.feasible) << "trial " << trial;
    EXPECT_GE(gp.objective_s, ex.objective_s * (1.0 - 1e-12)) << "trial " << trial;
    const StrategyFigures f = evaluate_strategy(StageEstimator(w.request()), *gp.strategy);
    EXPECT_TRUE(f.fits) << "trial " << trial;
    (void)gp.strategy->topological_order();  // a stage DAG
  }
  EXPECT_GE(linearised, 10);
}

}  // namespace
}  // namespace gppsim::plan
