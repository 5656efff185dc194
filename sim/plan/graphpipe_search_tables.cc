// GraphPipeSearch: candidate stages and their cached figures, memo tables, reconstruction and
// the public forwarding functions. The DP transitions are in graphpipe_search.cc.

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/plan/graphpipe_search_impl.h"
#include "sim/plan/sp_symmetry.h"

namespace gppsim::plan {

using graphpipe_detail::kInf;
using graphpipe_detail::log2_of;
using graphpipe_detail::SeqKind;
using graphpipe_detail::ParKind;
using graphpipe_detail::Unit;
using graphpipe_detail::UnitPoint;

GraphPipeSearch::Impl::Impl(const SpTree& tree, const StageEstimator& estimator)
    : tree_(tree),
      est_(estimator),
      n_dev_(estimator.devices()),
      levels_(log2_of(std::bit_floor(static_cast<unsigned>(n_dev_))) + 1),
      canon_(interchangeable_nodes(tree, estimator)) {
  for (std::size_t v = 0; v < tree.nodes.size(); ++v) elements_.push_back(tree.sequence(static_cast<int>(v)));
  const std::size_t ops = estimator.graph().num_ops();
  for (std::size_t op = 0; op < ops; ++op) op_loads_.push_back(estimator.load({static_cast<model::OpId>(op)}));
  capacity_bytes_ = estimator.capacity().value();
  static_prefix_.resize(tree.nodes.size());
  for (std::size_t v = 0; v < tree.nodes.size(); ++v) {
    auto& prefix = static_prefix_[v];
    prefix.assign(1, 0.0);
    for (const int e : elements_[v]) {
      prefix.push_back(prefix.back() + estimator.static_memory(estimator.load(node(e).ops)).value());
    }
  }
  branch_static_prefix_ = child_prefix(static_prefix_);
  seq_ids_.resize(tree.nodes.size());
  seg_ids_.resize(tree.nodes.size());
  par_ids_.resize(tree.nodes.size());
  group_ids_.resize(tree.nodes.size());
}

std::optional<SearchSolution> GraphPipeSearch::Impl::solve(std::int64_t micro_batch, core::Seconds target,
                                                           GraphPipeSearch::Memory memory) {
  GPPSIM_CHECK(std::has_single_bit(static_cast<std::uint64_t>(micro_batch)) && micro_batch <= est_.sizes().back(),
               fmt::format("micro-batch {} is not a tabulated power of two", micro_batch));
  GPPSIM_CHECK(!std::isnan(target.value()), "the target time per sample is NaN");
  // Memo entries carry their own target interval; only a new micro-batch size or memory model
  // retires them.
  const bool static_only = memory == GraphPipeSearch::Memory::kStaticOnly;
  if (micro_batch != b_ || static_only != static_only_) {
    ++epoch_;
    memory_bound_ = false;
  }
  static_only_ = static_only;
  const bool new_size = micro_batch != b_ || work_prefix_.empty();
  b_ = micro_batch;
  if (new_size) fill_range_work();
  target_ = target.value();
  count_ = est_.mini_batch() / micro_batch;
  window_ = graphpipe_detail::Interval{};
  const int root = tree_.root;
  const int length = len(root);
  const int v = seq(root, 0, length, n_dev_, 0);
  root_window_ = window_;  // the root narrowed the unbounded window to its own interval
  if (v >= kInf) return std::nullopt;
  SearchSolution out;
  out.in_flight = v;
  slowest_ = 0.0;
  emit_seq(root, 0, length, n_dev_, 0, out.stages);
  out.objective = slowest_;
  return out;
}

void GraphPipeSearch::Impl::append_range(int s, int i, int k, std::vector<model::OpId>& ops) const {
  for (int e = i; e < k; ++e) {
    const auto& o = node(at(s, e)).ops;
    ops.insert(ops.end(), o.begin(), o.end());
  }
}

// ---- candidate stages ------------------------------------------------------------------------

std::vector<model::OpId> GraphPipeSearch::Impl::seg_ops(int s, int i, int k) const {
  std::vector<model::OpId> ops;
  append_range(s, i, k, ops);
  return ops;
}

std::vector<model::OpId> GraphPipeSearch::Impl::group_ops(int p, int a, int g) const {
  std::vector<model::OpId> ops;
  for (int c = a; c < g; ++c) {
    const auto& o = node(node(p).children[static_cast<std::size_t>(c)]).ops;
    ops.insert(ops.end(), o.begin(), o.end());
  }
  return ops;
}

/// X: elements i..p-1 of s (ending at the fork) plus the first h1 elements of branch 0 of p.
std::vector<model::OpId> GraphPipeSearch::Impl::x_ops(int s, int i, int p, int h1) const {
  std::vector<model::OpId> ops;
  append_range(s, i, p, ops);
  append_range(first_branch(at(s, p)), 0, h1, ops);
  return ops;
}

/// Y: the last branch of p from element h2 on, plus elements p+1..k2-1 of s (from the join).
std::vector<model::OpId> GraphPipeSearch::Impl::y_ops(int s, int p, int h2, int k2) const {
  std::vector<model::OpId> ops;
  const int last = last_branch(at(s, p));
  append_range(last, h2, len(last), ops);
  append_range(s, p + 1, k2, ops);
  return ops;
}

int GraphPipeSearch::Impl::make_unit(const std::vector<model::OpId>& ops) {
  Unit u;
  u.load = est_.load(ops);
  u.too_big = est_.static_memory(u.load) > est_.capacity();
  u.levels.resize(static_cast<std::size_t>(levels_));
  units_.push_back(std::move(u));
  return static_cast<int>(units_.size()) - 1;
}

int& GraphPipeSearch::Impl::slot(std::vector<int>& table, std::size_t size, std::size_t index) {
  if (table.empty()) table.assign(size, -1);
  return table[index];
}

int& GraphPipeSearch::Impl::pair_slot(std::vector<std::vector<int>>& tables, int node_id, int length, int i, int k) {
  const auto l = static_cast<std::size_t>(length) + 1;
  return slot(tables[static_cast<std::size_t>(node_id)], l * l,
              static_cast<std::size_t>(i) * l + static_cast<std::size_t>(k));
}

int GraphPipeSearch::Impl::seg_unit(int s, int i, int k) {
  int& id = pair_slot(seg_ids_, canon(s), len(s), i, k);
  if (id < 0) id = make_unit(seg_ops(s, i, k));
  return id;
}

int GraphPipeSearch::Impl::group_unit(int p, int a, int g) {
  int& id = pair_slot(group_ids_, canon(p), branches(p), a, g);
  if (id < 0) id = make_unit(group_ops(p, a, g));
  return id;
}

namespace {

std::uint64_t pack(int a, int b, int c, int d) {
  GPPSIM_CHECK(a < (1 << 20) && b < (1 << 13) && c < (1 << 13) && d < (1 << 13), "SP tree too large to index");
  return (static_cast<std::uint64_t>(a) << 39) | (static_cast<std::uint64_t>(b) << 26) |
         (static_cast<std::uint64_t>(c) << 13) | static_cast<std::uint64_t>(d);
}

}  // namespace

int GraphPipeSearch::Impl::x_unit(int s, int i, int p, int h1) {
  const std::uint64_t key = (std::uint64_t{0} << 62) | pack(canon(s), i, p, h1);
  auto [it, fresh] = hashed_ids_.try_emplace(key, -1);
  if (fresh) it->second = make_unit(x_ops(s, i, p, h1));
  return it->second;
}

int GraphPipeSearch::Impl::y_unit(int s, int p, int h2, int k2) {
  const std::uint64_t key = (std::uint64_t{1} << 62) | pack(canon(s), p, h2, k2);
  auto [it, fresh] = hashed_ids_.try_emplace(key, -1);
  if (fresh) it->second = make_unit(y_ops(s, p, h2, k2));
  return it->second;
}

// The all-reduce term does not depend on the micro-batch size: it is computed once per degree.
double GraphPipeSearch::Impl::unit_tps(int u, int d) {
  Unit& unit = units_[static_cast<std::size_t>(u)];
  double& allreduce = unit.levels[static_cast<std::size_t>(log2_of(d))].allreduce;
  if (allreduce < 0.0) allreduce = est_.allreduce_time(unit.load.parameter_bytes, d).value();
  return est_.time_per_sample(unit.load, b_, d, core::Seconds(allreduce)).value();
}

// Memory grows with the in-flight count, so "fits" is "held <= the most that fit"; that bound is
// found once per (unit, b, d) with the estimator's own formula, so the answers are its answers.
std::int32_t GraphPipeSearch::Impl::unit_max_held(int u, int d) const {
  const StageLoad& load = units_[static_cast<std::size_t>(u)].load;
  if (static_only_) return est_.static_memory(load) <= est_.capacity() ? static_cast<std::int32_t>(count_) : -1;
  auto ok = [&](std::int64_t h) { return est_.memory(load, b_, d, h) <= est_.capacity(); };
  std::int64_t lo = -1;  // invariant: lo fits (or is -1), hi does not (or is count_ + 1)
  std::int64_t hi = count_ + 1;
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (ok(mid) ? lo : hi) = mid;
  }
  return static_cast<std::int32_t>(lo);
}

