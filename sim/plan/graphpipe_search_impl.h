#pragma once
// Internals of GraphPipeSearch (sim/plan/graphpipe.h), shared by graphpipe_search.cc (the DP
// transitions) and graphpipe_search_tables.cc (candidate stages, memo tables, reconstruction).
// Not a public interface: only those two files include it. The DP is described in
// sim/plan/graphpipe.md ("DP" and "Search time").
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
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/plan/graphpipe.h"
#include "sim/plan/graphpipe_memo.h"

namespace gppsim::plan::graphpipe_detail {

/// "Infeasible" as a DP value (larger than any in-flight count).
constexpr int kInf = std::numeric_limits<std::int16_t>::max();

/// How a sequence range begins: a chain segment, a parallel child alone, or a block.
enum class SeqKind : std::uint8_t { kSegment, kParallel, kBlock };
/// How a branch range begins: one branch alone, or several whole branches as one stage.
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

/// How a parallel branch range begins: one branch alone, or whole branches a..g-1 as one stage.
struct ParChoice {
  ParKind kind = ParKind::kSingle;
  std::int16_t g = 0;
  std::int16_t devices = 0;  ///< the branch's budget, or the group's degree
};

/// A memoised DP state. Valid for the micro-batch size of `epoch` and for every target t with
/// lo <= t < hi: the state's evaluation compared the target only with thresholds outside that
/// interval, and so did every state it consulted, so any such t gives the same value and choice.
template <typename Choice>
struct Entry {
  std::int32_t epoch = -1;
  std::int16_t value = 0;
  Choice choice;
  double lo = 0.0;
  double hi = 0.0;
};
using SeqEntry = Entry<SeqChoice>;
using ParEntry = Entry<ParChoice>;

/// Figures of a candidate stage at one (micro-batch, degree) point, computed on first use.
struct UnitPoint {
  double tps = -1.0;           ///< time per sample (s); negative until computed
  double least_compute = -1.0;  ///< min over degrees d' <= d of Σ (fw + bw)(b / d') / b; negative until computed
  std::int32_t max_held = -2;   ///< most in-flight micro-batches that fit (-1: none; -2: unknown)
};

/// A candidate stage's figures at one degree d.
struct UnitLevel {
  UnitPoint point;          ///< at the micro-batch size of the unit's `epoch`
  double allreduce = -1.0;  ///< the all-reduce time (s), any micro-batch size; negative until computed
};

/// A candidate stage: its load and per-log2 d figures. Interchangeable subtrees (sp_symmetry.h)
/// share their units, so a unit does not name its ops. Each micro-batch size is searched once,
/// so only the current size's points are kept: a new size (epoch) clears them on first use.
struct Unit {
  StageLoad load;
  bool too_big = false;  ///< static memory alone exceeds the capacity
  std::int32_t epoch = -1;
  std::vector<UnitLevel> levels;
};

/// The first candidate with the smallest value (ties keep the earlier one).
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

/// log2 of a power of two.
inline int log2_of(std::int64_t v) { return std::countr_zero(static_cast<std::uint64_t>(v)); }

/// A short list of data-parallel degrees (or the single placeholder 0 for an absent stage).
struct Degrees {
  std::array<int, 32> values{};
  std::size_t count = 0;
  [[nodiscard]] const int* begin() const { return values.data(); }
  [[nodiscard]] const int* end() const { return values.data() + count; }
};

/// The placeholder degree list of an absent stage.
inline Degrees no_degrees() {
  Degrees d;
  d.count = 1;
  return d;
}

/// The values seq(s, k, j, nrest, m) of the rests of one seq state's blocks: every (h1, h2, dx,
/// dy) of a block asks them for nrest = 1, 2, ..., so they are kept for the state's evaluation.
/// Asking again would only find the memo entry of the first ask and narrow the window by the
/// interval it already narrowed it by, so keeping the values changes no answer and no window.
struct RestValues {
  int i = 0;
  int n = 0;
  std::vector<std::int16_t> values;  ///< [(k - i) (n + 1) + nrest]; -1: not asked yet
};

/// The target interval on which the state being evaluated keeps its result: [lo, hi).
struct Interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

}  // namespace gppsim::plan::graphpipe_detail

namespace gppsim::plan {

/// The DP behind GraphPipeSearch. Tables, candidate stages and their figures persist across
/// solve() calls; memo entries are reused while the micro-batch size stays the same and the
/// target lies in their validity interval.
class GraphPipeSearch::Impl {
 public:
  Impl(const SpTree& tree, const StageEstimator& estimator);
  std::optional<SearchSolution> solve(std::int64_t micro_batch, core::Seconds target, GraphPipeSearch::Memory memory);
  [[nodiscard]] std::int64_t states() const { return states_; }
  [[nodiscard]] bool memory_bound() const { return memory_bound_; }
  /// The root's validity interval after the last solve().
  [[nodiscard]] graphpipe_detail::Interval root_window() const { return root_window_; }

