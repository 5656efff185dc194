#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/verbs.h"
#include "sim/config/scenario.h"
#include "sim/core/unit_parse.h"
#include "sim/model/summary.h"

namespace gppsim::cli {
namespace {

using nlohmann::ordered_json;

ordered_json blocks_json(const model::Model& m, const model::ModelSummary& s) {
  ordered_json out = ordered_json::array();
  for (const auto& b : s.blocks) {
    out.push_back({{"fork", m.graph.op(b.fork).name},
                   {"join", m.graph.op(b.join).name},
                   {"branch_sizes", b.branch_sizes}});
  }
  return out;
}

ordered_json ops_json(const model::Model& m) {
  ordered_json out = ordered_json::array();
  for (model::OpId id = 0; id < m.graph.num_ops(); ++id) {
    const auto& op = m.graph.op(id);
    out.push_back({{"name", op.name},
                   {"kind", model::to_string(op.kind)},
                   {"parameters", op.parameters},
                   {"forward_flops_per_sample", op.forward_flops.value()},
                   {"activation_bytes_per_sample", op.activation_bytes.value()}});
  }
  return out;
}

ordered_json summary_json(const config::Scenario& sc, const model::ModelSummary& s) {
  return {{"scenario", sc.name},
          {"model", sc.model_source},
          {"dtype", core::to_string(sc.model.dtype)},
          {"num_ops", s.num_ops},
          {"num_edges", s.num_edges},
          {"parameters", s.parameters},
          {"parameter_bytes", s.parameter_bytes.value()},
          {"forward_flops_per_sample", s.forward_flops_per_sample.value()},
          {"backward_flops_per_sample", s.backward_flops_per_sample.value()},
          {"activation_bytes_per_sample", s.activation_bytes_per_sample.value()},
          {"static_memory_bytes", s.static_memory.value()},
          {"blocks", blocks_json(sc.model, s)},
          {"ops", ops_json(sc.model)}};
}

void print_text(const config::Scenario& sc, const model::ModelSummary& s, std::ostream& out) {
  out << fmt::format("scenario   {} ({})\n", sc.name, sc.model_source);
  out << fmt::format("ops        {}   edges {}\n", s.num_ops, s.num_edges);
  out << fmt::format("parameters {} ({} at {})\n", s.parameters, core::format_bytes(s.parameter_bytes),
                     core::to_string(sc.model.dtype));
  out << fmt::format("forward    {:.4g} GFLOP per sample; backward {:.4g} GFLOP per sample\n",
                     s.forward_flops_per_sample.value() * 1e-9, s.backward_flops_per_sample.value() * 1e-9);
  out << fmt::format("static memory (weights + gradients + optimizer state): {}\n",
                     core::format_bytes(s.static_memory));
  for (const auto& b : s.blocks) {
    std::string sizes;
    for (const auto n : b.branch_sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(n);
    out << fmt::format("branches   {} -> {}: {} branches of [{}] ops\n", sc.model.graph.op(b.fork).name,
                       sc.model.graph.op(b.join).name, b.branch_sizes.size(), sizes);
  }
  out << fmt::format("\n{:<24} {:<14} {:>14} {:>14} {:>14}\n", "op", "kind", "parameters", "fwd GFLOP/smp",
                     "activation");
  for (model::OpId id = 0; id < sc.model.graph.num_ops(); ++id) {
    const auto& op = sc.model.graph.op(id);
    out << fmt::format("{:<24} {:<14} {:>14} {:>14.4g} {:>14}\n", op.name, model::to_string(op.kind), op.parameters,
                       op.forward_flops.value() * 1e-9, core::format_bytes(op.activation_bytes));
  }
}

}  // namespace

int run_inspect(const InspectOptions& options, std::ostream& out) {
  const config::Scenario sc = config::load_scenario(options.scenario);
  const model::ModelSummary s = model::summarize(sc.model, sc.training.optimizer);
  if (options.json) {
    out << summary_json(sc, s).dump(2) << '\n';
  } else {
    print_text(sc, s, out);
  }
  return 0;
}

}  // namespace gppsim::cli
