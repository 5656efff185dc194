// Piper's DP restricted to tensor degree 1 and the "vanilla" option, as a one-dimensional table
// g[D][m] (m = devices, which with t = 1 also bounds the sum of data-parallel degrees). Stage
// figures come from per-downset prefix sums and the edges entering the two downsets, so a
// (D, D') pair costs O(entering edges + degrees * drop points), not O(|stage|). Passes with a
// bound U on the objective skip the pairs that compute lower bounds rule out of every plan
// below U; the result equals the unpruned DP's (piper.md, "Speed").

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/plan/piper_dp.h"

namespace gppsim::plan {
namespace {

/// The tensor-degree-1 "vanilla" option of every node.
std::vector<const PiperNodeOption*> vanilla_options(const PiperProblem& problem) {
  std::vector<const PiperNodeOption*> out;
  for (std::size_t v = 0; v < problem.options.size(); ++v) {
    const PiperNodeOption* found = nullptr;
    for (const PiperNodeOption& o : problem.options[v]) {
      if (o.tensor_degree == 1 && o.id == "vanilla") found = &o;
    }
    if (found == nullptr) {
      throw core::PlanError(
          fmt::format("Piper node {} has no tensor-degree-1 \"vanilla\" option", v));
    }
    out.push_back(found);
  }
  return out;
}

double sync_bytes(const std::map<std::size_t, core::Bytes>& sync, std::size_t key) {
  const auto it = sync.find(key);
  return it == sync.end() ? 0.0 : it->second.value();
}

/// "No pruning bound".
constexpr double kNoBound = std::numeric_limits<double>::infinity();

/// Per-downset sums of the vanilla figures, packed so one pair touches one cache line of D'.
struct DownsetSums {
  double time = 0.0;
  double params = 0.0;
  double memory_a = 0.0;
  double memory_b = 0.0;
  double cut_out = 0.0;  ///< Σ out_cost over the edges entering the downset
};

/// The edges entering a downset D at one head node, and what they cost when they skip a stage.
struct CutEdge {
  std::size_t head = 0;
  double both = 0.0;  ///< Σ in_cost + out_cost over those edges
};

/// Sums over one stage D \ D' (per "sample" and per device as Piper counts them).
struct StageFigures {
  double time = 0.0;      ///< Σ p_v, seconds
  double params = 0.0;    ///< Σ w_v, bytes
  double memory_a = 0.0;  ///< Σ a_v, bytes per in-flight micro-batch
  double memory_b = 0.0;  ///< Σ b_v, bytes
  double boundary = 0.0;  ///< Σ 2 (c + sync) over edges crossing the stage boundary, bytes
};

class VanillaDp {
 public:
  VanillaDp(const PiperProblem& problem, const DownsetSpace& space)
      : problem_(problem),
        space_(space),
        options_(vanilla_options(problem)),
        mx_(std::min(problem.devices, problem.micro_batches)),
        degrees_(allowed_data_degrees(problem)) {
    for (const int d : degrees_) {
      inv_d_.push_back(1.0 / d);
      resync_factor_.push_back(4.0 * (d - 1.0) / d / problem.micro_batches);
    }
    build_edge_costs();
    build_prefix_sums();
    build_cuts();
    build_order();
    drops_.assign(space_.size() * width(), 0);
  }

  PiperSolution solve() {
    PiperSolution out;
    const std::size_t full = space_.size() - 1;
    // Passes with a bound U, starting at L (1 + 1/32), L = Σp / min(K, N) the compute lower
    // bound no plan beats: a pass only visits pairs that can take part in a plan below U, so a
    // value below U is optimal. Otherwise the optimum is >= U: the next pass uses just above the
    // plan found (then proven optimal), else U (1 + 1/16) four times, then doubling steps; the
    // tenth pass prunes nothing.
    const double lower = sums_[full].time / mx_;
    double bound = lower > 0.0 ? lower * (1.0 + 1.0 / 32.0) : kNoBound;
    double step = 1.0 / 16.0;
    for (int pass = 1;; ++pass) {
      run_table(bound, out.num_pairs);
      const double found = value(full, mx_);
      if (found < bound) break;
      if (pass > 4) step *= 2.0;
      bound = pass >= 9                    ? kNoBound
              : found < kPiperInfinity / 2 ? found * (1.0 + 1e-6)
                                           : bound * (1.0 + step);
    }
    const double best = value(full, mx_);
    if (best > kPiperInfinity / 2) return out;
    int m = 0;
    while (value(full, m) > best + kPiperTolerance) ++m;
    out.status = PiperStatus::kOk;
    out.time_per_sample = core::Seconds(best);
    rebuild(full, m, out.stages);
    return out;
  }

