// Piper planner: the published gnmt value, a brute-force enumerator over all sequential
// partitions of small random DAGs, strategy validity on the published inputs, the downset cap.

#include "sim/plan/piper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/cost/spec_cost_source.h"
#include "sim/hw/cluster.h"
#include "sim/hw/device_spec.h"
#include "sim/model/importers.h"
#include "sim/model/zoo.h"
#include "sim/plan/piper_downsets.h"
#include "sim/plan/piper_nodes.h"
#include "sim/plan/piper_model.h"
#include "sim/plan/piper_problem.h"

namespace gppsim::plan {
namespace {

namespace fs = std::filesystem;
using core::Bytes;
using core::BytesPerSecond;
using core::Seconds;

const fs::path kInputs = fs::path(GPPSIM_SHARED_DATA_DIR) / "piper-inputs";
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------------
// Brute force, written from the definition (METHODS.md §4, algo.cpp getTPSForResult) without
// the DP's machinery: downsets by testing all 2^n subsets, every chain of nested downsets, every
// degree assignment, stage figures summed node by node.

using Mask = std::uint32_t;

struct BruteStage {
  Mask nodes = 0;
  int d = 1;
  int t = 1;
};

const PiperNodeOption* option_at(const PiperProblem& p, std::size_t v, int t) {
  for (const PiperNodeOption& o : p.options[v]) {
    if (o.tensor_degree == t) return &o;
  }
  return nullptr;
}

double sync_of(const std::map<std::size_t, Bytes>& m, std::size_t key) {
  const auto it = m.find(key);
  return it == m.end() ? 0.0 : it->second.value();
}

/// TPS of one stage whose this-and-later data-parallel degrees sum to `suffix`; inf when a node
/// lacks an option at t or memory does not fit.
double brute_stage_tps(const PiperProblem& p, const BruteStage& s, int suffix) {
  const int y = (suffix + s.d - 1) / s.d;
  double compute = 0.0, edge_bytes = 0.0, resync_bytes = 0.0, memory = 0.0;
  for (std::size_t v = 0; v < p.options.size(); ++v) {
    if (((s.nodes >> v) & 1U) == 0) continue;
    const PiperNodeOption* o = option_at(p, v, s.t);
    if (o == nullptr) return kInf;
    compute += o->time_per_sample.value();
    resync_bytes += 4.0 * (s.d - 1) * o->parameter_bytes.value() / s.d / p.micro_batches;
    memory += o->memory_a.value() * y + o->memory_b.value();
    for (const PiperEdge& e : p.edges) {
      const bool from_in = ((s.nodes >> e.from) & 1U) != 0, to_in = ((s.nodes >> e.to) & 1U) != 0;
      if (e.to == v && !from_in)
        edge_bytes += 2.0 * (e.bytes.value() + sync_of(o->sync_in, e.from));
      if (e.from == v && !to_in) edge_bytes += 2.0 * (e.bytes.value() + sync_of(o->sync_out, e.to));
    }
  }
  if (memory > p.memory_per_device.value()) return kInf;
  return (edge_bytes / s.d + resync_bytes) / p.bandwidth.value() + compute / s.d;
}

/// Objective of a whole pipeline (stages in pipeline order), inf when infeasible.
double brute_objective(const PiperProblem& p, const std::vector<BruteStage>& stages) {
  int suffix = 0, devices = 0;
  for (const BruteStage& s : stages) suffix += s.d, devices += s.d * s.t;
  if (devices > p.devices || suffix > std::min(p.devices, p.micro_batches)) return kInf;
  double worst = 0.0;
  for (const BruteStage& s : stages) {
    worst = std::max(worst, brute_stage_tps(p, s, suffix));
    suffix -= s.d;
  }
  return worst;
}

bool is_downset(const PiperProblem& p, Mask m) {
  for (const PiperEdge& e : p.edges) {
    if (((m >> e.from) & 1U) != 0 && ((m >> e.to) & 1U) == 0) return false;
  }
  return true;
}

/// Min over every sequential partition and degree assignment.
double brute_force(const PiperProblem& p, const std::vector<int>& tensor_degrees) {
  const auto n = static_cast<Mask>(p.options.size());
  std::vector<Mask> downsets;
  for (Mask m = 0; m < (Mask{1} << n); ++m) {
    if (is_downset(p, m)) downsets.push_back(m);
  }
  std::vector<BruteStage> chain;
  double best = kInf;
  // `rest` is the downset still to place; the next stage is rest \ sub.
  std::function<void(Mask, int)> rec = [&](Mask rest, int devices_left) {
    if (rest == 0) {
      best = std::min(best, brute_objective(p, chain));
      return;
    }
    for (const Mask sub : downsets) {
      if ((sub & ~rest) != 0 || sub == rest) continue;
      for (const int t : tensor_degrees) {
        for (int d = 1; d * t <= devices_left; ++d) {
          if (p.micro_batches % d != 0) continue;
          if (p.data_degree_divisor > 0 && p.data_degree_divisor % d != 0) continue;
          chain.push_back({rest & ~sub, d, t});
          rec(sub, devices_left - d * t);
          chain.pop_back();
        }
      }
    }
  };
  rec((Mask{1} << n) - 1, p.devices);
  return best;
}

/// The DP's plan as brute-force stages, after checking it partitions the nodes in pipeline order.
std::vector<BruteStage> as_brute(const PiperProblem& p, const PiperSolution& s) {
  std::vector<BruteStage> out;
  std::vector<int> stage_of(p.options.size(), -1);
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    Mask m = 0;
    for (const std::size_t v : s.stages[i].nodes) {
      EXPECT_EQ(stage_of[v], -1) << "node " << v << " in two stages";
      stage_of[v] = static_cast<int>(i);
      m |= Mask{1} << v;
    }
    out.push_back({m, s.stages[i].data_degree, s.stages[i].tensor_degree});
  }
  for (const int st : stage_of) EXPECT_GE(st, 0);
  for (const PiperEdge& e : p.edges) EXPECT_LE(stage_of[e.from], stage_of[e.to]);
  return out;
}

/// A random DAG on n nodes (edges i -> j, i < j, with probability 0.4) with random figures.
PiperProblem random_problem(std::mt19937_64& rng, int n, bool chain, bool tensor) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Communication from negligible to dominant, so that optima range from one wide stage to
  // many thin ones.
  const double comm = std::array{0.001, 0.01, 0.1, 1.0}[rng() % 4];
  PiperProblem p;
  for (int v = 0; v < n; ++v) {
    for (int j = v + 1; j < n; ++j) {
      if (chain ? j == v + 1 : u(rng) < 0.4)
        p.edges.push_back({std::size_t(v), std::size_t(j), Bytes(1e8 * comm * u(rng))});
    }
  }
  for (int v = 0; v < n; ++v) {
    PiperNodeOption o{"vanilla",
                      1,
                      Seconds(0.1 + u(rng)),
                      Bytes(2e8 * comm * u(rng)),
                      Bytes(5e7 * u(rng)),
                      Bytes(2e8 * u(rng)),
                      {},
                      {}};
    for (const PiperEdge& e : p.edges) {
      if (e.to == std::size_t(v) && u(rng) < 0.3) o.sync_in[e.from] = Bytes(1e7 * comm * u(rng));
      if (e.from == std::size_t(v) && u(rng) < 0.3) o.sync_out[e.to] = Bytes(1e7 * comm * u(rng));
    }
    p.options.push_back({o});
    if (tensor) {  // a faster, leaner tensor-parallel option at t = 2
      o.id = "tp2", o.tensor_degree = 2,
      o.time_per_sample = o.time_per_sample * (0.5 + 0.3 * u(rng));
      o.memory_a = o.memory_a * 0.5, o.memory_b = o.memory_b * 0.5;
      p.options.back().push_back(o);
    }
  }
  const int ns[] = {1, 2, 3, 4, 6, 8, 12};
  p.micro_batches = ns[rng() % 7];
  p.devices = 1 + static_cast<int>(rng() % 6);
  p.memory_per_device = Bytes((1.0 + 6.0 * u(rng)) * 1e8 * n / 2.0);
  p.bandwidth = BytesPerSecond(1e9);
  p.data_degree_divisor = (rng() % 4 == 0) ? 2 : 0;
  p.all_options = tensor;
  return p;
}

