// GraphPipeSearch: the memoised DP of GraphPipe's inner search (sim/plan/graphpipe.md, "DP").
//
// seq(s, i, j, n, m): range [i, j) of node s's sequence, at most n devices, the stage after the
// range holding m micro-batches in flight (0 after the last stage). Value: the largest in-flight
// count among the range's stages (that is, of its entry stages), or kInf.
// par(P, a, h1, h2, n, m): branches a.. of parallel node P, where branch 0 starts at element h1
// of its sequence (its head went into the fork's stage) and the last branch ends before element
// h2 (its tail went into the join's stage). Every branch exits into a stage holding m.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/plan/graphpipe.h"

namespace gppsim::plan {
namespace {

constexpr int kInf = std::numeric_limits<std::int16_t>::max();

enum class SeqKind : std::uint8_t { kSegment, kParallel, kBlock };
enum class ParKind : std::uint8_t { kSingle, kGroup };

/// How a sequence range begins (the first group of its partition).
struct SeqChoice {
  SeqKind kind = SeqKind::kSegment;
  std::int16_t k = 0;      ///< segment end, or the index after the block
  std::int16_t p = 0;      ///< block: index of the parallel node
  std::int16_t h1 = 0;     ///< block: head length of branch 0 in the fork stage X (0: no X)
  std::int16_t h2 = 0;     ///< block: tail start in the last branch (its length: no Y)
  std::int16_t dx = 0;     ///< devices of the segment or of X
  std::int16_t dy = 0;     ///< devices of Y
  std::int16_t np = 0;     ///< devices of the parallel node
  std::int16_t nrest = 0;  ///< devices of the rest of the range
};

struct SeqEntry {
  std::int32_t epoch = -1;
  std::int16_t value = 0;
  SeqChoice choice;
};

/// How a parallel branch range begins: one branch alone, or whole branches a..g-1 as one stage.
struct ParChoice {
  ParKind kind = ParKind::kSingle;
  std::int16_t g = 0;
  std::int16_t devices = 0;  ///< the branch's budget, or the group's degree
};

struct ParEntry {
  std::int32_t epoch = -1;
  std::int16_t value = 0;
  ParChoice choice;
};

/// A candidate stage: its ops, load and TPS cache per (log2 b, log2 d).
struct Unit {
  std::vector<model::OpId> ops;
  StageLoad load;
  core::Bytes static_memory;
  std::vector<double> tps;  ///< NaN until computed
};

template <typename Choice>
struct Best {
  int value = kInf;
  Choice choice;
  void consider(int v, const Choice& c) {
    if (v < value) {
      value = v;
      choice = c;
    }
  }
};

int log2_of(std::int64_t v) { return std::countr_zero(static_cast<std::uint64_t>(v)); }

/// A short list of data-parallel degrees (or the single placeholder 0 for an absent stage).
struct Degrees {
  std::array<int, 32> values{};
  std::size_t count = 0;
  [[nodiscard]] const int* begin() const { return values.data(); }
  [[nodiscard]] const int* end() const { return values.data() + count; }
};

Degrees none() {
  Degrees d;
  d.count = 1;
  return d;
}

}  // namespace

class GraphPipeSearch::Impl {
 public:
  Impl(const SpTree& tree, const StageEstimator& estimator)
      : tree_(tree),
        est_(estimator),
        n_dev_(estimator.devices()),
        levels_(log2_of(std::bit_floor(static_cast<unsigned>(n_dev_))) + 1) {
    for (std::size_t v = 0; v < tree.nodes.size(); ++v) elements_.push_back(tree.sequence(static_cast<int>(v)));
    seq_ids_.resize(tree.nodes.size());
    seg_ids_.resize(tree.nodes.size());
    par_ids_.resize(tree.nodes.size());
    group_ids_.resize(tree.nodes.size());
  }

  std::optional<SearchSolution> solve(std::int64_t micro_batch, core::Seconds target) {
    GPPSIM_CHECK(std::has_single_bit(static_cast<std::uint64_t>(micro_batch)) &&
                     micro_batch <= est_.sizes().back(),
                 fmt::format("micro-batch {} is not a tabulated power of two", micro_batch));
    ++epoch_;
    b_ = micro_batch;
    target_ = target.value();
    count_ = est_.mini_batch() / micro_batch;
    const int root = tree_.root;
    const int length = len(root);
    const int v = seq(root, 0, length, n_dev_, 0);
    if (v >= kInf) return std::nullopt;
    SearchSolution out;
    out.in_flight = v;
    emit_seq(root, 0, length, n_dev_, 0, out.stages);
    return out;
  }

