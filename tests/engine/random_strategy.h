#pragma once
// Seeded random pipeline cases for the engine's property tests: a random DAG of measured (and a
// few GEMM) operators, a valid stage partition of it with data-parallel degrees 1 or 2, micro-batch
// sizes that divide the mini-batch (uniform or per stage), and a 1-2 node cluster, so that some
// transfers cross the network. Under interleaved-1f1b the model is a chain of p x v stages with
// stage s on the devices of stage s mod p and a micro-batch count that p divides.
//
// Randomness comes only from the std::mt19937_64 engine (whose sequence the standard fixes) via
// modulo reduction, never from std:: distributions, so a seed gives the same case everywhere.

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/hw/cluster.h"
#include "sim/hw/device_spec.h"
#include "sim/model/model.h"
#include "sim/plan/strategy.h"

namespace gppsim::engine::test_support {

/// What a random case may contain.
struct CaseOptions {
  plan::ScheduleKind schedule = plan::ScheduleKind::kOneFOneB;
  bool single_device_stages = false;  ///< every stage on one device (no data parallelism)
  bool zero_bytes = false;            ///< no activations, stashes, parameters or edge bytes; no GEMM ops
};

/// A model, a strategy valid for it (as sim/config would accept it) and a cluster to run it on.
struct RandomCase {
  model::Model model;
  plan::Strategy strategy;
  hw::ClusterSpec cluster;
  std::int64_t mini_batch = 0;
};

/// Uniform integer in [lo, hi] (hi >= lo).
inline std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

/// True with probability percent / 100.
inline bool chance(std::mt19937_64& rng, int percent) { return uniform(rng, 0, 99) < percent; }

/// A random operator. Measured ops cost whole microseconds per sample; one op in ten (unless
/// zero_bytes) is a linear layer whose costs come from the device spec, so ZB-H1's B/W split is
/// uneven for it. Byte sizes are multiples of 4 (fp32 elements).
inline model::Op random_op(std::mt19937_64& rng, std::size_t index, bool zero_bytes) {
  constexpr double kKiB = 1024.0;
  model::Op op;
  op.name = fmt::format("op{}", index);
  if (!zero_bytes && chance(rng, 10)) {
    const std::int64_t n = 256 * uniform(rng, 1, 8);
    const std::int64_t k = 256 * uniform(rng, 1, 8);
    op.kind = model::OpKind::kLinear;
    op.gemms = {model::GemmShape{1, n, k, 1, model::BatchDim::kM}};
    op.forward_flops = core::Flops(2.0 * static_cast<double>(n * k));
    op.backward_flops = op.forward_flops * 2.0;
    op.bytes_read = core::Bytes(4.0 * static_cast<double>(k));
    op.bytes_written = core::Bytes(4.0 * static_cast<double>(n));
    op.parameters = n * k;
    op.parameter_bytes = core::Bytes(4.0 * static_cast<double>(n * k));
    op.activation_bytes = op.bytes_written;
    op.stashed_bytes = op.bytes_read;
    return op;
  }
  op.kind = model::OpKind::kProfiled;
  op.measured = model::MeasuredTimes{core::Seconds(1e-6 * static_cast<double>(uniform(rng, 50, 2000))),
                                     core::Seconds(1e-6 * static_cast<double>(uniform(rng, 50, 4000)))};
  if (!zero_bytes) {
    op.activation_bytes = core::Bytes(256.0 * kKiB * static_cast<double>(uniform(rng, 0, 8)));
    op.stashed_bytes = core::Bytes(128.0 * kKiB * static_cast<double>(uniform(rng, 0, 8)));
    op.parameters = 256 * 1024 * uniform(rng, 0, 8);
    op.parameter_bytes = core::Bytes(4.0 * static_cast<double>(op.parameters));
  }
  return op;
}

/// Adds `n` random ops to `g`.
inline void add_random_ops(std::mt19937_64& rng, model::OpGraph& g, std::size_t n, bool zero_bytes) {
  for (std::size_t i = 0; i < n; ++i) g.add_op(random_op(rng, i, zero_bytes));
}

/// Connects `from` -> `to` carrying the producer's activation per sample.
inline void connect(model::OpGraph& g, model::OpId from, model::OpId to) {
  if (!g.has_edge(from, to)) g.add_edge(from, to, g.op(from).activation_bytes);
}

/// A random DAG: each op after the first takes a recent predecessor (one in ten starts a new
/// source instead) and sometimes a second, older one. Sinks are whatever has no successor.
inline void random_dag_edges(std::mt19937_64& rng, model::OpGraph& g) {
  const auto n = static_cast<std::int64_t>(g.num_ops());
  for (std::int64_t i = 1; i < n; ++i) {
    if (chance(rng, 10)) continue;
    connect(g, static_cast<model::OpId>(uniform(rng, std::max<std::int64_t>(0, i - 3), i - 1)),
            static_cast<model::OpId>(i));
    if (chance(rng, 30)) connect(g, static_cast<model::OpId>(uniform(rng, 0, i - 1)), static_cast<model::OpId>(i));
  }
}

/// Fork-join: an optional fork op, 2-3 chains numbered branch by branch, then a join op with a
/// short tail (or no join: several sinks). Returns the op count; `branch_starts` gets the first op
/// of each branch and the first op after the branches (ids in [0, result)).
inline std::size_t fork_join_shape(std::mt19937_64& rng, std::vector<std::pair<std::size_t, std::size_t>>* edges,
                                   std::vector<std::size_t>* branch_starts) {
  const bool fork = chance(rng, 70);
  const bool join = chance(rng, 80);
  std::size_t next = fork ? 1 : 0;
  std::vector<std::size_t> ends;
  const auto branches = uniform(rng, 2, 3);
  for (std::int64_t b = 0; b < branches; ++b) {
    branch_starts->push_back(next);
    if (fork) edges->emplace_back(0, next);
    const auto len = static_cast<std::size_t>(uniform(rng, 1, 3));
    for (std::size_t i = 1; i < len; ++i) edges->emplace_back(next + i - 1, next + i);
    next += len;
    ends.push_back(next - 1);
  }
  branch_starts->push_back(next);
  if (!join) return next;
  for (const std::size_t e : ends) edges->emplace_back(e, next);
  const auto tail = static_cast<std::size_t>(uniform(rng, 0, 2));
  for (std::size_t i = 0; i < tail; ++i) edges->emplace_back(next + i, next + i + 1);
  return next + tail + 1;
}

/// A random topological order: any ready op may come next.
inline std::vector<model::OpId> random_topological_order(std::mt19937_64& rng, const model::OpGraph& g) {
  std::vector<std::size_t> indegree(g.num_ops());
  std::vector<model::OpId> ready;
  for (model::OpId v = 0; v < g.num_ops(); ++v) {
    indegree[v] = g.predecessors(v).size();
    if (indegree[v] == 0) ready.push_back(v);
  }
  std::vector<model::OpId> order;
  while (!ready.empty()) {
    const auto i = static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(ready.size()) - 1));
    const model::OpId v = ready[i];
    ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(i));
    order.push_back(v);
    for (const model::OpId t : g.successors(v)) {
      if (--indegree[t] == 0) ready.push_back(t);
    }
  }
  return order;
}

