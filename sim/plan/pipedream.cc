#include "sim/plan/pipedream.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/plan/pipedream_dp.h"
#include "sim/plan/pipedream_states.h"

namespace gppsim::plan {
namespace {

namespace pd = pipedream_detail;

/// What every step of one planning call reads.
struct Context {
  const PlanRequest& request;
  const pd::OpSelection& ops;
  const pd::StateSpace& space;
  const std::vector<pd::Level>& levels;
  const pd::DpConfig& config;
};

PlanResult infeasible(std::string reason) {
  PlanResult result;
  result.reason = std::move(reason);
  return result;
}

/// Level 0: the GPUs of a node at the intra-node bandwidth; level 1: the nodes at the
/// inter-node bandwidth. A level of one machine changes nothing and is left out.
std::vector<pd::Level> cluster_levels(const hw::ClusterSpec& cluster) {
  std::vector<pd::Level> levels;
  if (cluster.gpus_per_node > 1 || cluster.nodes == 1) {
    levels.push_back(pd::Level{cluster.gpus_per_node, cluster.intra_node.bandwidth});
  }
  if (cluster.nodes > 1) levels.push_back(pd::Level{cluster.nodes, cluster.inter_node.bandwidth});
  return levels;
}

std::string describe_levels(const std::vector<pd::Level>& levels) {
  std::vector<std::string> parts;
  for (const pd::Level& l : levels) parts.push_back(fmt::format("{} x {} B/s", l.machines, l.bandwidth.value()));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::optional<std::string> unusable_level(const std::vector<pd::Level>& levels) {
  for (const pd::Level& l : levels) {
    if (l.machines < 1) return fmt::format("expected at least one device per level, found {}", l.machines);
    if (l.machines > 1 && !(l.bandwidth.value() > 0.0)) {
      return fmt::format("PipeDream needs a positive bandwidth between its {} machines, found {} B/s", l.machines,
                         l.bandwidth.value());
    }
  }
  return std::nullopt;
}

/// A profile: every op (other than zero-cost inputs) carries measured times.
bool is_profile(const model::OpGraph& graph) {
  for (model::OpId id = 0; id < graph.num_ops(); ++id) {
    const model::Op& op = graph.op(id);
    if (op.kind != model::OpKind::kInput && !op.measured) return false;
  }
  return true;
}

pd::StateSpace build_states(const model::OpGraph& graph, const pd::OpSelection& ops, const pd::LocalGraph& local,
                            std::int64_t cap) {
  if (auto space = pd::antichain_states(local, cap)) return std::move(*space);
  std::vector<int> local_index(graph.num_ops(), -1);
  for (std::size_t i = 0; i < ops.kept.size(); ++i) local_index[ops.kept[i]] = static_cast<int>(i);
  std::vector<int> order;
  for (const model::OpId id : graph.topological_order()) {
    if (local_index[id] >= 0) order.push_back(local_index[id]);
  }
  return pd::linear_states(local, order);
}

pd::OpWeights op_weights(const Context& ctx, std::int64_t micro_batch) {
  pd::OpWeights w;
  const auto b = static_cast<double>(micro_batch);
  for (const model::OpId id : ctx.ops.kept) {
    const model::Op& op = ctx.request.model.graph.op(id);
    const core::Seconds time = ctx.request.op_cost.forward(op, micro_batch) + ctx.request.op_cost.backward(op, micro_batch);
    w.compute_s.push_back(time.value());
    w.parameter_bytes.push_back(op.parameter_bytes.value());
    w.activation_bytes.push_back(op.activation_bytes.value() * b);
  }
  return w;
}

std::optional<pd::DpSolution> solve_at(const Context& ctx, std::int64_t micro_batch, const pd::DpConfig& config) {
  return pd::solve_pipedream(ctx.space, pd::state_sums(ctx.space, op_weights(ctx, micro_batch)), ctx.levels, config);
}

std::int64_t devices_of(const pd::SolvedStage& stage) {
  std::int64_t n = 1;
  for (const int r : stage.replication) n *= r;
  return n;
}

bool divisible_by_every_stage(std::int64_t micro_batch, const pd::DpSolution& solution) {
  return std::all_of(solution.stages.begin(), solution.stages.end(),
                     [&](const pd::SolvedStage& s) { return micro_batch % devices_of(s) == 0; });
}

std::string replication_text(const pd::DpSolution& solution) {
  std::vector<std::int64_t> counts;
  for (const pd::SolvedStage& s : solution.stages) counts.push_back(devices_of(s));
  return fmt::format("{}", fmt::join(counts, ","));
}

/// Device ids per stage. One level: contiguous in stage order. Two levels: a top-level stage
/// replicated over r1 nodes takes the next r1 whole nodes, and each of its sub-stages takes the
/// next r0 GPUs of every one of those nodes (each node runs one copy of the sub-pipeline).
std::vector<std::vector<hw::DeviceId>> assign_devices(const std::vector<pd::SolvedStage>& stages,
                                                      const std::vector<pd::Level>& levels) {
  std::vector<std::vector<hw::DeviceId>> devices;
  const int per_node = levels.size() > 1 ? levels[0].machines : 1;
  int node = 0;
  int group_nodes = 0;
  int group = -1;
  int gpu = 0;
  for (const pd::SolvedStage& s : stages) {
    const int nodes = levels.size() > 1 ? s.replication[1] : s.replication[0];
    const int gpus = levels.size() > 1 ? s.replication[0] : 1;
    if (levels.size() == 1 || s.group != group) {
      node += group_nodes;
      group_nodes = levels.size() > 1 ? nodes : 0;
      group = s.group;
      gpu = 0;
    }
    std::vector<hw::DeviceId> ids;
    for (int n = 0; n < nodes; ++n) {
      for (int g = 0; g < gpus; ++g) ids.push_back((node + n) * per_node + gpu + g);
    }
    if (levels.size() == 1) node += nodes;
    gpu += gpus;
    devices.push_back(std::move(ids));
  }
  return devices;
}

/// The ops of each stage (covered by its last state, not by the state before it), with the
/// removed Input sources in the first stage and __getitem__ sinks in the last, each list in
/// the op graph's topological order.
std::vector<std::vector<model::OpId>> stage_ops(const Context& ctx, const pd::DpSolution& solution) {
  const model::OpGraph& graph = ctx.request.model.graph;
  std::vector<std::size_t> position(graph.num_ops(), 0);
  const std::vector<model::OpId> topo = graph.topological_order();
  for (std::size_t i = 0; i < topo.size(); ++i) position[topo[i]] = i;
  std::vector<std::vector<model::OpId>> out;
  for (const pd::SolvedStage& s : solution.stages) {
    std::vector<model::OpId> ops;
    ctx.space.cover[s.last].for_each([&](std::size_t v) {
      if (s.after < 0 || !ctx.space.cover[s.after].test(v)) ops.push_back(ctx.ops.kept[v]);
    });
    out.push_back(std::move(ops));
  }
  out.front().insert(out.front().end(), ctx.ops.inputs.begin(), ctx.ops.inputs.end());
  out.back().insert(out.back().end(), ctx.ops.getitems.begin(), ctx.ops.getitems.end());
  for (auto& ops : out) {
    std::sort(ops.begin(), ops.end(), [&](model::OpId a, model::OpId b) { return position[a] < position[b]; });
  }
  return out;
}

Strategy make_strategy(const Context& ctx, const pd::DpSolution& solution, std::int64_t micro_batch) {
  const auto ops = stage_ops(ctx, solution);
  const auto devices = assign_devices(solution.stages, ctx.levels);
  Strategy strategy;
  strategy.schedule = ctx.request.settings.schedule;
  for (std::size_t i = 0; i < solution.stages.size(); ++i) {
    strategy.stages.push_back(Stage{static_cast<int>(i), ops[i], devices[i], micro_batch});
    if (i > 0) strategy.edges.emplace_back(static_cast<int>(i) - 1, static_cast<int>(i));
  }
  return strategy;
}

std::vector<std::int64_t> micro_batch_candidates(const PlanSettings& settings) {
  std::vector<std::int64_t> c = settings.micro_batch_sizes;
  if (c.empty()) c.push_back(1);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  GPPSIM_CHECK(c.front() >= 1, fmt::format("micro-batch candidates must be >= 1, found {}", c.front()));
  return c;
}

std::string no_partition_reason(const Context& ctx) {
  std::string reason = fmt::format("PipeDream found no partition of {} states onto {}", ctx.space.size(),
                                   describe_levels(ctx.levels));
  if (ctx.config.straight) reason += " as a straight pipeline (one device per stage needs as many states as devices)";
  if (ctx.config.memory) reason += fmt::format(" within {} bytes of memory per device", ctx.config.memory->value());
  return reason;
}

/// A profile: the DP runs on the profile as imported (micro-batch 1), as the published
/// optimizer does; the micro-batch size is then the smallest candidate the replication allows.
PlanResult plan_profile(const Context& ctx, const std::vector<std::int64_t>& candidates) {
  const auto solution = solve_at(ctx, 1, ctx.config);
  if (!solution) return infeasible(no_partition_reason(ctx));
  PlanResult result;
  result.objective_s = solution->time_per_stage_s;
  result.notes = {{"dp_input", "profile as imported (micro-batch 1)"}, {"replication", replication_text(*solution)}};
  const auto it = std::find_if(candidates.begin(), candidates.end(),
                               [&](std::int64_t b) { return divisible_by_every_stage(b, *solution); });
  if (it == candidates.end()) {
    result.reason = fmt::format(
        "PipeDream's partition gives its stages {} devices, but no candidate micro-batch size ({}) is divisible by "
        "every stage's device count",
        replication_text(*solution), fmt::join(candidates, ", "));
    return result;
  }
  result.feasible = true;
  result.strategy = make_strategy(ctx, *solution, *it);
  return result;
}

/// The DP at micro-batch b: the published optimum when its stage device counts divide b, else
/// the optimum among replications that divide b at every level (b samples must split evenly
/// over a stage's replicas), which PipeDream itself never needed (it had no micro-batches).
std::optional<pd::DpSolution> solve_divisible(const Context& ctx, std::int64_t b, bool* restricted,
                                              std::vector<std::string>* rejected) {
  *restricted = false;
  auto solution = solve_at(ctx, b, ctx.config);
  if (solution && divisible_by_every_stage(b, *solution)) return solution;
  rejected->push_back(solution ? fmt::format("micro-batch {}: stage device counts {}", b, replication_text(*solution))
                               : fmt::format("micro-batch {}: no partition", b));
  if (!solution || ctx.config.straight) return std::nullopt;
  pd::DpConfig config = ctx.config;
  config.replication_divides = static_cast<int>(b);
  solution = solve_at(ctx, b, config);
  if (!solution || !divisible_by_every_stage(b, *solution)) return std::nullopt;
  *restricted = true;
  return solution;
}

/// Cost-model ops: one DP per candidate b on the op costs of a micro-batch of b samples; among
/// partitions whose stage device counts divide b, the smallest time per stage / b wins.
PlanResult plan_by_cost(const Context& ctx, const std::vector<std::int64_t>& candidates) {
  struct Best {
    std::int64_t b;
    pd::DpSolution solution;
    bool restricted;
  };
  std::optional<Best> best;
  std::vector<std::string> rejected;
  for (const std::int64_t b : candidates) {
    bool restricted = false;
    auto solution = solve_divisible(ctx, b, &restricted, &rejected);
    if (!solution) continue;
    const auto per_sample = [](const Best& c) { return c.solution.time_per_stage_s / static_cast<double>(c.b); };
    Best candidate{b, std::move(*solution), restricted};
    if (!best || per_sample(candidate) < per_sample(*best)) best = std::move(candidate);
  }
  if (!best) {
    return infeasible(fmt::format("{}; no candidate micro-batch size is usable ({})", no_partition_reason(ctx),
                                  fmt::join(rejected, "; ")));
  }
  PlanResult result;
  result.feasible = true;
  result.objective_s = best->solution.time_per_stage_s;
  result.notes = {{"dp_input", fmt::format("op costs of a micro-batch of {}", best->b)},
                  {"replication", replication_text(best->solution)},
                  {"time_per_sample_s", fmt::format("{}", result.objective_s / static_cast<double>(best->b))}};
  if (best->restricted) {
    result.notes.emplace_back("replication_restricted",
                              fmt::format("replica counts limited to divisors of the micro-batch {}; rejected: {}",
                                          best->b, fmt::join(rejected, "; ")));
  }
  result.strategy = make_strategy(ctx, best->solution, best->b);
  return result;
}

}  // namespace

PipeDreamPlanner::PipeDreamPlanner(PipeDreamOptions options) : options_(std::move(options)) {
  if (options_.activation_compression_ratio && !(*options_.activation_compression_ratio > 0.0)) {
    throw core::ConfigError(core::SourceLocation{}, fmt::format("expected a positive activation compression ratio, found {}",
                                                                *options_.activation_compression_ratio));
  }
  if (options_.max_antichain_states < 1 || options_.max_hierarchical_states < 1) {
    throw core::ConfigError(core::SourceLocation{},
                            fmt::format("expected antichain state caps >= 1, found {} and {}",
                                        options_.max_antichain_states, options_.max_hierarchical_states));
  }
}

PlanResult PipeDreamPlanner::plan(const PlanRequest& request) const {
  const model::OpGraph& graph = request.model.graph;
  const pd::OpSelection ops = pd::select_ops(graph);
  if (ops.kept.empty()) {
    return infeasible("PipeDream has nothing to partition: every op is an Input source or a __getitem__ sink");
  }
  const std::vector<pd::Level> levels = cluster_levels(request.cluster);
  if (auto problem = unusable_level(levels)) return infeasible(*problem);
  const pd::LocalGraph local = pd::local_graph(graph, ops);
  const std::int64_t cap = levels.size() > 1 ? options_.max_hierarchical_states : options_.max_antichain_states;
  const pd::StateSpace space = build_states(graph, ops, local, cap);
  pd::DpConfig config{request.settings.straight, std::nullopt, options_.activation_compression_ratio};
  if (options_.use_memory_constraint) config.memory = request.memory_capacity();
  const Context ctx{request, ops, space, levels, config};
  const auto candidates = micro_batch_candidates(request.settings);
  PlanResult result = is_profile(graph) ? plan_profile(ctx, candidates) : plan_by_cost(ctx, candidates);
  const bool antichain = space.kind == pd::StateSpaceKind::kAntichain;
  result.notes.insert(result.notes.begin(), {{"state_space", antichain ? "antichain" : "linearised"},
                                             {"num_states", fmt::format("{}", space.size())},
                                             {"levels", describe_levels(levels)}});
  return result;
}

}  // namespace gppsim::plan
