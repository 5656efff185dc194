#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/config/scenario.h"
#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

// Reads the whole file; a missing or unreadable file is bad input (exit 2), not a crash.
std::string read_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw core::ConfigError(core::SourceLocation{file.string(), 0, 0, ""},
                            "cannot read the scenario: no such file (expected a YAML file)");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    throw core::ConfigError(core::SourceLocation{file.string(), 0, 0, ""}, "cannot read the scenario file");
  }
  return text.str();
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw core::ConfigError(core::SourceLocation{file, e.mark.line + 1, e.mark.column + 1, ""},
                            fmt::format("malformed YAML: {}", e.msg));
  }
}

// Applies `read` to a present value (std::optional::and_then is C++23).
template <typename Read>
auto read_if(const std::optional<YamlValue>& value, Read read) -> decltype(read(*value)) {
  if (!value) return std::nullopt;
  return read(*value);
}

std::string default_name(const std::filesystem::path& file) { return file.stem().string(); }

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
  const std::string text = read_text(file);
  core::DiagnosticSink sink;
  const ReadContext ctx{file.string(), &sink};
  const YAML::Node root = parse_yaml(text, ctx.file);
  if (root.IsNull() || !root.IsDefined()) {
    throw core::ConfigError(core::SourceLocation{ctx.file, 1, 1, ""},
                            "expected a scenario mapping with keys name, model, cluster, training, plan; "
                            "found an empty document");
  }
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
  const auto cluster = read_if(top.get("cluster", true), read_cluster);
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