/// `count` distinct cut positions in [1, n - 1], ascending, always including `forced` ones
/// (which must be in range; `count` is raised to cover them).
inline std::vector<std::size_t> random_cuts(std::mt19937_64& rng, std::size_t n, std::size_t count,
                                            std::vector<std::size_t> forced) {
  std::vector<std::size_t> free;
  for (std::size_t c = 1; c < n; ++c) {
    if (std::find(forced.begin(), forced.end(), c) == forced.end()) free.push_back(c);
  }
  for (std::size_t i = free.size(); i > 1; --i) {  // Fisher-Yates with our portable uniform
    std::swap(free[i - 1], free[static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(i) - 1))]);
  }
  std::vector<std::size_t> cuts = std::move(forced);
  for (std::size_t i = 0; cuts.size() < count && i < free.size(); ++i) cuts.push_back(free[i]);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

/// Stages as contiguous pieces of `order` split at `cuts` (a contiguous piece of a topological
/// order is convex). Each stage's ops are sorted by the graph's own topological order, as
/// sim/config sorts them; edges come from derive_stage_edges. Devices and sizes are left empty.
inline plan::Strategy stages_from_cuts(const model::OpGraph& g, const std::vector<model::OpId>& order,
                                       const std::vector<std::size_t>& cuts, plan::ScheduleKind kind) {
  plan::Strategy s;
  s.schedule = kind;
  std::vector<int> stage_of(g.num_ops(), -1);
  std::size_t piece = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (piece < cuts.size() && cuts[piece] == i) ++piece;
    stage_of[order[i]] = static_cast<int>(piece);
  }
  s.stages.resize(cuts.size() + 1);
  for (std::size_t i = 0; i < s.stages.size(); ++i) s.stages[i].id = static_cast<int>(i);
  for (const model::OpId op : g.topological_order()) s.stages[static_cast<std::size_t>(stage_of[op])].ops.push_back(op);
  s.edges = plan::derive_stage_edges(g, stage_of);
  return s;
}

