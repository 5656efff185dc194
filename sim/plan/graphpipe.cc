#include "sim/plan/graphpipe.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.h"

namespace gppsim::plan {
namespace {

constexpr int kMaxBisections = 200;
constexpr int kClimbSteps = 12;       ///< targets lo, 4 lo, 16 lo, ... before "anything that fits"
constexpr double kClimbFactor = 4.0;

double gib(core::Bytes b) { return b.value() / (1024.0 * 1024.0 * 1024.0); }

/// A lower bound on any plan's objective at micro-batch b: the ops' least device time per
/// sample (StageEstimator::least_device_time, op by op) over the N devices.
double lower_bound(const StageEstimator& est, const std::vector<StageLoad>& per_op, std::int64_t b) {
  double total = 0.0;
  for (const StageLoad& l : per_op) total += est.least_device_time(l, b);
  return total / static_cast<double>(est.devices());
}

/// The best answer for one micro-batch size.
struct Candidate {
  double objective = 0.0;
  std::int64_t micro_batch = 0;
  SearchSolution solution;
};

/// Binary search on the target TPS for micro-batch b. `bar` (if any) is the best objective so
/// far: b is dropped unless it reaches bar / (1 + eps).
std::optional<Candidate> search_micro_batch(GraphPipeSearch& search, double lo, std::int64_t b, double eps,
                                            std::optional<double> bar, int& runs) {
  std::optional<SearchSolution> sol;
  if (bar) {
    // b must beat the best answer so far.
    ++runs;
    sol = search.solve(b, core::Seconds(*bar / (1.0 + eps)));
  } else {
    // Climb from the lower bound: runs at low targets are cheap (they prune hard), a run at an
    // unbounded target explores everything, so it is only the last resort.
    double t = lo;
    for (int k = 0; k < kClimbSteps && t > 0.0; ++k, t *= kClimbFactor) {
      ++runs;
      sol = search.solve(b, core::Seconds(t));
      if (sol) break;
      // Every target below the interval's end is infeasible too; none at all when it has none.
      lo = std::max(t, search.last_interval().hi);
      if (std::isinf(lo)) return std::nullopt;
      t = std::max(t, lo / kClimbFactor);
    }
    if (!sol) {
      ++runs;
      sol = search.solve(b, core::Seconds(std::numeric_limits<double>::infinity()));
    }
  }
  if (!sol) return std::nullopt;
  double hi = sol->objective;
  if (hi <= 0.0) return Candidate{hi, b, std::move(*sol)};
  lo = std::min(std::max(lo, hi * 1e-9), hi);
  for (int i = 0; i < kMaxBisections && hi > lo * (1.0 + eps); ++i) {
    const double mid = std::sqrt(lo * hi);
    ++runs;
    std::optional<SearchSolution> s = search.solve(b, core::Seconds(mid));
    if (s) {
      sol = std::move(s);
      hi = std::min(mid, sol->objective);
    } else {
      // The DP's answer holds up to its interval's end: every target below it is infeasible.
      lo = std::min(std::max(mid, search.last_interval().hi), hi);
    }
  }
  const double objective = sol->objective;
  return Candidate{objective, b, std::move(*sol)};
}

/// True when every op's compute per sample, (fw + bw)(s) / s, never rises with s up to `largest`.
bool per_sample_compute_never_rises(const StageEstimator& est, const std::vector<StageLoad>& per_op,
                                    std::int64_t largest) {
  const std::vector<std::int64_t>& sizes = est.sizes();
  for (const StageLoad& l : per_op) {
    for (std::size_t i = 0; i + 1 < sizes.size() && sizes[i + 1] <= largest; ++i) {
      const double here = l.compute[i].value() / static_cast<double>(sizes[i]);
      const double next = l.compute[i + 1].value() / static_cast<double>(sizes[i + 1]);
      if (next > here) return false;
    }
  }
  return true;
}

/// Whether no micro-batch size below b can reach `bar`: true when a stage graph meeting bar at a
/// smaller size b' would meet it at b too once activations are not counted, and none does. The
/// same stages and degrees d (powers of two <= b' < b) work at b: each device computes b / d
/// samples instead of b' / d, at no more time per sample when the per-sample compute never rises
/// with the sample count; a boundary edge's latency is paid per micro-batch and its bytes per
/// sample, and the all-reduce per mini-batch, so no TPS rises; static memory does not depend on
/// the micro-batch. One run at b with only static memory counted then answers for every b' < b.
///
/// While no memory check has failed at b (GraphPipeSearch::memory_bound), a full-memory run at
/// bar that fails none either gives the static-only answer. It costs less: bar lies just below
/// the optimum the binary search closed in on, so the run reuses most of its memo entries.
bool smaller_sizes_dominated(GraphPipeSearch& search, const StageEstimator& est, const std::vector<StageLoad>& per_op,
                             std::int64_t b, double bar, int& runs) {
  if (!per_sample_compute_never_rises(est, per_op, b)) return false;
  ++runs;
  if (!search.memory_bound()) {
    const bool feasible = search.solve(b, core::Seconds(bar)).has_value();
    if (!search.memory_bound()) return !feasible;
    ++runs;
  }
  return !search.solve(b, core::Seconds(bar), GraphPipeSearch::Memory::kStaticOnly);
}

/// Why nothing fits, with the memory figures.
std::string infeasible_reason(const PlanRequest& request, const StageEstimator& est,
                              const std::vector<StageLoad>& per_op, std::int64_t smallest_b) {
  const model::OpGraph& g = request.model.graph;
  model::OpId biggest = 0;
  StageLoad total = est.load(g.topological_order());
  for (model::OpId op = 0; op < g.num_ops(); ++op) {
    if (est.static_memory(per_op[op]) > est.static_memory(per_op[biggest])) biggest = op;
  }
  return fmt::format(
      "graphpipe: no stage graph fits in memory on {} devices of {:.3f} GiB each: the model's weights, "
      "gradients and optimizer state take {:.3f} GiB ({:.3f} GiB per device if spread evenly; the largest op, "
      "'{}', needs {:.3f} GiB on every device of its stage), and one micro-batch of {} samples stashes {:.3f} GiB "
      "of activations over the whole model",
      est.devices(), gib(est.capacity()), gib(est.static_memory(total)),
      gib(est.static_memory(total)) / est.devices(), g.op(biggest).name, gib(est.static_memory(per_op[biggest])),
      smallest_b, gib(total.stashed_per_sample * static_cast<double>(smallest_b)));
}

}  // namespace

PlanResult GraphPipePlanner::plan(const PlanRequest& request) const {
  PlanResult result;
  const std::vector<std::int64_t> candidates = power_of_two_micro_batches(request);
  const double eps = request.settings.epsilon;
  GPPSIM_CHECK(eps > 0.0, fmt::format("graphpipe epsilon must be positive, got {}", eps));
  if (candidates.empty()) {
    result.reason = fmt::format("graphpipe: no micro-batch size candidate is a power of two dividing the "
                                "mini-batch {} (settings.micro_batch_sizes has {} entries)",
                                request.mini_batch, request.settings.micro_batch_sizes.size());
    return result;
  }
  const SpTree tree = decompose_series_parallel(request.model.graph);
  const StageEstimator est(request);
  std::vector<StageLoad> per_op;
  for (model::OpId op = 0; op < request.model.graph.num_ops(); ++op) per_op.push_back(est.load({op}));
  GraphPipeSearch search(tree, est);
  std::optional<Candidate> best;
  int runs = 0;
  bool dominated = false;
  // Largest first: it is usually the fastest, so later candidates mostly cost one DP run, and
  // often one run at the largest size rules out all of them (smaller_sizes_dominated).
  for (auto it = candidates.rbegin(); it != candidates.rend() && !dominated; ++it) {
    const std::int64_t b = *it;
    std::optional<double> bar;
    if (best) bar = best->objective;
    std::optional<Candidate> c = search_micro_batch(search, lower_bound(est, per_op, b), b, eps, bar, runs);
    if (c && (!best || c->objective < best->objective ||
              (c->objective == best->objective && c->solution.in_flight < best->solution.in_flight))) {
      best = std::move(c);
    }
    if (it == candidates.rbegin() && best && std::next(it) != candidates.rend()) {
      dominated = smaller_sizes_dominated(search, est, per_op, b, best->objective / (1.0 + eps), runs);
    }
  }
  if (!best) {
    result.reason = infeasible_reason(request, est, per_op, candidates.front());
    return result;
  }
  Strategy strategy = assemble_strategy(request.model.graph, best->solution.stages, best->micro_batch,
                                        request.settings.schedule);
  const StrategyFigures figures = evaluate_strategy(est, strategy);
  GPPSIM_CHECK(figures.fits, "graphpipe returned a strategy that does not fit memory");
  int used = 0;
  for (const Stage& s : strategy.stages) used += static_cast<int>(s.devices.size());
  result.feasible = true;
  result.objective_s = figures.objective.value();
  result.notes = {
      {"epsilon", fmt::format("{}", eps)},
      {"micro_batch_candidates", fmt::format("{}", fmt::join(candidates, ","))},
      {"dp_runs", fmt::format("{}", runs)},
      {"smaller_micro_batches_dominated", dominated ? "true" : "false"},
      {"dp_states", fmt::format("{}", search.states_evaluated())},
      {"in_flight_micro_batches", fmt::format("{}", best->solution.in_flight)},
      {"devices_used", fmt::format("{}/{}", used, est.devices())},
      {"peak_memory_gib", fmt::format("{:.3f}", gib(figures.peak_memory))},
      {"link", est.link_description()},
      {"sp_linearized_pieces", fmt::format("{}", tree.linearized.size())},
  };
  result.strategy = std::move(strategy);
  return result;
}

}  // namespace gppsim::plan
