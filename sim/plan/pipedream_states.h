#pragma once
// The states of PipeDream's partitioning DP (../shared/reference/METHODS.md §3, semantics in
// sim/plan/pipedream.md): the antichain DAG of the op graph as the published optimizer builds
// it (msr-fiddle/pipedream graph/graph.py, Graph.antichain_dag), or, when that explodes on
// branchy models, the prefixes of one topological order.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/model/op_graph.h"

namespace gppsim::plan::pipedream_detail {

/// A set of integers in [0, size), stored as bits. Iteration is ascending.
class Bitset {
 public:
  Bitset() = default;
  /// The empty set over [0, size).
  explicit Bitset(std::size_t size);

  /// Adds i (< size()).
  void set(std::size_t i);
  /// True when i (< size()) is a member.
  [[nodiscard]] bool test(std::size_t i) const;
  /// The universe size given at construction.
  [[nodiscard]] std::size_t size() const { return size_; }
  /// Number of members.
  [[nodiscard]] std::size_t count() const;
  /// Union with a set of the same size.
  Bitset& operator|=(const Bitset& other);
  /// True when the two sets (of the same size) share a member.
  [[nodiscard]] bool intersects(const Bitset& other) const;
  friend bool operator==(const Bitset&, const Bitset&) = default;

  /// Raw 64-bit words (bit i of the set is bit i % 64 of word i / 64); for hot loops.
  [[nodiscard]] const std::uint64_t* words() const { return words_.data(); }
  [[nodiscard]] std::size_t num_words() const { return words_.size(); }

  /// Calls f(i) for every member i, ascending.
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t w = 0; w < words_.size(); ++w) visit_word(w, words_[w], f);
  }
  /// Calls f(i) for every member of both this set and `other` (same size), ascending.
  template <typename F>
  void for_each_common(const Bitset& other, F&& f) const {
    for (std::size_t w = 0; w < words_.size(); ++w) visit_word(w, words_[w] & other.words_[w], f);
  }

 private:
  template <typename F>
  static void visit_word(std::size_t w, std::uint64_t bits, F& f) {
    while (bits != 0) {
      f(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
      bits &= bits - 1;
    }
  }

  std::vector<std::uint64_t> words_;
  std::size_t size_ = 0;
};

/// The ops the optimizer partitions, and those it sets aside as the published main() does:
/// sources whose description starts with `Input` are removed first, then sinks (of what is
/// left) whose description starts with `__getitem__`.
struct OpSelection {
  std::vector<model::OpId> kept;      ///< ascending OpId; an op's local index is its position
  std::vector<model::OpId> inputs;    ///< removed Input sources: they join the first stage
  std::vector<model::OpId> getitems;  ///< removed __getitem__ sinks: they join the last stage
};

/// Splits the ops of `graph` as described on OpSelection.
OpSelection select_ops(const model::OpGraph& graph);

/// The kept ops as a DAG over local indices 0..n-1.
struct LocalGraph {
  std::vector<std::vector<int>> successors;  ///< edge insertion order, kept ops only
  std::vector<Bitset> ancestors;             ///< strict, per op
  std::vector<Bitset> descendants;           ///< strict, per op
};

/// The induced subgraph of `graph` on `ops.kept`.
LocalGraph local_graph(const model::OpGraph& graph, const OpSelection& ops);

/// How the states were built.
enum class StateSpaceKind { kAntichain, kLinearised };

/// DP states in a topological order of the state DAG. State j covers a downset (a set closed
/// under predecessors) of the kept ops; an ancestor k of j covers a strict subset of what j
/// covers, so the ops of j not covered by k form a convex set (one pipeline stage). The last
/// state covers every kept op.
struct StateSpace {
  StateSpaceKind kind = StateSpaceKind::kAntichain;
  std::vector<Bitset> cover;               ///< local op indices covered by each state
  std::vector<std::vector<int>> boundary;  ///< ops whose outputs a state's output activation sums
  std::vector<Bitset> ancestors;           ///< states with a path to j in the state DAG
  std::vector<Bitset> descendants;         ///< states reachable from j

  [[nodiscard]] int size() const { return static_cast<int>(cover.size()); }
};

/// The antichain DAG, built breadth-first from the antichain of all sources (the published
/// code starts from its first source; the two agree when there is one) and sorted as the
/// published topological_sort does; nullopt as soon as it would exceed `max_states` states.
/// Needs at least one kept op.
std::optional<StateSpace> antichain_states(const LocalGraph& graph, std::int64_t max_states);

/// One state per kept op: state t covers the first t + 1 ops of `order` (local indices, a
/// topological order of all kept ops); its boundary is op t and every covered op with an
/// uncovered successor.
StateSpace linear_states(const LocalGraph& graph, const std::vector<int>& order);

}  // namespace gppsim::plan::pipedream_detail
