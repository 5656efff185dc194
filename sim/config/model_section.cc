#include <fmt/format.h>

#include "sim/config/sections.h"
#include "sim/model/importers.h"

namespace gppsim::config {
namespace {

std::optional<model::Model> read_zoo(const YamlMap& m, core::Dtype dtype, std::string* source) {
  const auto zoo_value = m.get("zoo", true);
  const auto zoo = zoo_value ? zoo_value->as_choice({"mmt", "dlrm", "candle_uno", "transformer", "two_branch", "chain"})
                             : std::nullopt;
  if (!zoo) return std::nullopt;
  const auto args = read_zoo_args(*zoo, m.get("args", false));
  if (!args) return std::nullopt;
  *source = fmt::format("zoo {}", *zoo);
  return model::build_zoo_model(*args, dtype);
}

std::optional<model::Model> read_explicit_graph(const YamlMap& m, core::Dtype dtype, std::string* source) {
  auto graph = read_graph(*m.get("graph", true), dtype);
  if (!graph) return std::nullopt;
  *source = "graph";
  model::Model out;
  out.name = "graph";
  out.graph = std::move(*graph);
  out.dtype = dtype;
  return out;
}

// Import errors are about the imported file; they join this scenario's diagnostics.
std::optional<model::Model> read_import(const YamlValue& value, const std::filesystem::path& base_dir,
                                        std::string* source) {
  const YamlMap m(value, {"format", "path", "batch_size"});
  const auto format_value = m.get("format", true);
  const auto format = format_value ? format_value->as_choice({"pipedream", "piper"}) : std::nullopt;
  const auto path_value = m.get("path", true);
  const auto path = path_value ? path_value->as_string() : std::nullopt;
  std::int64_t batch = 1;
  if (const auto b = m.get("batch_size", false)) {
    const auto n = b->as_int(1, 1 << 20);
    if (!n) return std::nullopt;
    if (format && *format != "pipedream") b->error("expected batch_size only with format pipedream, found it with piper");
    batch = *n;
  }
  if (!format || !path) return std::nullopt;
  const std::filesystem::path given(*path);
  const std::filesystem::path file = given.is_absolute() ? given : base_dir / given;
  *source = fmt::format("import {} {}", *format, *path);
  try {
    return *format == "pipedream" ? model::import_pipedream(file, static_cast<int>(batch)) : model::import_piper(file);
  } catch (const core::ConfigError& e) {
    for (const auto& d : e.diagnostics()) value.context()->sink->add(d.where, d.message);
    path_value->error(fmt::format("could not import \"{}\" (see the errors above)", file.string()));
    return std::nullopt;
  }
}

}  // namespace

std::optional<model::Model> read_model_section(const YamlValue& value, core::Dtype dtype,
                                               const std::filesystem::path& base_dir, std::string* source) {
  const YamlMap m(value, {"zoo", "args", "graph", "import"});
  if (!m.ok()) return std::nullopt;
  const int kinds = int{m.has("zoo")} + int{m.has("graph")} + int{m.has("import")};
  if (kinds != 1) {
    value.error(fmt::format("expected exactly one of zoo, graph, import, found {}", kinds));
    return std::nullopt;
  }
  if (m.has("args") && !m.has("zoo")) {
    m.get("args", false)->error("expected args only together with zoo");
    return std::nullopt;
  }
  if (m.has("zoo")) return read_zoo(m, dtype, source);
  if (m.has("graph")) return read_explicit_graph(m, dtype, source);
  auto imported = read_import(*m.get("import", true), base_dir, source);
  if (imported && imported->dtype != dtype) imported->dtype = dtype;
  return imported;
}

}  // namespace gppsim::config
