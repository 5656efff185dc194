#include "sim/config/device_profile_file.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/config/device_profile_internal.h"
#include "sim/config/yaml_reader.h"
#include "sim/core/unit_parse.h"
#include "sim/core/errors.h"

namespace gppsim::config {
namespace {

const std::vector<std::string_view> kTopKeys{"format",  "name",  "backend", "device",          "versions",
                                             "date",    "sweep", "memory_capacity", "launch_overhead",
                                             "gemm",    "gemm_nt", "gemm_tn", "batched_gemm", "memory", "links", "validation"};

/// Entries of a mapping with free keys (dtype names, kernel names, version names).
std::vector<std::pair<std::string, YamlValue>> entries(const YamlValue& value) {
  std::vector<std::pair<std::string, YamlValue>> out;
  if (!value.is_map()) {
    value.error("expected a mapping");
    return out;
  }
  for (const auto& kv : value.node()) {
    const auto key = kv.first.as<std::string>();
    out.emplace_back(key, YamlValue(kv.second, child_path(value.path(), key), value.context()));
  }
  return out;
}

std::map<std::string, std::string> read_strings(const YamlValue& value) {
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : entries(value)) {
    if (auto s = v.as_string()) out[key] = *s;
  }
  return out;
}

std::optional<std::vector<double>> read_positive_list(const YamlValue& value) {
  std::vector<double> out;
  if (!value.is_sequence()) {
    value.error("expected a list of positive numbers");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& e : value.elements()) {
    const auto x = e.as_number();
    if (x && *x > 0.0) out.push_back(*x);
    else {
      if (x) e.error(fmt::format("expected a positive number, found {}", *x));
      ok = false;
    }
  }
  return ok ? std::optional(out) : std::nullopt;
}

std::optional<hw::GridTable> read_table(const YamlValue& value, const std::vector<std::string_view>& axis_names) {
  std::vector<std::string_view> keys{"unit", "rates"};
  keys.insert(keys.end(), axis_names.begin(), axis_names.end());
  const YamlMap m(value, keys);
  if (!m.ok()) return std::nullopt;
  hw::GridTable t;
  bool ok = true;
  for (const auto axis : axis_names) {
    const auto v = m.get(axis, true);
    auto list = v ? read_positive_list(*v) : std::nullopt;
    if (list) t.axes.push_back(std::move(*list)); else ok = false;
  }
  const auto unit = m.get("unit", true);
  const auto unit_name = unit ? unit->as_string() : std::nullopt;
  std::optional<double> scale;
  if (unit_name) {
    try {
      scale = core::parse_flop_rate("1 " + *unit_name).value();
    } catch (const core::UnitParseError& e) {
      unit->error(fmt::format("expected a rate unit such as GFLOP/s or TFLOP/s, found \"{}\"", *unit_name));
    }
  }
  const auto rates = m.get("rates", true);
  auto values = rates ? read_positive_list(*rates) : std::nullopt;
  if (!ok || !scale || !values) return std::nullopt;
  for (auto& x : *values) x *= *scale;
  t.values = std::move(*values);
  if (auto problem = t.validate(); !problem.empty()) {
    m.self().error(fmt::format("the table is inconsistent: {}", problem));
    return std::nullopt;
  }
  return t;
}

std::optional<hw::LinearSegment> read_segment(const YamlValue& value) {
  const YamlMap m(value, {"from", "latency", "bandwidth"});
  if (!m.ok()) return std::nullopt;
  const auto from = m.get("from", true);
  const auto lat = m.get("latency", true);
  const auto bw = m.get("bandwidth", true);
  const auto f = from ? from->as_bytes(false) : std::nullopt;
  const auto l = lat ? lat->as_seconds(false) : std::nullopt;
  const auto b = bw ? bw->as_bandwidth() : std::nullopt;
  if (!f || !l || !b) return std::nullopt;
  return hw::LinearSegment{*f, *l, *b};
}

std::optional<hw::PiecewiseLinearFit> read_fit(const YamlValue& value) {
  if (!value.is_sequence()) {
    value.error("expected a list of segments {from, latency, bandwidth}");
    return std::nullopt;
  }
  hw::PiecewiseLinearFit fit;
  bool ok = true;
  for (const auto& e : value.elements()) {
    if (auto s = read_segment(e)) fit.segments.push_back(*s); else ok = false;
  }
  if (!ok) return std::nullopt;
  if (auto problem = fit.validate(); !problem.empty()) {
    value.error(fmt::format("the fit is inconsistent: {}", problem));
    return std::nullopt;
  }
  return fit;
}

void read_tables(const YamlValue& value, const std::vector<std::string_view>& axes,
                 std::map<core::Dtype, hw::GridTable>* out) {
  for (const auto& [key, v] : entries(value)) {
    const auto dtype = core::parse_dtype(key);
    if (!dtype) {
      v.error(fmt::format("expected a dtype key (fp32, tf32, fp16, bf16), found \"{}\"", key));
      continue;
    }
    if (auto t = read_table(v, axes)) (*out)[*dtype] = std::move(*t);
  }
}

void read_fits(const YamlValue& value, const std::vector<std::string>& known,
               std::map<std::string, hw::PiecewiseLinearFit>* out) {
  for (const auto& [key, v] : entries(value)) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      v.error(fmt::format("expected one of {}, found \"{}\"", fmt::join(known, ", "), key));
      continue;
    }
    if (auto f = read_fit(v)) (*out)[key] = std::move(*f);
  }
}

