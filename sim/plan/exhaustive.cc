#include "sim/plan/exhaustive.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/plan/stage_estimator.h"

namespace gppsim::plan {
namespace {

using model::OpId;

/// Straight enumeration of the grammar in graphpipe.md, with a stage budget.
class Enumerator {
 public:
  explicit Enumerator(const SpTree& tree) : tree_(tree) {}

  /// Partitions of elements [i, j) of node s's sequence.
  std::vector<StagePartition> seq(int s, int i, int j, int budget) const {
    if (i == j) return {StagePartition{}};
    std::vector<StagePartition> out;
    if (budget <= 0) return out;
    for (int k = i + 1; k <= j; ++k) {
      prepend({ops(s, i, k)}, seq(s, k, j, budget - 1), budget, out);
    }
    if (kind(at(s, i)) == SpKind::kParallel) {
      const int p = at(s, i);
      for (const StagePartition& left : par(p, 0, len(last(p)), budget)) {
        prepend(left, seq(s, i + 1, j, budget - static_cast<int>(left.size())), budget, out);
      }
    }
    for (int p = i; p < j; ++p) {
      if (kind(at(s, p)) != SpKind::kParallel || (p > i && kind(at(s, p - 1)) != SpKind::kLeaf)) continue;
      blocks(s, i, j, p, budget, out);
    }
    return out;
  }

 private:
  void blocks(int s, int i, int j, int p, int budget, std::vector<StagePartition>& out) const {
    const int q = at(s, p);
    const bool join = p + 1 < j && kind(at(s, p + 1)) == SpKind::kLeaf;
    std::vector<int> heads = {0};
    if (p > i) {
      heads.clear();
      for (int h1 = 1; h1 <= len(first(q)); ++h1) heads.push_back(h1);
    }
    for (const int h1 : heads) {
      std::vector<model::OpId> x;
      if (h1 > 0) {
        x = ops(s, i, p);
        const std::vector<OpId> head = ops(first(q), 0, h1);
        x.insert(x.end(), head.begin(), head.end());
        block(s, j, q, x, h1, len(last(q)), {}, p + 1, budget, out);
      }
      for (int h2 = 0; join && h2 < len(last(q)); ++h2) {
        for (int k2 = p + 2; k2 <= j; ++k2) {
          std::vector<OpId> y = ops(last(q), h2, len(last(q)));
          const std::vector<OpId> tail = ops(s, p + 1, k2);
          y.insert(y.end(), tail.begin(), tail.end());
          block(s, j, q, x, h1, h2, y, k2, budget, out);
        }
      }
    }
  }

  /// [x] + partitions of q's branches + [y] + partitions of elements after..j-1 of s.
  void block(int s, int j, int q, const std::vector<OpId>& x, int h1, int h2, const std::vector<OpId>& y,
             int after, int budget, std::vector<StagePartition>& out) const {
    const int fixed = (x.empty() ? 0 : 1) + (y.empty() ? 0 : 1);
    for (const StagePartition& middle : par(q, h1, h2, budget - fixed)) {
      const int used = fixed + static_cast<int>(middle.size());
      for (const StagePartition& rest : seq(s, after, j, budget - used)) {
        StagePartition all;
        if (!x.empty()) all.push_back(x);
        all.insert(all.end(), middle.begin(), middle.end());
        if (!y.empty()) all.push_back(y);
        all.insert(all.end(), rest.begin(), rest.end());
        if (static_cast<int>(all.size()) <= budget) out.push_back(std::move(all));
      }
    }
  }

  /// Partitions of parallel node p's branches, branch 0 from element h1, the last one up to h2.
  std::vector<StagePartition> par(int p, int h1, int h2, int budget) const {
    const std::vector<int>& children = tree_.nodes[static_cast<std::size_t>(p)].children;
    std::vector<Item> items;
    for (std::size_t c = 0; c < children.size(); ++c) {
      const int lo = c == 0 ? h1 : 0;
      const int hi = c + 1 == children.size() ? h2 : len(children[c]);
      if (lo < hi) items.push_back(Item{children[c], lo, hi, lo == 0 && hi == len(children[c])});
    }
    return items_from(items, 0, budget);
  }

  struct Item {
    int node;
    int lo;
    int hi;
    bool whole;
  };

  std::vector<StagePartition> items_from(const std::vector<Item>& items, std::size_t a, int budget) const {
    if (a == items.size()) return {StagePartition{}};
    std::vector<StagePartition> out;
    if (budget <= 0) return out;
    for (const StagePartition& left : seq(items[a].node, items[a].lo, items[a].hi, budget)) {
      prepend(left, items_from(items, a + 1, budget - static_cast<int>(left.size())), budget, out);
    }
    std::vector<OpId> group;
    for (std::size_t g = a; g < items.size() && items[g].whole; ++g) {
      const std::vector<OpId> more = ops(items[g].node, items[g].lo, items[g].hi);
      group.insert(group.end(), more.begin(), more.end());
      if (g > a) prepend({group}, items_from(items, g + 1, budget - 1), budget, out);
    }
    return out;
  }

  static void prepend(const StagePartition& left, const std::vector<StagePartition>& rights, int budget,
                      std::vector<StagePartition>& out) {
    for (const StagePartition& right : rights) {
      if (static_cast<int>(left.size() + right.size()) > budget) continue;
      StagePartition all = left;
      all.insert(all.end(), right.begin(), right.end());
      out.push_back(std::move(all));
    }
  }

