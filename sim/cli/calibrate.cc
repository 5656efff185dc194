// gppsim calibrate: microkernel sweep -> fitted device profile (YAML) + raw measurements (JSON).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/calibrate/calibrate.h"
#include "kernels/common/kernel_error.h"
#include "sim/cli/verbs.h"
#include "sim/config/device_profile_file.h"
#include "sim/core/atomic_file.h"
#include "sim/core/read_text_file.h"
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

/// The other processes of a concurrent CPU sweep (`--concurrent N`): N - 1 copies of this
/// executable running `calibrate --skip-mpi` on the same plan at the same time, each writing its
/// own profile and raw record into a folder of this run. The destructor ends any still running.
class Workers {
 public:
  Workers(const CalibrateOptions& o, int count) : dir_(std::filesystem::temp_directory_path() /
                                                       fmt::format("gppsim-calibrate-workers-{}", getpid())) {
    std::filesystem::create_directories(dir_);
    for (int k = 1; k <= count; ++k) start(o, k);
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  ~Workers() {
    for (const pid_t pid : pids_) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  /// Waits for every worker; their measurements, or a KernelError naming the first that failed.
  std::vector<calibrate::SweepMeasurements> finish() {
    std::vector<int> statuses(pids_.size(), 0);
    for (std::size_t k = 0; k < pids_.size(); ++k) waitpid(pids_[k], &statuses[k], 0);
    pids_.clear();  // all reaped: nothing left for the destructor to end
    std::vector<calibrate::SweepMeasurements> out;
    for (std::size_t k = 0; k < statuses.size(); ++k) {
      const auto base = dir_ / fmt::format("worker-{}", k + 1);
      if (!WIFEXITED(statuses[k]) || WEXITSTATUS(statuses[k]) != 0) {
        throw kernels::KernelError(fmt::format("concurrent sweep process {} failed (status {}): {}", k + 1,
                                               statuses[k], core::read_text_file(base.string() + ".log", "worker log")));
      }
      out.push_back(calibrate::measurements_from_raw_json(
          nlohmann::json::parse(core::read_text_file(base.string() + ".raw.json", "worker measurements"))));
    }
    return out;
  }

 private:
  void start(const CalibrateOptions& o, int k) {
    const auto base = dir_ / fmt::format("worker-{}", k);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self, "calibrate", "--backend", "cpu", "--skip-mpi",
                                  "--seed", std::to_string(o.seed), "--out", base.string() + ".yaml"};
    if (o.quick) args.emplace_back("--quick");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = base.string() + ".log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw kernels::KernelError(fmt::format("cannot start concurrent sweep process {}: {}", k, strerror(rc)));
    pids_.push_back(pid);
  }

  std::filesystem::path dir_;
  std::vector<pid_t> pids_;
};

/// The sweep, fitted; with --concurrent N, run by N processes at once and pooled.
calibrate::CalibrationResult measure(const CalibrateOptions& o, const calibrate::CalibrateOptions& options) {
  ProgressLine progress;
  if (o.concurrent <= 1) return calibrate::calibrate(options, std::ref(progress));
  Workers workers(o, o.concurrent - 1);
  auto own = calibrate::calibrate(options, std::ref(progress));
  return calibrate::fit_measurements(options, calibrate::pool_measurements(std::move(own.measurements), workers.finish()));
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
  options.concurrent = o.concurrent;
  if (o.concurrent > 1 && backend != calibrate::Backend::kCpu) {
    std::cerr << "gppsim: bad input: --concurrent " << o.concurrent << ": only the cpu backend runs concurrent sweeps\n";
    return 2;
  }
  const auto result = measure(o, options);
  core::write_file_atomically(raw_path(o.out), calibrate::raw_json(result));
  core::write_file_atomically(o.out, config::device_profile_to_yaml(result.profile));
  print_summary(result, o, out);
  return 0;
}

}  // namespace gppsim::cli
