#include "sim/plan/pipedream_states.h"

#include <algorithm>
#include <deque>
#include <map>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::plan::pipedream_detail {

Bitset::Bitset(std::size_t size) : words_((size + 63) / 64, 0), size_(size) {}

void Bitset::set(std::size_t i) {
  GPPSIM_CHECK(i < size_, fmt::format("bit {} out of range [0, {})", i, size_));
  words_[i / 64] |= std::uint64_t{1} << (i % 64);
}

bool Bitset::test(std::size_t i) const {
  GPPSIM_CHECK(i < size_, fmt::format("bit {} out of range [0, {})", i, size_));
  return ((words_[i / 64] >> (i % 64)) & 1U) != 0;
}

std::size_t Bitset::count() const {
  std::size_t total = 0;
  for (const std::uint64_t w : words_) total += static_cast<std::size_t>(__builtin_popcountll(w));
  return total;
}

Bitset& Bitset::operator|=(const Bitset& other) {
  GPPSIM_CHECK(other.size_ == size_, "union of bitsets of different sizes");
  for (std::size_t w = 0; w < words_.size(); ++w) words_[w] |= other.words_[w];
  return *this;
}

bool Bitset::intersects(const Bitset& other) const {
  GPPSIM_CHECK(other.size_ == size_, "intersection of bitsets of different sizes");
  for (std::size_t w = 0; w < words_.size(); ++w) {
    if ((words_[w] & other.words_[w]) != 0) return true;
  }
  return false;
}

OpSelection select_ops(const model::OpGraph& graph) {
  OpSelection out;
  std::vector<bool> removed(graph.num_ops(), false);
  for (const model::OpId s : graph.sources()) {
    if (std::string_view(graph.op(s).description).starts_with("Input")) {
      out.inputs.push_back(s);
      removed[s] = true;
    }
  }
  // Removing sources never creates a sink, so the sinks left are the graph's own.
  for (const model::OpId s : graph.sinks()) {
    if (!removed[s] && std::string_view(graph.op(s).description).starts_with("__getitem__")) {
      out.getitems.push_back(s);
      removed[s] = true;
    }
  }
  for (model::OpId id = 0; id < graph.num_ops(); ++id) {
    if (!removed[id]) out.kept.push_back(id);
  }
  return out;
}

LocalGraph local_graph(const model::OpGraph& graph, const OpSelection& ops) {
  const std::size_t n = ops.kept.size();
  std::vector<int> local(graph.num_ops(), -1);
  for (std::size_t i = 0; i < n; ++i) local[ops.kept[i]] = static_cast<int>(i);
  LocalGraph g{std::vector<std::vector<int>>(n), std::vector<Bitset>(n, Bitset(n)),
               std::vector<Bitset>(n, Bitset(n))};
  for (std::size_t i = 0; i < n; ++i) {
    for (const model::OpId s : graph.successors(ops.kept[i])) {
      if (local[s] >= 0) g.successors[i].push_back(local[s]);
    }
  }
  for (const model::OpId id : graph.topological_order()) {
    if (local[id] < 0) continue;
    const auto v = static_cast<std::size_t>(local[id]);
    for (const int s : g.successors[v]) {  // every predecessor is final before its successors
      g.ancestors[s] |= g.ancestors[v];
      g.ancestors[s].set(v);
    }
  }
  for (std::size_t v = 0; v < n; ++v) {
    g.ancestors[v].for_each([&](std::size_t a) { g.descendants[a].set(v); });
  }
  return g;
}

