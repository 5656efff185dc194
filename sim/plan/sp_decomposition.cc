#include "sim/plan/sp_decomposition.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::plan {
namespace {

using model::OpId;

/// Reachability inside an op set, as bitsets over the set's local indices.
class LocalReach {
 public:
  LocalReach(const model::OpGraph& graph, const std::vector<OpId>& set, const std::vector<int>& local)
      : words_((set.size() + 63) / 64), desc_(set.size(), std::vector<std::uint64_t>(words_, 0)) {
    // `set` is in topological order, so walking it backwards sees successors first.
    for (std::size_t i = set.size(); i-- > 0;) {
      for (const OpId s : graph.successors(set[i])) {
        const int j = local[s];
        if (j < 0) continue;
        desc_[i][static_cast<std::size_t>(j) / 64] |= std::uint64_t{1} << (static_cast<std::size_t>(j) % 64);
        for (std::size_t w = 0; w < words_; ++w) desc_[i][w] |= desc_[static_cast<std::size_t>(j)][w];
      }
    }
  }

  /// Local indices comparable with every other member (reach it or are reached from it).
  [[nodiscard]] std::vector<std::size_t> junctions() const {
    const std::size_t n = desc_.size();
    std::vector<std::size_t> related(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t w = 0; w < words_; ++w) {
        related[i] += static_cast<std::size_t>(std::popcount(desc_[i][w]));
        for (std::uint64_t bits = desc_[i][w]; bits != 0; bits &= bits - 1) {
          ++related[w * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
        }
      }
    }
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < n; ++i) {
      if (related[i] + 1 == n) out.push_back(i);
    }
    return out;
  }

 private:
  std::size_t words_;
  std::vector<std::vector<std::uint64_t>> desc_;
};

class Decomposer {
 public:
  explicit Decomposer(const model::OpGraph& graph) : graph_(graph) {}

  SpTree run() {
    std::vector<OpId> all = graph_.topological_order();
    tree_.root = decompose(all);
    return std::move(tree_);
  }

 private:
  /// `set` is in topological order and non-empty.
  int decompose(const std::vector<OpId>& set) {
    if (set.size() == 1) return add_leaf(set.front());
    std::vector<std::vector<OpId>> parts = components(set);
    if (parts.size() == 1) return series(set);
    std::vector<int> children;
    for (const std::vector<OpId>& part : parts) children.push_back(decompose(part));
    return add_inner(SpKind::kParallel, std::move(children));
  }

  /// Weakly connected components of the induced subgraph, each in topological order, ordered
  /// by smallest op id.
  std::vector<std::vector<OpId>> components(const std::vector<OpId>& set) const {
    std::vector<int> local = local_index(set);
    std::vector<std::size_t> parent(set.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    auto find = [&parent](std::size_t v) {
      while (parent[v] != v) v = parent[v] = parent[parent[v]];
      return v;
    };
    for (std::size_t i = 0; i < set.size(); ++i) {
      for (const OpId s : graph_.successors(set[i])) {
        if (local[s] >= 0) parent[find(i)] = find(static_cast<std::size_t>(local[s]));
      }
    }
    std::vector<std::vector<OpId>> parts;
    std::vector<int> part_of_root(set.size(), -1);
    for (std::size_t i = 0; i < set.size(); ++i) {
      const std::size_t r = find(i);
      if (part_of_root[r] < 0) {
        part_of_root[r] = static_cast<int>(parts.size());
        parts.emplace_back();
      }
      parts[static_cast<std::size_t>(part_of_root[r])].push_back(set[i]);
    }
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
      return *std::min_element(a.begin(), a.end()) < *std::min_element(b.begin(), b.end());
    });
    return parts;
  }

  /// A connected set: split at its junctions, or linearise it when it has none.
  int series(const std::vector<OpId>& set) {
    const std::vector<int> local = local_index(set);
    const std::vector<std::size_t> junctions = LocalReach(graph_, set, local).junctions();
    std::vector<int> children;
    if (junctions.empty()) {
      tree_.linearized.push_back(sorted(set));
      for (const OpId op : set) children.push_back(add_leaf(op));
      return add_inner(SpKind::kSeries, std::move(children));
    }
    // In a topological order every op before a junction is its ancestor, so the pieces between
    // consecutive junctions are contiguous runs of `set`.
    std::vector<OpId> piece;
    std::size_t next = 0;
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (next < junctions.size() && junctions[next] == i) {
        append_piece(piece, children);
        children.push_back(add_leaf(set[i]));
        ++next;
      } else {
        piece.push_back(set[i]);
      }
    }
    append_piece(piece, children);
    return add_inner(SpKind::kSeries, std::move(children));
  }

  /// Decomposes a piece between junctions and appends it, flattening a linearised series.
  void append_piece(std::vector<OpId>& piece, std::vector<int>& children) {
    if (piece.empty()) return;
    const int node = decompose(piece);
    piece.clear();
    const SpNode& n = tree_.nodes[static_cast<std::size_t>(node)];
    if (n.kind == SpKind::kSeries) {
      children.insert(children.end(), n.children.begin(), n.children.end());
    } else {
      children.push_back(node);
    }
  }

  std::vector<int> local_index(const std::vector<OpId>& set) const {
    std::vector<int> local(graph_.num_ops(), -1);
    for (std::size_t i = 0; i < set.size(); ++i) local[set[i]] = static_cast<int>(i);
    return local;
  }

  static std::vector<OpId> sorted(std::vector<OpId> ops) {
    std::sort(ops.begin(), ops.end());
    return ops;
  }

  int add_leaf(OpId op) {
    SpNode n;
    n.kind = SpKind::kLeaf;
    n.op = op;
    n.ops = {op};
    tree_.nodes.push_back(std::move(n));
    return static_cast<int>(tree_.nodes.size()) - 1;
  }

  int add_inner(SpKind kind, std::vector<int> children) {
    GPPSIM_CHECK(children.size() >= 2, "an inner SP node needs at least two children");
    SpNode n;
    n.kind = kind;
    for (const int c : children) {
      const auto& ops = tree_.nodes[static_cast<std::size_t>(c)].ops;
      n.ops.insert(n.ops.end(), ops.begin(), ops.end());
    }
    n.ops = sorted(std::move(n.ops));
    n.children = std::move(children);
    tree_.nodes.push_back(std::move(n));
    return static_cast<int>(tree_.nodes.size()) - 1;
  }

  const model::OpGraph& graph_;
  SpTree tree_;
};

}  // namespace

std::vector<int> SpTree::sequence(int node) const {
  const SpNode& n = nodes.at(static_cast<std::size_t>(node));
  if (n.kind == SpKind::kSeries) return n.children;
  return {node};
}

int SpTree::sequence_length(int node) const {
  const SpNode& n = nodes.at(static_cast<std::size_t>(node));
  return n.kind == SpKind::kSeries ? static_cast<int>(n.children.size()) : 1;
}

int SpTree::sequence_at(int node, int index) const {
  const SpNode& n = nodes.at(static_cast<std::size_t>(node));
  if (n.kind != SpKind::kSeries) {
    GPPSIM_CHECK(index == 0, fmt::format("index {} into a one-element sequence", index));
    return node;
  }
  return n.children.at(static_cast<std::size_t>(index));
}

SpTree decompose_series_parallel(const model::OpGraph& graph) {
  GPPSIM_CHECK(graph.num_ops() > 0, "cannot decompose an empty op graph");
  GPPSIM_CHECK(!graph.find_cycle().has_value(), "cannot decompose a graph with a cycle");
  return Decomposer(graph).run();
}

}  // namespace gppsim::plan
