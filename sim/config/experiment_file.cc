#include "sim/config/experiment_file.h"

#include <fmt/format.h>

#include "sim/config/experiment_sections.h"
#include "sim/config/yaml_reader.h"

namespace gppsim::config {
namespace {

// Reading context shared by the part readers: known model names for cross-checks.
struct PartReader {
  const Experiment& exp;

  [[nodiscard]] std::optional<std::string> model(const YamlValue& v) const {
    auto name = v.as_string();
    if (name && !exp.models.contains(*name)) {
      std::string known;
      for (const auto& [k, _] : exp.models) known += (known.empty() ? "" : ", ") + k;
      v.error(fmt::format("expected a model defined under models ({}), found \"{}\"", known, *name));
      return std::nullopt;
    }
    return name;
  }

  [[nodiscard]] std::vector<std::string> models(const YamlValue& v) const {
    std::vector<std::string> out;
    for (const auto& e : v.elements()) {
      if (auto m = model(e)) out.push_back(*m);
    }
    return out;
  }
};

// A value or a list of values of GPU counts / sizes: `gpus: 8` or `gpus: [4, 8]`.
std::vector<std::int64_t> ints(const YamlValue& v, std::int64_t min, std::int64_t max) {
  std::vector<std::int64_t> out;
  if (!v.is_sequence()) {
    if (auto n = v.as_int(min, max)) out.push_back(*n);
    return out;
  }
  for (const auto& e : v.elements()) {
    if (auto n = e.as_int(min, max)) out.push_back(*n);
  }
  if (out.empty()) v.error("expected at least one value, found an empty list");
  return out;
}

std::vector<int> gpu_list(const YamlValue& v) {
  std::vector<int> out;
  for (const auto n : ints(v, 1, 4096)) out.push_back(static_cast<int>(n));
  return out;
}

std::vector<plan::PlannerKind> planners(const YamlValue& v) {
  std::vector<plan::PlannerKind> out;
  for (const auto& e : v.elements()) {
    const auto name = e.as_choice({"graphpipe", "pipedream", "piper", "exhaustive"});
    if (!name) continue;
    for (const auto k : {plan::PlannerKind::kGraphPipe, plan::PlannerKind::kPipeDream, plan::PlannerKind::kPiper,
                         plan::PlannerKind::kExhaustive}) {
      if (plan::to_string(k) == *name) out.push_back(k);
    }
  }
  return out;
}

template <typename T, typename Read>
void optional_part(const YamlMap& m, std::string_view key, std::optional<T>* out, Read read) {
  if (const auto v = m.get(key, false)) *out = read(*v);
}

ThroughputPart read_throughput(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"models", "gpus", "planners"});
  ThroughputPart p;
  if (const auto x = m.get("models", true)) p.models = r.models(*x);
  if (const auto x = m.get("gpus", true)) p.gpus = gpu_list(*x);
  if (const auto x = m.get("planners", true)) p.planners = planners(*x);
  return p;
}

AblationPart read_ablation(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"models", "gpus"});
  AblationPart p;
  if (const auto x = m.get("models", true)) p.models = r.models(*x);
  if (const auto x = m.get("gpus", true)) p.gpus = gpu_list(*x);
  return p;
}

BranchSweepPart read_branch_sweep(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"model", "branches", "gpus", "mini_batch_per_gpu", "planners"});
  BranchSweepPart p;
  if (const auto x = m.get("model", true)) p.model = r.model(*x).value_or("");
  if (const auto x = m.get("branches", true)) p.branches = ints(*x, 1, 1024);
  if (const auto x = m.get("gpus", true)) p.gpus = gpu_list(*x);
  if (const auto x = m.get("mini_batch_per_gpu", true)) p.mini_batch_per_gpu = x->as_int(1).value_or(0);
  if (const auto x = m.get("planners", true)) p.planners = planners(*x);
  return p;
}

MicroBatchSweepPart read_micro_batch_sweep(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"model", "gpus", "mini_batch", "micro_batch_sizes", "planners"});
  MicroBatchSweepPart p;
  if (const auto x = m.get("model", true)) p.model = r.model(*x).value_or("");
  if (const auto x = m.get("gpus", true)) p.gpus = static_cast<int>(x->as_int(1, 4096).value_or(0));
  if (const auto x = m.get("mini_batch", true)) p.mini_batch = x->as_int(1).value_or(0);
  if (const auto x = m.get("micro_batch_sizes", true)) p.micro_batch_sizes = ints(*x, 1, 1 << 20);
  if (const auto x = m.get("planners", true)) p.planners = planners(*x);
  for (const auto b : p.micro_batch_sizes) {
    if (p.mini_batch > 0 && p.mini_batch % b != 0) {
      m.self().error(fmt::format("expected micro_batch_sizes dividing mini_batch = {}, found {}", p.mini_batch, b));
    }
  }
  return p;
}

ComparisonPart read_comparison(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"model", "gpus", "planners"});
  ComparisonPart p;
  if (const auto x = m.get("model", true)) p.model = r.model(*x).value_or("");
  if (const auto x = m.get("gpus", true)) p.gpus = gpu_list(*x);
  if (const auto x = m.get("planners", true)) p.planners = planners(*x);
  return p;
}

ExperimentParts read_parts(const YamlValue& v, const PartReader& r) {
  const YamlMap m(v, {"throughput", "ablation", "branch_sweep", "micro_batch_sweep", "case_study", "sequential"});
  ExperimentParts p;
  optional_part(m, "throughput", &p.throughput, [&](const YamlValue& x) { return read_throughput(x, r); });
  optional_part(m, "ablation", &p.ablation, [&](const YamlValue& x) { return read_ablation(x, r); });
  optional_part(m, "branch_sweep", &p.branch_sweep, [&](const YamlValue& x) { return read_branch_sweep(x, r); });
  optional_part(m, "micro_batch_sweep", &p.micro_batch_sweep,
                [&](const YamlValue& x) { return read_micro_batch_sweep(x, r); });
  optional_part(m, "case_study", &p.case_study, [&](const YamlValue& x) { return read_comparison(x, r); });
  optional_part(m, "sequential", &p.sequential, [&](const YamlValue& x) { return read_comparison(x, r); });
  return p;
}

}  // namespace

Experiment load_experiment(const std::filesystem::path& file) {
  core::DiagnosticSink sink;
  const ReadContext ctx{file.string(), &sink};
  const YAML::Node root = load_yaml_file(file, "an experiment mapping");
  const YamlMap top(YamlValue(root, "", &ctx), {"name", "cluster", "training", "micro_batch_sizes", "models",
                                                "mini_batch", "parts", "quick"});
  Experiment exp;
  exp.file = file;
  read_experiment_basics(top, &exp);
  const PartReader reader{exp};
  if (const auto v = top.get("parts", true)) exp.parts = read_parts(*v, reader);
  if (const auto v = top.get("quick", false)) exp.quick = read_parts(*v, reader);
  sink.throw_if_any();
  return exp;
}

}  // namespace gppsim::config
