#include <atomic>
#include <iostream>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "sim/cli/verbs.h"
#include "sim/config/experiment_file.h"
#include "sim/core/errors.h"
#include "sim/experiment/evaluate.h"
#include "sim/experiment/outputs.h"
#include "sim/experiment/runner.h"

namespace gppsim::cli {
namespace {

std::string describe(const experiment::CellSpec& c) {
  std::string what = fmt::format("{} {} {} GPUs {}", c.part, c.model, c.gpus, plan::to_string(c.planner));
  if (c.branches > 0) what += fmt::format(" {} branches", c.branches);
  if (c.variant != "best") what += " " + c.variant;
  return what;
}

std::string clock(double s) {
  const auto t = static_cast<long>(s + 0.5);
  return fmt::format("{:02}:{:02}", t / 60, t % 60);
}

// On a terminal one line is redrawn; otherwise each cell gets a plain line (CI logs).
std::function<void(const experiment::Progress&)> progress_printer(bool terminal) {
  return [terminal](const experiment::Progress& p) {
    const double per_cell = p.done > p.cached ? p.elapsed_s / static_cast<double>(p.done) : 0.0;
    const double left = per_cell * static_cast<double>(p.total - p.done);
    if (terminal) {
      std::cerr << fmt::format("\r[{}/{}] {} elapsed, ~{} left ({} cached)   ", p.done, p.total, clock(p.elapsed_s),
                               clock(left), p.cached);
      if (p.done == p.total) std::cerr << '\n';
    } else {
      std::cerr << fmt::format("[{}/{}] {} ({}) {} elapsed\n", p.done, p.total, describe(*p.last),
                               p.last_seconds > 0.0 ? fmt::format("{:.2f} s", p.last_seconds) : std::string("cached"),
                               clock(p.elapsed_s));
    }
  };
}

// A failing cell is recorded and the others go on; only internal errors make the run fail.
experiment::CellEvaluator guarded(std::atomic<int>* internal_errors) {
  return [internal_errors](const experiment::CellSpec& cell) {
    try {
      return experiment::evaluate_cell(cell);
    } catch (const core::PlanError& e) {
      experiment::CellResult r;
      r.reason = e.what();
      return r;
    } catch (const std::exception& e) {
      ++*internal_errors;
      experiment::CellResult r;
      r.reason = fmt::format("internal error: {}", e.what());
      return r;
    }
  };
}

}  // namespace

int run_experiment(const ExperimentOptions& options, std::ostream& out) {
  const config::Experiment exp = config::load_experiment(options.experiment);
  auto cells = experiment::expand(exp, options.quick);
  if (cells.empty()) {
    throw core::ConfigError(core::SourceLocation{exp.file.string(), 0, 0, options.quick ? "quick" : "parts"},
                            "expected at least one cell, found none");
  }
  const auto dir = !options.out.empty() ? options.out
                                        : std::filesystem::path("experiments/results") / (exp.name + (options.quick ? "-quick" : ""));
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  std::atomic<int> internal_errors{0};
  const experiment::RunnerOptions runner{dir / ".cache", options.threads > 0 ? options.threads : cores,
                                         progress_printer(::isatty(STDERR_FILENO) == 1)};
  out << fmt::format("experiment {}: {} cells on {} threads -> {}\n", exp.name, cells.size(), runner.threads, dir.string());
  const auto results = experiment::run_cells(cells, guarded(&internal_errors), runner);
  const auto summary = experiment::write_outputs(exp, cells, results, dir);
  out << '\n' << summary.speedup_table << '\n';
  out << fmt::format("wrote {} files to {} (report: {})\n", summary.files.size(), dir.string(), (dir / "report.md").string());
  if (internal_errors > 0) {
    std::cerr << fmt::format("gppsim: {} cells failed with internal errors (see their reason in throughput.csv and "
                             "the other tables); this is a bug in gppsim\n", internal_errors.load());
    return 1;
  }
  return 0;
}

}  // namespace gppsim::cli
