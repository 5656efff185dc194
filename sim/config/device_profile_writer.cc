// device_profile_to_yaml: the writer half of device_profile_file.h, plus the file digest.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/config/device_profile_file.h"
#include "sim/config/device_profile_internal.h"
#include "sim/core/errors.h"
#include "sim/core/hash.h"

namespace gppsim::config {
namespace {

std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string string_map(const std::map<std::string, std::string>& m) {
  std::vector<std::string> items;
  for (const auto& [k, v] : m) items.push_back(fmt::format("{}: {}", k, yaml_quoted(v)));
  return fmt::format("{{{}}}", fmt::join(items, ", "));
}

std::string number_list(const std::vector<double>& xs, double scale) {
  std::vector<std::string> items;
  items.reserve(xs.size());
  for (const double x : xs) items.push_back(fmt::format("{:.7g}", x / scale));
  return fmt::format("[{}]", fmt::join(items, ", "));
}

void write_tables(const std::map<core::Dtype, hw::GridTable>& tables, const std::vector<std::string_view>& axes,
                  std::string* out) {
  for (const auto& [dtype, t] : tables) {
    *out += fmt::format("  {}:\n    unit: GFLOP/s\n", core::to_string(dtype));
    for (std::size_t a = 0; a < axes.size() && a < t.axes.size(); ++a) {
      *out += fmt::format("    {}: {}\n", axes[a], number_list(t.axes[a], 1.0));
    }
    *out += fmt::format("    rates: {}\n", number_list(t.values, 1e9));
  }
}

void write_fits(const std::map<std::string, hw::PiecewiseLinearFit>& fits, std::string* out) {
  for (const auto& [name, fit] : fits) {
    *out += fmt::format("  {}:\n", name);
    for (const auto& s : fit.segments) {
      *out += fmt::format("    - {{from: \"{:.0f} B\", latency: \"{:.7g} us\", bandwidth: \"{:.7g} GB/s\"}}\n",
                          s.from.value(), s.latency.value() * 1e6, s.bandwidth.value() / 1e9);
    }
  }
}

}  // namespace

std::string file_digest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return core::fnv1a64_hex(content.str());
}

std::string device_profile_to_yaml(const hw::DeviceProfile& p) {
  std::string out = fmt::format("format: {}\nname: {}\nbackend: {}\ndevice: {}\ndate: {}\n", kDeviceProfileFormat,
                                yaml_quoted(p.name), p.backend, yaml_quoted(p.device), yaml_quoted(p.date));
  out += fmt::format("versions: {}\nsweep: {}\n", string_map(p.versions), string_map(p.sweep));
  out += fmt::format("memory_capacity: \"{:.0f} B\"\nlaunch_overhead: \"{:.7g} us\"\n", p.memory_capacity.value(),
                     p.launch_overhead.value() * 1e6);
  out += "gemm:\n";
  write_tables(p.gemm, {"m", "n", "k"}, &out);
  // The layouts of the backward GEMMs: written only when measured (CUDA profiles have nn only).
  for (const auto& [key, tables] : {std::pair{"gemm_nt", &p.gemm_nt}, std::pair{"gemm_tn", &p.gemm_tn}}) {
    if (tables->empty()) continue;
    out += fmt::format("{}:\n", key);
    write_tables(*tables, {"m", "n", "k"}, &out);
  }
  out += p.batched_gemm.empty() ? "batched_gemm: {}\n" : "batched_gemm:\n";
  write_tables(p.batched_gemm, {"m", "n", "k", "batch"}, &out);
  out += "memory:\n";
  write_fits(p.memory, &out);
  out += p.links.empty() ? "links: {}\n" : "links:\n";
  write_fits(p.links, &out);
  out += fmt::format("validation: {{points: {}, median_relative_error: {:.4g}, max_relative_error: {:.4g}}}\n",
                     p.validation.points, p.validation.median_relative_error, p.validation.max_relative_error);
  return out;
}

}  // namespace gppsim::config