 private:
  using SeqChoice = graphpipe_detail::SeqChoice;
  using ParChoice = graphpipe_detail::ParChoice;
  using SeqEntry = graphpipe_detail::SeqEntry;
  using ParEntry = graphpipe_detail::ParEntry;
  template <typename C>
  using Best = graphpipe_detail::Best<C>;
  using Degrees = graphpipe_detail::Degrees;

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
  /// The representative of node v's interchangeable class (sp_symmetry.h): memo keys and units
  /// use it, so interchangeable subtrees share their answers.
  [[nodiscard]] int canon(int v) const { return canon_[static_cast<std::size_t>(v)]; }
  void append_range(int s, int i, int k, std::vector<model::OpId>& ops) const;
  // The ops of the candidate stages (the actual nodes', for reconstruction).
  [[nodiscard]] std::vector<model::OpId> seg_ops(int s, int i, int k) const;
  [[nodiscard]] std::vector<model::OpId> group_ops(int p, int a, int g) const;
  [[nodiscard]] std::vector<model::OpId> x_ops(int s, int i, int p, int h1) const;
  [[nodiscard]] std::vector<model::OpId> y_ops(int s, int p, int h2, int k2) const;

  // ---- candidate stages (graphpipe_search_tables.cc) -------------------------------------------
  int make_unit(const std::vector<model::OpId>& ops);
  int seg_unit(int s, int i, int k);
  int group_unit(int p, int a, int g);
  int x_unit(int s, int i, int p, int h1);
  int y_unit(int s, int p, int h2, int k2);
  graphpipe_detail::UnitPoint& point(int u, int d) {
    graphpipe_detail::Unit& unit = units_[static_cast<std::size_t>(u)];
    if (unit.epoch != epoch_) {
      for (graphpipe_detail::UnitLevel& l : unit.levels) l.point = graphpipe_detail::UnitPoint{};
      unit.epoch = epoch_;
    }
    return unit.levels[static_cast<std::size_t>(graphpipe_detail::log2_of(d))].point;
  }
  /// TPS of unit u at degree d <= the target (the comparison is recorded in the window).
  bool tps_ok(int u, int d) {
    graphpipe_detail::UnitPoint& pt = point(u, d);
    if (pt.tps < 0.0) pt.tps = unit_tps(u, d);
    return at_most_target(pt.tps);
  }
  /// Unit u at degree d fits memory with `in_flight` micro-batches (capped at the count).
  bool fits(int u, int d, int in_flight) {
    graphpipe_detail::UnitPoint& pt = point(u, d);
    if (pt.max_held == -2) pt.max_held = unit_max_held(u, d);
    const bool ok = std::min<std::int64_t>(in_flight, count_) <= pt.max_held;
    if (!ok) memory_bound_ = true;
    return ok;
  }
  /// True when neither this unit nor any superset of it can be a stage at the current target:
  /// its static memory exceeds the capacity, or its compute alone, Σ (fw + bw)(b / d) / b, exceeds
  /// the target at every degree d <= n (both only grow when ops are added).
  bool hopeless(int u, int n) {
    if (n < 1 || units_[static_cast<std::size_t>(u)].too_big) return true;
    const int d = static_cast<int>(std::bit_floor(static_cast<unsigned>(std::min<std::int64_t>(n, b_))));
    graphpipe_detail::UnitPoint& pt = point(u, d);
    if (pt.least_compute < 0.0) fill_least_compute(u);
    return !at_most_target(pt.least_compute);
  }
  double unit_tps(int u, int d);
  std::int32_t unit_max_held(int u, int d) const;
  void fill_least_compute(int u);
  /// Degrees d = 1, 2, 4, ... <= min(n, b), without allocating.
  [[nodiscard]] Degrees degrees(int n) const {
    Degrees out;
    for (int d = 1; d <= n && d <= b_; d *= 2) out.values[out.count++] = d;
    return out;
  }
  /// Records that the current evaluation compared the target with `threshold` (x <= target).
  bool at_most_target(double threshold) {
    if (threshold <= target_) {
      if (threshold > window_.lo) window_.lo = threshold;
      return true;
    }
    if (threshold < window_.hi) window_.hi = threshold;
    return false;
  }

