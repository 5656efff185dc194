#include <iostream>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/planning.h"
#include "sim/cli/verbs.h"
#include "sim/config/strategy_file.h"
#include "sim/core/atomic_file.h"

namespace gppsim::cli {
namespace {

using nlohmann::ordered_json;

ordered_json stages_json(const plan::Strategy& s, const model::OpGraph& g) {
  ordered_json out = ordered_json::array();
  for (const auto& st : s.stages) {
    std::vector<std::string> ops;
    for (const auto op : st.ops) ops.push_back(g.op(op).name);
    out.push_back({{"id", st.id}, {"ops", ops}, {"devices", st.devices}, {"micro_batch_size", st.micro_batch_size}});
  }
  return out;
}

std::string plan_json(const config::Scenario& sc, const PlanOutcome& o) {
  const auto& r = o.result;
  ordered_json j{{"scenario", sc.name},
                 {"planner", plan::to_string(sc.plan.planner)},
                 {"feasible", r.feasible},
                 {"search_time_s", o.search_time_s},
                 {"objective_s", r.objective_s}};
  if (r.strategy) {
    const auto& s = *r.strategy;
    j["num_stages"] = s.stages.size();
    j["pipeline_depth"] = s.depth();
    j["micro_batch_size"] = s.stages.empty() ? 0 : s.stages.front().micro_batch_size;
    j["schedule"] = plan::to_string(s.schedule);
    j["stages"] = stages_json(s, sc.model.graph);
    j["edges"] = s.edges;
  } else {
    j["num_stages"] = 0;
    j["pipeline_depth"] = 0;
    j["micro_batch_size"] = 0;
    j["stages"] = ordered_json::array();
  }
  if (!r.reason.empty()) j["reason"] = r.reason;
  for (const auto& [key, value] : r.notes) j[key] = value;
  return j.dump(2) + "\n";
}

}  // namespace

int run_plan(const PlanOptions& options, std::ostream& out) {
  const config::Scenario sc = config::load_scenario(options.scenario);
  const PlanOutcome o = run_planner(sc);
  const auto dir = options.out.empty() ? std::filesystem::path("out") / sc.name : options.out;
  core::write_file_atomically(dir / "plan.json", plan_json(sc, o));
  out << fmt::format("planner {} on {}: searched in {:.3f} s\n", plan::to_string(sc.plan.planner), sc.name, o.search_time_s);
  if (!o.result.feasible) {
    std::cerr << "gppsim: infeasible: " << o.result.reason << '\n';
    out << fmt::format("wrote {}\n", (dir / "plan.json").string());
    return 3;
  }
  const auto& s = *o.result.strategy;
  core::write_file_atomically(dir / "strategy.yaml", config::strategy_to_yaml(s, sc.model.graph));
  out << fmt::format("objective {:.6g} s, {} stages, depth {}, micro-batch {}\n", o.result.objective_s, s.stages.size(),
                     s.depth(), s.stages.front().micro_batch_size);
  out << fmt::format("wrote {} and {}\n", (dir / "plan.json").string(), (dir / "strategy.yaml").string());
  return 0;
}

}  // namespace gppsim::cli
