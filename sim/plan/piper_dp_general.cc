// Piper's full DP (algo.cpp runDP): dp[D][k][s] over downsets, devices k and the bound s on the
// sum of data-parallel degrees of this and later stages, with every tensor degree and per-layer
// option; a stage's options are chosen per in-flight count y = ceil(s / d) by Piper's fast
// knapsack heuristic (KNAPSACK_FAST_HEURISTIC). No pruning: meant for small inputs.

#include <algorithm>
#include <optional>
#include <span>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/plan/piper_dp.h"

namespace gppsim::plan {
namespace {

/// One candidate option of one stage node: its TPS contribution and memory a y + b.
struct Item {
  double tps = 0.0;
  double memory_a = 0.0;
  double memory_b = 0.0;
};

/// The options of every stage node at one (t, d), flattened: node i owns all[begin[i], begin[i+1]).
struct Items {
  std::vector<Item> all;
  std::vector<std::size_t> begin{0};

  [[nodiscard]] std::size_t nodes() const { return begin.size() - 1; }
  [[nodiscard]] std::span<const Item> of(std::size_t i) const {
    return {all.data() + begin[i], begin[i + 1] - begin[i]};
  }
};

double memory(const Item& item, int y) { return item.memory_a * y + item.memory_b; }

/// Index of the fastest option (first minimum, as algo.cpp) and of the leanest at y.
std::pair<std::size_t, std::size_t> fastest_and_leanest(std::span<const Item> options, int y) {
  std::size_t fast = 0, lean = 0;
  for (std::size_t l = 1; l < options.size(); ++l) {
    if (options[fast].tps > options[l].tps) fast = l;
    if (memory(options[lean], y) > memory(options[l], y)) lean = l;
  }
  return {fast, lean};
}

/// Piper's heuristic for one y: start from the fastest choice and apply option swaps in order
/// of TPS cost per byte saved until the stage fits. Returns the choice, or empty when even the
/// lowest-memory choice does not fit.
std::vector<std::size_t> knapsack_choice(const Items& items, int y, double limit) {
  std::vector<std::size_t> h(items.nodes());
  double used = 0.0, lowest = 0.0;
  for (std::size_t i = 0; i < items.nodes(); ++i) {
    const auto [fast, lean] = fastest_and_leanest(items.of(i), y);
    h[i] = fast;
    used += memory(items.of(i)[fast], y);
    lowest += memory(items.of(i)[lean], y);
  }
  if (used <= limit) return h;
  if (lowest > limit) return {};
  std::vector<std::tuple<double, std::size_t, std::size_t>> swaps;
  for (std::size_t i = 0; i < items.nodes(); ++i) {
    const Item& now = items.of(i)[h[i]];
    for (std::size_t l = 0; l < items.of(i).size(); ++l) {
      const double saving = memory(now, y) - memory(items.of(i)[l], y);
      if (saving > kPiperTolerance)
        swaps.emplace_back((items.of(i)[l].tps - now.tps) / saving, i, l);
    }
  }
  std::sort(swaps.begin(), swaps.end());
  double excess = used - limit;
  for (const auto& [ratio, i, l] : swaps) {
    excess -= memory(items.of(i)[h[i]], y) - memory(items.of(i)[l], y);
    h[i] = l;
    if (excess < kPiperTolerance) break;
  }
  return h;
}

/// The TPS the heuristic reaches at y, or infinity; allocation-free when every node has one
/// option (the common case).
double knapsack_value(const Items& items, int y, double limit) {
  if (items.all.size() == items.nodes()) {
    double tps = 0.0, used = 0.0;
    for (const Item& it : items.all) tps += it.tps, used += memory(it, y);
    return used <= limit ? tps : kPiperInfinity;
  }
  const std::vector<std::size_t> choice = knapsack_choice(items, y, limit);
  if (choice.empty()) return kPiperInfinity;
  double tps = 0.0;
  for (std::size_t i = 0; i < choice.size(); ++i) tps += items.of(i)[choice[i]].tps;
  return tps;
}

/// One option of one node with its edge costs 2 (c + sync) aligned with the node's in- and
/// out-edge lists.
struct OptionData {
  const PiperNodeOption* option = nullptr;
  std::vector<double> in_cost;
  std::vector<double> out_cost;
};

double sync_bytes(const std::map<std::size_t, core::Bytes>& sync, std::size_t key) {
  const auto it = sync.find(key);
  return it == sync.end() ? 0.0 : it->second.value();
}

/// TPS of stage D \ D' at tensor degree t and data degree d for every s (INF where no option
/// choice fits).
struct StageRow {
  int t = 1;
  int d = 1;
  std::vector<double> by_s;
};

class GeneralDp {
 public:
  GeneralDp(const PiperProblem& problem, const DownsetSpace& space)
      : problem_(problem),
        space_(space),
        k_max_(problem.devices),
        s_max_(std::min(problem.micro_batches, problem.devices)),
        degrees_(allowed_data_degrees(problem)),
        in_edges_(problem.options.size()),
        out_edges_(problem.options.size()) {
    for (std::size_t e = 0; e < problem.edges.size(); ++e) {
      in_edges_[problem.edges[e].to].push_back(e);
      out_edges_[problem.edges[e].from].push_back(e);
    }
    collect_tensor_degrees();
    collect_options();
  }