  // ---- range bounds (graphpipe_search_tables.cc) ------------------------------------------------
  /// Fills the per-sequence prefix sums of the elements' least work at the current micro-batch.
  void fill_range_work();
  /// Entries [i, j) of node v's row of a prefix-sum table.
  static double span(const std::vector<std::vector<double>>& prefix, int v, int i, int j) {
    const auto& w = prefix[static_cast<std::size_t>(v)];
    return w[static_cast<std::size_t>(j)] - w[static_cast<std::size_t>(i)];
  }
  /// Least device time per sample of elements [i, j) of node s's sequence at the current
  /// micro-batch (StageEstimator::least_device_time, summed op by op).
  [[nodiscard]] double seq_work(int s, int i, int j) const { return span(work_prefix_, s, i, j); }
  /// Static memory (weights, gradients, optimizer state) of elements [i, j), in bytes.
  [[nodiscard]] double seq_static(int s, int i, int j) const { return span(static_prefix_, s, i, j); }
  /// seq_work and seq_static of whole branches a..g-1 of parallel node p.
  [[nodiscard]] double branch_work(int p, int a, int g) const { return span(branch_work_prefix_, p, a, g); }
  [[nodiscard]] double branch_static(int p, int a, int g) const { return span(branch_static_prefix_, p, a, g); }
  /// Prefix sums over each node's children of their whole sequences' `prefix` totals.
  [[nodiscard]] std::vector<std::vector<double>> child_prefix(const std::vector<std::vector<double>>& prefix) const;
  /// True when no stage graph of ops with least work `work` and static memory `statics` on at
  /// most n devices can meet the target: its stages' degrees d_s sum to at most n, so
  /// max TPS >= Σ d_s TPS_s / n >= work / n (the comparison is recorded in the window), and each
  /// device holds its stage's static memory, so Σ static <= n · capacity at any target.
  bool range_hopeless(double work, double statics, int n) {
    if (statics > static_cast<double>(n) * capacity_bytes_) return true;
    return !at_most_target(work * kWorkMargin / static_cast<double>(n));
  }
  /// The fewest devices whose stages can do least work `work` at the target: the least c >= 1
  /// with work / c <= t (0 for no work), or cap + 1 when cap devices are not enough. The
  /// comparisons that fix c are recorded in the window.
  int devices_needed(double work, int cap) {
    if (work <= 0.0) return 0;
    const double w = work * kWorkMargin;
    const int c = least_devices(work, 0.0, cap).devices;
    if (c > cap) {
      at_most_target(w / static_cast<double>(cap));  // fails
      return c;
    }
    at_most_target(w / static_cast<double>(c));
    if (c > 1) at_most_target(w / static_cast<double>(c - 1));
    return c;
  }
  /// Keeps float rounding in the prefix sums from lifting a bound above a true optimum.
  static constexpr double kWorkMargin = 1.0 - 1e-9;

  // ---- memo tables (graphpipe_search_tables.cc) -------------------------------------------------
  static int& slot(std::vector<int>& table, std::size_t size, std::size_t index);
  int& pair_slot(std::vector<std::vector<int>>& tables, int node_id, int length, int i, int k);
  /// Packs (range id, n, m) into a memo key.
  [[nodiscard]] std::uint64_t cell(int range, int n, int m) const;
  /// Memo key of seq(s, i, j, n, m) and of par(p, a, h1, h2, n, m) (a, h1 normalised).
  std::uint64_t seq_key(int s, int i, int j, int n, int m);
  std::uint64_t par_key(int p, int a, int h1, int h2, int n, int m);
  /// True (and the caller's window narrowed) when `e` holds the answer at the current target.
  template <typename E>
  bool reusable(const E& e) {
    // hi = infinity: no comparison failed, so every target from lo on, infinity included.
    if (e.epoch != epoch_ || !(e.lo <= target_ && (target_ < e.hi || e.hi == kNoLimit))) return false;
    if (e.lo > window_.lo) window_.lo = e.lo;
    if (e.hi < window_.hi) window_.hi = e.hi;
    return true;
  }
  /// Starts evaluating a state: returns the caller's window and opens an unbounded one.
  graphpipe_detail::Interval open_window() {
    const graphpipe_detail::Interval outer = window_;
    window_ = graphpipe_detail::Interval{};
    return outer;
  }
  /// Stores a state's answer with the window of its evaluation and narrows the caller's window.
  template <typename E, typename C>
  void close_window(E& e, const Best<C>& best, const graphpipe_detail::Interval& outer) {
    e = E{epoch_, static_cast<std::int16_t>(best.value), best.choice, window_.lo, window_.hi};
    window_.lo = std::max(window_.lo, outer.lo);
    window_.hi = std::min(window_.hi, outer.hi);
  }