/// Case counts of one brute-force test, to show that it exercises what it should.
struct Coverage {
  int feasible = 0;
  int pipelined = 0;      ///< optimum with more than one stage
  int data_parallel = 0;  ///< optimum with some d > 1
};

void expect_same_as_brute_force(const PiperProblem& p, const std::vector<int>& tensor_degrees,
                                Coverage& coverage) {
  const PiperSolution s = solve_piper(p);
  const double expected = brute_force(p, tensor_degrees);
  if (std::isinf(expected)) {
    EXPECT_EQ(s.status, PiperStatus::kInfeasible);
    return;
  }
  ++coverage.feasible;
  coverage.pipelined += s.stages.size() > 1 ? 1 : 0;
  coverage.data_parallel += std::any_of(s.stages.begin(), s.stages.end(),
                                        [](const PiperStage& st) { return st.data_degree > 1; })
                                ? 1
                                : 0;
  ASSERT_EQ(s.status, PiperStatus::kOk);
  EXPECT_NEAR(s.time_per_sample.value(), expected, 1e-9 * std::max(1.0, expected));
  // The plan it returns really achieves the objective.
  EXPECT_NEAR(brute_objective(p, as_brute(p, s)), expected, 1e-9 * std::max(1.0, expected));
}

TEST(PiperBruteForce, RandomDagsMatchEverySequentialPartition) {
  std::mt19937_64 rng(20240611);
  Coverage c;
  for (int i = 0; i < 60; ++i) {
    SCOPED_TRACE(i);
    expect_same_as_brute_force(random_problem(rng, 2 + i % 5, false, false), {1}, c);
  }
  EXPECT_GE(c.feasible, 40);
  EXPECT_GE(c.pipelined, 15);
  EXPECT_GE(c.data_parallel, 10);
}