/// A summit-like cluster (V100, NVLink 50 GB/s, EDR 12.5 GB/s, 5 us each) of `nodes` nodes with
/// at least `needed` devices in all.
inline hw::ClusterSpec random_cluster(std::mt19937_64& rng, int needed) {
  hw::ClusterSpec c;
  c.name = "random";
  c.nodes = static_cast<int>(uniform(rng, 1, 2));
  c.gpus_per_node = (needed + c.nodes - 1) / c.nodes + static_cast<int>(uniform(rng, 0, 1));
  c.device = *hw::find_device_preset("v100-sxm2-16gb");
  c.intra_node = {core::BytesPerSecond(50e9), core::Seconds(5e-6)};
  c.inter_node = {core::BytesPerSecond(12.5e9), core::Seconds(5e-6)};
  return c;
}

/// The cluster's devices in a random order.
inline std::vector<hw::DeviceId> shuffled_devices(std::mt19937_64& rng, int count) {
  std::vector<hw::DeviceId> d(static_cast<std::size_t>(count));
  std::iota(d.begin(), d.end(), 0);
  for (std::size_t i = d.size(); i > 1; --i) {
    std::swap(d[i - 1], d[static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(i) - 1))]);
  }
  return d;
}

/// A random micro-batch size of a stage of data-parallel degree `dp`: divides `mini_batch`, is a
/// multiple of dp and gives at most 16 micro-batches.
inline std::int64_t random_micro_batch(std::mt19937_64& rng, std::int64_t mini_batch, std::int64_t dp) {
  std::vector<std::int64_t> fit;
  for (std::int64_t b = 1; b <= mini_batch; b *= 2) {
    if (mini_batch % b == 0 && b % dp == 0 && mini_batch / b <= 16) fit.push_back(b);
  }
  return fit[static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(fit.size()) - 1))];
}

/// Gives the stages of `c` disjoint device sets of degree 1 or 2 on a fresh random cluster, and
/// micro-batch sizes: one size for all stages, or (half the time) one per stage.
inline void place_stages(std::mt19937_64& rng, const CaseOptions& o, RandomCase& c) {
  auto& stages = c.strategy.stages;
  std::vector<std::int64_t> dp;
  for (std::size_t i = 0; i < stages.size(); ++i) dp.push_back(o.single_device_stages ? 1 : uniform(rng, 1, 2));
  const int needed = static_cast<int>(std::accumulate(dp.begin(), dp.end(), std::int64_t{0}));
  c.cluster = random_cluster(rng, needed);
  const auto devices = shuffled_devices(rng, c.cluster.num_devices());
  c.mini_batch = std::int64_t{4} << uniform(rng, 0, 2);  // 4, 8 or 16
  const std::int64_t max_dp = *std::max_element(dp.begin(), dp.end());
  const bool uniform_size = chance(rng, 50);
  const std::int64_t shared = random_micro_batch(rng, c.mini_batch, max_dp);
  std::size_t next = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    for (std::int64_t k = 0; k < dp[i]; ++k) stages[i].devices.push_back(devices[next++]);
    stages[i].micro_batch_size = uniform_size ? shared : random_micro_batch(rng, c.mini_batch, dp[i]);
  }
}

