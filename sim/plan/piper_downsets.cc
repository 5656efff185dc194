#include "sim/plan/piper_downsets.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <queue>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace gppsim::plan {
namespace {

/// Include/exclude search over the nodes in reverse topological order (sinks first): a node may
/// join only when all its successors, decided earlier, are in. Every leaf is a distinct downset
/// and every branch reaches a leaf (excluding is always allowed), so the work is
/// O(nodes * downsets) and stops right after the cap is passed.
class Enumerator {
 public:
  Enumerator(std::size_t num_nodes, const std::vector<PiperEdge>& edges, std::int64_t cap)
      : words_((num_nodes + 63) / 64), cap_(cap), successors_(num_nodes), current_(words_, 0) {
    const std::vector<std::size_t> topo = piper_topological_order(num_nodes, edges);
    order_.assign(topo.rbegin(), topo.rend());
    for (const PiperEdge& e : edges) successors_[e.from].push_back(e.to);
  }

  /// Runs the search; false when more than `cap` downsets exist.
  bool run() {
    visit(0);
    return !over_;
  }
  [[nodiscard]] std::size_t words() const { return words_; }
  [[nodiscard]] std::size_t count() const { return count_; }
  [[nodiscard]] const std::vector<std::uint64_t>& raw() const { return raw_; }

 private:
  [[nodiscard]] bool has(std::size_t v) const { return ((current_[v / 64] >> (v % 64)) & 1U) != 0; }

  void visit(std::size_t pos) {
    if (over_) return;
    if (pos == order_.size()) {
      if (static_cast<std::int64_t>(++count_) > cap_) {
        over_ = true;
        return;
      }
      raw_.insert(raw_.end(), current_.begin(), current_.end());
      return;
    }
    visit(pos + 1);
    const std::size_t v = order_[pos];
    for (const std::size_t w : successors_[v]) {
      if (!has(w)) return;
    }
    current_[v / 64] |= std::uint64_t{1} << (v % 64);
    visit(pos + 1);
    current_[v / 64] &= ~(std::uint64_t{1} << (v % 64));
  }

  std::size_t words_;
  std::int64_t cap_;
  std::vector<std::vector<std::size_t>> successors_;
  std::vector<std::size_t> order_;
  std::vector<std::uint64_t> current_;
  std::vector<std::uint64_t> raw_;
  std::size_t count_ = 0;
  bool over_ = false;
};

}  // namespace

std::vector<std::size_t> piper_topological_order(std::size_t num_nodes,
                                                 const std::vector<PiperEdge>& edges) {
  std::vector<std::vector<std::size_t>> successors(num_nodes);
  std::vector<std::size_t> indegree(num_nodes, 0);
  for (const PiperEdge& e : edges) {
    GPPSIM_CHECK(e.from < num_nodes && e.to < num_nodes && e.from != e.to,
                 fmt::format("Piper edge {} -> {} outside 0..{}", e.from, e.to, num_nodes));
    successors[e.from].push_back(e.to);
    ++indegree[e.to];
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t v = 0; v < num_nodes; ++v) {
    if (indegree[v] == 0) ready.push(v);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t v = ready.top();
    ready.pop();
    order.push_back(v);
    for (const std::size_t w : successors[v]) {
      if (--indegree[w] == 0) ready.push(w);
    }
  }
  if (order.size() != num_nodes) {
    for (std::size_t v = 0; v < num_nodes; ++v) {
      if (indegree[v] > 0) {
        throw core::PlanError(fmt::format("Piper needs a DAG, but node {} lies on a cycle", v));
      }
    }
  }
  return order;
}

std::optional<DownsetSpace> DownsetSpace::enumerate(std::size_t num_nodes,
                                                    const std::vector<PiperEdge>& edges,
                                                    std::int64_t cap) {
  Enumerator e(num_nodes, edges, cap);
  if (!e.run()) return std::nullopt;
  DownsetSpace space;
  space.words_ = e.words();
  space.sort_by_size(e.raw(), e.count());
  space.index_entering_edges(edges);
  return space;
}

void DownsetSpace::sort_by_size(const std::vector<std::uint64_t>& raw, std::size_t count) {
  std::vector<std::size_t> raw_size(count, 0);
  std::size_t max_size = 0;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t w = 0; w < words_; ++w) {
      raw_size[i] += static_cast<std::size_t>(std::popcount(raw[i * words_ + w]));
    }
    max_size = std::max(max_size, raw_size[i]);
  }
  // Counting sort, stable in enumeration order: ids grow with set size.
  first_of_size_.assign(max_size + 2, 0);
  for (const std::size_t s : raw_size) ++first_of_size_[s + 1];
  for (std::size_t s = 1; s < first_of_size_.size(); ++s)
    first_of_size_[s] += first_of_size_[s - 1];
  std::vector<std::size_t> next(first_of_size_.begin(), first_of_size_.end() - 1);
  bits_.assign(count * words_, 0);
  sizes_.assign(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t id = next[raw_size[i]]++;
    sizes_[id] = raw_size[i];
    std::copy_n(&raw[i * words_], words_, &bits_[id * words_]);
  }
  GPPSIM_CHECK(count >= 1 && sizes_[0] == 0, "the empty set must be the first downset");
}

void DownsetSpace::index_entering_edges(const std::vector<PiperEdge>& edges) {
  entering_begin_.assign(1, 0);
  for (std::size_t id = 0; id < size(); ++id) {
    for (std::size_t i = 0; i < edges.size(); ++i) {
      if (!contains(id, edges[i].from) && contains(id, edges[i].to)) {
        entering_.push_back(static_cast<std::uint32_t>(i));
      }
    }
    entering_begin_.push_back(entering_.size());
  }
}

std::span<const std::uint32_t> DownsetSpace::entering_edges(std::size_t id) const {
  return {entering_.data() + entering_begin_[id], entering_begin_[id + 1] - entering_begin_[id]};
}

std::vector<std::size_t> DownsetSpace::difference(std::size_t id, std::size_t sub) const {
  std::vector<std::size_t> out;
  for (std::size_t w = 0; w < words_; ++w) {
    std::uint64_t x = bits(id)[w] & ~bits(sub)[w];
    while (x != 0) {
      out.push_back(w * 64 + static_cast<std::size_t>(std::countr_zero(x)));
      x &= x - 1;
    }
  }
  return out;
}

}  // namespace gppsim::plan
