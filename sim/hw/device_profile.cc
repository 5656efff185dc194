#include "sim/hw/device_profile.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gppsim::hw {
namespace {

void check_tables(const std::map<core::Dtype, GridTable>& tables, std::string_view kind, std::size_t rank,
                  std::vector<std::string>* problems) {
  for (const auto& [dtype, table] : tables) {
    if (auto p = table.validate(); !p.empty()) {
      problems->push_back(fmt::format("{} {}: {}", kind, core::to_string(dtype), p));
    } else if (table.axes.size() != rank) {
      problems->push_back(fmt::format("{} {}: expected {} axes, found {}", kind, core::to_string(dtype), rank,
                                      table.axes.size()));
    }
  }
}

void check_fits(const std::map<std::string, PiecewiseLinearFit>& fits, std::string_view kind,
                const std::vector<std::string>& known, std::vector<std::string>* problems) {
  for (const auto& [name, fit] : fits) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problems->push_back(fmt::format("{} \"{}\" is not one of {}", kind, name, fmt::join(known, ", ")));
    }
    if (auto p = fit.validate(); !p.empty()) problems->push_back(fmt::format("{} {}: {}", kind, name, p));
  }
}

}  // namespace

const std::vector<std::string>& profile_memory_kernels() {
  static const std::vector<std::string> kNames{"elementwise", "layer_norm", "softmax", "embedding_bag", "copy",
                                               "sgd",         "momentum",   "adam"};
  return kNames;
}

const std::vector<std::string>& profile_link_kinds() {
  static const std::vector<std::string> kNames{"copy_h2d", "copy_d2h", "peer_copy", "nccl_sendrecv",
                                               "nccl_allreduce", "mpi_pingpong"};
  return kNames;
}

std::string DeviceProfile::validate() const {
  std::vector<std::string> problems;
  if (name.empty()) problems.emplace_back("the profile has no name");
  if (!(memory_capacity.value() > 0.0)) problems.emplace_back("memory_capacity must be positive");
  if (launch_overhead.value() < 0.0) problems.emplace_back("launch_overhead must not be negative");
  if (gemm.empty()) problems.emplace_back("the profile has no GEMM table");
  if (memory.count("elementwise") == 0) problems.emplace_back("the profile has no elementwise memory fit");
  check_tables(gemm, "gemm", 3, &problems);
  check_tables(gemm_nt, "gemm_nt", 3, &problems);
  check_tables(gemm_tn, "gemm_tn", 3, &problems);
  check_tables(batched_gemm, "batched_gemm", 4, &problems);
  check_fits(memory, "memory", profile_memory_kernels(), &problems);
  check_fits(links, "links", profile_link_kinds(), &problems);
  return fmt::format("{}", fmt::join(problems, "; "));
}

DeviceSpec DeviceProfile::summary_spec() const {
  DeviceSpec spec;
  spec.name = name;
  for (const auto& [dtype, table] : gemm) {
    spec.peak[dtype] = core::FlopsPerSecond{*std::max_element(table.values.begin(), table.values.end())};
  }
  const auto elementwise = memory.find("elementwise");
  spec.memory_bandwidth = elementwise != memory.end() ? elementwise->second.asymptotic_bandwidth()
                                                      : core::BytesPerSecond{0.0};
  spec.memory_capacity = memory_capacity;
  spec.launch_overhead = launch_overhead;
  spec.max_gemm_efficiency = 1.0;
  return spec;
}

}  // namespace gppsim::hw