 private:
  [[nodiscard]] std::size_t width() const { return static_cast<std::size_t>(mx_) + 1; }
  [[nodiscard]] double value(std::size_t id, int m) const {
    return g_[id * width() + static_cast<std::size_t>(m)];
  }

  void build_prefix_sums() {
    sums_.assign(space_.size(), DownsetSums{});
    for (std::size_t id = 0; id < space_.size(); ++id) {
      DownsetSums& s = sums_[id];
      for (std::size_t v = 0; v < options_.size(); ++v) {
        if (!space_.contains(id, v)) continue;
        s.time += options_[v]->time_per_sample.value();
        s.params += options_[v]->parameter_bytes.value();
        s.memory_a += options_[v]->memory_a.value();
        s.memory_b += options_[v]->memory_b.value();
      }
      for (const std::uint32_t e : space_.entering_edges(id)) s.cut_out += out_cost_[e];
    }
  }

  // boundary(D \ D') = in-edges of the stage + out-edges of the stage
  //   = Σ_{cut(D)} in + Σ_{cut(D')} out - Σ_{edges from outside D into D'} (in + out),
  // the last sum running over the edges of cut(D) whose head lies in D'.
  void build_cuts() {
    cut_begin_.assign(1, 0);
    cut_in_.assign(space_.size(), 0.0);
    head_mask_.assign(space_.size() * space_.words(), 0);
    for (std::size_t id = 0; id < space_.size(); ++id) {
      const std::size_t first = cuts_.size();
      for (const std::uint32_t e : space_.entering_edges(id)) {
        cut_in_[id] += in_cost_[e];
        const std::size_t head = problem_.edges[e].to;
        head_mask_[id * space_.words() + head / 64] |= std::uint64_t{1} << (head % 64);
        // One entry per head: a pair tests each head once.
        auto same = std::find_if(cuts_.begin() + static_cast<std::ptrdiff_t>(first), cuts_.end(),
                                 [&](const CutEdge& c) { return c.head == head; });
        if (same == cuts_.end()) same = cuts_.insert(cuts_.end(), CutEdge{head, 0.0});
        same->both += in_cost_[e] + out_cost_[e];
      }
      cut_begin_.push_back(cuts_.size());
    }
  }

  // An edge u -> v entering a stage is paid with v's option (syncTimeFw), one leaving it with
  // u's option (syncTimeBw), both twice: forward activation and backward gradient.
  void build_edge_costs() {
    for (const PiperEdge& e : problem_.edges) {
      in_cost_.push_back(2.0 * (e.bytes.value() + sync_bytes(options_[e.to]->sync_in, e.from)));
      out_cost_.push_back(2.0 * (e.bytes.value() + sync_bytes(options_[e.from]->sync_out, e.to)));
    }
  }

  /// Downsets by (compute, size): every proper subset comes first.
  void build_order() {
    order_.resize(space_.size());
    for (std::size_t id = 0; id < order_.size(); ++id) order_[id] = id;
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      return sums_[a].time < sums_[b].time;  // ids are by size already
    });
    for (const std::size_t id : order_) sorted_time_.push_back(sums_[id].time);
    GPPSIM_CHECK(order_[0] == 0, "the empty set must come first");
  }

  /// Bytes of the edges that jump from outside D over the stage into D'.
  [[nodiscard]] double skipping_bytes(std::size_t id, std::size_t sub) const {
    const std::uint64_t* heads = &head_mask_[id * space_.words()];
    const std::uint64_t* inner = space_.bits(sub);
    bool any = false;
    for (std::size_t w = 0; w < space_.words(); ++w) any = any || (heads[w] & inner[w]) != 0;
    if (!any) return 0.0;
    double skip = 0.0;
    for (std::size_t i = cut_begin_[id]; i < cut_begin_[id + 1]; ++i) {
      skip += space_.contains(sub, cuts_[i].head) ? cuts_[i].both : 0.0;
    }
    return skip;
  }