// The least compute per sample over degrees 1..d, for every power-of-two d <= min(b, devices):
// "hopeless" is then one comparison with the same values the per-degree loop would compare.
void GraphPipeSearch::Impl::fill_least_compute(int u) {
  const Unit& unit = units_[static_cast<std::size_t>(u)];
  double least = std::numeric_limits<double>::infinity();
  for (int d = 1; d <= n_dev_ && d <= b_; d *= 2) {
    const auto index = static_cast<std::size_t>(log2_of(b_ / d));
    least = std::min(least, unit.load.compute[index].value() / static_cast<double>(b_));
    point(u, d).least_compute = least;
  }
}

// ---- range bounds ----------------------------------------------------------------------------

void GraphPipeSearch::Impl::fill_range_work() {
  std::vector<double> op_work;
  for (const StageLoad& load : op_loads_) op_work.push_back(est_.least_device_time(load, b_));
  work_prefix_.resize(elements_.size());
  for (std::size_t v = 0; v < elements_.size(); ++v) {
    auto& prefix = work_prefix_[v];
    prefix.assign(1, 0.0);
    for (const int e : elements_[v]) {
      double w = 0.0;
      for (const auto op : node(e).ops) w += op_work[op];
      prefix.push_back(prefix.back() + w);
    }
  }
  branch_work_prefix_ = child_prefix(work_prefix_);
}