  PiperSolution solve() {
    PiperSolution out;
    run_table(out.num_pairs);
    const std::size_t full = space_.size() - 1;
    double best = kPiperInfinity;
    int best_k = -1, best_s = -1;
    for (int k = 0; k <= k_max_; ++k) {
      for (int s = 1; s <= s_max_; ++s) {
        if (at(full, k, s) + kPiperTolerance < best) best = at(full, k, s), best_k = k, best_s = s;
      }
    }
    if (best > kPiperInfinity / 2) return out;
    out.status = PiperStatus::kOk;
    out.time_per_sample = core::Seconds(best);
    rebuild(full, best_k, best_s, out.stages);
    return out;
  }

 private:
  [[nodiscard]] std::size_t index(std::size_t id, int k, int s) const {
    return (id * static_cast<std::size_t>(k_max_ + 1) + static_cast<std::size_t>(k)) *
               static_cast<std::size_t>(s_max_ + 1) +
           static_cast<std::size_t>(s);
  }
  [[nodiscard]] double at(std::size_t id, int k, int s) const { return dp_[index(id, k, s)]; }
  [[nodiscard]] double memory_limit() const { return problem_.memory_per_device.value(); }

  void collect_tensor_degrees() {
    for (const auto& node : problem_.options) {
      for (const PiperNodeOption& o : node) {
        GPPSIM_CHECK(o.tensor_degree >= 1, "Piper tensor degrees are >= 1");
        if (o.tensor_degree <= k_max_) tensor_degrees_.push_back(o.tensor_degree);
      }
    }
    std::sort(tensor_degrees_.begin(), tensor_degrees_.end());
    tensor_degrees_.erase(std::unique(tensor_degrees_.begin(), tensor_degrees_.end()),
                          tensor_degrees_.end());
  }

  /// options_[v][ti]: the options of v at tensor_degrees_[ti], in input order.
  void collect_options() {
    options_.resize(problem_.options.size(),
                    std::vector<std::vector<OptionData>>(tensor_degrees_.size()));
    for (std::size_t v = 0; v < problem_.options.size(); ++v) {
      for (const PiperNodeOption& o : problem_.options[v]) {
        const auto ti = std::find(tensor_degrees_.begin(), tensor_degrees_.end(), o.tensor_degree);
        if (ti == tensor_degrees_.end()) continue;
        OptionData data{&o, {}, {}};
        for (const std::size_t e : in_edges_[v]) {
          const PiperEdge& edge = problem_.edges[e];
          data.in_cost.push_back(2.0 * (edge.bytes.value() + sync_bytes(o.sync_in, edge.from)));
        }
        for (const std::size_t e : out_edges_[v]) {
          const PiperEdge& edge = problem_.edges[e];
          data.out_cost.push_back(2.0 * (edge.bytes.value() + sync_bytes(o.sync_out, edge.to)));
        }
        options_[v][static_cast<std::size_t>(ti - tensor_degrees_.begin())].push_back(
            std::move(data));
      }
    }
  }

