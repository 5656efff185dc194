#include "sim/model/op_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sim/core/errors.h"

namespace gppsim::model {
namespace {

using ::testing::ElementsAre;

Op named(std::string name) {
  Op op;
  op.name = std::move(name);
  return op;
}

// Four ops a(0) b(1) c(2) d(3) with edges d->a and c->b.
OpGraph crossed() {
  OpGraph g;
  for (const char* n : {"a", "b", "c", "d"}) g.add_op(named(n));
  g.add_edge(3, 0, core::Bytes(7.0));
  g.add_edge(2, 1, core::Bytes(5.0));
  return g;
}

TEST(OpGraph, IdsFollowInsertionAndNamesAreFound) {
  const OpGraph g = crossed();
  EXPECT_EQ(g.num_ops(), 4u);
  EXPECT_EQ(g.num_edges(), 2u);
  EXPECT_EQ(g.find("c"), OpId{2});
  EXPECT_EQ(g.find("zz"), std::nullopt);
  EXPECT_EQ(g.op(3).name, "d");
  EXPECT_TRUE(g.has_edge(3, 0));
  EXPECT_FALSE(g.has_edge(0, 3));
}

TEST(OpGraph, TopologicalOrderTakesSmallestReadyIdFirst) {
  // Ready at start: {c=2, d=3}. Take 2; b=1 becomes ready -> {1, 3}. Take 1, then 3 (makes
  // a=0 ready), then 0. Expected [2, 1, 3, 0].
  const OpGraph g = crossed();
  EXPECT_THAT(g.topological_order(), ElementsAre(2u, 1u, 3u, 0u));
  // Same construction, same order.
  EXPECT_EQ(crossed().topological_order(), g.topological_order());
}

TEST(OpGraph, SourcesAndSinksAscending) {
  // Sources: ops without in-edges = c, d; sinks: ops without out-edges = a, b.
  const OpGraph g = crossed();
  EXPECT_THAT(g.sources(), ElementsAre(2u, 3u));
  EXPECT_THAT(g.sinks(), ElementsAre(0u, 1u));
}

TEST(OpGraph, EdgesListedBySourceOpThenInsertion) {
  OpGraph g;
  for (const char* n : {"x", "y", "z"}) g.add_op(named(n));
  g.add_edge(1, 2, core::Bytes(3.0));
  g.add_edge(0, 2, core::Bytes(1.0));
  g.add_edge(0, 1, core::Bytes(2.0));
  const auto edges = g.edges();
  ASSERT_EQ(edges.size(), 3u);
  // Source 0 first (its edges in insertion order: 0->2 then 0->1), then source 1.
  EXPECT_EQ(edges[0].from, 0u);
  EXPECT_EQ(edges[0].to, 2u);
  EXPECT_EQ(edges[0].bytes, core::Bytes(1.0));
  EXPECT_EQ(edges[1].to, 1u);
  EXPECT_EQ(edges[2].from, 1u);
  EXPECT_EQ(edges[2].bytes, core::Bytes(3.0));
  EXPECT_THAT(g.successors(0), ElementsAre(2u, 1u));
  EXPECT_THAT(g.predecessors(2), ElementsAre(1u, 0u));
}

TEST(OpGraph, FindCycleReturnsClosedThreeCycle) {
  OpGraph g;
  for (const char* n : {"a", "b", "c"}) g.add_op(named(n));
  g.add_edge(0, 1, core::Bytes(1.0));
  g.add_edge(1, 2, core::Bytes(1.0));
  g.add_edge(2, 0, core::Bytes(1.0));
  const auto cycle = g.find_cycle();
  ASSERT_TRUE(cycle.has_value());
  // Three distinct ops plus the first repeated at the end.
  ASSERT_EQ(cycle->size(), 4u);
  EXPECT_EQ(cycle->front(), cycle->back());
  for (std::size_t i = 0; i + 1 < cycle->size(); ++i) {
    EXPECT_TRUE(g.has_edge((*cycle)[i], (*cycle)[i + 1])) << "step " << i;
  }
  EXPECT_THROW((void)g.topological_order(), core::InternalError);
}

TEST(OpGraph, DagHasNoCycle) { EXPECT_EQ(crossed().find_cycle(), std::nullopt); }

TEST(OpGraph, DuplicateNameIsInternalError) {
  OpGraph g;
  g.add_op(named("a"));
  EXPECT_THROW(g.add_op(named("a")), core::InternalError);
}

TEST(OpGraph, BadEdgesAreInternalErrors) {
  OpGraph g;
  g.add_op(named("a"));
  g.add_op(named("b"));
  g.add_edge(0, 1, core::Bytes(1.0));
  EXPECT_THROW(g.add_edge(0, 1, core::Bytes(1.0)), core::InternalError);  // duplicate
  EXPECT_THROW(g.add_edge(1, 1, core::Bytes(1.0)), core::InternalError);  // self-loop
  EXPECT_THROW(g.add_edge(0, 5, core::Bytes(1.0)), core::InternalError);  // out of range
}

}  // namespace
}  // namespace gppsim::model