  [[nodiscard]] std::int64_t states() const { return states_; }

 private:
  // ---- tree helpers -------------------------------------------------------------------------
  [[nodiscard]] int at(int s, int i) const {
    return elements_[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)];
  }
  [[nodiscard]] int len(int s) const { return static_cast<int>(elements_[static_cast<std::size_t>(s)].size()); }
  [[nodiscard]] const SpNode& node(int s) const { return tree_.nodes[static_cast<std::size_t>(s)]; }
  [[nodiscard]] bool is_parallel(int s) const { return node(s).kind == SpKind::kParallel; }
  [[nodiscard]] int first_branch(int p) const { return node(p).children.front(); }
  [[nodiscard]] int last_branch(int p) const { return node(p).children.back(); }
  [[nodiscard]] int branches(int p) const { return static_cast<int>(node(p).children.size()); }

  void append_range(int s, int i, int k, std::vector<model::OpId>& ops) const {
    for (int e = i; e < k; ++e) {
      const auto& o = node(at(s, e)).ops;
      ops.insert(ops.end(), o.begin(), o.end());
    }
  }

  // ---- candidate stages ----------------------------------------------------------------------
  int make_unit(std::vector<model::OpId> ops) {
    Unit u;
    u.load = est_.load(ops);
    u.static_memory = est_.static_memory(u.load);
    u.ops = std::move(ops);
    u.tps.assign(est_.sizes().size() * static_cast<std::size_t>(levels_), std::nan(""));
    units_.push_back(std::move(u));
    return static_cast<int>(units_.size()) - 1;
  }

  /// Entry `index` of a lazily allocated id table of `size` entries (-1: no id yet).
  static int& slot(std::vector<int>& table, std::size_t size, std::size_t index) {
    if (table.empty()) table.assign(size, -1);
    return table[index];
  }

  /// Entry (i, k) of a per-node (len + 1)^2 id table.
  int& pair_slot(std::vector<std::vector<int>>& tables, int node_id, int length, int i, int k) {
    const auto l = static_cast<std::size_t>(length) + 1;
    return slot(tables[static_cast<std::size_t>(node_id)], l * l,
                static_cast<std::size_t>(i) * l + static_cast<std::size_t>(k));
  }

  int seg_unit(int s, int i, int k) {
    int& id = pair_slot(seg_ids_, s, len(s), i, k);
    if (id < 0) {
      std::vector<model::OpId> ops;
      append_range(s, i, k, ops);
      id = make_unit(std::move(ops));
    }
    return id;
  }

  int group_unit(int p, int a, int g) {
    int& id = pair_slot(group_ids_, p, branches(p), a, g);
    if (id < 0) {
      std::vector<model::OpId> ops;
      for (int c = a; c < g; ++c) {
        const auto& o = node(node(p).children[static_cast<std::size_t>(c)]).ops;
        ops.insert(ops.end(), o.begin(), o.end());
      }
      id = make_unit(std::move(ops));
    }
    return id;
  }

  /// X: elements i..p-1 of s (ending at the fork) plus the first h1 elements of branch 0 of p.
  int x_unit(int s, int i, int p, int h1) {
    const std::uint64_t key = (std::uint64_t{0} << 62) | pack(s, i, p, h1);
    auto [it, fresh] = hashed_ids_.try_emplace(key, -1);
    if (fresh) {
      std::vector<model::OpId> ops;
      append_range(s, i, p, ops);
      append_range(first_branch(at(s, p)), 0, h1, ops);
      it->second = make_unit(std::move(ops));
    }
    return it->second;
  }

  /// Y: the last branch of p from element h2 on, plus elements p+1..k2-1 of s (from the join).
  int y_unit(int s, int p, int h2, int k2) {
    const std::uint64_t key = (std::uint64_t{1} << 62) | pack(s, p, h2, k2);
    auto [it, fresh] = hashed_ids_.try_emplace(key, -1);
    if (fresh) {
      std::vector<model::OpId> ops;
      const int last = last_branch(at(s, p));
      append_range(last, h2, len(last), ops);
      append_range(s, p + 1, k2, ops);
      it->second = make_unit(std::move(ops));
    }
    return it->second;
  }

