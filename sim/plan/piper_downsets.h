#pragma once
// The downsets (vertex sets closed under successors) of a DAG as packed bitsets, the lattice the
// Piper DP runs over. Ids are sorted by size: id 0 is the empty set, the last id the full set.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sim/plan/piper_problem.h"

namespace gppsim::plan {

/// All downsets of one DAG, with the edges entering each one.
class DownsetSpace {
 public:
  /// Enumerates the downsets of the DAG on `num_nodes` nodes. Returns nullopt as soon as more
  /// than `cap` exist (work O(num_nodes * cap)). Throws core::PlanError on a cycle.
  static std::optional<DownsetSpace> enumerate(std::size_t num_nodes,
                                               const std::vector<PiperEdge>& edges,
                                               std::int64_t cap);

  /// Number of downsets (>= 2 for a non-empty graph: the empty and the full set).
  [[nodiscard]] std::size_t size() const { return sizes_.size(); }
  /// 64-bit words per set.
  [[nodiscard]] std::size_t words() const { return words_; }
  /// The bits of downset `id` (words() words; bit v of word v / 64 is node v).
  [[nodiscard]] const std::uint64_t* bits(std::size_t id) const { return &bits_[id * words_]; }
  /// Number of nodes in downset `id`; non-decreasing in id.
  [[nodiscard]] std::size_t set_size(std::size_t id) const { return sizes_[id]; }
  /// First id whose set has exactly `set_size(id)` nodes; ids below it are the smaller sets.
  [[nodiscard]] std::size_t first_of_size(std::size_t id) const {
    return first_of_size_[sizes_[id]];
  }
  /// Indices (into the edge list) of the edges u -> v with u outside and v inside downset `id`.
  [[nodiscard]] std::span<const std::uint32_t> entering_edges(std::size_t id) const;
  /// True when node v is in downset `id`.
  [[nodiscard]] bool contains(std::size_t id, std::size_t v) const {
    return ((bits_[id * words_ + v / 64] >> (v % 64)) & 1U) != 0;
  }
  /// True when downset `sub` is a subset of downset `id`.
  [[nodiscard]] bool is_subset(std::size_t sub, std::size_t id) const {
    const std::uint64_t* a = bits(sub);
    const std::uint64_t* b = bits(id);
    std::uint64_t outside = 0;
    for (std::size_t w = 0; w < words_; ++w) outside |= a[w] & ~b[w];
    return outside == 0;
  }
  /// Nodes of downset `id` that are not in downset `sub`, ascending.
  [[nodiscard]] std::vector<std::size_t> difference(std::size_t id, std::size_t sub) const;

 private:
  DownsetSpace() = default;
  void sort_by_size(const std::vector<std::uint64_t>& raw, std::size_t count);
  void index_entering_edges(const std::vector<PiperEdge>& edges);

  std::size_t words_ = 1;
  std::vector<std::uint64_t> bits_;
  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> first_of_size_;   ///< indexed by set size, n + 1 entries
  std::vector<std::uint32_t> entering_;      ///< CSR payload
  std::vector<std::size_t> entering_begin_;  ///< size() + 1 offsets
};

/// Kahn's topological order of the DAG (smallest ready node first); throws core::PlanError
/// naming a node on a cycle.
std::vector<std::size_t> piper_topological_order(std::size_t num_nodes,
                                                 const std::vector<PiperEdge>& edges);

}  // namespace gppsim::plan