TEST(PiperBruteForce, RandomChainsMatchEverySequentialPartition) {
  std::mt19937_64 rng(7);
  Coverage c;
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    expect_same_as_brute_force(random_problem(rng, 3 + i % 6, true, false), {1}, c);
  }
  EXPECT_GE(c.feasible, 25);
  EXPECT_GE(c.pipelined, 10);
}

// Nearly uniform layers with little communication: the optimum lies within 1/8 of Σp / K, where the
// DP's first, most pruned pass must find it exactly (plain pipelines and replicated stages tie
// closely, so a pruning that dropped the optimum would return a slightly worse plan).
TEST(PiperBruteForce, BalancedChainsNearTheComputeBound) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.9, 1.1);
  Coverage c;
  for (int i = 0; i < 30; ++i) {
    SCOPED_TRACE(i);
    PiperProblem p;
    const int n = 5 + i % 4;
    for (int v = 0; v < n; ++v) {
      // Small weights make replication cost a little resync, so pipelines compete.
      p.options.push_back({PiperNodeOption{
          "vanilla", 1, Seconds(u(rng)), Bytes(1e8 * u(rng)), Bytes(1.0), Bytes(0.0), {}, {}}});
      if (v > 0) p.edges.push_back({std::size_t(v - 1), std::size_t(v), Bytes(0.0)});
    }
    p.devices = 2 + i % 3;
    p.micro_batches = 12;
    p.memory_per_device = Bytes(1e6);
    p.bandwidth = BytesPerSecond(1e9);
    expect_same_as_brute_force(p, {1}, c);
  }
  EXPECT_EQ(c.feasible, 30);
  EXPECT_GE(c.pipelined, 10);
}

TEST(PiperBruteForce, GeneralModeWithTensorDegreesMatches) {
  std::mt19937_64 rng(99);
  Coverage c;
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    expect_same_as_brute_force(random_problem(rng, 2 + i % 4, i % 3 == 0, true), {1, 2}, c);
  }
  EXPECT_GE(c.feasible, 20);
  EXPECT_GE(c.pipelined, 5);
}