  static std::uint64_t pack(int a, int b, int c, int d) {
    GPPSIM_CHECK(a < (1 << 20) && b < (1 << 13) && c < (1 << 13) && d < (1 << 13), "SP tree too large to index");
    return (static_cast<std::uint64_t>(a) << 39) | (static_cast<std::uint64_t>(b) << 26) |
           (static_cast<std::uint64_t>(c) << 13) | static_cast<std::uint64_t>(d);
  }

  bool tps_ok(int u, int d) {
    Unit& unit = units_[static_cast<std::size_t>(u)];
    double& t = unit.tps[static_cast<std::size_t>(log2_of(b_)) * static_cast<std::size_t>(levels_) +
                         static_cast<std::size_t>(log2_of(d))];
    if (std::isnan(t)) t = est_.time_per_sample(unit.load, b_, d).value();
    return t <= target_;
  }

  bool fits(int u, int d, int in_flight) const {
    const Unit& unit = units_[static_cast<std::size_t>(u)];
    const std::int64_t held = std::min<std::int64_t>(in_flight, count_);
    return est_.memory(unit.load, b_, d, held) <= est_.capacity();
  }

  /// True when neither this unit nor any superset of it can be a stage at the current target:
  /// its static memory exceeds the capacity, or its compute alone, Σ (fw + bw)(b / d) / b, exceeds
  /// the target at every degree d <= n (both only grow when ops are added).
  bool hopeless(int u, int n) const {
    const Unit& unit = units_[static_cast<std::size_t>(u)];
    if (unit.static_memory > est_.capacity()) return true;
    for (int d = 1; d <= n && d <= b_; d *= 2) {
      const auto index = static_cast<std::size_t>(log2_of(b_ / d));
      if (unit.load.compute[index].value() / static_cast<double>(b_) <= target_) return false;
    }
    return true;
  }

  /// Degrees d = 1, 2, 4, ... <= min(n, b), without allocating.
  [[nodiscard]] Degrees degrees(int n) const {
    Degrees out;
    for (int d = 1; d <= n && d <= b_; d *= 2) out.values[out.count++] = d;
    return out;
  }

  // ---- memo tables ---------------------------------------------------------------------------
  [[nodiscard]] std::size_t cell(int n, int m) const {
    GPPSIM_CHECK(n >= 0 && n <= n_dev_ && m >= 0 && m <= n_dev_,
                 fmt::format("DP cell n={} m={} out of range", n, m));
    return static_cast<std::size_t>(n) * static_cast<std::size_t>(n_dev_ + 1) + static_cast<std::size_t>(m);
  }

  SeqEntry& seq_entry(int s, int i, int j, int n, int m) {
    int& id = pair_slot(seq_ids_, s, len(s), i, j);
    if (id < 0) {
      id = static_cast<int>(seq_table_.size());
      seq_table_.emplace_back(static_cast<std::size_t>((n_dev_ + 1) * (n_dev_ + 1)));
    }
    return seq_table_[static_cast<std::size_t>(id)][cell(n, m)];
  }

  ParEntry& par_entry(int p, int a, int h1, int h2, int n, int m) {
    const auto l1 = static_cast<std::size_t>(len(first_branch(p))) + 1;
    const auto l2 = static_cast<std::size_t>(len(last_branch(p))) + 1;
    const auto r = static_cast<std::size_t>(branches(p)) + 1;
    const std::size_t index = a == 0 ? static_cast<std::size_t>(h1) * l2 + static_cast<std::size_t>(h2)
                                     : l1 * l2 + static_cast<std::size_t>(a) * l2 + static_cast<std::size_t>(h2);
    int& id = slot(par_ids_[static_cast<std::size_t>(p)], l1 * l2 + r * l2, index);
    if (id < 0) {
      id = static_cast<int>(par_table_.size());
      par_table_.emplace_back(static_cast<std::size_t>((n_dev_ + 1) * (n_dev_ + 1)));
    }
    return par_table_[static_cast<std::size_t>(id)][cell(n, m)];
  }