  [[nodiscard]] StageFigures stage(std::size_t id, std::size_t sub) const {
    const DownsetSums& a = sums_[id];
    const DownsetSums& b = sums_[sub];
    return StageFigures{a.time - b.time, a.params - b.params, a.memory_a - b.memory_a,
                        a.memory_b - b.memory_b, cut_in_[id] + b.cut_out - skipping_bytes(id, sub)};
  }

  /// Stage TPS with the i-th allowed degree d: compute / d + (edges / d + resync) / β, the
  /// resync being 4 (d - 1) w / (d N) bytes (PipeDream's parameter-server all-reduce).
  [[nodiscard]] double tps(const StageFigures& f, std::size_t i) const {
    return f.time * inv_d_[i] +
           (f.boundary * inv_d_[i] + resync_factor_[i] * f.params) / problem_.bandwidth.value();
  }

  [[nodiscard]] bool fits(const StageFigures& f, int y) const {
    return f.memory_a * y + f.memory_b <= problem_.memory_per_device.value();
  }

  /// Relaxes g[id][·] with (D', d): max(g[D'][m - d], T) only at D''s drop points, up to the
  /// first one where T dominates; the later prefix-min fills the m in between (algo.cpp's
  /// FASTER_DP_IMPLEMENTATION). Stops where the stage's memory a ceil(m / d) + b exceeds M,
  /// which only grows with m.
  void relax(double* row, std::size_t sub, const StageFigures& f, int d, double t) const {
    const int* drops = &drops_[sub * width()];
    const double limit = problem_.memory_per_device.value();
    for (int i = 0; i < drop_count_[sub]; ++i) {
      const int m = drops[i] + d;
      if (m > mx_ || f.memory_a * ((m + d - 1) / d) + f.memory_b > limit) return;
      const double below = value(sub, drops[i]);
      if (below > t) {
        row[m] = std::min(row[m], below);
      } else {
        row[m] = std::min(row[m], t);
        return;
      }
    }
  }

  void relax_pair(double* row, std::size_t id, std::size_t sub, std::size_t i0,
                  std::size_t i1) const {
    const StageFigures f = stage(id, sub);
    for (std::size_t i = i0; i < i1; ++i) relax(row, sub, f, degrees_[i], tps(f, i));
  }

  /// Prefix minimum over m (at most m devices) and the drop points of the finished row.
  void finish_row(std::size_t id) {
    double* row = &g_[id * width()];
    int* drops = &drops_[id * width()];
    int count = 0;
    drops[count++] = 0;
    for (int m = 1; m <= mx_; ++m) {
      row[m] = std::min(row[m], row[m - 1]);
      if (row[m] + kPiperTolerance < row[m - 1]) drops[count++] = m;
    }
    drop_count_[id] = count;
  }

  /// Device counts m at which downset D can matter for a plan with TPS < bound: D must run on
  /// m devices and the rest of the graph on the other min(K, N) - m, each at TPS >= Σ p / devices.
  [[nodiscard]] std::pair<int, int> live_range(std::size_t id, double bound) const {
    if (bound == kNoBound) return {1, mx_};
    const double total = sums_[space_.size() - 1].time;
    const double u = bound * (1.0 + 1e-9);
    const double mine = sums_[id].time;
    const double rest = total - mine - 1e-9 * total;
    int lo = 1;
    while (lo <= mx_ && mine > lo * u) ++lo;
    int hi = mx_;
    while (hi >= lo && rest > (mx_ - hi) * u) --hi;
    return {lo, hi};
  }

  /// Relaxes row `id` with every D' at sorted positions [0, pos) whose compute lies in [lo, hi]
  /// and degrees [i0, i1).
  void scan(std::size_t id, std::size_t pos, double lo, double hi, std::size_t i0, std::size_t i1,
            std::int64_t& pairs) {
    double* row = &g_[id * width()];
    const auto first = std::lower_bound(
        sorted_time_.begin(), sorted_time_.begin() + static_cast<std::ptrdiff_t>(pos), lo);
    for (auto q = static_cast<std::size_t>(first - sorted_time_.begin());
         q < pos && sorted_time_[q] <= hi; ++q) {
      const std::size_t sub = order_[q];
      if (!space_.is_subset(sub, id)) continue;
      ++pairs;
      relax_pair(row, id, sub, i0, i1);
    }
  }