TEST(PiperBruteForce, GeneralModeEqualsVanillaModeOnVanillaOnlyInputs) {
  std::mt19937_64 rng(5);
  for (int c = 0; c < 20; ++c) {
    PiperProblem p = random_problem(rng, 3 + c % 4, false, false);
    const PiperSolution fast = solve_piper(p);
    p.all_options = true;
    const PiperSolution general = solve_piper(p);
    ASSERT_EQ(fast.status, general.status);
    if (fast.status == PiperStatus::kOk) {
      EXPECT_NEAR(fast.time_per_sample.value(), general.time_per_sample.value(), 1e-9);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Downset lattice, counted by hand.

std::vector<PiperEdge> edge_list(std::initializer_list<std::pair<std::size_t, std::size_t>> es) {
  std::vector<PiperEdge> out;
  for (const auto& [a, b] : es) out.push_back({a, b, Bytes(0.0)});
  return out;
}

TEST(PiperDownsets, CountsByHand) {
  // Chain of 5: the suffixes {}, {4}, {3,4}, ..., all: 6.
  EXPECT_EQ(DownsetSpace::enumerate(5, edge_list({{0, 1}, {1, 2}, {2, 3}, {3, 4}}), 100)->size(),
            6U);
  // Diamond 0->1, 0->2, 1->3, 2->3: {}, {3}, {1,3}, {2,3}, {1,2,3}, all = 6.
  const auto diamond = edge_list({{0, 1}, {0, 2}, {1, 3}, {2, 3}});
  const auto space = DownsetSpace::enumerate(4, diamond, 100);
  ASSERT_TRUE(space);
  EXPECT_EQ(space->size(), 6U);
  EXPECT_EQ(space->set_size(0), 0U);
  EXPECT_EQ(space->set_size(5), 4U);
  // Two independent chains of 2 and 3 nodes: (2 + 1) * (3 + 1) = 12.
  EXPECT_EQ(DownsetSpace::enumerate(5, edge_list({{0, 1}, {2, 3}, {3, 4}}), 100)->size(), 12U);
  // The cap: 6 downsets do not fit in 5.
  EXPECT_FALSE(DownsetSpace::enumerate(4, diamond, 5));
  EXPECT_TRUE(DownsetSpace::enumerate(4, diamond, 6));
}

TEST(PiperDownsets, EnteringEdgesOfTheDiamond) {
  const auto space = DownsetSpace::enumerate(4, edge_list({{0, 1}, {0, 2}, {1, 3}, {2, 3}}), 100);
  ASSERT_TRUE(space);
  for (std::size_t id = 0; id < space->size(); ++id) {
    std::vector<std::uint32_t> expected;  // edges u -> v, u outside, v inside
    const std::pair<std::size_t, std::size_t> es[] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}};
    for (std::uint32_t e = 0; e < 4; ++e) {
      if (!space->contains(id, es[e].first) && space->contains(id, es[e].second))
        expected.push_back(e);
    }
    const auto got = space->entering_edges(id);
    EXPECT_EQ(std::vector<std::uint32_t>(got.begin(), got.end()), expected);
  }
}

TEST(PiperDownsets, CycleIsAPlanError) {
  EXPECT_THROW((void)DownsetSpace::enumerate(3, edge_list({{0, 1}, {1, 2}, {2, 0}}), 100),
               core::PlanError);
}

// ---------------------------------------------------------------------------------------------
// The planner on the published inputs.

hw::ClusterSpec one_node(int gpus, BytesPerSecond intra) {
  hw::ClusterSpec c;
  c.name = "test";
  c.nodes = 1;
  c.gpus_per_node = gpus;
  c.device = hw::find_device_preset("v100-sxm2-16gb").value();
  c.intra_node = hw::LinkSpec{intra, Seconds(0.0)};
  c.inter_node = hw::LinkSpec{BytesPerSecond(1.0), Seconds(0.0)};  // unused with one node
  return c;
}

/// Everything a PlanRequest references, kept alive together.
struct PlannerSetup {
  model::Model model;
  hw::ClusterSpec cluster;
  cost::SpecCostSource source;
  cost::OpCost op_cost;
  PlanSettings settings;

  PlannerSetup(model::Model m, hw::ClusterSpec c)
      : model(std::move(m)),
        cluster(std::move(c)),
        source(cluster.device),
        op_cost(source, model.dtype) {
    settings.planner = PlannerKind::kPiper;
  }
  [[nodiscard]] PlanResult plan(std::int64_t mini_batch) const {
    return PiperPlanner().plan(
        PlanRequest{model, cluster, op_cost, mini_batch, model::Optimizer::kAdam, settings});
  }
};

std::string note(const PlanResult& r, const std::string& key) {
  for (const auto& [k, v] : r.notes) {
    if (k == key) return v;
  }
  return "<missing " + key + ">";
}

TEST(PiperPublished, GnmtFourDevicesMatchesThePublishedPlanner) {
  const fs::path path = kInputs / "gnmt-pp-dp.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  // ../shared/data/README.md: algo.cpp on gnmt-pp-dp.json, 4 devices, 2.5 GiB, 25 GiB/s,
  // N = mbsInBatch = 256 -> 131.6773413 with 2 stages after enumerating 17,914 downsets.
  PlannerSetup s(model::import_piper(path), one_node(4, BytesPerSecond(25.0 * kGiB)));
  s.settings.memory_limit = Bytes(2.5 * kGiB);
  // Mini-batch 256 * 4: micro-batches of 4 samples, so every Piper degree (1, 2, 4) divides b.
  const PlanResult r = s.plan(1024);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_NEAR(r.objective_s, 131.6773413, 5e-8);
  ASSERT_TRUE(r.strategy);
  EXPECT_EQ(r.strategy->stages.size(), 2U);
  EXPECT_EQ(note(r, "state_space"), "17914 downsets");
  EXPECT_EQ(note(r, "piper_micro_batch_size"), "4");
  EXPECT_EQ(note(r, "piper_data_parallel_degrees"), "1,2,4");
}

/// Piper's vanilla TPS of a strategy, recomputed from the imported ops (Op::piper) and the
/// graph: the published algo.cpp getTPSForResult, suffix sums of the stages' device counts
/// giving each stage's in-flight bound. Returns inf when a stage overflows `memory`.
double recompute_json_objective(const model::Model& m, const Strategy& s, double bandwidth,
                                double memory) {
  const model::OpGraph& g = m.graph;
  const double n = m.piper->micro_batches_in_batch;
  std::vector<int> stage_of(g.num_ops(), -1);
  int suffix = 0;
  for (const Stage& st : s.stages) {
    for (const model::OpId v : st.ops) stage_of[v] = st.id;
    suffix += static_cast<int>(st.devices.size());
  }
  double worst = 0.0;
  for (const Stage& st : s.stages) {
    const double d = static_cast<double>(st.devices.size());
    const double y = std::ceil(suffix / d);
    suffix -= static_cast<int>(st.devices.size());
    double compute = 0.0, bytes = 0.0, mem = 0.0;
    for (const model::OpId v : st.ops) {
      const model::PiperOption& o = g.op(v).piper.at(0).options.at(0);  // pp-dp: vanilla only
      compute += o.time_per_sample;
      bytes += 4.0 * (d - 1.0) * o.parameter_bytes.value() / d / n;
      mem += o.memory_a.value() * y + o.memory_b.value();
    }
    for (const model::OpEdge& e : g.edges()) {
      if ((stage_of[e.from] == st.id) != (stage_of[e.to] == st.id))
        bytes += 2.0 * e.bytes.value() / d;
    }
    if (mem > memory) return kInf;
    worst = std::max(worst, bytes / bandwidth + compute / d);
  }
  return worst;
}

/// Checks a Piper strategy: a sequential pipeline over devices 0.. in order, every op once, op
/// edges forward, stages at micro-batch b divisible by their device count.
void expect_valid_sequential(const Strategy& s, const model::OpGraph& g, int devices,
                             std::int64_t mini_batch, ScheduleKind schedule) {
  EXPECT_EQ(s.schedule, schedule);
  std::vector<int> stage_of(g.num_ops(), -1);
  std::vector<std::size_t> position(g.num_ops());
  const std::vector<model::OpId> topo = g.topological_order();
  for (std::size_t i = 0; i < topo.size(); ++i) position[topo[i]] = i;
  int next_device = 0;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const Stage& st = s.stages[i];
    EXPECT_EQ(st.id, static_cast<int>(i));
    ASSERT_FALSE(st.devices.empty());
    for (const hw::DeviceId d : st.devices) EXPECT_EQ(static_cast<int>(d), next_device++);
    EXPECT_EQ(mini_batch % st.micro_batch_size, 0);
    EXPECT_EQ(st.micro_batch_size % static_cast<std::int64_t>(st.devices.size()), 0);
    for (std::size_t k = 0; k < st.ops.size(); ++k) {
      EXPECT_EQ(stage_of[st.ops[k]], -1) << "op " << st.ops[k] << " twice";
      stage_of[st.ops[k]] = st.id;
      if (k > 0) {
        EXPECT_LT(position[st.ops[k - 1]], position[st.ops[k]]);
      }
    }
    if (i > 0) {
      EXPECT_EQ(s.edges.at(i - 1), std::make_pair(static_cast<int>(i) - 1, static_cast<int>(i)));
    }
  }
  EXPECT_EQ(s.edges.size(), s.stages.size() - 1);
  EXPECT_LE(next_device, devices);
  for (const int st : stage_of) EXPECT_GE(st, 0);
  for (const model::OpEdge& e : g.edges()) EXPECT_LE(stage_of[e.from], stage_of[e.to]);
}

