#include "sim/plan/sp_symmetry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plan_world.h"

namespace gppsim::plan {
namespace {

using model::OpId;
using testing::World;

model::Op measured(const std::string& name, double fw_ms, double bw_ms, double params) {
  model::Op op;
  op.name = name;
  op.measured = model::MeasuredTimes{core::Seconds(fw_ms * 1e-3), core::Seconds(bw_ms * 1e-3)};
  op.parameter_bytes = core::Bytes(params);
  op.stashed_bytes = core::Bytes(1e6);
  return op;
}

/// fork -> three branches (a -> b each) -> join; `edit` may change the graph before it is used.
struct Fork3 {
  explicit Fork3(double inner_bytes = 4e6, double third_inner_bytes = 4e6, double third_b_bw = 2.0) {
    model::Model m;
    m.name = "fork3";
    const OpId fork = m.graph.add_op(measured("fork", 0.1, 0.1, 0.0));
    std::vector<std::pair<OpId, OpId>> ends;
    for (int c = 0; c < 3; ++c) {
      const OpId a = m.graph.add_op(measured("a" + std::to_string(c), 1.0, 2.0, 1e6));
      const OpId b = m.graph.add_op(measured("b" + std::to_string(c), 1.5, c == 2 ? third_b_bw : 2.0, 2e6));
      m.graph.add_edge(fork, a, core::Bytes(8e6));
      m.graph.add_edge(a, b, core::Bytes(c == 2 ? third_inner_bytes : inner_bytes));
      ends.emplace_back(a, b);
    }
    const OpId join = m.graph.add_op(measured("join", 0.2, 0.2, 0.0));
    for (const auto& [a, b] : ends) m.graph.add_edge(b, join, core::Bytes(4e6));
    hw::ClusterSpec c = *hw::find_cluster_preset("summit");
    c.nodes = 1;
    c.gpus_per_node = 4;
    world = std::make_unique<World>(std::move(m), c, 16, std::vector<std::int64_t>{1, 2, 4});
    tree = decompose_series_parallel(world->model.graph);
    canon = interchangeable_nodes(tree, StageEstimator(world->request()));
  }
  /// The node of branch c (a series node of a and b).
  [[nodiscard]] int branch(int c) const {
    const SpNode& root = tree.nodes[static_cast<std::size_t>(tree.root)];
    const SpNode& par = tree.nodes[static_cast<std::size_t>(root.children.at(1))];
    return par.children.at(static_cast<std::size_t>(c));
  }
  [[nodiscard]] int of(int node) const { return canon.at(static_cast<std::size_t>(node)); }

  std::unique_ptr<World> world;
  SpTree tree;
  std::vector<int> canon;
};

TEST(InterchangeableNodes, CopiesOfABranchShareTheSmallestIndex) {
  const Fork3 f;
  const int first = std::min({f.branch(0), f.branch(1), f.branch(2)});
  for (int c = 0; c < 3; ++c) EXPECT_EQ(f.of(f.branch(c)), first) << "branch " << c;
  // The fork, the join and the parallel node have no twin.
  const SpNode& root = f.tree.nodes[static_cast<std::size_t>(f.tree.root)];
  for (const int child : root.children) EXPECT_EQ(f.of(child), child);
  EXPECT_EQ(f.of(f.tree.root), f.tree.root);
}

TEST(InterchangeableNodes, ADifferentCostSplitsTheClass) {
  const Fork3 f(4e6, 4e6, 2.5);  // b2's backward takes 2.5 ms, not 2
  EXPECT_EQ(f.of(f.branch(1)), f.of(f.branch(0)));
  EXPECT_EQ(f.of(f.branch(2)), f.branch(2));
}

TEST(InterchangeableNodes, ADifferentInnerEdgeSplitsTheClass) {
  const Fork3 f(4e6, 6e6);  // a2 -> b2 carries 6 MB, not 4
  EXPECT_EQ(f.of(f.branch(1)), f.of(f.branch(0)));
  EXPECT_EQ(f.of(f.branch(2)), f.branch(2));
}

TEST(InterchangeableNodes, FractionalEdgeBytesNeverMatch) {
  const Fork3 f(4e6 + 0.5, 4e6 + 0.5);  // sums of such bytes could round differently by order
  for (int c = 0; c < 3; ++c) EXPECT_EQ(f.of(f.branch(c)), f.branch(c)) << "branch " << c;
}

}  // namespace
}  // namespace gppsim::plan