  /// Bytes an option pays for the stage's boundary edges.
  [[nodiscard]] double boundary_bytes(std::size_t v, const OptionData& o, std::size_t id,
                                      std::size_t sub) const {
    const auto outside = [&](std::size_t u) {
      return !space_.contains(id, u) || space_.contains(sub, u);
    };
    double bytes = 0.0;
    for (std::size_t k = 0; k < in_edges_[v].size(); ++k) {
      if (outside(problem_.edges[in_edges_[v][k]].from)) bytes += o.in_cost[k];
    }
    for (std::size_t k = 0; k < out_edges_[v].size(); ++k) {
      if (outside(problem_.edges[out_edges_[v][k]].to)) bytes += o.out_cost[k];
    }
    return bytes;
  }

  /// Per option of every stage node at tensor_degrees_[ti]: its compute, boundary bytes and
  /// memory, as Items with `tps` holding the boundary bytes; nullopt when a node has no option
  /// at that tensor degree.
  [[nodiscard]] std::optional<Items> base_items(const std::vector<std::size_t>& nodes,
                                                std::size_t id, std::size_t sub,
                                                std::size_t ti) const {
    Items out;
    for (const std::size_t v : nodes) {
      if (options_[v][ti].empty()) return std::nullopt;
      for (const OptionData& o : options_[v][ti]) {
        out.all.push_back(Item{boundary_bytes(v, o, id, sub), o.option->memory_a.value(),
                               o.option->memory_b.value()});
      }
      out.begin.push_back(out.all.size());
    }
    return out;
  }

  /// The knapsack items at data degree d: p / d + (boundary / d + 4 (d - 1) w / (d N)) / β.
  [[nodiscard]] Items items_at(const Items& base, const std::vector<std::size_t>& nodes,
                               std::size_t ti, int d) const {
    Items out = base;
    const double dd = d;
    const double resync = 4.0 * (dd - 1.0) / dd / problem_.micro_batches;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (std::size_t l = 0; l < base.of(i).size(); ++l) {
        const PiperNodeOption& o = *options_[nodes[i]][ti][l].option;
        const double comm = base.of(i)[l].tps / dd + resync * o.parameter_bytes.value();
        out.all[base.begin[i] + l].tps =
            comm / problem_.bandwidth.value() + o.time_per_sample.value() / dd;
      }
    }
    return out;
  }

