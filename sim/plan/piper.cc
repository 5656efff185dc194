#include "sim/plan/piper.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/plan/piper_downsets.h"
#include "sim/plan/piper_dp.h"
#include "sim/plan/piper_model.h"

namespace gppsim::plan {
namespace {

using Notes = std::vector<std::pair<std::string, std::string>>;

/// A solved candidate: the solution at micro-batch size b and its time per sample.
struct Candidate {
  PiperSolution solution;
  std::int64_t micro_batch = 1;
  double objective_s = 0.0;
  std::vector<int> degrees;  ///< data-parallel degrees the DP could use
  std::vector<int> removed;  ///< Piper's degrees (d | N) excluded because d does not divide b
};

PlanResult infeasible(std::string reason, Notes notes) {
  PlanResult r;
  r.feasible = false;
  r.reason = std::move(reason);
  r.notes = std::move(notes);
  return r;
}

PiperScenario scenario_of(const PlanRequest& request) {
  return PiperScenario{request.cluster.num_devices(), request.memory_capacity(),
                       piper_bandwidth(request.cluster), request.settings.max_downsets};
}

/// Scenario-level notes shared by every answer.
Notes scenario_notes(const PlanRequest& request, const PiperScenario& sc) {
  return {{"piper_devices", std::to_string(sc.devices)},
          {"piper_memory_per_device_bytes", fmt::format("{}", sc.memory_per_device.value())},
          {"piper_bandwidth_bytes_per_s", fmt::format("{}", sc.bandwidth.value())},
          {"piper_bandwidth_link", request.cluster.nodes == 1 ? "intra_node" : "inter_node"}};
}

/// Degrees in `piper` (Piper's rule) missing from `used`.
std::vector<int> missing(const std::vector<int>& piper, const std::vector<int>& used) {
  std::vector<int> out;
  for (const int d : piper) {
    if (std::find(used.begin(), used.end(), d) == used.end()) out.push_back(d);
  }
  return out;
}

/// Solves one problem; nullopt when no partition fits memory.
std::optional<Candidate> solve(const PiperProblem& problem, const DownsetSpace& space,
                               std::int64_t micro_batch, double objective_scale) {
  Candidate c;
  c.solution = solve_piper_on(problem, space);
  if (c.solution.status != PiperStatus::kOk) return std::nullopt;
  c.micro_batch = micro_batch;
  c.objective_s = c.solution.time_per_sample.value() * objective_scale;
  c.degrees = allowed_data_degrees(problem);
  PiperProblem piper_rule;  // only the fields allowed_data_degrees reads
  piper_rule.devices = problem.devices;
  piper_rule.micro_batches = problem.micro_batches;
  c.removed = missing(allowed_data_degrees(piper_rule), c.degrees);
  return c;
}

PlanResult answer(const PlanRequest& request, const PiperNodes& nodes, const Candidate& c, Notes notes) {
  PlanResult r;
  r.feasible = true;
  r.objective_s = c.objective_s;
  r.strategy =
      piper_strategy(c.solution, request.model.graph, nodes, c.micro_batch, request.settings.schedule);
  int used = 0;
  std::vector<double> tps;
  for (const PiperStage& s : c.solution.stages) {
    used += s.data_degree * s.tensor_degree;
    tps.push_back(s.time_per_sample.value());
  }
  notes.emplace_back("piper_micro_batch_size", std::to_string(c.micro_batch));
  notes.emplace_back("piper_downset_pairs", std::to_string(c.solution.num_pairs));
  notes.emplace_back("piper_data_parallel_degrees", fmt::format("{}", fmt::join(c.degrees, ",")));
  if (!c.removed.empty()) {
    notes.emplace_back("piper_degrees_not_dividing_micro_batch",
                       fmt::format("{}", fmt::join(c.removed, ",")));
  }
  notes.emplace_back("piper_devices_used", std::to_string(used));
  notes.emplace_back("piper_stage_tps", fmt::format("{}", fmt::join(tps, ",")));
  r.notes = std::move(notes);
  return r;
}

PlanResult plan_json(const PlanRequest& request, const PiperScenario& sc, const PiperNodes& nodes,
                     const DownsetSpace& space, Notes notes) {
  const int n = request.model.piper->micro_batches_in_batch;
  notes.emplace_back("piper_micro_batches", fmt::format("{} (mbsInBatch of the input)", n));
  if (n < 1 || request.mini_batch % n != 0) {
    return infeasible(fmt::format("Piper input: the mini-batch {} is not a multiple of the input's "
                                  "mbsInBatch N = {}, so micro-batches would not be whole",
                                  request.mini_batch, n),
                      std::move(notes));
  }
  PiperBuild build = piper_problem_from_json(request.model, sc, n);
  if (!build.error.empty()) return infeasible("Piper input: " + build.error, std::move(notes));
  const std::int64_t b = request.mini_batch / n;
  build.problem.data_degree_divisor = b;
  const std::optional<Candidate> c = solve(build.problem, space, b, 1.0);
  if (!c) {
    return infeasible(fmt::format("no Piper partition fits {} bytes per device on {} devices",
                                  sc.memory_per_device.value(), sc.devices),
                      std::move(notes));
  }
  return answer(request, nodes, *c, std::move(notes));
}

PlanResult plan_costs(const PlanRequest& request, const PiperScenario& sc, const PiperNodes& nodes,
                      const DownsetSpace& space, Notes notes) {
  const std::vector<std::int64_t>& sizes = request.settings.micro_batch_sizes;
  if (sizes.empty()) {
    return infeasible("plan.micro_batch_sizes is empty: Piper needs micro-batch size candidates",
                      std::move(notes));
  }
  std::optional<Candidate> best;
  std::vector<std::string> tried;
  for (const std::int64_t b : sizes) {
    if (b < 1 || request.mini_batch % b != 0) {
      tried.push_back(fmt::format("{} (does not divide the mini-batch {})", b, request.mini_batch));
      continue;
    }
    const PiperProblem p = piper_problem_from_costs(request.model, request.op_cost,
                                                    request.optimizer, b, request.mini_batch, sc, nodes);
    std::optional<Candidate> c = solve(p, space, b, 1.0 / static_cast<double>(b));
    tried.push_back(c ? fmt::format("{} ({:.6g} s/sample)", b, c->objective_s)
                      : fmt::format("{} (out of memory)", b));
    if (c && (!best || c->objective_s < best->objective_s)) best = std::move(c);
  }
  notes.emplace_back("piper_micro_batch_candidates", fmt::format("{}", fmt::join(tried, "; ")));
  if (!best) {
    return infeasible(
        fmt::format("no Piper partition fits {} bytes per device on {} devices at any "
                    "micro-batch size: {}",
                    sc.memory_per_device.value(), sc.devices, fmt::join(tried, "; ")),
        std::move(notes));
  }
  notes.emplace_back("piper_micro_batches", std::to_string(request.mini_batch / best->micro_batch));
  return answer(request, nodes, *best, std::move(notes));
}

}  // namespace

PlanResult PiperPlanner::plan(const PlanRequest& request) const {
  const model::OpGraph& graph = request.model.graph;
  const PiperScenario sc = scenario_of(request);
  Notes notes = scenario_notes(request, sc);
  if (graph.num_ops() == 0) return infeasible("the model has no ops", std::move(notes));
  // Imported Piper JSON brings its own nodes; zoo models give Piper their transformer layers.
  const PiperNodes nodes = request.model.piper ? one_node_per_op(graph) : transformer_layer_nodes(graph);
  const std::vector<PiperEdge> edges = nodes.edges(graph, 1.0);
  if (nodes.size() != graph.num_ops()) {
    notes.emplace_back("piper_nodes", fmt::format("{} ops as {} nodes (transformer layers)", graph.num_ops(), nodes.size()));
  }
  const std::optional<DownsetSpace> space =
      DownsetSpace::enumerate(nodes.size(), edges, sc.max_downsets);
  if (!space) {
    notes.emplace_back("state_space", fmt::format("more than {} downsets", sc.max_downsets));
    return infeasible(fmt::format("Piper gave up: more than {} downsets ({} branches)",
                                  sc.max_downsets, widest_branching(graph)),
                      std::move(notes));
  }
  notes.emplace_back("state_space", fmt::format("{} downsets", space->size()));
  return request.model.piper ? plan_json(request, sc, nodes, *space, std::move(notes))
                             : plan_costs(request, sc, nodes, *space, std::move(notes));
}

}  // namespace gppsim::plan