  std::vector<OpId> ops(int s, int i, int k) const {
    std::vector<OpId> out;
    for (int e = i; e < k; ++e) {
      const auto& o = tree_.nodes[static_cast<std::size_t>(at(s, e))].ops;
      out.insert(out.end(), o.begin(), o.end());
    }
    return out;
  }

  int at(int s, int i) const { return tree_.sequence_at(s, i); }
  int len(int s) const { return tree_.sequence_length(s); }
  SpKind kind(int s) const { return tree_.nodes[static_cast<std::size_t>(s)].kind; }
  int first(int p) const { return tree_.nodes[static_cast<std::size_t>(p)].children.front(); }
  int last(int p) const { return tree_.nodes[static_cast<std::size_t>(p)].children.back(); }

  const SpTree& tree_;
};

/// The best priced candidate so far.
struct Incumbent {
  double objective = std::numeric_limits<double>::infinity();
  int depth = 0;
  std::int64_t micro_batch = 0;
  std::vector<PlannedStage> stages;
};

/// Prices every degree assignment of one partition at one micro-batch size.
class Pricer {
 public:
  Pricer(const StageEstimator& est, const StagePartition& partition, const std::vector<StageLoad>& loads,
         const std::vector<std::int64_t>& in_flight, int depth, std::int64_t b)
      : est_(est), partition_(partition), loads_(loads), in_flight_(in_flight), depth_(depth), b_(b),
        degrees_(partition.size(), 1) {}

  void run(Incumbent& best) { assign(0, est_.devices(), 0.0, best); }

 private:
  void assign(std::size_t stage, int left, double worst, Incumbent& best) {
    if (stage == partition_.size()) {
      if (worst < best.objective || (worst == best.objective && depth_ < best.depth)) {
        best.objective = worst;
        best.depth = depth_;
        best.micro_batch = b_;
        best.stages.clear();
        for (std::size_t i = 0; i < partition_.size(); ++i) best.stages.push_back({partition_[i], degrees_[i]});
      }
      return;
    }
    const std::size_t after = partition_.size() - stage - 1;
    for (int d = 1; d <= b_ && d + static_cast<int>(after) <= left; d *= 2) {
      const StageLoad& l = loads_[stage];
      if (est_.memory(l, b_, d, in_flight_[stage]) > est_.capacity()) continue;
      degrees_[stage] = d;
      assign(stage + 1, left - d, std::max(worst, est_.time_per_sample(l, b_, d).value()), best);
    }
  }

  const StageEstimator& est_;
  const StagePartition& partition_;
  const std::vector<StageLoad>& loads_;
  const std::vector<std::int64_t>& in_flight_;
  int depth_;
  std::int64_t b_;
  std::vector<int> degrees_;
};

}  // namespace

std::vector<StagePartition> enumerate_stage_partitions(const SpTree& tree, int max_stages) {
  std::vector<StagePartition> all =
      Enumerator(tree).seq(tree.root, 0, tree.sequence_length(tree.root), max_stages);
  std::set<std::vector<std::vector<OpId>>> seen;
  std::vector<StagePartition> out;
  for (StagePartition& p : all) {
    std::vector<std::vector<OpId>> key = p;
    for (auto& stage : key) std::sort(stage.begin(), stage.end());
    std::sort(key.begin(), key.end());
    if (seen.insert(std::move(key)).second) out.push_back(std::move(p));
  }
  return out;
}

PlanResult ExhaustivePlanner::plan(const PlanRequest& request) const {
  PlanResult result;
  const model::OpGraph& graph = request.model.graph;
  const int n = request.cluster.num_devices();
  if (graph.num_ops() > kMaxOps || n > kMaxDevices) {
    result.reason = fmt::format("exhaustive: gives up on {} ops and {} devices (limits {} ops, {} devices)",
                                graph.num_ops(), n, kMaxOps, kMaxDevices);
    return result;
  }
  const std::vector<std::int64_t> candidates = power_of_two_micro_batches(request);
  const StageEstimator est(request);
  const std::vector<StagePartition> partitions = enumerate_stage_partitions(decompose_series_parallel(graph), n);
  Incumbent best;
  for (const StagePartition& partition : partitions) {
    std::vector<PlannedStage> unit(partition.size());
    std::vector<StageLoad> loads;
    for (std::size_t i = 0; i < partition.size(); ++i) {
      unit[i].ops = partition[i];
      loads.push_back(est.load(partition[i]));
    }
    for (const std::int64_t b : candidates) {
      const Strategy shape = assemble_strategy(graph, unit, b, request.settings.schedule);
      const std::vector<std::int64_t> in_flight = in_flight_micro_batches(shape, request.mini_batch);
      Pricer(est, partition, loads, in_flight, shape.depth(), b).run(best);
    }
  }
  result.notes = {{"partitions", fmt::format("{}", partitions.size())}};
  if (best.stages.empty()) {
    result.reason = fmt::format("exhaustive: no candidate fits {:.6g} bytes per device over {} partitions",
                                est.capacity().value(), partitions.size());
    return result;
  }
  result.feasible = true;
  result.strategy = assemble_strategy(graph, best.stages, best.micro_batch, request.settings.schedule);
  result.objective_s = best.objective;
  return result;
}

}  // namespace gppsim::plan