std::vector<std::vector<double>> GraphPipeSearch::Impl::child_prefix(
    const std::vector<std::vector<double>>& prefix) const {
  std::vector<std::vector<double>> out(prefix.size());
  for (std::size_t v = 0; v < prefix.size(); ++v) {
    out[v].assign(1, 0.0);
    for (const int c : node(static_cast<int>(v)).children) {
      out[v].push_back(out[v].back() + prefix[static_cast<std::size_t>(c)].back());
    }
  }
  return out;
}

// ---- memo tables -----------------------------------------------------------------------------

std::uint64_t GraphPipeSearch::Impl::cell(int range, int n, int m) const {
  GPPSIM_CHECK(n >= 0 && n <= n_dev_ && m >= 0 && m <= n_dev_, fmt::format("DP cell n={} m={} out of range", n, m));
  const auto side = static_cast<std::uint64_t>(n_dev_) + 1;
  return (static_cast<std::uint64_t>(range) * side + static_cast<std::uint64_t>(n)) * side +
         static_cast<std::uint64_t>(m);
}

std::uint64_t GraphPipeSearch::Impl::seq_key(int s, int i, int j, int n, int m) {
  int& id = pair_slot(seq_ids_, canon(s), len(s), i, j);
  if (id < 0) id = seq_ranges_++;
  return cell(id, n, m);
}

std::uint64_t GraphPipeSearch::Impl::par_key(int p, int a, int h1, int h2, int n, int m) {
  const auto l1 = static_cast<std::size_t>(len(first_branch(p))) + 1;
  const auto l2 = static_cast<std::size_t>(len(last_branch(p))) + 1;
  const auto r = static_cast<std::size_t>(branches(p)) + 1;
  const std::size_t index = a == 0 ? static_cast<std::size_t>(h1) * l2 + static_cast<std::size_t>(h2)
                                   : l1 * l2 + static_cast<std::size_t>(a) * l2 + static_cast<std::size_t>(h2);
  int& id = slot(par_ids_[static_cast<std::size_t>(canon(p))], l1 * l2 + r * l2, index);
  if (id < 0) id = par_ranges_++;
  return cell(id, n, m);
}