/// A random DAG model and a random valid strategy for it (any schedule but interleaved-1f1b).
/// Stages are pieces of a topological order: of a random one, or, for fork-join graphs half the
/// time, of the branch-by-branch order cut at every branch boundary (parallel stages).
inline RandomCase random_dag_case(std::mt19937_64& rng, const CaseOptions& o) {
  RandomCase c;
  c.model.name = "random-dag";
  c.model.dtype = core::Dtype::kFp32;
  std::vector<std::size_t> forced;
  if (chance(rng, 50)) {
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    std::vector<std::size_t> starts;
    add_random_ops(rng, c.model.graph, fork_join_shape(rng, &edges, &starts), o.zero_bytes);
    for (const auto& [a, b] : edges) connect(c.model.graph, a, b);
    if (chance(rng, 50)) {
      for (const std::size_t s : starts) {
        if (s > 0 && s < c.model.graph.num_ops()) forced.push_back(s);
      }
    }
  } else {
    add_random_ops(rng, c.model.graph, static_cast<std::size_t>(uniform(rng, 4, 14)), o.zero_bytes);
    random_dag_edges(rng, c.model.graph);
  }
  const std::size_t n = c.model.graph.num_ops();
  const auto order = forced.empty() ? random_topological_order(rng, c.model.graph) : c.model.graph.topological_order();
  const auto stages = static_cast<std::size_t>(uniform(rng, 1, static_cast<std::int64_t>(std::min<std::size_t>(n, 6))));
  c.strategy = stages_from_cuts(c.model.graph, order, random_cuts(rng, n, stages - 1, forced), o.schedule);
  place_stages(rng, o, c);
  return c;
}

/// Interleaved 1F1B: a chain of n >= p v measured ops cut into p v stages, stage s on lane s mod p
/// (p in 2..4, v in 2..3), one micro-batch size, m = p k micro-batches (k in 1..3).
inline RandomCase random_interleaved_case(std::mt19937_64& rng, const CaseOptions& o) {
  RandomCase c;
  c.model.name = "random-chain";
  c.model.dtype = core::Dtype::kFp32;
  const auto p = static_cast<std::size_t>(uniform(rng, 2, 4));
  const auto v = static_cast<std::size_t>(uniform(rng, 2, 3));
  const auto n = static_cast<std::size_t>(uniform(rng, static_cast<std::int64_t>(p * v), 14));
  add_random_ops(rng, c.model.graph, n, o.zero_bytes);
  for (model::OpId i = 1; i < n; ++i) connect(c.model.graph, i - 1, i);
  const auto order = c.model.graph.topological_order();
  c.strategy = stages_from_cuts(c.model.graph, order, random_cuts(rng, n, p * v - 1, {}), o.schedule);
  std::vector<std::int64_t> dp;
  for (std::size_t g = 0; g < p; ++g) dp.push_back(o.single_device_stages ? 1 : uniform(rng, 1, 2));
  c.cluster = random_cluster(rng, static_cast<int>(std::accumulate(dp.begin(), dp.end(), std::int64_t{0})));
  const auto devices = shuffled_devices(rng, c.cluster.num_devices());
  const std::int64_t b = *std::max_element(dp.begin(), dp.end()) * uniform(rng, 1, 2);
  c.mini_batch = b * static_cast<std::int64_t>(p) * uniform(rng, 1, 3);
  std::size_t next = 0;
  for (std::size_t g = 0; g < p; ++g) {
    for (std::int64_t k = 0; k < dp[g]; ++k) c.strategy.stages[g].devices.push_back(devices[next++]);
  }
  for (auto& st : c.strategy.stages) {
    st.devices = c.strategy.stages[static_cast<std::size_t>(st.id) % p].devices;
    st.micro_batch_size = b;
  }
  return c;
}

