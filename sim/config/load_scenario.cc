#include <fmt/format.h>

#include "sim/config/scenario.h"
#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

// Applies `read` to a present value (std::optional::and_then is C++23).
template <typename Read>
auto read_if(const std::optional<YamlValue>& value, Read read) -> decltype(read(*value)) {
  if (!value) return std::nullopt;
  return read(*value);
}

std::string default_name(const std::filesystem::path& file) { return file.stem().string(); }

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
  core::DiagnosticSink sink;
  const ReadContext ctx{file.string(), &sink};
  const YAML::Node root = load_yaml_file(file, "a scenario mapping with keys name, model, cluster, training, plan");
  const YamlMap top(YamlValue(root, "", &ctx), {"name", "model", "cluster", "training", "plan"});
  Scenario s;
  s.file = file;
  const auto name = top.get("name", false);
  s.name = name ? name->as_string().value_or("") : default_name(file);
  const auto training = read_if(top.get("training", true), read_training);
  const core::Dtype dtype = training ? training->dtype : core::Dtype::kFp32;
  const auto model = read_if(top.get("model", true), [&](const YamlValue& v) {
    return read_model_section(v, dtype, file.parent_path(), &s.model_source);
  });
  const auto cluster = read_if(top.get("cluster", true),
                               [&](const YamlValue& v) { return read_cluster(v, file.parent_path()); });
  const auto mini_batch = training ? std::optional(training->mini_batch) : std::nullopt;
  const auto plan = read_if(top.get("plan", true), [&](const YamlValue& v) { return read_plan(v, mini_batch); });
  sink.throw_if_any();
  s.model = *model;
  s.cluster = *cluster;
  s.training = *training;
  s.plan = *plan;
  return s;
}

}  // namespace gppsim::config