TEST(PiperPlanner, PublishedPpDpInputsGiveValidStrategies) {
  if (!fs::is_directory(kInputs)) GTEST_SKIP() << "shared data not found at " << kInputs;
  struct Case {
    const char* file;
    double memory;  // bytes per device: gnmt as in the published runs, resnet the file's 80 GB
  };
  for (const Case c : {Case{"gnmt-pp-dp.json", 2.5 * kGiB}, Case{"resnet-pp-dp.json", 80e9}}) {
    const model::Model imported = model::import_piper(kInputs / c.file);
    for (const int devices : {2, 4, 8}) {
      SCOPED_TRACE(std::string(c.file) + " on " + std::to_string(devices));
      PlannerSetup s(imported, one_node(devices, BytesPerSecond(25.0 * kGiB)));
      s.settings.memory_limit = Bytes(c.memory);
      s.settings.schedule = ScheduleKind::kGpipe;
      const std::int64_t mini_batch = 8LL * s.model.piper->micro_batches_in_batch;  // b = 8
      const PlanResult r = s.plan(mini_batch);
      ASSERT_TRUE(r.feasible) << r.reason;
      expect_valid_sequential(*r.strategy, s.model.graph, devices, mini_batch,
                              ScheduleKind::kGpipe);
      EXPECT_NEAR(recompute_json_objective(s.model, *r.strategy, 25.0 * kGiB, c.memory),
                  r.objective_s, 1e-9 * r.objective_s);
    }
  }
}