  /// TPS[t][d][s] for every allowed (t, d) of one pair (algo.cpp getAllTPSsForIdealPair).
  [[nodiscard]] std::vector<StageRow> stage_rows(std::size_t id, std::size_t sub) const {
    const std::vector<std::size_t> nodes = space_.difference(id, sub);
    std::vector<StageRow> rows;
    for (std::size_t ti = 0; ti < tensor_degrees_.size(); ++ti) {
      const int t = tensor_degrees_[ti];
      const std::optional<Items> base = base_items(nodes, id, sub, ti);
      for (const int d : degrees_) {
        if (!base || d * t > k_max_) break;
        const Items it = items_at(*base, nodes, ti, d);
        StageRow row{t, d,
                     std::vector<double>(static_cast<std::size_t>(s_max_) + 1, kPiperInfinity)};
        double at_y = kPiperInfinity;
        for (int s = 1; s <= s_max_; ++s) {
          if ((s - 1) % d == 0)
            at_y = knapsack_value(it, (s + d - 1) / d, memory_limit());  // new y
          if (at_y > kPiperInfinity / 2) break;  // larger y need more memory still
          row.by_s[static_cast<std::size_t>(s)] = at_y;
        }
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

  void relax(std::size_t id, std::size_t sub, const StageRow& r) {
    for (int k = r.t * r.d; k <= k_max_; ++k) {
      for (int s = r.d; s <= s_max_; ++s) {
        double& cell = dp_[index(id, k, s)];
        cell = std::min(
            cell, std::max(at(sub, k - r.t * r.d, s - r.d), r.by_s[static_cast<std::size_t>(s)]));
      }
    }
  }

  /// dp is "at most k devices, at most s": make it non-increasing in both.
  void make_monotone(std::size_t id) {
    for (int k = 0; k <= k_max_; ++k) {
      for (int s = 0; s <= s_max_; ++s) {
        double& cell = dp_[index(id, k, s)];
        if (k > 0) cell = std::min(cell, at(id, k - 1, s));
        if (s > 0) cell = std::min(cell, at(id, k, s - 1));
      }
    }
  }

  void run_table(std::int64_t& pairs) {
    dp_.assign(index(space_.size(), 0, 0), kPiperInfinity);
    std::fill_n(dp_.begin(), index(1, 0, 0), 0.0);
    for (std::size_t id = 1; id < space_.size(); ++id) {
      for (std::size_t sub = 0; sub < space_.first_of_size(id); ++sub) {
        if (!space_.is_subset(sub, id)) continue;
        ++pairs;
        for (const StageRow& r : stage_rows(id, sub)) relax(id, sub, r);
      }
      make_monotone(id);
    }
  }

  /// Finds (D', t, d, k' <= k, s' <= s) realising dp[id][k][s] and recurses on D'.
  void rebuild(std::size_t id, int k, int s, std::vector<PiperStage>& stages) const {
    while (id != 0) {
      const double target = at(id, k, s) + kPiperTolerance;
      bool found = false;
      for (std::size_t sub = 0; sub < space_.first_of_size(id) && !found; ++sub) {
        if (!space_.is_subset(sub, id)) continue;
        for (const StageRow& r : stage_rows(id, sub)) {
          const auto hit = find_cell(sub, r, k, s, target);
          if (!hit) continue;
          stages.push_back(make_stage(id, sub, r, hit->second));
          id = sub, k = hit->first - r.t * r.d, s = hit->second - r.d, found = true;
          break;
        }
      }
      GPPSIM_CHECK(found, "Piper DP: no stage realises a finite table value");
    }
  }

  [[nodiscard]] std::optional<std::pair<int, int>> find_cell(std::size_t sub, const StageRow& r,
                                                             int k, int s, double target) const {
    for (int kp = r.t * r.d; kp <= k; ++kp) {
      for (int sp = r.d; sp <= s; ++sp) {
        if (std::max(at(sub, kp - r.t * r.d, sp - r.d), r.by_s[static_cast<std::size_t>(sp)]) <=
            target) {
          return std::pair{kp, sp};
        }
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] PiperStage make_stage(std::size_t id, std::size_t sub, const StageRow& r,
                                      int s) const {
    PiperStage stage;
    stage.nodes = space_.difference(id, sub);
    stage.data_degree = r.d;
    stage.tensor_degree = r.t;
    stage.time_per_sample = core::Seconds(r.by_s[static_cast<std::size_t>(s)]);
    const std::size_t ti = static_cast<std::size_t>(
        std::find(tensor_degrees_.begin(), tensor_degrees_.end(), r.t) - tensor_degrees_.begin());
    const Items it = items_at(base_items(stage.nodes, id, sub, ti).value(), stage.nodes, ti, r.d);
    const std::vector<std::size_t> choice =
        knapsack_choice(it, (s + r.d - 1) / r.d, memory_limit());
    GPPSIM_CHECK(choice.size() == stage.nodes.size(),
                 "Piper DP: rebuilt stage does not fit memory");
    for (std::size_t i = 0; i < stage.nodes.size(); ++i) {
      stage.option_ids.push_back(options_[stage.nodes[i]][ti][choice[i]].option->id);
    }
    return stage;
  }

  const PiperProblem& problem_;
  const DownsetSpace& space_;
  int k_max_;
  int s_max_;
  std::vector<int> degrees_;
  std::vector<int> tensor_degrees_;
  std::vector<std::vector<std::size_t>> in_edges_, out_edges_;
  std::vector<std::vector<std::vector<OptionData>>> options_;
  std::vector<double> dp_;
};

}  // namespace

PiperSolution solve_piper_general(const PiperProblem& problem, const DownsetSpace& space) {
  return GeneralDp(problem, space).solve();
}

}  // namespace gppsim::plan
