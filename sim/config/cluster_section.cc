#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "sim/config/device_profile_file.h"
#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

std::string preset_names() {
  std::string out;
  for (const auto& c : hw::cluster_presets()) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

std::string device_names() {
  std::string out;
  for (const auto& d : hw::device_presets()) out += (out.empty() ? "" : ", ") + d.name;
  return out;
}

std::optional<hw::LinkSpec> read_link(const YamlValue& value) {
  const YamlMap m(value, {"bandwidth", "latency"});
  const auto bw_value = m.get("bandwidth", true);
  const auto lat_value = m.get("latency", true);
  const auto bw = bw_value ? bw_value->as_bandwidth() : std::nullopt;
  const auto lat = lat_value ? lat_value->as_seconds(false) : std::nullopt;
  if (!bw || !lat) return std::nullopt;
  return hw::LinkSpec{*bw, *lat};
}

bool names_a_file(std::string_view name) {
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  return ends_with(".yaml") || ends_with(".yml") || name.find('/') != std::string_view::npos;
}

// A calibrated profile file, relative to the file being read. Problems inside the profile are
// reported against the profile file itself (load_device_profile throws).
bool read_profile(const YamlValue& value, const std::string& name, const std::filesystem::path& base_dir,
                  hw::ClusterSpec* c) {
  const std::filesystem::path given(name);
  const std::filesystem::path file = given.is_absolute() ? given : base_dir / given;
  if (!std::filesystem::is_regular_file(file)) {
    value.error(fmt::format("expected a device preset ({}) or a device profile file (gppsim calibrate --out), "
                            "found \"{}\", and {} does not exist",
                            device_names(), name, file.string()));
    return false;
  }
  auto profile = std::make_shared<const hw::DeviceProfile>(load_device_profile(file));
  c->device = profile->summary_spec();
  c->profile = std::move(profile);
  return true;
}

bool read_device(const YamlValue& value, const std::filesystem::path& base_dir, hw::ClusterSpec* c) {
  const auto name = value.as_string();
  if (!name) return false;
  if (names_a_file(*name)) return read_profile(value, *name, base_dir, c);
  auto spec = hw::find_device_preset(*name);
  if (!spec) {
    value.error(fmt::format("expected a device preset ({}) or a device profile file (*.yaml), found \"{}\"",
                            device_names(), *name));
    return false;
  }
  c->device = *spec;
  c->profile = nullptr;
  return true;
}

// Reads an optional link; without a preset it is required when `needed`.
bool read_link_into(const YamlMap& m, std::string_view key, bool needed, hw::LinkSpec* out) {
  const auto v = m.get(key, needed);
  if (!v) return !needed;
  const auto link = read_link(*v);
  if (link) *out = *link;
  return link.has_value();
}

}  // namespace

std::optional<hw::ClusterSpec> read_cluster(const YamlValue& value, const std::filesystem::path& base_dir) {
  const YamlMap m(value, {"preset", "nodes", "gpus_per_node", "device", "intra_node", "inter_node"});
  if (!m.ok()) return std::nullopt;
  hw::ClusterSpec c;
  bool ok = true;
  const auto preset_value = m.get("preset", false);
  if (preset_value) {
    const auto name = preset_value->as_string();
    const auto preset = name ? hw::find_cluster_preset(*name) : std::nullopt;
    if (name && !preset) {
      preset_value->error(fmt::format("expected a cluster preset ({}), found \"{}\"", preset_names(), *name));
    }
    if (preset) c = *preset; else ok = false;
  }
  const bool bare = !preset_value;
  if (const auto v = m.get("nodes", bare)) {
    const auto n = v->as_int(1, 4096);
    if (n) c.nodes = static_cast<int>(*n); else ok = false;
  } else if (bare) ok = false;
  if (const auto v = m.get("gpus_per_node", bare)) {
    const auto n = v->as_int(1, 1024);
    if (n) c.gpus_per_node = static_cast<int>(*n); else ok = false;
  } else if (bare) ok = false;
  if (const auto v = m.get("device", bare)) {
    ok = read_device(*v, base_dir, &c) && ok;
  } else if (bare) ok = false;
  ok = read_link_into(m, "intra_node", bare && c.gpus_per_node > 1, &c.intra_node) && ok;
  ok = read_link_into(m, "inter_node", bare && c.nodes > 1, &c.inter_node) && ok;
  if (!ok) return std::nullopt;
  if (c.name.empty()) c.name = "custom";
  return c;
}

}  // namespace gppsim::config