// ---- reconstruction --------------------------------------------------------------------------
// Each state is re-asked first: an entry reused at this target may point at sub-states whose
// entries were overwritten at other targets since; re-asking recomputes them, with the same
// answer, because this target lies in the interval the parent's answer was valid for.

void GraphPipeSearch::Impl::emit_seq(int s, int i, int j, int n, int m, std::vector<PlannedStage>& out) {
  if (i == j) return;
  const int v = seq(s, i, j, n, m);
  const SeqEntry e = seq_table_.at(seq_key(s, i, j, n, m));
  GPPSIM_CHECK(v < kInf && reusable(e), "reconstructing a DP state that was not solved");
  const SeqChoice& c = e.choice;
  if (c.kind == SeqKind::kSegment) {
    emit_stage(seg_unit(s, i, c.k), seg_ops(s, i, c.k), c.dx, out);
    emit_seq(s, c.k, j, n - c.dx, m, out);
  } else if (c.kind == SeqKind::kParallel) {
    const int p = at(s, i);
    const int m2 = i + 1 == j ? m : seq(s, i + 1, j, n - c.np, m);
    emit_par(p, 0, 0, len(last_branch(p)), c.np, m2, out);
    emit_seq(s, i + 1, j, n - c.np, m, out);
  } else {
    const int q = at(s, c.p);
    const bool has_y = c.h2 < len(last_branch(q));
    if (c.h1 > 0) emit_stage(x_unit(s, i, c.p, c.h1), x_ops(s, i, c.p, c.h1), c.dx, out);
    const int mrest = c.k == j ? m : seq(s, c.k, j, c.nrest, m);
    emit_par(q, 0, c.h1, c.h2, c.np, has_y ? mrest + 1 : mrest, out);
    if (has_y) emit_stage(y_unit(s, c.p, c.h2, c.k), y_ops(s, c.p, c.h2, c.k), c.dy, out);
    emit_seq(s, c.k, j, c.nrest, m, out);
  }
}

void GraphPipeSearch::Impl::emit_par(int p, int a, int h1, int h2, int n, int m, std::vector<PlannedStage>& out) {
  const int a0 = a;
  const int h10 = h1;
  const int end = normalise(p, a, h1, h2);
  if (a >= end) return;
  const int v = par(p, a0, h10, h2, n, m);
  const ParEntry e = par_table_.at(par_key(p, a, h1, h2, n, m));
  GPPSIM_CHECK(v < kInf && reusable(e), "reconstructing a DP state that was not solved");
  if (e.choice.kind == ParKind::kSingle) {
    const int c = node(p).children[static_cast<std::size_t>(a)];
    const int lo = a == 0 ? h1 : 0;
    const int hi = a == branches(p) - 1 ? h2 : len(c);
    emit_seq(c, lo, hi, e.choice.devices, m, out);
    emit_par(p, a + 1, h1, h2, n - e.choice.devices, m, out);
  } else {
    emit_stage(group_unit(p, a, e.choice.g), group_ops(p, a, e.choice.g), e.choice.devices, out);
    emit_par(p, e.choice.g, 0, h2, n - e.choice.devices, m, out);
  }
}

// ---- public forwarding -----------------------------------------------------------------------

GraphPipeSearch::GraphPipeSearch(const SpTree& tree, const StageEstimator& estimator)
    : impl_(std::make_unique<Impl>(tree, estimator)) {}

GraphPipeSearch::~GraphPipeSearch() = default;

std::optional<SearchSolution> GraphPipeSearch::solve(std::int64_t micro_batch, core::Seconds target, Memory memory) {
  return impl_->solve(micro_batch, target, memory);
}

std::int64_t GraphPipeSearch::states_evaluated() const { return impl_->states(); }

bool GraphPipeSearch::memory_bound() const { return impl_->memory_bound(); }

GraphPipeSearch::TargetInterval GraphPipeSearch::last_interval() const {
  const graphpipe_detail::Interval w = impl_->root_window();
  return {w.lo, w.hi};
}

}  // namespace gppsim::plan
