#include "sim/plan/sp_decomposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/model/zoo.h"

namespace gppsim::plan {
namespace {

using ::testing::ElementsAre;
using model::OpId;

/// A graph of `n` ops "o0".."o{n-1}" joined by `edges`.
model::OpGraph graph_of(std::size_t n, const std::vector<std::pair<OpId, OpId>>& edges) {
  model::OpGraph g;
  for (std::size_t i = 0; i < n; ++i) {
    model::Op op;
    op.name = "o" + std::to_string(i);
    g.add_op(op);
  }
  for (const auto& [a, b] : edges) g.add_edge(a, b, core::Bytes(1.0));
  return g;
}

const SpNode& node(const SpTree& t, int i) { return t.nodes.at(static_cast<std::size_t>(i)); }

/// A compact rendering: leaves by op id, S(...) series, P(...) parallel.
std::string render(const SpTree& t, int i) {
  const SpNode& n = node(t, i);
  if (n.kind == SpKind::kLeaf) return std::to_string(n.op);
  std::string out = n.kind == SpKind::kSeries ? "S(" : "P(";
  for (std::size_t c = 0; c < n.children.size(); ++c) {
    if (c > 0) out += ",";
    out += render(t, n.children[c]);
  }
  return out + ")";
}

std::string render(const SpTree& t) { return render(t, t.root); }

TEST(SpDecomposition, SingleOpIsALeaf) {
  const SpTree t = decompose_series_parallel(graph_of(1, {}));
  EXPECT_EQ(render(t), "0");
  EXPECT_THAT(t.sequence(t.root), ElementsAre(t.root));
}

TEST(SpDecomposition, ChainIsASeriesOfLeavesInOrder) {
  const SpTree t = decompose_series_parallel(graph_of(4, {{0, 1}, {1, 2}, {2, 3}}));
  EXPECT_EQ(render(t), "S(0,1,2,3)");
  EXPECT_TRUE(t.linearized.empty());
}

// Junction ownership: the fork 0 and the join 3 are leaf children of the series, outside the
// parallel node, so neither the upstream nor the downstream part owns them in the tree.
TEST(SpDecomposition, DiamondJunctionsAreTheirOwnSeriesChildren) {
  const SpTree t = decompose_series_parallel(graph_of(4, {{0, 1}, {0, 2}, {1, 3}, {2, 3}}));
  EXPECT_EQ(render(t), "S(0,P(1,2),3)");
  const SpNode& root = node(t, t.root);
  EXPECT_THAT(node(t, root.children[1]).ops, ElementsAre(1, 2));
  EXPECT_THAT(root.ops, ElementsAre(0, 1, 2, 3));
}

TEST(SpDecomposition, ParallelChildrenAreOrderedBySmallestOpId) {
  // Branch through op 4 is added first as a successor of 0, but branch {1, 2} has the smaller id.
  const SpTree t = decompose_series_parallel(graph_of(5, {{0, 4}, {0, 1}, {1, 2}, {4, 3}, {2, 3}}));
  EXPECT_EQ(render(t), "S(0,P(S(1,2),4),3)");
}

TEST(SpDecomposition, NestedBlocks) {
  // 0 -> {1 -> {2, 3} -> 4, 5} -> 6
  const SpTree t =
      decompose_series_parallel(graph_of(7, {{0, 1}, {0, 5}, {1, 2}, {1, 3}, {2, 4}, {3, 4}, {4, 6}, {5, 6}}));
  EXPECT_EQ(render(t), "S(0,P(S(1,P(2,3),4),5),6)");
}

TEST(SpDecomposition, SeveralSourcesOrSinksNeedNoVirtualOp) {
  EXPECT_EQ(render(decompose_series_parallel(graph_of(3, {{0, 2}, {1, 2}}))), "S(P(0,1),2)");
  EXPECT_EQ(render(decompose_series_parallel(graph_of(3, {{0, 1}, {0, 2}}))), "S(0,P(1,2))");
  EXPECT_EQ(render(decompose_series_parallel(graph_of(4, {{0, 1}, {2, 3}}))), "P(S(0,1),S(2,3))");
}

TEST(SpDecomposition, SkipEdgesKeepTheSeries) {
  // Residual 0 -> 1 -> 2 with 0 -> 2; a block with a direct fork -> join edge.
  EXPECT_EQ(render(decompose_series_parallel(graph_of(3, {{0, 1}, {1, 2}, {0, 2}}))), "S(0,1,2)");
  EXPECT_EQ(render(decompose_series_parallel(graph_of(4, {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {0, 3}}))),
            "S(0,P(1,2),3)");
}

// The N graph 0->2, 0->3, 1->3 has no junction: it is linearised in Kahn order 0, 1, 2, 3.
TEST(SpDecomposition, NGraphIsLinearised) {
  const SpTree t = decompose_series_parallel(graph_of(4, {{0, 2}, {0, 3}, {1, 3}}));
  EXPECT_EQ(render(t), "S(0,1,2,3)");
  ASSERT_EQ(t.linearized.size(), 1U);
  EXPECT_THAT(t.linearized[0], ElementsAre(0, 1, 2, 3));
}

// Only the offending piece is linearised: x=0 -> N(1..4) -> y=5 keeps x and y as junctions and
// flattens the piece into the same series (Kahn order of the piece: 1, 2, 3, 4).
TEST(SpDecomposition, NGraphBetweenJunctionsIsLinearisedInPlace) {
  const SpTree t =
      decompose_series_parallel(graph_of(6, {{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 4}, {3, 5}, {4, 5}}));
  EXPECT_EQ(render(t), "S(0,1,2,3,4,5)");
  ASSERT_EQ(t.linearized.size(), 1U);
  EXPECT_THAT(t.linearized[0], ElementsAre(1, 2, 3, 4));
}

TEST(SpDecomposition, MmtIsInputBranchesConcat) {
  const model::Model m = model::build_zoo_model(model::MmtArgs{}, core::Dtype::kFp32);
  const SpTree t = decompose_series_parallel(m.graph);
  const SpNode& root = node(t, t.root);
  ASSERT_EQ(root.kind, SpKind::kSeries);
  ASSERT_EQ(root.children.size(), 3U);
  EXPECT_EQ(node(t, root.children[0]).op, *m.graph.find("input"));
  EXPECT_EQ(node(t, root.children[2]).op, *m.graph.find("concat"));
  const SpNode& par = node(t, root.children[1]);
  ASSERT_EQ(par.kind, SpKind::kParallel);
  ASSERT_EQ(par.children.size(), 4U);  // 4 branches of 8 layers x (attn, ffn1, ffn2)
  for (const int c : par.children) {
    EXPECT_EQ(node(t, c).kind, SpKind::kSeries);
    EXPECT_EQ(node(t, c).children.size(), 24U);
  }
  EXPECT_EQ(node(t, node(t, par.children[0]).children[0]).op, *m.graph.find("b0.l0.attn"));
  EXPECT_TRUE(t.linearized.empty());
}

TEST(SpDecomposition, DlrmHasDenseStacksBagsThenTopLayers) {
  const model::Model m = model::build_zoo_model(model::DlrmArgs{}, core::Dtype::kFp32);
  const SpTree t = decompose_series_parallel(m.graph);
  const SpNode& root = node(t, t.root);
  // input, P(7 dense stacks + 7 bags), concat, top0..top3
  ASSERT_EQ(root.children.size(), 7U);
  const SpNode& par = node(t, root.children[1]);
  ASSERT_EQ(par.children.size(), 14U);
  for (std::size_t c = 0; c < 7; ++c) EXPECT_EQ(node(t, par.children[c]).children.size(), 4U);
  for (std::size_t c = 7; c < 14; ++c) EXPECT_EQ(node(t, par.children[c]).kind, SpKind::kLeaf);
  EXPECT_EQ(node(t, root.children[6]).op, *m.graph.find("top3"));
}

TEST(SpDecomposition, ZooCaseStudyAndCandleAreSp) {
  for (const model::ZooArgs& args : {model::ZooArgs{model::TwoBranchArgs{}}, model::ZooArgs{model::CandleUnoArgs{}}}) {
    const SpTree t = decompose_series_parallel(model::build_zoo_model(args, core::Dtype::kFp32).graph);
    EXPECT_TRUE(t.linearized.empty());
    EXPECT_EQ(node(t, node(t, t.root).children[1]).kind, SpKind::kParallel);
  }
}

TEST(SpDecomposition, RejectsEmptyGraph) {
  EXPECT_THROW((void)decompose_series_parallel(model::OpGraph{}), core::InternalError);
}

/// Checks the documented tree invariants and that leaves partition the ops.
void check_invariants(const SpTree& t, std::size_t num_ops) {
  std::vector<int> seen(num_ops, 0);
  for (const SpNode& n : t.nodes) {
    if (n.kind == SpKind::kLeaf) {
      ++seen[n.op];
      continue;
    }
    ASSERT_GE(n.children.size(), 2U);
    for (std::size_t c = 0; c < n.children.size(); ++c) {
      const SpNode& child = node(t, n.children[c]);
      if (n.kind == SpKind::kSeries) {
        ASSERT_NE(child.kind, SpKind::kSeries) << "series children are flattened";
        if (child.kind == SpKind::kParallel && c > 0) {
          EXPECT_EQ(node(t, n.children[c - 1]).kind, SpKind::kLeaf);
        }
        if (child.kind == SpKind::kParallel && c + 1 < n.children.size()) {
          EXPECT_EQ(node(t, n.children[c + 1]).kind, SpKind::kLeaf);
        }
      } else {
        ASSERT_NE(child.kind, SpKind::kParallel) << "parallel children are components";
      }
    }
  }
  for (std::size_t op = 0; op < num_ops; ++op) EXPECT_EQ(seen[op], 1) << "op " << op;
  EXPECT_EQ(node(t, t.root).ops.size(), num_ops);
}

TEST(SpDecomposition, RandomDagsGiveValidDeterministicTrees) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t n = 1 + rng() % 12;
    std::vector<std::pair<OpId, OpId>> edges;
    for (OpId a = 0; a < n; ++a) {
      for (OpId b = a + 1; b < n; ++b) {
        if (rng() % 4 == 0) edges.emplace_back(a, b);
      }
    }
    const model::OpGraph g = graph_of(n, edges);
    const SpTree t = decompose_series_parallel(g);
    check_invariants(t, n);
    EXPECT_EQ(render(t), render(decompose_series_parallel(g)));
  }
}

}  // namespace
}  // namespace gppsim::plan