/// bert32a100.json on 8 devices with 16 GiB each (the file: 80 GB; the published single() run:
/// 512 devices with 8 GiB), 25 GiB/s, N = 1920 as in the published runs.
PiperProblem bert_problem() {
  const model::Model m = model::import_piper(kInputs / "bert32a100.json");
  const PiperScenario sc{8, Bytes(16.0 * kGiB), BytesPerSecond(25.0 * kGiB), 40000};
  PiperBuild b = piper_problem_from_json(m, sc, 1920);
  EXPECT_EQ(b.error, "");
  return b.problem;
}

TEST(PiperPlanner, BertVanillaOnlyAgreesBetweenTheTwoDps) {
  const fs::path path = kInputs / "bert32a100.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  PiperProblem p = bert_problem();
  for (auto& node : p.options) {  // keep t = 1 "vanilla" only, as the *-pp-dp.json files do
    std::erase_if(
        node, [](const PiperNodeOption& o) { return o.tensor_degree != 1 || o.id != "vanilla"; });
  }
  const PiperSolution fast = solve_piper(p);
  p.all_options = true;
  const PiperSolution full = solve_piper(p);
  ASSERT_EQ(fast.status, PiperStatus::kOk);
  ASSERT_EQ(full.status, PiperStatus::kOk);
  EXPECT_NEAR(fast.time_per_sample.value(), full.time_per_sample.value(), 1e-12);
  EXPECT_EQ(fast.num_downsets, 43);  // counted independently by a Python walk of the file
}

TEST(PiperPlanner, BertWithAllTmpcsUsesTensorParallelOptionsValidly) {
  const fs::path path = kInputs / "bert32a100.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  PiperProblem p = bert_problem();
  const PiperSolution vanilla = solve_piper(p);
  p.all_options = true;
  const PiperSolution full = solve_piper(p);
  ASSERT_EQ(full.status, PiperStatus::kOk);
  ASSERT_EQ(vanilla.status, PiperStatus::kOk);
  // Every vanilla-only plan is also open to the full DP, and "vanilla" is each layer's fastest
  // option at t = 1, so the knapsack keeps it wherever it fits: the full DP is no worse.
  EXPECT_LE(full.time_per_sample.value(), vanilla.time_per_sample.value() + 1e-12);
  int devices = 0;
  std::vector<int> seen(p.options.size(), 0);
  for (const PiperStage& st : full.stages) {
    devices += st.data_degree * st.tensor_degree;
    ASSERT_EQ(st.option_ids.size(), st.nodes.size());
    for (std::size_t i = 0; i < st.nodes.size(); ++i) {
      ++seen[st.nodes[i]];
      const auto& opts = p.options[st.nodes[i]];
      EXPECT_TRUE(std::any_of(opts.begin(), opts.end(),
                              [&](const PiperNodeOption& o) {
                                return o.tensor_degree == st.tensor_degree &&
                                       o.id == st.option_ids[i];
                              }))
          << "node " << st.nodes[i] << " has no option " << st.option_ids[i]
          << " at t = " << st.tensor_degree;
    }
    EXPECT_LE(st.time_per_sample.value(), full.time_per_sample.value() + 1e-12);
  }
  EXPECT_LE(devices, 8);
  for (const int n : seen) EXPECT_EQ(n, 1);
}

