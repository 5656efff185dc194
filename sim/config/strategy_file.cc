#include "sim/config/strategy_file.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sim/config/strategy_checks.h"
#include "sim/config/yaml_reader.h"

namespace gppsim::config {
namespace {

std::optional<plan::ScheduleKind> read_schedule(const YamlValue& v) {
  const auto name = v.as_choice({"gpipe", "1f1b", "interleaved-1f1b", "zb-h1"});
  if (!name) return std::nullopt;
  for (const auto k : {plan::ScheduleKind::kGpipe, plan::ScheduleKind::kOneFOneB,
                       plan::ScheduleKind::kInterleaved1F1B, plan::ScheduleKind::kZbH1}) {
    if (plan::to_string(k) == *name) return k;
  }
  return std::nullopt;
}

std::vector<model::OpId> read_ops(const YamlValue& v, const model::OpGraph& graph) {
  std::vector<model::OpId> ops;
  for (const auto& e : v.elements()) {
    const auto name = e.as_string();
    if (!name) continue;
    const auto id = graph.find(*name);
    if (!id) {
      e.error(fmt::format("expected the name of an op of the model, found unknown op \"{}\"", *name));
      continue;
    }
    ops.push_back(*id);
  }
  if (v.is_sequence() && v.node().size() == 0) v.error("expected at least one op, found an empty list");
  return ops;
}

std::vector<hw::DeviceId> read_devices(const YamlValue& v, int num_devices) {
  std::vector<hw::DeviceId> devices;
  for (const auto& e : v.elements()) {
    const auto d = e.as_int(0, num_devices - 1);
    if (!d) continue;
    if (std::find(devices.begin(), devices.end(), *d) != devices.end()) {
      e.error(fmt::format("device {} is listed twice", *d));
      continue;
    }
    devices.push_back(static_cast<hw::DeviceId>(*d));
  }
  if (v.is_sequence() && v.node().size() == 0) v.error("expected at least one device, found an empty list");
  return devices;
}

struct StageRead {
  plan::Stage stage;
  std::optional<YamlValue> where;
};

std::optional<StageRead> read_stage(const YamlValue& v, std::size_t index, std::optional<std::int64_t> default_mb,
                                    const Scenario& sc) {
  const YamlMap m(v, {"id", "ops", "devices", "micro_batch_size"});
  if (!m.ok()) return std::nullopt;
  StageRead r{plan::Stage{}, v};
  r.stage.id = static_cast<int>(index);
  if (const auto id = m.get("id", true)) {
    const auto n = id->as_int(0);
    if (n && *n != static_cast<std::int64_t>(index)) {
      id->error(fmt::format("expected stage ids 0, 1, 2, ... in order; this is stage {}, found id {}", index, *n));
    }
  }
  if (const auto ops = m.get("ops", true)) r.stage.ops = read_ops(*ops, sc.model.graph);
  if (const auto dev = m.get("devices", true)) r.stage.devices = read_devices(*dev, sc.cluster.num_devices());
  const auto mb = m.get("micro_batch_size", !default_mb.has_value());
  const auto size = mb ? mb->as_int(1) : default_mb;
  if (!size) return std::nullopt;
  r.stage.micro_batch_size = *size;
  return r;
}

std::optional<std::vector<std::pair<int, int>>> read_edges(const YamlValue& v) {
  std::vector<std::pair<int, int>> edges;
  bool ok = v.is_sequence();
  for (const auto& e : v.elements()) {
    const auto ends = e.elements();
    if (ends.size() != 2) {
      e.error(fmt::format("expected a stage edge [from, to], found {} entries", ends.size()));
      ok = false;
      continue;
    }
    const auto a = ends[0].as_int(0);
    const auto b = ends[1].as_int(0);
    if (a && b) edges.emplace_back(static_cast<int>(*a), static_cast<int>(*b)); else ok = false;
  }
  if (!ok) return std::nullopt;
  std::sort(edges.begin(), edges.end());
  return edges;
}

}  // namespace

plan::Strategy load_strategy(const std::filesystem::path& file, const Scenario& sc) {
  core::DiagnosticSink sink;
  const ReadContext ctx{file.string(), &sink};
  const YAML::Node root = load_yaml_file(file, "a strategy mapping with keys schedule, micro_batch_size, stages, edges");
  const YamlMap top(YamlValue(root, "", &ctx), {"schedule", "micro_batch_size", "stages", "edges"});
  plan::Strategy s;
  s.schedule = sc.plan.schedule;
  if (const auto v = top.get("schedule", false)) s.schedule = read_schedule(*v).value_or(s.schedule);
  const auto mb = top.get("micro_batch_size", false);
  const auto default_mb = mb ? mb->as_int(1) : std::nullopt;
  std::vector<YamlValue> where;
  if (const auto stages = top.get("stages", true)) {
    for (const auto& e : stages->elements()) {
      auto r = read_stage(e, s.stages.size(), default_mb, sc);
      if (!r) continue;
      s.stages.push_back(std::move(r->stage));
      where.push_back(*r->where);
    }
    if (stages->is_sequence() && s.stages.empty() && sink.empty()) stages->error("expected at least one stage");
  }
  sink.throw_if_any();
  const auto given_edges = top.get("edges", false);
  check_strategy(&s, where, top.self(), given_edges ? read_edges(*given_edges) : std::nullopt, given_edges, sc);
  sink.throw_if_any();
  return s;
}

std::string strategy_to_yaml(const plan::Strategy& s, const model::OpGraph& graph) {
  std::string out = fmt::format("schedule: {}\nstages:\n", plan::to_string(s.schedule));
  for (const auto& st : s.stages) {
    std::string ops;
    for (const auto op : st.ops) ops += (ops.empty() ? "" : ", ") + graph.op(op).name;
    std::string devices;
    for (const auto d : st.devices) devices += (devices.empty() ? "" : ", ") + std::to_string(d);
    out += fmt::format("  - {{id: {}, micro_batch_size: {}, devices: [{}], ops: [{}]}}\n", st.id,
                       st.micro_batch_size, devices, ops);
  }
  out += "edges:";
  if (s.edges.empty()) out += " []";
  out += "\n";
  for (const auto& [a, b] : s.edges) out += fmt::format("  - [{}, {}]\n", a, b);
  return out;
}

}  // namespace gppsim::config