void read_validation(const YamlValue& value, hw::ProfileValidation* out) {
  const YamlMap m(value, {"points", "median_relative_error", "max_relative_error"});
  if (const auto v = m.get("points", true)) out->points = static_cast<int>(v->as_int(0).value_or(0));
  if (const auto v = m.get("median_relative_error", true)) out->median_relative_error = v->as_number().value_or(0);
  if (const auto v = m.get("max_relative_error", true)) out->max_relative_error = v->as_number().value_or(0);
}

void read_format(const YamlMap& top) {
  const auto v = top.get("format", true);
  const auto s = v ? v->as_string() : std::nullopt;
  if (s && *s != kDeviceProfileFormat) {
    v->error(fmt::format("expected format \"{}\" (a device profile written by gppsim calibrate), found \"{}\"",
                         kDeviceProfileFormat, *s));
  }
}

void read_identity(const YamlMap& top, hw::DeviceProfile* p) {
  if (const auto v = top.get("name", true)) p->name = v->as_string().value_or("");
  if (const auto v = top.get("backend", true)) p->backend = v->as_choice({"cuda", "cpu"}).value_or("");
  if (const auto v = top.get("device", true)) p->device = v->as_string().value_or("");
  if (const auto v = top.get("date", true)) p->date = v->as_string().value_or("");
  if (const auto v = top.get("versions", false)) p->versions = read_strings(*v);
  if (const auto v = top.get("sweep", false)) p->sweep = read_strings(*v);
}

void read_costs(const YamlMap& top, hw::DeviceProfile* p) {
  if (const auto v = top.get("memory_capacity", true)) p->memory_capacity = v->as_bytes(true).value_or(core::Bytes{});
  if (const auto v = top.get("launch_overhead", true)) {
    p->launch_overhead = v->as_seconds(false).value_or(core::Seconds{});
  }
  if (const auto v = top.get("gemm", true)) read_tables(*v, {"m", "n", "k"}, &p->gemm);
  if (const auto v = top.get("gemm_nt", false)) read_tables(*v, {"m", "n", "k"}, &p->gemm_nt);
  if (const auto v = top.get("gemm_tn", false)) read_tables(*v, {"m", "n", "k"}, &p->gemm_tn);
  if (const auto v = top.get("batched_gemm", false)) read_tables(*v, {"m", "n", "k", "batch"}, &p->batched_gemm);
  if (const auto v = top.get("memory", true)) {
    read_fits(*v, hw::profile_memory_kernels(), &p->memory);
    if (p->memory.count("elementwise") == 0 && v->is_map() && !v->node()["elementwise"]) {
      v->error("expected an elementwise fit (the cost model's memory_time), found none");
    }
  }
  if (const auto v = top.get("links", false)) read_fits(*v, hw::profile_link_kinds(), &p->links);
  if (const auto v = top.get("validation", false)) read_validation(*v, &p->validation);
}

}  // namespace

hw::DeviceProfile load_device_profile(const std::filesystem::path& file) {
  core::DiagnosticSink sink;
  const ReadContext ctx{file.string(), &sink};
  const YAML::Node root = load_yaml_file(file, "a device profile written by gppsim calibrate");
  const YamlMap top(YamlValue(root, "", &ctx), kTopKeys);
  hw::DeviceProfile p;
  read_format(top);
  read_identity(top, &p);
  read_costs(top, &p);
  sink.throw_if_any();
  if (auto problems = p.validate(); !problems.empty()) {
    throw core::ConfigError(core::SourceLocation{file.string(), 0, 0, ""},
                            fmt::format("the device profile is inconsistent: {}", problems));
  }
  p.digest = file_digest(file);
  return p;
}

}  // namespace gppsim::config