TEST(PiperPlanner, SmallMicroBatchRestrictsDataParallelismAndSaysSo) {
  const fs::path path = kInputs / "gnmt-pp-dp.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  PlannerSetup s(model::import_piper(path), one_node(4, BytesPerSecond(25.0 * kGiB)));
  s.settings.memory_limit = Bytes(2.5 * kGiB);
  // mini-batch 256 = N: micro-batches of one sample, which gppsim cannot split over devices.
  const PlanResult r = s.plan(256);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(note(r, "piper_data_parallel_degrees"), "1");
  EXPECT_EQ(note(r, "piper_degrees_not_dividing_micro_batch"), "2,4");
  for (const Stage& st : r.strategy->stages) EXPECT_EQ(st.devices.size(), 1U);
  EXPECT_GT(r.objective_s, 131.6773413);  // the published optimum needs d = 2 or 4
  // A mini-batch that is not a multiple of N has no whole micro-batches.
  const PlanResult bad = s.plan(1000);
  EXPECT_FALSE(bad.feasible);
  EXPECT_NE(bad.reason.find("mbsInBatch N = 256"), std::string::npos) << bad.reason;
}

TEST(PiperPlanner, MultiNodeClustersUseTheInterNodeLink) {
  const fs::path path = kInputs / "gnmt-pp-dp.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  hw::ClusterSpec c = one_node(2, BytesPerSecond(1e12));
  c.nodes = 2;
  c.inter_node.bandwidth = BytesPerSecond(25.0 * kGiB);
  PlannerSetup s(model::import_piper(path), c);
  s.settings.memory_limit = Bytes(2.5 * kGiB);
  const PlanResult r = s.plan(1024);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(note(r, "piper_bandwidth_link"), "inter_node");
  // 2 nodes x 2 GPUs at the inter-node 25 GiB/s is the published 4-device case.
  EXPECT_NEAR(r.objective_s, 131.6773413, 5e-8);
}

// ---------------------------------------------------------------------------------------------
// Zoo models: costs from the cost model, micro-batch size chosen by the planner.

model::Model chain_model(std::int64_t layers, double activation_bytes, double parameter_bytes) {
  return model::build_zoo_model(model::ChainArgs{layers, Seconds(1e-3), Seconds(2e-3),
                                                 Bytes(activation_bytes), Bytes(parameter_bytes)},
                                core::Dtype::kFp32);
}

TEST(PiperPlanner, UniformChainPipelinesOneLayerPerDevice) {
  // 4 layers of 1 + 2 ms per sample with 1 MB of weights each, 4 devices, no activations:
  // one layer per device costs 3 ms per sample per stage with no communication, while any
  // replicated stage adds resync traffic 4 (d - 1) w / (d N) and cannot balance better; every
  // micro-batch size gives 3 ms/sample, so the first candidate (1) is kept.
  PlannerSetup s(chain_model(4, 0.0, 1e6), one_node(4, BytesPerSecond(1e9)));
  s.settings.micro_batch_sizes = {1, 2, 4};
  const PlanResult r = s.plan(16);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_NEAR(r.objective_s, 3e-3, 1e-12);
  ASSERT_EQ(r.strategy->stages.size(), 4U);
  for (const Stage& st : r.strategy->stages) {
    EXPECT_EQ(st.ops.size(), 1U);
    EXPECT_EQ(st.devices.size(), 1U);
    EXPECT_EQ(st.micro_batch_size, 1);
  }
  expect_valid_sequential(*r.strategy, s.model.graph, 4, 16, ScheduleKind::kOneFOneB);
}

TEST(PiperPlanner, ReplicationNeedsAMicroBatchItCanSplit) {
  // 2 layers of 3 ms per sample, 1 MB of activation per sample, no weights, 2 devices at 1 GB/s.
  // Per micro-batch of b samples: one stage on 2 devices takes 6 ms b / 2 = 3 ms b (no resync
  // without weights); two stages take 3 ms b + 2 * 1 MB b / 1 GB/s = 5 ms b each; one stage on
  // one device 6 ms b. b = 2 allows d = 2: 3 ms/sample. b = 1 allows only d = 1: 5 ms/sample.
  PlannerSetup s(chain_model(2, 1e6, 0.0), one_node(2, BytesPerSecond(1e9)));
  s.settings.micro_batch_sizes = {1, 2};
  const PlanResult both = s.plan(8);
  ASSERT_TRUE(both.feasible) << both.reason;
  EXPECT_NEAR(both.objective_s, 3e-3, 1e-12);
  ASSERT_EQ(both.strategy->stages.size(), 1U);
  EXPECT_EQ(both.strategy->stages[0].devices.size(), 2U);
  EXPECT_EQ(both.strategy->stages[0].micro_batch_size, 2);
  s.settings.micro_batch_sizes = {1};
  const PlanResult one = s.plan(8);
  ASSERT_TRUE(one.feasible) << one.reason;
  EXPECT_NEAR(one.objective_s, 5e-3, 1e-12);
  EXPECT_EQ(one.strategy->stages.size(), 2U);
}

