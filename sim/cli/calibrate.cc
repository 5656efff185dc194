// gppsim calibrate: microkernel sweep -> fitted device profile (YAML) + raw measurements (JSON).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <ostream>

#include <fmt/format.h>

#include "kernels/calibrate/calibrate.h"
#include "sim/cli/verbs.h"
#include "sim/config/device_profile_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/unit_parse.h"

namespace gppsim::cli {
namespace {

/// Progress on stderr: one rewritten line on a terminal, a plain line per 10% otherwise.
class ProgressLine {
 public:
  ProgressLine() : tty_(isatty(fileno(stderr)) != 0), start_(std::chrono::steady_clock::now()) {}

  void operator()(std::size_t done, std::size_t total, const std::string& what) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = done > 0 ? elapsed * static_cast<double>(total - std::min(done, total)) / static_cast<double>(done) : 0;
    const std::string line = fmt::format("calibrate: {}/{} points, {:.0f} s elapsed, about {:.0f} s left: {}", done,
                                         total, elapsed, eta, what);
    if (tty_) {
      std::cerr << "\r\033[K" << line << std::flush;
      if (done >= total) std::cerr << '\n';
    } else if (done * 10 / std::max<std::size_t>(total, 1) != last_decile_ || done >= total) {
      last_decile_ = done * 10 / std::max<std::size_t>(total, 1);
      std::cerr << line << '\n';
    }
  }

 private:
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::size_t last_decile_ = 0;
};

std::filesystem::path raw_path(const std::filesystem::path& profile) {
  auto p = profile;
  return p.replace_extension(".raw.json");
}

/// The largest size that all three GEMM axes hold (the "N^3" people quote), else the largest n.
double largest_cube(const hw::GridTable& t) {
  for (auto it = t.axes[1].rbegin(); it != t.axes[1].rend(); ++it) {
    const auto has = [&](const std::vector<double>& axis) { return std::count(axis.begin(), axis.end(), *it) > 0; };
    if (has(t.axes[0]) && has(t.axes[2])) return *it;
  }
  return t.axes[1].back();
}

void print_summary(const calibrate::CalibrationResult& r, const CalibrateOptions& o, std::ostream& out) {
  const auto& p = r.profile;
  out << fmt::format("device: {} ({})\n", p.device, p.backend);
  for (const auto& [dtype, table] : p.gemm) {
    const double best = *std::max_element(table.values.begin(), table.values.end());
    const double cube = largest_cube(table);
    out << fmt::format("  GEMM {}: best {:.1f} TFLOP/s; {:.0f}^3: {:.1f} TFLOP/s\n", core::to_string(dtype), best / 1e12,
                       cube, table.interpolate({cube, cube, cube}) / 1e12);
  }
  for (const auto& [name, fit] : p.memory) {
    out << fmt::format("  {}: {:.1f} GB/s for large sizes, {} fixed\n", name, fit.asymptotic_bandwidth().value() / 1e9,
                       core::format_seconds(fit.base_latency()));
  }
  for (const auto& [name, fit] : p.links) {
    out << fmt::format("  link {}: {:.2f} GB/s for large messages, {} latency\n", name,
                       fit.asymptotic_bandwidth().value() / 1e9, core::format_seconds(fit.base_latency()));
  }
  out << fmt::format("  launch overhead {}\n", core::format_seconds(p.launch_overhead));
  out << fmt::format("held-out validation: {} points, median relative error {:.1f}%, max {:.1f}%\n",
                     p.validation.points, 100 * p.validation.median_relative_error,
                     100 * p.validation.max_relative_error);
  out << fmt::format("wrote {} and {}\n", o.out.string(), raw_path(o.out).string());
}

}  // namespace

int run_calibrate(const CalibrateOptions& o, std::ostream& out) {
  const auto backend = o.backend == "cuda" ? calibrate::Backend::kCuda : calibrate::Backend::kCpu;
  if (const auto reason = calibrate::backend_unavailable_reason(backend); !reason.empty()) {
    std::cerr << "gppsim: bad input: --backend " << o.backend << ": " << reason << '\n';
    return 2;
  }
  calibrate::CalibrateOptions options;
  options.backend = backend;
  options.quick = o.quick;
  options.seed = o.seed;
  options.name = o.name.empty() ? o.out.stem().string() : o.name;
  options.pingpong_binary = o.pingpong_binary;
  options.skip_links = o.skip_mpi;
  ProgressLine progress;
  const auto result = calibrate::calibrate(options, std::ref(progress));
  core::write_file_atomically(raw_path(o.out), calibrate::raw_json(result));
  core::write_file_atomically(o.out, config::device_profile_to_yaml(result.profile));
  print_summary(result, o, out);
  return 0;
}

}  // namespace gppsim::cli
