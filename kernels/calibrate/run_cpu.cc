// The CPU sweep: single-threaded OpenBLAS GEMMs, memory streaming, MPI ping-pong under mpirun.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/calibrate/calibrate.h"
#include "kernels/calibrate/sweep_runner.h"
#include "kernels/common/kernel_error.h"
#include "kernels/cpu/cpu_benchmarks.h"

namespace gppsim::calibrate {
namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line_of(const std::string& command) {
  std::string line;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[256];
    if (fgets(buf, sizeof buf, pipe) != nullptr) line = buf;
    pclose(pipe);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

/// Runs the ping-pong binary under mpirun with a time limit; returns its measurements. Open MPI
/// leaks at exit in ways no suppression list can name, so a sanitised build's leak check is off
/// for the ranks (appended last, it wins over an ASAN_OPTIONS from the environment); running as
/// root (containers, CI) needs Open MPI's explicit permission. Open MPI's session files go to the
/// run's own folder unless the user chose one: mpiruns that start at the same moment otherwise
/// race to create the shared /tmp/ompi.HOST.UID and the loser fails ("File exists").
std::vector<kernels::Measurement> run_pingpong(const SweepPlan& plan, const CalibrateOptions& options,
                                               const std::vector<std::int64_t>& sizes) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("gppsim-calibrate-{}", getpid());
  std::filesystem::create_directories(dir);
  const auto json = dir / "pingpong.json";
  const auto log = dir / "mpirun.log";
  const std::string command = fmt::format(
      "ASAN_OPTIONS=\"${{ASAN_OPTIONS:-}}:detect_leaks=0\" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_orte_tmpdir_base=\"${{OMPI_MCA_orte_tmpdir_base:-{}}}\" "
      "timeout {} mpirun -np 2 '{}' --sizes {} "
      "--warmup {} --iterations {} --out '{}' > '{}' 2>&1",
      dir.string(), options.link_timeout_s, options.pingpong_binary.string(), fmt::join(sizes, ","), plan.settings.warmup,
      std::max(plan.settings.iterations, 10), json.string(), log.string());
  const int status = std::system(command.c_str());
  if (status != 0) {
    const std::string text = read_text(log);
    std::filesystem::remove_all(dir);
    throw kernels::KernelError(fmt::format("MPI ping-pong failed (exit status {}; a status of 124 is the {} s time "
                                           "limit): {}\ncommand: {}",
                                           status, options.link_timeout_s, text, command));
  }
  const auto parsed = nlohmann::json::parse(read_text(json));
  std::filesystem::remove_all(dir);
  std::vector<kernels::Measurement> out;
  for (const auto& j : parsed) out.push_back(kernels::measurement_from_json(j));
  return out;
}

void run_links(const SweepPlan& plan, const CalibrateOptions& options, detail::SweepRunner* runner,
               SweepMeasurements* out) {
  std::vector<std::int64_t> sizes = plan.link_bytes;
  sizes.insert(sizes.end(), plan.holdout_link_bytes.begin(), plan.holdout_link_bytes.end());
  const std::size_t fit_count = plan.link_bytes.size();
  const auto measured = run_pingpong(plan, options, sizes);
  if (measured.size() != sizes.size()) {
    throw kernels::KernelError(fmt::format("MPI ping-pong returned {} measurements for {} sizes", measured.size(),
                                           sizes.size()));
  }
  for (std::size_t i = 0; i < measured.size(); ++i) {
    if (!measured[i].correct) throw kernels::KernelError("MPI ping-pong payload check failed");
    (i < fit_count ? out->fit : out->holdout).push_back(measured[i]);
  }
  runner->tick("mpi_pingpong", sizes.size());
  out->versions["mpi"] = first_line_of("mpirun --version 2>&1");
}

double host_memory_bytes() {
  return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
}

}  // namespace

SweepMeasurements run_cpu_sweep(const SweepPlan& plan, const CalibrateOptions& options, const ProgressFn& progress) {
  SweepMeasurements out;
  detail::SweepRunner runner(plan, progress, &out);
  out.device = kernels::cpu_model_name() + " (one thread)";
  out.memory_bytes = host_memory_bytes();
  out.versions = {{"openblas", kernels::openblas_config()}, {"compiler", __VERSION__}};
  // A 1x1x1 GEMM is the fixed cost of one BLAS call: the CPU's "launch overhead".
  out.launch = kernels::run_cpu_gemm(kernels::GemmPoint{1, 1, 1, 1, "fp32"}, kernels::BenchSettings{2, 50});
  runner.tick("launch overhead (1x1x1 sgemm)");
  kernels::GemmOperandPool pool;
  runner.gemms([&](const kernels::GemmPoint& g) { return kernels::run_cpu_gemm(g, plan.settings, &pool); });
  for (const auto& k : plan.memory_kernels) {
    runner.sizes(k, plan.memory_bytes, plan.holdout_memory_bytes, [&](const std::string& kernel, std::int64_t bytes) {
      return kernel == "copy" || kernel == "elementwise" ? kernels::run_cpu_stream(kernel, bytes, plan.settings)
                                                         : kernels::run_cpu_optimizer(kernel, bytes, plan.settings);
    });
  }
  if (!options.skip_links) run_links(plan, options, &runner, &out);
  return out;
}

}  // namespace gppsim::calibrate