  // ---- the DP (graphpipe_search.cc) -------------------------------------------------------------
  int seq(int s, int i, int j, int n, int m);
  int par(int p, int a, int h1, int h2, int n, int m);
  bool whole_range(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void segments(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void parallel_child(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void blocks(int s, int i, int j, int n, int m, Best<SeqChoice>& best);
  void block(int s, int i, int j, int n, int m, SeqChoice c, graphpipe_detail::RestValues& rest,
             Best<SeqChoice>& best);
  void block_to_end(int q, int n, int m, SeqChoice c, int x, int y, Best<SeqChoice>& best);
  void block_with_rest(int s, int j, int q, int n, int m, SeqChoice c, int x, int y, int least,
                       graphpipe_detail::RestValues& rest, Best<SeqChoice>& best);
  /// seq(s, k, j, nrest, m), asked once per state evaluation (RestValues).
  int rest_value(int s, int k, int j, int nrest, int m, graphpipe_detail::RestValues& rest);
  int normalise(int p, int& a, int& h1, int h2) const;
  bool branches_hopeless(int p, int a, int h1, int h2, int end, int n);
  /// Least work and static memory of branches a..end-1 (branch 0 from h1, the last before h2).
  [[nodiscard]] std::pair<double, double> branch_load(int p, int a, int h1, int h2, int end) const;
  /// What a range needs to pass range_hopeless at the current target.
  struct RangeNeed {
    int devices = 0;  ///< the least n >= 1 that passes (cap + 1: none up to cap); 0: nothing to place
    double work = 0.0;
    double statics = 0.0;
  };
  /// RangeNeed of ops with least work `work` and static memory `statics`, with the comparisons
  /// range_hopeless makes; none is recorded.
  [[nodiscard]] RangeNeed least_devices(double work, double statics, int cap) const;
  /// RangeNeed of par(p, a, h1, h2, ., .), as branches_hopeless judges it.
  RangeNeed least_branch_devices(int p, int a, int h1, int h2, int cap);
  /// Records what range_hopeless would have for the range on `largest` devices and on fewer,
  /// where a caller skips those asks: the work comparison at `largest` (the others' thresholds
  /// are higher), unless static memory alone rules `largest` out, which compares nothing.
  void record_skipped(const RangeNeed& need, int largest);
  bool parts_hopeless(int p, int a, int h1, int h2, int end, int n);
  void split(int p, int a, int h1, int h2, int n, int m, int c, int lo, int hi, Best<ParChoice>& best);
  void groups(int p, int a, int h2, int end, int lo, int n, int m, Best<ParChoice>& best);

  // ---- reconstruction (graphpipe_search_tables.cc) ----------------------------------------------
  void emit_seq(int s, int i, int j, int n, int m, std::vector<PlannedStage>& out);
  void emit_par(int p, int a, int h1, int h2, int n, int m, std::vector<PlannedStage>& out);
  /// Appends the stage of unit u (whose ops are `ops`) at degree d; tracks the slowest TPS.
  void emit_stage(int u, std::vector<model::OpId> ops, int d, std::vector<PlannedStage>& out) {
    graphpipe_detail::UnitPoint& pt = point(u, d);
    if (pt.tps < 0.0) pt.tps = unit_tps(u, d);
    slowest_ = std::max(slowest_, pt.tps);
    out.push_back(PlannedStage{std::move(ops), d});
  }

  static constexpr double kNoLimit = std::numeric_limits<double>::infinity();

  const SpTree& tree_;
  const StageEstimator& est_;
  int n_dev_;
  int levels_;
  std::int32_t epoch_ = 0;  ///< bumped when the micro-batch size or the memory model changes
  bool static_only_ = false;  ///< GraphPipeSearch::Memory::kStaticOnly: activations are not counted
  bool memory_bound_ = false;  ///< a memory check failed in this epoch (GraphPipeSearch::memory_bound)
  std::int64_t b_ = 0;
  double target_ = 0.0;
  std::int64_t count_ = 1;
  std::int64_t states_ = 0;
  graphpipe_detail::Interval window_;  ///< of the state being evaluated
  graphpipe_detail::Interval root_window_;  ///< of the root after the last solve()
  double slowest_ = 0.0;                    ///< the largest TPS emitted by the last reconstruction
  std::vector<std::vector<int>> elements_;  ///< tree_.sequence(node), cached
  std::vector<StageLoad> op_loads_;  ///< [op]: the load of the op alone
  std::vector<std::vector<double>> work_prefix_;    ///< [node]: prefix sums of seq_work at b_
  std::vector<std::vector<double>> static_prefix_;  ///< [node]: prefix sums of static bytes
  std::vector<std::vector<double>> branch_work_prefix_, branch_static_prefix_;  ///< [node]: over its children
  double capacity_bytes_ = 0.0;
  std::vector<int> canon_;                  ///< interchangeable_nodes(tree_, est_)
  std::vector<graphpipe_detail::Unit> units_;
  std::vector<std::vector<int>> seq_ids_, seg_ids_, par_ids_, group_ids_;
  std::unordered_map<std::uint64_t, int> hashed_ids_;
  int seq_ranges_ = 0, par_ranges_ = 0;  ///< range ids handed out
  graphpipe_detail::MemoTable<SeqEntry> seq_table_;
  graphpipe_detail::MemoTable<ParEntry> par_table_;
};

}  // namespace gppsim::plan
