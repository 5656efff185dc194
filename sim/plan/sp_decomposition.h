#pragma once
// Series-parallel decomposition of an operator graph (METHODS.md §2), the search space of the
// GraphPipe planner and of the exhaustive planner. Rules and reasons: sim/plan/graphpipe.md.
//
// The tree partitions the ops: every op is in exactly one leaf.
//  - A series node lists its children upstream first. Every child is a leaf or a parallel node
//    (nested series are flattened), and a parallel child always sits between two leaves (its
//    fork and join) unless it is the first or last child.
//  - A parallel node's children are the weakly connected components of a junction-free piece;
//    each is a leaf or a series node; they are ordered by their smallest op id.
//  - Junction ownership: a junction op (one that every other op of its component reaches or is
//    reached from) is a leaf child of the series node of its own; the tree gives it to neither
//    side. The planners cut a series between any two consecutive children, so a plan may place
//    the junction with the upstream part, with the downstream part, or alone.
//  - Several sources or sinks need no virtual op: a weakly disconnected graph is a parallel root
//    and ops before the first junction form the series' first child.
//  - Non-SP fix-up: a connected piece without a junction (the "N" graph a->c, a->d, b->d) is
//    linearised: its ops become consecutive leaves of the enclosing series in the graph's
//    topological order (OpGraph::topological_order, smallest id first). The piece is recorded in
//    SpTree::linearized.

#include <cstddef>
#include <vector>

#include "sim/model/op_graph.h"

namespace gppsim::plan {

/// Kind of a decomposition-tree node.
enum class SpKind { kLeaf, kSeries, kParallel };

/// One node of the decomposition tree.
struct SpNode {
  SpKind kind = SpKind::kLeaf;
  model::OpId op = 0;            ///< the op of a leaf (unused otherwise)
  std::vector<int> children;     ///< node indices: series upstream first, parallel by smallest op id
  std::vector<model::OpId> ops;  ///< every op of the subtree, ascending
};

/// A decomposition tree; nodes[root] covers every op of the graph.
struct SpTree {
  std::vector<SpNode> nodes;
  int root = -1;
  /// Op sets that the non-SP fix-up linearised (each ascending), in the order they were found.
  std::vector<std::vector<model::OpId>> linearized;

  /// The units a planner cuts a node into: a series node's children, or the node itself for a
  /// leaf or a parallel node (a one-element sequence).
  [[nodiscard]] std::vector<int> sequence(int node) const;
  /// Number of elements of sequence(node).
  [[nodiscard]] int sequence_length(int node) const;
  /// Element `index` of sequence(node).
  [[nodiscard]] int sequence_at(int node, int index) const;
};

/// Decomposes a non-empty DAG. Deterministic: equal graphs give equal trees.
SpTree decompose_series_parallel(const model::OpGraph& graph);

}  // namespace gppsim::plan
