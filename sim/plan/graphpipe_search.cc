// GraphPipeSearch: the transitions of GraphPipe's memoised DP (sim/plan/graphpipe.md, "DP").
// State definitions: graphpipe_search_impl.h. Tables, candidate stages, reconstruction:
// graphpipe_search_tables.cc.
//
// Early exits. Every candidate of a non-empty range has a value >= m + 1 (its entry stage holds
// one more than what it feeds), and a candidate that puts more than one stage on a path has a
// value >= m + 2. Candidates are enumerated in a fixed order and the first smallest wins, so
// a candidate can be skipped when it cannot be strictly smaller than the best so far and comes
// later. Values never rise with more devices ("at most n"), which also lets a degree loop stop
// once the rest's value, which only rises with the degree, can no longer win.

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "sim/core/check.h"
#include "sim/plan/graphpipe_search_impl.h"

namespace gppsim::plan {

using graphpipe_detail::kInf;
using graphpipe_detail::ParKind;
using graphpipe_detail::SeqKind;

int GraphPipeSearch::Impl::seq(int s, int i, int j, int n, int m) {
  if (i == j) return m;
  if (n <= 0 || range_hopeless(seq_work(s, i, j), seq_static(s, i, j), n)) return kInf;
  const std::uint64_t key = seq_key(s, i, j, n, m);
  if (const SeqEntry& e = seq_table_.at(key); reusable(e)) return e.value;
  ++states_;
  const graphpipe_detail::Interval outer = open_window();
  Best<SeqChoice> best;
  if (!whole_range(s, i, j, n, m, best)) {
    segments(s, i, j, n, m, best);
    // A parallel child followed by more elements, and every block, has two stages on a path.
    if (is_parallel(at(s, i)) && (i + 1 == j || best.value > m + 2)) parallel_child(s, i, j, n, m, best);
    if (best.value > m + 2) blocks(s, i, j, n, m, best);
  }
  close_window(seq_table_.at(key), best, outer);  // the recursion may have moved the entry
  return best.value;
}

// The whole range as one stage: value m + 1, the least any candidate can have. It is the last
// chain segment of the enumeration but precedes every other m + 1 candidate (parallel children
// and blocks come after the segments), so when it fits it is the answer.
bool GraphPipeSearch::Impl::whole_range(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  const int u = seg_unit(s, i, j);
  if (hopeless(u, n)) return false;
  for (const int d : degrees(n)) {
    if (!tps_ok(u, d) || !fits(u, d, m + 1)) continue;
    SeqChoice c;
    c.kind = SeqKind::kSegment;
    c.k = static_cast<std::int16_t>(j);
    c.dx = static_cast<std::int16_t>(d);
    best.consider(m + 1, c);
    return true;
  }
  return false;
}

// A chain segment i..k-1 (k < j) as one stage of degree d, then the rest: value >= m + 2.
void GraphPipeSearch::Impl::segments(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  for (int k = i + 1; k < j && best.value > m + 2; ++k) {
    const int u = seg_unit(s, i, k);
    if (hopeless(u, n)) break;  // longer segments are no better
    for (const int d : degrees(n)) {
      if (d == n) break;
      if (!tps_ok(u, d)) continue;
      const int m2 = seq(s, k, j, n - d, m);
      if (m2 + 1 >= best.value) break;  // a larger d leaves fewer devices: m2 only rises
      if (!fits(u, d, m2 + 1)) continue;
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
    if (i + 1 < j && best.value <= m + 2) break;
    const int m2 = i + 1 == j ? m : seq(s, i + 1, j, n - np, m);
    if (m2 >= kInf) break;  // fewer devices for the rest stay infeasible
    const int v = par(p, 0, 0, whole, np, m2);
    SeqChoice c;
    c.kind = SeqKind::kParallel;
    c.np = static_cast<std::int16_t>(np);
    if (v < kInf) best.consider(v, c);
  }
}

// Blocks: a parallel node p whose fork stage X (elements i..p-1 plus the head of branch 0)
// and/or join stage Y (the tail of the last branch plus elements p+1..k2-1) reach into it.
// Every block has two stages on a path (X or Y, and a branch stage or the rest): value >= m + 2.
void GraphPipeSearch::Impl::blocks(int s, int i, int j, int n, int m, Best<SeqChoice>& best) {
  graphpipe_detail::RestValues rest{i, n, {}};
  for (int p = i; p < j && best.value > m + 2; ++p) {
    if (!is_parallel(at(s, p))) continue;
    if (p > i && node(at(s, p - 1)).kind != SpKind::kLeaf) continue;
    const int q = at(s, p);
    const int l1 = len(first_branch(q));
    const int l2 = len(last_branch(q));
    const bool join = p + 1 < j && node(at(s, p + 1)).kind == SpKind::kLeaf;
    const int h1_lo = p == i ? 0 : 1;
    const int h1_hi = p == i ? 0 : l1;
    for (int h1 = h1_lo; h1 <= h1_hi && best.value > m + 2; ++h1) {
      if (h1 > 0 && hopeless(x_unit(s, i, p, h1), n)) break;  // larger heads are no better
      SeqChoice c;
      c.kind = SeqKind::kBlock;
      c.p = static_cast<std::int16_t>(p);
      c.h1 = static_cast<std::int16_t>(h1);
      if (h1 > 0) {
        c.h2 = static_cast<std::int16_t>(l2);
        c.k = static_cast<std::int16_t>(p + 1);
        block(s, i, j, n, m, c, rest, best);
      }
      // Longer tails (smaller h2) and longer join segments (larger k2) only add ops.
      for (int h2 = l2 - 1; join && h2 >= 0 && best.value > m + 2; --h2) {
        if (hopeless(y_unit(s, p, h2, p + 2), n)) break;
        for (int k2 = p + 2; k2 <= j && best.value > m + 2; ++k2) {
          if (hopeless(y_unit(s, p, h2, k2), n)) break;
          c.h2 = static_cast<std::int16_t>(h2);
          c.k = static_cast<std::int16_t>(k2);
          block(s, i, j, n, m, c, rest, best);
        }
      }
    }
  }
}

void GraphPipeSearch::Impl::block(int s, int i, int j, int n, int m, SeqChoice c, graphpipe_detail::RestValues& rest,
                                  Best<SeqChoice>& best) {
  const int q = at(s, c.p);
  const int x = c.h1 > 0 ? x_unit(s, i, c.p, c.h1) : -1;
  const int y = c.h2 < len(last_branch(q)) ? y_unit(s, c.p, c.h2, c.k) : -1;
  const bool rest_empty = c.k == j;
  // Least value of this block: X adds one, the branches one (unless all are absorbed), Y one,
  // and a non-empty rest holds at least m + 1. Blocks come last, so a tie cannot win either.
  const int first = c.h1 == len(first_branch(q)) ? 1 : 0;
  const int end = c.h2 == 0 ? branches(q) - 1 : branches(q);
  const int least = (x >= 0 ? 1 : 0) + (first < end ? 1 : 0) + (y >= 0 ? 1 : 0) + (rest_empty ? m : m + 1);
  if (least >= best.value) return;
  if (rest_empty) {
    block_to_end(q, n, m, c, x, y, best);
  } else {
    block_with_rest(s, j, q, n, m, c, x, y, least, rest, best);
  }
}

// A block that ends the range: the branches get what X and Y leave, so their value only rises
// with dy (and with dx at the smallest usable dy), which ends the loops early.
void GraphPipeSearch::Impl::block_to_end(int q, int n, int m, SeqChoice c, int x, int y, Best<SeqChoice>& best) {
  const int my = y >= 0 ? m + 1 : m;
  const Degrees dxs = x >= 0 ? degrees(n) : graphpipe_detail::no_degrees();
  const Degrees dys = y >= 0 ? degrees(n) : graphpipe_detail::no_degrees();
  for (const int dx : dxs) {
    if (x >= 0 && !tps_ok(x, dx)) continue;
    bool smallest_dy = true;
    for (const int dy : dys) {
      if (y >= 0 && (!tps_ok(y, dy) || !fits(y, dy, my))) continue;
      const int budget = n - dx - dy;
      if (budget < 0) break;
      const int v = par(q, 0, c.h1, c.h2, budget, my);
      const int value = x >= 0 ? v + 1 : v;
      if (value >= best.value) {
        if (smallest_dy) return;  // every later (dx, dy) leaves the branches no more devices
        break;
      }
      smallest_dy = false;
      if (x >= 0 && !fits(x, dx, v + 1)) continue;
      c.dx = static_cast<std::int16_t>(dx);
      c.dy = static_cast<std::int16_t>(dy);
      c.np = static_cast<std::int16_t>(budget);
      c.nrest = 0;
      best.consider(value, c);
    }
  }
}

int GraphPipeSearch::Impl::rest_value(int s, int k, int j, int nrest, int m, graphpipe_detail::RestValues& rest) {
  const auto width = static_cast<std::size_t>(rest.n) + 1;
  if (rest.values.empty()) rest.values.assign(static_cast<std::size_t>(j - rest.i + 1) * width, -1);
  std::int16_t& v = rest.values[static_cast<std::size_t>(k - rest.i) * width + static_cast<std::size_t>(nrest)];
  if (v < 0) v = static_cast<std::int16_t>(seq(s, k, j, nrest, m));
  return v;
}

// The branches get budget - nrest devices; below `need` of them their range bound rules them out
// (least_branch_devices), so larger nrest are skipped, recording what the skipped asks would have:
// only the largest such count's work comparison matters, as the others' thresholds are higher.
void GraphPipeSearch::Impl::block_with_rest(int s, int j, int q, int n, int m, SeqChoice c, int x, int y, int least,
                                            graphpipe_detail::RestValues& rest, Best<SeqChoice>& best) {
  const Degrees dxs = x >= 0 ? degrees(n) : graphpipe_detail::no_degrees();
  const Degrees dys = y >= 0 ? degrees(n) : graphpipe_detail::no_degrees();
  const RangeNeed need = least_branch_devices(q, 0, c.h1, c.h2, n);
  for (const int dx : dxs) {
    if (x >= 0 && !tps_ok(x, dx)) continue;
    for (const int dy : dys) {
      if (y >= 0 && !tps_ok(y, dy)) continue;
      const int budget = n - dx - dy;
      for (int nrest = 1; nrest <= budget - need.devices; ++nrest) {
        if (least >= best.value) return;  // later candidates of this block cannot win
        const int mrest = rest_value(s, c.k, j, nrest, m, rest);
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
      record_skipped(need, std::min(need.devices, budget) - 1);
    }
  }
}

GraphPipeSearch::Impl::RangeNeed GraphPipeSearch::Impl::least_branch_devices(int p, int a, int h1, int h2, int cap) {
  const int end = normalise(p, a, h1, h2);
  if (a >= end) return RangeNeed{};
  const auto [work, statics] = branch_load(p, a, h1, h2, end);
  return least_devices(work, statics, cap);
}

GraphPipeSearch::Impl::RangeNeed GraphPipeSearch::Impl::least_devices(double work, double statics, int cap) const {
  RangeNeed need{1, work, statics};
  const double w = work * kWorkMargin;
  auto passes = [&](int k) {
    return statics <= k * capacity_bytes_ && w / static_cast<double>(k) <= target_;
  };
  // A guess from the two ratios, then the exact comparisons range_hopeless makes.
  const double guess = std::max(std::ceil(statics / capacity_bytes_), std::ceil(w / target_));
  if (guess > 1.0) need.devices = guess > cap ? cap + 1 : static_cast<int>(guess);
  while (need.devices > 1 && passes(need.devices - 1)) --need.devices;
  while (need.devices <= cap && !passes(need.devices)) ++need.devices;
  return need;
}

void GraphPipeSearch::Impl::record_skipped(const RangeNeed& need, int largest) {
  if (largest >= 1 && need.statics <= largest * capacity_bytes_) {
    at_most_target(need.work * kWorkMargin / static_cast<double>(largest));
  }
}

/// Normalises a branch-range key: skips a fully absorbed branch 0, forgets h1 past branch 0.
/// Returns the end of the branch range (the last branch is left out when fully absorbed).
int GraphPipeSearch::Impl::normalise(int p, int& a, int& h1, int h2) const {
  if (a == 0 && h1 == len(first_branch(p))) a = 1;
  if (a >= 1) h1 = 0;
  return h2 == 0 ? branches(p) - 1 : branches(p);
}

// range_hopeless for branches a..end-1 of p, branch 0 from element h1, the last before h2:
// the whole branches' sums less branch 0's head and the last branch's tail.
bool GraphPipeSearch::Impl::branches_hopeless(int p, int a, int h1, int h2, int end, int n) {
  const auto [work, statics] = branch_load(p, a, h1, h2, end);
  return range_hopeless(work, statics, n);
}

std::pair<double, double> GraphPipeSearch::Impl::branch_load(int p, int a, int h1, int h2, int end) const {
  const int r = branches(p);
  const int first = first_branch(p), last = last_branch(p);
  double work = branch_work(p, a, end), statics = branch_static(p, a, end);
  if (a == 0) {
    work -= seq_work(first, 0, h1);
    statics -= seq_static(first, 0, h1);
  }
  if (end == r) {
    work -= seq_work(last, h2, len(last));
    statics -= seq_static(last, h2, len(last));
  }
  return {work, statics};
}

// The same bound part by part, for a state that is not in the memo: branch 0 cut at h1 and the
// last branch cut at h2 can only be solved as seq (groups take whole branches), so each part's
// stages have degrees summing to at least ceil(part's work / t), and the parts' devices add up.
bool GraphPipeSearch::Impl::parts_hopeless(int p, int a, int h1, int h2, int end, int n) {
  const int r = branches(p);
  const int first = first_branch(p), last = last_branch(p);
  const bool head = a == 0 && h1 > 0 && end > 1;
  const bool tail = end == r && h2 < len(last) && a < r - 1;
  if (!head && !tail) return false;
  const double head_work = head ? seq_work(first, h1, len(first)) : 0.0;
  const double tail_work = tail ? seq_work(last, 0, h2) : 0.0;
  const double middle_work = branch_work(p, head ? 1 : a, tail ? r - 1 : end);
  return devices_needed(head_work, n) + devices_needed(middle_work, n) + devices_needed(tail_work, n) > n;
}

int GraphPipeSearch::Impl::par(int p, int a, int h1, int h2, int n, int m) {
  const int end = normalise(p, a, h1, h2);
  if (a >= end) return m;
  if (n <= 0 || branches_hopeless(p, a, h1, h2, end, n)) return kInf;
  const std::uint64_t key = par_key(p, a, h1, h2, n, m);
  if (const ParEntry& e = par_table_.at(key); reusable(e)) return e.value;
  if (parts_hopeless(p, a, h1, h2, end, n)) return kInf;
  ++states_;
  const graphpipe_detail::Interval outer = open_window();
  Best<ParChoice> best;
  const int r = branches(p);
  const int c = node(p).children[static_cast<std::size_t>(a)];
  const int lo = a == 0 ? h1 : 0;
  const int hi = a == r - 1 ? h2 : len(c);
  if (a + 1 >= end) {
    const int v = seq(c, lo, hi, n, m);
    if (v < kInf) best.consider(v, ParChoice{ParKind::kSingle, 0, static_cast<std::int16_t>(n)});
  } else {
    split(p, a, h1, h2, n, m, c, lo, hi, best);
  }
  // Groups come last and are worth at least m + 1.
  if (lo == 0 && best.value > m + 1) groups(p, a, h2, end, lo, n, m, best);
  close_window(par_table_.at(key), best, outer);  // the recursion may have moved the entry
  return best.value;
}

// Whole branches a..g-1 (g >= a + 2) as one stage of degree d, then the later branches.
void GraphPipeSearch::Impl::groups(int p, int a, int h2, int end, int lo, int n, int m, Best<ParChoice>& best) {
  const int r = branches(p);
  for (int g = a + 2; lo == 0 && g <= end && best.value > m + 1; ++g) {
    if (g == r && h2 != len(last_branch(p))) break;
    const int u = group_unit(p, a, g);
    if (hopeless(u, n)) break;
    for (const int d : degrees(n)) {
      if (g < end && d == n) break;
      if (!tps_ok(u, d) || !fits(u, d, m + 1)) continue;
      const int rest = g == end ? m : par(p, g, 0, h2, n - d, m);
      if (std::max(m + 1, rest) >= best.value) break;  // a larger d leaves fewer devices: rest only rises
      best.consider(std::max(m + 1, rest),
                    ParChoice{ParKind::kGroup, static_cast<std::int16_t>(g), static_cast<std::int16_t>(d)});
    }
  }
}

// Branch a gets n1 devices, the later branches n - n1. f(n1) = seq(branch a, n1) never rises
// with n1 and g(n1) = par(a + 1, n - n1) never falls (more devices never hurt: "at most n"), so
// min over n1 of max(f, g) sits where they cross: binary-search the first n1 with f <= g and
// compare it with n1 - 1.
void GraphPipeSearch::Impl::split(int p, int a, int h1, int h2, int n, int m, int c, int lo, int hi,
                                  Best<ParChoice>& best) {
  // The last two probes of the bisection are usually the two candidates: keep them.
  std::array<std::array<int, 3>, 2> seen{{{-1, 0, 0}, {-1, 0, 0}}};  // n1, f, g
  auto probe = [&](int n1) -> const std::array<int, 3>& {
    for (const auto& e : seen) {
      if (e[0] == n1) return e;
    }
    seen[1] = seen[0];
    seen[0] = {n1, seq(c, lo, hi, n1, m), par(p, a + 1, h1, h2, n - n1, m)};
    return seen[0];
  };
  auto f = [&](int n1) { return probe(n1)[1]; };
  auto g = [&](int n1) { return probe(n1)[2]; };
  // Below `first` devices branch a fails its range bound, above `last` the later branches do.
  const RangeNeed f_need = least_devices(seq_work(c, lo, hi), seq_static(c, lo, hi), n);
  const RangeNeed g_need = least_branch_devices(p, a + 1, h1, h2, n);
  const int first = std::max(1, f_need.devices);
  const int last = std::min(n - 1, n - g_need.devices);
  record_skipped(f_need, std::min(f_need.devices, n) - 1);
  record_skipped(g_need, std::min(g_need.devices, n) - 1);
  int left = first;
  int right = last + 1;  // last + 1 stands for "no crossing in [first, last]"
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
  if (cross > first) take(cross - 1);
  if (cross <= last) take(cross);
}

}  // namespace gppsim::plan