  /// One pass of the DP in order of compute (a subset never computes more). With a finite
  /// bound, degree d only visits D' with Σp(D') in [Σp(D) - d U, (hi - d) U]: the stage must fit
  /// in d devices and D' in the rest of D's live range, both at TPS < U.
  void run_table(double bound, std::int64_t& pairs) {
    g_.assign(space_.size() * width(), kPiperInfinity);
    drop_count_.assign(space_.size(), 0);
    std::fill_n(g_.begin(), width(), 0.0);  // the empty set costs nothing on any device count
    finish_row(0);
    const double slack = 1e-9 * sums_[space_.size() - 1].time;
    for (std::size_t pos = 1; pos < order_.size(); ++pos) {
      const std::size_t id = order_[pos];
      const auto [lo, hi] = live_range(id, bound);
      if (bound == kNoBound) {
        scan(id, pos, -1.0, kNoBound, 0, degrees_.size(), pairs);
      } else {
        const double u = bound * (1.0 + 1e-9);
        for (std::size_t i = 0; i < degrees_.size() && lo <= hi && degrees_[i] <= hi; ++i) {
          scan(id, pos, sorted_time_[pos] - degrees_[i] * u - slack, (hi - degrees_[i]) * u + slack,
               i, i + 1, pairs);
        }
      }
      finish_row(id);
    }
  }

  /// Finds the stage that realises g[id][m]: the smallest m' <= m, then the largest stage
  /// (smallest D'), then the smallest d; appends it and recurses on D'.
  void rebuild(std::size_t id, int m, std::vector<PiperStage>& stages) const {
    while (id != 0) {
      const double target = value(id, m) + kPiperTolerance;
      bool found = false;
      for (int mp = 1; mp <= m && !found; ++mp) {
        for (std::size_t sub = 0; sub < space_.first_of_size(id) && !found; ++sub) {
          if (!space_.is_subset(sub, id)) continue;
          const StageFigures f = stage(id, sub);
          for (std::size_t i = 0; i < degrees_.size(); ++i) {
            const int d = degrees_[i];
            if (d > mp || !fits(f, (mp + d - 1) / d)) continue;
            const double t = tps(f, i);
            if (std::max(value(sub, mp - d), t) > target) continue;
            stages.push_back(make_stage(id, sub, d, t));
            id = sub, m = mp - d, found = true;
            break;
          }
        }
      }
      GPPSIM_CHECK(found, "Piper DP: no stage realises a finite table value");
    }
  }

  [[nodiscard]] PiperStage make_stage(std::size_t id, std::size_t sub, int d, double t) const {
    PiperStage s;
    s.nodes = space_.difference(id, sub);
    s.data_degree = d;
    s.tensor_degree = 1;
    s.option_ids.assign(s.nodes.size(), "vanilla");
    s.time_per_sample = core::Seconds(t);
    return s;
  }

  const PiperProblem& problem_;
  const DownsetSpace& space_;
  std::vector<const PiperNodeOption*> options_;
  int mx_;
  std::vector<int> degrees_;
  std::vector<double> inv_d_;          ///< 1 / d per allowed degree
  std::vector<double> resync_factor_;  ///< 4 (d - 1) / (d N) per allowed degree
  std::vector<double> in_cost_, out_cost_;
  std::vector<DownsetSums> sums_;
  std::vector<double> cut_in_;            ///< Σ in_cost over the edges entering each downset
  std::vector<CutEdge> cuts_;             ///< CSR: the heads of the edges entering each downset
  std::vector<std::uint64_t> head_mask_;  ///< per downset, the bitset of those heads
  std::vector<std::size_t> cut_begin_;
  std::vector<std::size_t> order_;   ///< downset ids by (compute, size)
  std::vector<double> sorted_time_;  ///< compute Σ p of order_[i]
  std::vector<double> g_;
  std::vector<int> drops_;
  std::vector<int> drop_count_;
};

}  // namespace

PiperSolution solve_piper_vanilla(const PiperProblem& problem, const DownsetSpace& space) {
  return VanillaDp(problem, space).solve();
}

}  // namespace gppsim::plan
