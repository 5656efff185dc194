#include "sim/plan/piper_model.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/core/dtype.h"
#include "sim/core/errors.h"

namespace gppsim::plan {
namespace {

/// Translates one sync map (JSON node id -> seconds-as-bytes) to node indices, keeping only
/// keys that name a neighbour in `allowed`; an unmatched non-zero entry is reported.
std::string translate_sync(const std::map<std::int64_t, double>& from,
                           const std::vector<model::OpId>& allowed, const std::string& what,
                           std::map<std::size_t, core::Bytes>& to) {
  for (const auto& [key, time] : from) {
    const bool neighbour = key >= 0 && std::find(allowed.begin(), allowed.end(),
                                                 static_cast<model::OpId>(key)) != allowed.end();
    if (neighbour) {
      to[static_cast<std::size_t>(key)] = core::Bytes(time);
    } else if (time != 0.0) {
      return fmt::format(
          "{} key {} is not a neighbour's position in the file (Piper JSON node ids "
          "must be 0..n-1 in file order when sync times are non-zero)",
          what, key);
    }
  }
  return {};
}

/// Every option of op `v` (all tensor degrees).
std::string json_options(const model::OpGraph& graph, model::OpId v,
                         std::vector<PiperNodeOption>& out) {
  const std::vector<model::OpId> preds = graph.predecessors(v);
  const std::vector<model::OpId> succs = graph.successors(v);
  for (const model::PiperTmpc& tmpc : graph.op(v).piper) {
    for (const model::PiperOption& o : tmpc.options) {
      PiperNodeOption n{o.id,
                        tmpc.tensor_degree,
                        core::Seconds(o.time_per_sample),
                        o.parameter_bytes,
                        o.memory_a,
                        o.memory_b,
                        {},
                        {}};
      const std::string where = fmt::format("op `{}` option `{}`", graph.op(v).name, o.id);
      std::string error = translate_sync(o.sync_time_fw, preds, where + " syncTimeFw", n.sync_in);
      if (error.empty())
        error = translate_sync(o.sync_time_bw, succs, where + " syncTimeBw", n.sync_out);
      if (!error.empty()) return error;
      out.push_back(std::move(n));
    }
  }
  return {};
}

}  // namespace

core::BytesPerSecond piper_bandwidth(const hw::ClusterSpec& cluster) {
  return cluster.nodes == 1 ? cluster.intra_node.bandwidth : cluster.inter_node.bandwidth;
}

PiperBuild piper_problem_from_json(const model::Model& model, const PiperScenario& scenario,
                                   int micro_batches) {
  PiperBuild build;
  PiperProblem& p = build.problem;
  p.devices = scenario.devices;
  p.micro_batches = micro_batches;
  p.memory_per_device = scenario.memory_per_device;
  p.bandwidth = scenario.bandwidth;
  p.max_downsets = scenario.max_downsets;
  p.edges = one_node_per_op(model.graph).edges(model.graph, 1.0);
  for (model::OpId v = 0; v < model.graph.num_ops(); ++v) {
    if (model.graph.op(v).piper.empty()) {
      throw core::PlanError(fmt::format(
          "Piper input: op `{}` has no Piper options (TMPCs) although the model is a Piper import",
          model.graph.op(v).name));
    }
    p.options.emplace_back();
    build.error = json_options(model.graph, v, p.options.back());
    if (!build.error.empty()) return build;
  }
  return build;
}

PiperProblem piper_problem_from_costs(const model::Model& model, const cost::OpCost& op_cost,
                                      model::Optimizer optimizer, std::int64_t micro_batch,
                                      std::int64_t mini_batch, const PiperScenario& scenario,
                                      const PiperNodes& nodes) {
  GPPSIM_CHECK(
      micro_batch >= 1 && mini_batch % micro_batch == 0,
      fmt::format("micro-batch {} must divide the mini-batch {}", micro_batch, mini_batch));
  const double b = static_cast<double>(micro_batch);
  const core::Bytes per_parameter = model::static_bytes_per_parameter(model.dtype, optimizer);
  PiperProblem p;
  p.devices = scenario.devices;
  p.micro_batches = static_cast<int>(mini_batch / micro_batch);
  p.memory_per_device = scenario.memory_per_device;
  p.bandwidth = scenario.bandwidth;
  p.max_downsets = scenario.max_downsets;
  p.data_degree_divisor = micro_batch;
  p.edges = nodes.edges(model.graph, b);
  for (const auto& ops : nodes.ops) {
    PiperNodeOption o;
    for (const model::OpId v : ops) {
      const model::Op& op = model.graph.op(v);
      o.time_per_sample += op_cost.forward(op, micro_batch) + op_cost.backward(op, micro_batch);
      o.parameter_bytes += op.parameter_bytes;
      o.memory_a += op.stashed_bytes * b;
      o.memory_b += per_parameter * (op.parameter_bytes / core::element_size(model.dtype));
    }
    p.options.push_back({std::move(o)});
  }
  return p;
}

Strategy piper_strategy(const PiperSolution& solution, const model::OpGraph& graph, const PiperNodes& nodes,
                        std::int64_t micro_batch, ScheduleKind schedule) {
  std::vector<int> stage_of(graph.num_ops(), -1);
  Strategy s;
  s.schedule = schedule;
  int next_device = 0;
  for (std::size_t i = 0; i < solution.stages.size(); ++i) {
    const PiperStage& ps = solution.stages[i];
    Stage stage;
    stage.id = static_cast<int>(i);
    stage.micro_batch_size = micro_batch;
    for (int k = 0; k < ps.data_degree * ps.tensor_degree; ++k)
      stage.devices.push_back(next_device++);
    for (const std::size_t node : ps.nodes)
      for (const model::OpId v : nodes.ops[node]) stage_of[v] = stage.id;
    s.stages.push_back(std::move(stage));
    if (i > 0) s.edges.emplace_back(static_cast<int>(i) - 1, static_cast<int>(i));
  }
  for (const model::OpId v : graph.topological_order()) {
    GPPSIM_CHECK(stage_of[v] >= 0, fmt::format("Piper left op {} without a stage", v));
    s.stages[static_cast<std::size_t>(stage_of[v])].ops.push_back(v);
  }
  return s;
}

std::size_t widest_branching(const model::OpGraph& graph) {
  std::size_t widest = 1;
  for (model::OpId v = 0; v < graph.num_ops(); ++v) {
    widest = std::max({widest, graph.successors(v).size(), graph.predecessors(v).size()});
  }
  return widest;
}

}  // namespace gppsim::plan