  // ---- the DP (defined below the class) -------------------------------------------------------
  int seq(int s, int i, int j, int n, int m);
  int par(int p, int a, int h1, int h2, int n, int m);
  void segments(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void parallel_child(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void blocks(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void block(int s, int i, int j, int n, int m, SeqChoice c, Best<SeqChoice>& best);
  int normalise(int p, int& a, int& h1, int h2) const;
  void split(int p, int a, int h1, int h2, int n, int m, int c, int lo, int hi, Best<ParChoice>& best);
  void emit_seq(int s, int i, int j, int n, int m, std::vector<PlannedStage>& out);
  void emit_par(int p, int a, int h1, int h2, int n, int m, std::vector<PlannedStage>& out);
  void emit_unit(int u, int d, std::vector<PlannedStage>& out) const {
    out.push_back(PlannedStage{units_[static_cast<std::size_t>(u)].ops, d});
  }

  const SpTree& tree_;
  const StageEstimator& est_;
  int n_dev_;
  int levels_;
  std::int32_t epoch_ = 0;
  std::int64_t b_ = 1;
  double target_ = 0.0;
  std::int64_t count_ = 1;
  std::int64_t states_ = 0;
  std::vector<std::vector<int>> elements_;  ///< tree_.sequence(node), cached
  std::vector<Unit> units_;
  std::vector<std::vector<int>> seq_ids_, seg_ids_, par_ids_, group_ids_;
  std::unordered_map<std::uint64_t, int> hashed_ids_;
  std::deque<std::vector<SeqEntry>> seq_table_;
  std::deque<std::vector<ParEntry>> par_table_;
};

int GraphPipeSearch::Impl::seq(int s, int i, int j, int n, int m) {
  if (i == j) return m;
  if (n <= 0) return kInf;
  {
    const SeqEntry& e = seq_entry(s, i, j, n, m);
    if (e.epoch == epoch_) return e.value;
  }
  ++states_;
  Best<SeqChoice> best;
  segments(s, i, j, n, m, best);
  if (is_parallel(at(s, i))) parallel_child(s, i, j, n, m, best);
  blocks(s, i, j, n, m, best);
  seq_entry(s, i, j, n, m) = SeqEntry{epoch_, static_cast<std::int16_t>(best.value), best.choice};
  return best.value;
}

// A chain segment i..k-1 as one stage of degree d, then the rest.
void GraphPipeSearch::Impl::segments(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  for (int k = i + 1; k <= j; ++k) {
    const int u = seg_unit(s, i, k);
    if (hopeless(u, n)) break;  // longer segments are no better
    for (const int d : degrees(n)) {
      if (k < j && d == n) break;
      if (!tps_ok(u, d)) continue;
      const int m2 = k == j ? m : seq(s, k, j, n - d, m);
      if (m2 >= kInf || !fits(u, d, m2 + 1)) continue;
      SeqChoice c;
      c.kind = SeqKind::kSegment;
      c.k = static_cast<std::int16_t>(k);
      c.dx = static_cast<std::int16_t>(d);
      best.consider(m2 + 1, c);
    }
  }
}

// Element i is a parallel node solved on its own (fork and join stay outside it).
void GraphPipeSearch::Impl::parallel_child(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  const int p = at(s, i);
  const int whole = len(last_branch(p));
  for (int np = i + 1 == j ? n : 1; np <= n; ++np) {
    const int m2 = i + 1 == j ? m : seq(s, i + 1, j, n - np, m);
    if (m2 >= kInf) continue;
    const int v = par(p, 0, 0, whole, np, m2);
    SeqChoice c;
    c.kind = SeqKind::kParallel;
    c.np = static_cast<std::int16_t>(np);
    if (v < kInf) best.consider(v, c);
  }
}

// Blocks: a parallel node p whose fork stage X (elements i..p-1 plus the head of branch 0)
// and/or join stage Y (the tail of the last branch plus elements p+1..k2-1) reach into it.
void GraphPipeSearch::Impl::blocks(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  for (int p = i; p < j; ++p) {
    if (!is_parallel(at(s, p))) continue;
    if (p > i && node(at(s, p - 1)).kind != SpKind::kLeaf) continue;
    const int q = at(s, p);
    const int l1 = len(first_branch(q));
    const int l2 = len(last_branch(q));
    const bool join = p + 1 < j && node(at(s, p + 1)).kind == SpKind::kLeaf;
    const int h1_lo = p == i ? 0 : 1;
    const int h1_hi = p == i ? 0 : l1;
    for (int h1 = h1_lo; h1 <= h1_hi; ++h1) {
      if (h1 > 0 && hopeless(x_unit(s, i, p, h1), n)) break;  // larger heads are no better
      SeqChoice c;
      c.kind = SeqKind::kBlock;
      c.p = static_cast<std::int16_t>(p);
      c.h1 = static_cast<std::int16_t>(h1);
      if (h1 > 0) {
        c.h2 = static_cast<std::int16_t>(l2);
        c.k = static_cast<std::int16_t>(p + 1);
        block(s, i, j, n, m, c, best);
      }
      // Longer tails (smaller h2) and longer join segments (larger k2) only add ops.
      for (int h2 = l2 - 1; join && h2 >= 0; --h2) {
        if (hopeless(y_unit(s, p, h2, p + 2), n)) break;
        for (int k2 = p + 2; k2 <= j; ++k2) {
          if (hopeless(y_unit(s, p, h2, k2), n)) break;
          c.h2 = static_cast<std::int16_t>(h2);
          c.k = static_cast<std::int16_t>(k2);
          block(s, i, j, n, m, c, best);
        }
      }
    }
  }
}

void GraphPipeSearch::Impl::block(int s, int i, int j, int n, int m, SeqChoice c, Best<SeqChoice>& best) {
  const int q = at(s, c.p);
  const int x = c.h1 > 0 ? x_unit(s, i, c.p, c.h1) : -1;
  const int y = c.h2 < len(last_branch(q)) ? y_unit(s, c.p, c.h2, c.k) : -1;
  const Degrees dxs = x >= 0 ? degrees(n) : none();
  const Degrees dys = y >= 0 ? degrees(n) : none();
  const bool rest_empty = c.k == j;
  for (const int dx : dxs) {
    if (x >= 0 && !tps_ok(x, dx)) continue;
    for (const int dy : dys) {
      if (y >= 0 && !tps_ok(y, dy)) continue;
      const int budget = n - dx - dy;
      for (int nrest = rest_empty ? 0 : 1; nrest <= (rest_empty ? 0 : budget); ++nrest) {
        if (budget < 0) break;
        const int mrest = rest_empty ? m : seq(s, c.k, j, nrest, m);
        if (mrest >= kInf) continue;
        const int my = y >= 0 ? mrest + 1 : mrest;
        if (y >= 0 && !fits(y, dy, my)) continue;
        const int v = par(q, 0, c.h1, c.h2, budget - nrest, my);
        if (v >= kInf || (x >= 0 && !fits(x, dx, v + 1))) continue;
        c.dx = static_cast<std::int16_t>(dx);
        c.dy = static_cast<std::int16_t>(dy);
        c.np = static_cast<std::int16_t>(budget - nrest);
        c.nrest = static_cast<std::int16_t>(nrest);
        best.consider(x >= 0 ? v + 1 : v, c);
      }
    }
  }
}

/// Normalises a branch-range key: skips a fully absorbed branch 0, forgets h1 past branch 0.
/// Returns the end of the branch range (the last branch is left out when fully absorbed).
int GraphPipeSearch::Impl::normalise(int p, int& a, int& h1, int h2) const {
  if (a == 0 && h1 == len(first_branch(p))) a = 1;
  if (a >= 1) h1 = 0;
  return h2 == 0 ? branches(p) - 1 : branches(p);
}

int GraphPipeSearch::Impl::par(int p, int a, int h1, int h2, int n, int m) {
  const int end = normalise(p, a, h1, h2);
  if (a >= end) return m;
  if (n <= 0) return kInf;
  {
    const ParEntry& e = par_entry(p, a, h1, h2, n, m);
    if (e.epoch == epoch_) return e.value;
  }
  ++states_;
  Best<ParChoice> best;
  const int r = branches(p);
  const int c = node(p).children[static_cast<std::size_t>(a)];
  const int lo = a == 0 ? h1 : 0;
  const int hi = a == r - 1 ? h2 : len(c);
  const bool alone = a + 1 >= end;
  if (alone) {
    const int v = seq(c, lo, hi, n, m);
    if (v < kInf) best.consider(v, ParChoice{ParKind::kSingle, 0, static_cast<std::int16_t>(n)});
  } else {
    split(p, a, h1, h2, n, m, c, lo, hi, best);
  }
  for (int g = a + 2; lo == 0 && g <= end; ++g) {
    if (g == r && h2 != len(last_branch(p))) break;
    const int u = group_unit(p, a, g);
    if (hopeless(u, n)) break;
    for (const int d : degrees(n)) {
      if (g < end && d == n) break;
      if (!tps_ok(u, d) || !fits(u, d, m + 1)) continue;
      const int rest = g == end ? m : par(p, g, 0, h2, n - d, m);
      if (rest < kInf) {
        best.consider(std::max(m + 1, rest),
                      ParChoice{ParKind::kGroup, static_cast<std::int16_t>(g), static_cast<std::int16_t>(d)});
      }
    }
  }
  par_entry(p, a, h1, h2, n, m) = ParEntry{epoch_, static_cast<std::int16_t>(best.value), best.choice};
  return best.value;
}

// Branch a gets n1 devices, the later branches n - n1. f(n1) = seq(branch a, n1) never rises
// with n1 and g(n1) = par(a + 1, n - n1) never falls (more devices never hurt: "at most n"), so
// min over n1 of max(f, g) sits where they cross: binary-search the first n1 with f <= g and
// compare it with n1 - 1.
void GraphPipeSearch::Impl::split(int p, int a, int h1, int h2, int n, int m, int c, int lo, int hi,
                                  Best<ParChoice>& best) {
  auto f = [&](int n1) { return seq(c, lo, hi, n1, m); };
  auto g = [&](int n1) { return par(p, a + 1, h1, h2, n - n1, m); };
  int left = 1;
  int right = n;  // right = n stands for "no crossing in [1, n - 1]"
  while (left < right) {
    const int mid = (left + right) / 2;
    if (f(mid) <= g(mid)) {
      right = mid;
    } else {
      left = mid + 1;
    }
  }
  const int cross = left;
  auto take = [&](int n1) {
    const int v = std::max(f(n1), g(n1));
    if (v < kInf) best.consider(v, ParChoice{ParKind::kSingle, 0, static_cast<std::int16_t>(n1)});
  };
  if (cross > 1) take(cross - 1);
  if (cross < n) take(cross);
}

void GraphPipeSearch::Impl::emit_seq(int s, int i, int j, int n, int m, std::vector<PlannedStage>& out) {
  if (i == j) return;
  const SeqEntry e = seq_entry(s, i, j, n, m);
  GPPSIM_CHECK(e.epoch == epoch_ && e.value < kInf, "reconstructing a DP state that was not solved");
  const SeqChoice& c = e.choice;
  if (c.kind == SeqKind::kSegment) {
    emit_unit(seg_unit(s, i, c.k), c.dx, out);
    emit_seq(s, c.k, j, n - c.dx, m, out);
  } else if (c.kind == SeqKind::kParallel) {
    const int p = at(s, i);
    const int m2 = i + 1 == j ? m : seq(s, i + 1, j, n - c.np, m);
    emit_par(p, 0, 0, len(last_branch(p)), c.np, m2, out);
    emit_seq(s, i + 1, j, n - c.np, m, out);
  } else {
    const int q = at(s, c.p);
    const bool has_y = c.h2 < len(last_branch(q));
    if (c.h1 > 0) emit_unit(x_unit(s, i, c.p, c.h1), c.dx, out);
    const int mrest = c.k == j ? m : seq(s, c.k, j, c.nrest, m);
    emit_par(q, 0, c.h1, c.h2, c.np, has_y ? mrest + 1 : mrest, out);
    if (has_y) emit_unit(y_unit(s, c.p, c.h2, c.k), c.dy, out);
    emit_seq(s, c.k, j, c.nrest, m, out);
  }
}

void GraphPipeSearch::Impl::emit_par(int p, int a, int h1, int h2, int n, int m, std::vector<PlannedStage>& out) {
  const int end = normalise(p, a, h1, h2);
  if (a >= end) return;
  const ParEntry e = par_entry(p, a, h1, h2, n, m);
  GPPSIM_CHECK(e.epoch == epoch_ && e.value < kInf, "reconstructing a DP state that was not solved");
  if (e.choice.kind == ParKind::kSingle) {
    const int c = node(p).children[static_cast<std::size_t>(a)];
    const int lo = a == 0 ? h1 : 0;
    const int hi = a == branches(p) - 1 ? h2 : len(c);
    emit_seq(c, lo, hi, e.choice.devices, m, out);
    emit_par(p, a + 1, h1, h2, n - e.choice.devices, m, out);
  } else {
    emit_unit(group_unit(p, a, e.choice.g), e.choice.devices, out);
    emit_par(p, e.choice.g, 0, h2, n - e.choice.devices, m, out);
  }
}

GraphPipeSearch::GraphPipeSearch(const SpTree& tree, const StageEstimator& estimator)
    : impl_(std::make_unique<Impl>(tree, estimator)) {}

GraphPipeSearch::~GraphPipeSearch() = default;

std::optional<SearchSolution> GraphPipeSearch::solve(std::int64_t micro_batch, core::Seconds target) {
  return impl_->solve(micro_batch, target);
}

std::int64_t GraphPipeSearch::states_evaluated() const { return impl_->states(); }

}  // namespace gppsim::plan