namespace {

using Antichain = std::vector<int>;

Antichain sorted_key(Antichain a) {
  std::sort(a.begin(), a.end());
  return a;
}

/// graph.py augment_antichain: the antichain plus every predecessor p of a member x that has
/// an out-neighbour outside x's predecessors and x itself. Python collects these in a set whose
/// order depends on string hashing; ascending op index is our fixed order.
Antichain augment(const LocalGraph& g, const Antichain& antichain) {
  Bitset extra(g.successors.size());
  for (const int x : antichain) {
    g.ancestors[x].for_each([&](std::size_t p) {
      for (const int o : g.successors[p]) {
        if (o != x && !g.ancestors[x].test(o)) {
          extra.set(p);
          return;
        }
      }
    });
  }
  Antichain out;
  extra.for_each([&](std::size_t p) { out.push_back(static_cast<int>(p)); });
  out.insert(out.end(), antichain.begin(), antichain.end());
  return out;
}

Bitset as_set(const LocalGraph& g, const Antichain& nodes) {
  Bitset s(g.successors.size());
  for (const int v : nodes) s.set(v);
  return s;
}

/// graph.py deaugment_augmented_antichain: drops every node with a descendant in the list,
/// then duplicates, keeping the first occurrence.
Antichain deaugment(const LocalGraph& g, const Antichain& list) {
  const Bitset members = as_set(g, list);
  Antichain out;
  for (const int v : list) {
    if (g.descendants[v].intersects(members)) continue;
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

/// graph.py next_antichains: advance one node of the augmented antichain to a successor that
/// has no descendant in the augmented antichain.
std::vector<Antichain> next_antichains(const LocalGraph& g, const Antichain& antichain,
                                       const Antichain& augmented) {
  const Bitset members = as_set(g, antichain);
  const Bitset augmented_set = as_set(g, augmented);
  std::vector<Antichain> out;
  for (const int a : augmented) {
    for (const int next : g.successors[a]) {
      if (members.test(next) || g.descendants[next].intersects(augmented_set)) continue;
      Antichain replaced = augmented;
      std::replace(replaced.begin(), replaced.end(), a, next);
      out.push_back(deaugment(g, replaced));
    }
  }
  return out;
}

/// The antichain DAG as discovered breadth-first: per state (in discovery order) its
/// augmented antichain and its out-edges in insertion order (duplicates kept, as in Python).
struct DiscoveredDag {
  std::vector<Antichain> augmented;
  std::vector<std::vector<int>> edges;
};

std::optional<DiscoveredDag> discover(const LocalGraph& g, const Antichain& start, std::int64_t max_states) {
  DiscoveredDag dag;
  std::vector<Antichain> antichains{start};
  std::map<Antichain, int> ids{{sorted_key(start), 0}};
  dag.augmented.push_back(augment(g, start));
  dag.edges.emplace_back();
  std::vector<bool> expanded(1, false);
  std::deque<int> queue{0};
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    if (expanded[id]) continue;
    expanded[id] = true;
    for (Antichain& next : next_antichains(g, antichains[id], dag.augmented[id])) {
      auto [it, inserted] = ids.emplace(sorted_key(next), static_cast<int>(antichains.size()));
      if (inserted) {
        if (static_cast<std::int64_t>(antichains.size()) >= max_states) return std::nullopt;
        dag.augmented.push_back(augment(g, next));
        dag.edges.emplace_back();
        expanded.push_back(false);
        antichains.push_back(std::move(next));
      }
      dag.edges[id].push_back(it->second);
      queue.push_back(it->second);
    }
  }
  return dag;
}

/// graph.py topological_sort on the antichain DAG: depth-first from each node in discovery
/// order, children in edge order, reverse post-order. (All descriptions are equal, so its
/// sorts keep these orders.)
std::vector<int> published_topological_order(const std::vector<std::vector<int>>& edges) {
  const std::size_t n = edges.size();
  std::vector<bool> marked(n, false);
  std::vector<int> post;
  std::vector<std::pair<int, std::size_t>> stack;
  for (std::size_t root = 0; root < n; ++root) {
    if (marked[root]) continue;
    stack.emplace_back(static_cast<int>(root), 0);
    while (!stack.empty()) {
      auto& [v, next_child] = stack.back();
      if (next_child < edges[v].size()) {
        const int child = edges[v][next_child++];
        if (!marked[child]) stack.emplace_back(child, 0);
      } else if (!marked[v]) {
        marked[v] = true;
        post.push_back(v);
        stack.pop_back();
      } else {
        stack.pop_back();
      }
    }
  }
  return {post.rbegin(), post.rend()};
}

/// Ancestor and descendant sets of a DAG over states 0..n-1 in topological order.
void close_transitively(const std::vector<std::vector<int>>& parents, StateSpace& space) {
  const std::size_t n = parents.size();
  space.ancestors.assign(n, Bitset(n));
  space.descendants.assign(n, Bitset(n));
  for (std::size_t j = 0; j < n; ++j) {
    for (const int p : parents[j]) {
      GPPSIM_CHECK(static_cast<std::size_t>(p) < j, "state order is not topological");
      space.ancestors[j] |= space.ancestors[p];
      space.ancestors[j].set(p);
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    space.ancestors[j].for_each([&](std::size_t a) { space.descendants[a].set(j); });
  }
}

void check_last_state_covers_all(const StateSpace& space, std::size_t num_ops) {
  GPPSIM_CHECK(!space.cover.empty() && space.cover.back().count() == num_ops,
               "the last PipeDream state must cover every planned op");
}

/// The sources of the kept graph, ascending (file order for imported profiles).
Antichain sources(const LocalGraph& g) {
  Antichain out;
  for (std::size_t v = 0; v < g.successors.size(); ++v) {
    if (g.ancestors[v].count() == 0) out.push_back(static_cast<int>(v));
  }
  return out;
}

/// True when some transition path from the start reaches every op: the DAG's last discovered
/// state then covers all (its antichain is the set of sinks).
bool covers_everything(const LocalGraph& g, const DiscoveredDag& dag) {
  Bitset all(g.successors.size());
  for (const Antichain& a : dag.augmented) {
    for (const int x : a) {
      all |= g.ancestors[x];
      all.set(x);
    }
  }
  return all.count() == g.successors.size();
}

}  // namespace

std::optional<StateSpace> antichain_states(const LocalGraph& g, std::int64_t max_states) {
  const std::size_t n = g.successors.size();
  GPPSIM_CHECK(n > 0, "antichain states need at least one op");
  const Antichain all_sources = sources(g);
  // The published code starts from its first source only; other sources enter through the
  // joins they feed. A source that joins nothing reachable would be lost, so then all start.
  auto dag = discover(g, Antichain{all_sources.front()}, max_states);
  if (dag && !covers_everything(g, *dag)) dag = discover(g, all_sources, max_states);
  if (!dag) return std::nullopt;
  const std::vector<int> order = published_topological_order(dag->edges);
  std::vector<int> index(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) index[order[i]] = static_cast<int>(i);
  StateSpace space;
  space.kind = StateSpaceKind::kAntichain;
  std::vector<std::vector<int>> parents(order.size());
  for (std::size_t id = 0; id < order.size(); ++id) {
    for (const int to : dag->edges[id]) parents[index[to]].push_back(index[id]);
  }
  for (const int id : order) {
    Bitset cover(n);
    for (const int x : dag->augmented[id]) {
      cover |= g.ancestors[x];
      cover.set(x);
    }
    space.cover.push_back(std::move(cover));
    space.boundary.push_back(dag->augmented[id]);
  }
  close_transitively(parents, space);
  check_last_state_covers_all(space, n);
  return space;
}

StateSpace linear_states(const LocalGraph& g, const std::vector<int>& order) {
  const std::size_t n = g.successors.size();
  GPPSIM_CHECK(order.size() == n && n > 0, "a linear order must list every planned op");
  StateSpace space;
  space.kind = StateSpaceKind::kLinearised;
  std::vector<std::vector<int>> predecessors(n);
  for (std::size_t u = 0; u < n; ++u) {
    for (const int s : g.successors[u]) predecessors[s].push_back(static_cast<int>(u));
  }
  Bitset covered(n);
  std::vector<int> uncovered_successors(n, 0);
  std::vector<std::vector<int>> parents(n);
  for (std::size_t t = 0; t < n; ++t) {
    const int v = order[t];
    covered.set(v);
    uncovered_successors[v] = static_cast<int>(g.successors[v].size());
    for (const int u : predecessors[v]) {
      GPPSIM_CHECK(covered.test(u), "linear order is not topological");
      --uncovered_successors[u];
    }
    std::vector<int> boundary{v};
    covered.for_each([&](std::size_t u) {
      if (uncovered_successors[u] > 0 && u != static_cast<std::size_t>(v)) boundary.push_back(static_cast<int>(u));
    });
    space.cover.push_back(covered);
    space.boundary.push_back(std::move(boundary));
    if (t > 0) parents[t].push_back(static_cast<int>(t - 1));
  }
  close_transitively(parents, space);
  check_last_state_covers_all(space, n);
  return space;
}

}  // namespace gppsim::plan::pipedream_detail