TEST(PiperPlanner, ZooModelWithoutCandidatesOrMemoryIsInfeasible) {
  PlannerSetup s(chain_model(2, 1e6, 1e6), one_node(2, BytesPerSecond(1e9)));
  PlanResult r = s.plan(8);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("micro_batch_sizes is empty"), std::string::npos) << r.reason;
  s.settings.micro_batch_sizes = {1, 3};
  s.settings.memory_limit = Bytes(1e3);  // below one layer's weights + Adam state (16 MB)
  r = s.plan(8);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("3 (does not divide the mini-batch 8)"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("1 (out of memory)"), std::string::npos) << r.reason;
}

TEST(PiperPlanner, CandleUnoHitsTheDownsetCapAndGivesUp) {
  // 7 branches of 4 layers between an input and a concat: 1 + 5^7 + 1 = 78,127 downsets.
  PlannerSetup s(model::build_zoo_model(model::CandleUnoArgs{}, core::Dtype::kFp32),
                 one_node(8, BytesPerSecond(50e9)));
  s.settings.micro_batch_sizes = {1, 2, 4};
  const PlanResult r = s.plan(64);
  EXPECT_FALSE(r.feasible);
  EXPECT_FALSE(r.strategy);
  EXPECT_EQ(r.reason, "Piper gave up: more than 40000 downsets (7 branches)");
  // DLRM: 7 dense + 7 embedding branches from one input, far beyond the cap.
  PlannerSetup dlrm(model::build_zoo_model(model::DlrmArgs{}, core::Dtype::kFp32),
                    one_node(8, BytesPerSecond(50e9)));
  dlrm.settings.micro_batch_sizes = {1};
  EXPECT_EQ(dlrm.plan(64).reason, "Piper gave up: more than 40000 downsets (14 branches)");
  // With a cap above the count it plans (4 branches: 1 + 5^4 + 1 = 627 downsets).
  PlannerSetup small(model::build_zoo_model(model::CandleUnoArgs{4, 4, 1024}, core::Dtype::kFp32),
                     one_node(4, BytesPerSecond(50e9)));
  small.settings.micro_batch_sizes = {4};
  const PlanResult ok = small.plan(64);
  ASSERT_TRUE(ok.feasible) << ok.reason;
  EXPECT_EQ(note(ok, "state_space"), "627 downsets");
  expect_valid_sequential(*ok.strategy, small.model.graph, 4, 64, ScheduleKind::kOneFOneB);
}

}  // namespace
}  // namespace gppsim::plan

namespace gppsim::plan {
namespace {

TEST(PiperNodes, TransformerLayersBecomeNodesAndMlpsStayPerOp) {
  // MMT (4 branches x 8 layers of attention + 2 linear = 24 ops each, plus input and concat):
  // 4 x 8 = 32 layer nodes + input + concat = 34 nodes.
  const auto mmt = model::build_zoo_model(model::MmtArgs{}, core::Dtype::kFp32);
  const PiperNodes nodes = transformer_layer_nodes(mmt.graph);
  EXPECT_EQ(mmt.graph.num_ops(), 98u);
  EXPECT_EQ(nodes.size(), 34u);
  for (const auto& ops : nodes.ops) {
    if (ops.size() > 1) {
      EXPECT_EQ(mmt.graph.op(ops.front()).kind, model::OpKind::kAttention);
      EXPECT_EQ(ops.size(), 3u);
    }
  }
  // CANDLE-Uno has no attention: one node per op.
  const auto candle = model::build_zoo_model(model::CandleUnoArgs{}, core::Dtype::kFp32);
  EXPECT_EQ(transformer_layer_nodes(candle.graph).size(), candle.graph.num_ops());
}

TEST(PiperPlanner, MmtPlansOverTransformerLayers) {
  // Downsets of input -> 4 chains of 8 layer nodes -> concat: the empty set, the input with
  // any prefix of each chain (9^4 = 6561), and everything: 6563, under the 40,000 cap.
  PlannerSetup s(model::build_zoo_model(model::MmtArgs{}, core::Dtype::kFp32), one_node(8, BytesPerSecond(50e9)));
  s.settings.micro_batch_sizes = {1, 2, 4};
  const PlanResult r = s.plan(64);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(note(r, "state_space"), "6563 downsets");
  EXPECT_EQ(note(r, "piper_nodes"), "98 ops as 34 nodes (transformer layers)");
  expect_valid_sequential(*r.strategy, s.model.graph, 8, 64, ScheduleKind::kOneFOneB);
}

}  // namespace
}  // namespace gppsim::plan