/// The random case of `seed` for `options.schedule`.
inline RandomCase make_random_case(std::uint64_t seed, const CaseOptions& options) {
  std::mt19937_64 rng(seed);
  return options.schedule == plan::ScheduleKind::kInterleaved1F1B ? random_interleaved_case(rng, options)
                                                                  : random_dag_case(rng, options);
}

// ---------------------------------------------------------------------------------------------
// Self-checks of the generator, used by tests/engine/property_test.cc.

/// Stages are numbered by index and their ops partition the graph; op edges never go to a lower stage id (so no path leaves a stage and
/// comes back: stages are convex and the stage graph is acyclic); edges are exactly the stage
/// pairs joined by op edges; device sets disjoint (interleaved: stage s on stage s mod p's) and in
/// the cluster; micro-batch sizes divide the mini-batch and are divisible by the device count.
/// Returns the first problem found, or "" when the case is valid. `lanes`: p under interleaved
/// 1F1B, else the stage count.
inline std::string case_problem(const RandomCase& c, std::size_t lanes) {
  const model::OpGraph& g = c.model.graph;
  std::vector<int> stage_of(g.num_ops(), -1);
  std::set<hw::DeviceId> used;
  for (const auto& st : c.strategy.stages) {
    const auto dp = static_cast<std::int64_t>(st.devices.size());
    if (st.id != static_cast<int>(&st - c.strategy.stages.data())) return fmt::format("stage {} misnumbered", st.id);
    if (st.ops.empty() || c.mini_batch % st.micro_batch_size != 0 || st.micro_batch_size % dp != 0) {
      return fmt::format("stage {}: no ops or a bad micro-batch size", st.id);
    }
    for (const auto op : st.ops) {
      if (std::exchange(stage_of[op], st.id) != -1) return fmt::format("op {} in two stages", op);
    }
    const auto& owner = c.strategy.stages[static_cast<std::size_t>(st.id) % lanes].devices;
    for (const auto d : st.devices) {
      if (d >= c.cluster.num_devices() || (st.id < static_cast<int>(lanes) && !used.insert(d).second)) {
        return fmt::format("device {} out of range or in two stages", d);
      }
    }
    if (st.devices != owner) return fmt::format("stage {} is not on its lane's devices", st.id);
  }
  if (std::find(stage_of.begin(), stage_of.end(), -1) != stage_of.end()) return "an op in no stage";
  std::set<std::pair<int, int>> edges;
  for (const model::OpEdge& e : g.edges()) {
    if (stage_of[e.to] < stage_of[e.from]) return "an op edge goes to a lower stage";
    if (stage_of[e.from] != stage_of[e.to]) edges.emplace(stage_of[e.from], stage_of[e.to]);
  }
  if (c.strategy.edges != std::vector<std::pair<int, int>>(edges.begin(), edges.end())) {
    return "stage edges differ from the op graph's";
  }
  return "";
}

/// Counts the features of a case that the properties should meet.
inline void count_features(const RandomCase& c, std::map<std::string, int>* seen) {
  const model::OpGraph& g = c.model.graph;
  const auto& stages = c.strategy.stages;
  std::vector<int> stage_of(g.num_ops(), -1);
  for (const auto& st : stages) {
    for (const auto op : st.ops) stage_of[op] = st.id;
    (*seen)["data-parallel stage"] += st.devices.size() > 1;
    (*seen)["per-stage sizes"] += st.micro_batch_size != stages[0].micro_batch_size;
    (*seen)["fork or merge stage"] +=
        c.strategy.successors(st.id).size() > 1 || c.strategy.predecessors(st.id).size() > 1;
  }
  for (const model::OpEdge& e : g.edges()) {
    for (const auto a : stages[static_cast<std::size_t>(stage_of[e.from])].devices) {
      for (const auto b : stages[static_cast<std::size_t>(stage_of[e.to])].devices) {
        (*seen)["cross-node pair"] += a / c.cluster.gpus_per_node != b / c.cluster.gpus_per_node;
      }
    }
  }
  (*seen)["several sources"] += g.sources().size() > 1;
  for (model::OpId op = 0; op < g.num_ops(); ++op) (*seen)["linear op"] += !g.op(op).measured.has_value();
}

}  // namespace gppsim::engine::test_support
