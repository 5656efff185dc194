#pragma once
// Private to write_outputs (sim/experiment/outputs*.cc): the results of an experiment grouped
// by part, text formatting helpers shared by the tables, the plots and the report, and the
// set of files written so far.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/experiment_file.h"
#include "sim/experiment/cell.h"

namespace gppsim::experiment::detail {

/// One cell with its result; both point into the vectors given to write_outputs.
struct Entry {
  const CellSpec* cell = nullptr;
  const CellResult* result = nullptr;
};

/// The cells of one (model, branches, GPUs) point, in cell order.
struct Group {
  std::string model;
  std::int64_t branches = 0;
  int gpus = 0;
  std::vector<Entry> members;

  /// The first member planned by `planner`, or nullptr when that planner did not run here.
  [[nodiscard]] const CellResult* by_planner(plan::PlannerKind planner) const;
  /// The first member with this variant ("spp", "gpp", ...), or nullptr.
  [[nodiscard]] const CellResult* by_variant(std::string_view variant) const;
};

/// The entries of every part, each in cell order; a part that did not run is empty.
struct Parts {
  std::vector<Entry> throughput;
  std::vector<Entry> ablation;
  std::vector<Entry> branch_sweep;
  std::vector<Entry> micro_batch_sweep;
  std::vector<Entry> case_study;
  std::vector<Entry> sequential;
};

/// Splits cells and results (equal lengths, checked) by their part.
Parts split_parts(const std::vector<CellSpec>& cells, const std::vector<CellResult>& results);

/// Groups entries by (model, branches, GPUs), groups in order of first appearance.
std::vector<Group> group_entries(const std::vector<Entry>& entries);

/// The distinct planners of `entries` in order of first appearance.
std::vector<plan::PlannerKind> planners_of(const std::vector<Entry>& entries);

/// Throughput (samples/s) of a feasible result; nullopt when absent or infeasible.
std::optional<double> throughput_of(const CellResult* r);

/// a's throughput over b's; nullopt unless both are feasible with b's throughput > 0.
std::optional<double> ratio_of(const CellResult* a, const CellResult* b);

/// A baseline's search time over GraphPipe's; nullopt unless both ran with search times > 0.
std::optional<double> search_ratio(const CellResult* baseline, const CellResult* graphpipe);

/// The micro-batch size of a "mb=B" variant; throws InternalError on any other variant.
std::int64_t variant_micro_batch(const CellSpec& cell);

/// "GraphPipe", "PipeDream", "Piper", ... for tables and plot legends.
std::string planner_title(plan::PlannerKind planner);

/// A number for CSV files: fmt "{:.6g}".
std::string num(double value);
/// A ratio for Markdown: "1.50x", or "n/a".
std::string ratio_text(std::optional<double> ratio);
/// A range of ratios for Markdown: "1.20x-1.40x", or "1.20x" when lo == hi.
std::string range_text(double lo, double hi);
/// A throughput cell for Markdown: "123.4", "no strategy" (infeasible) or "not run" (absent).
std::string throughput_text(const CellResult* r);
/// A throughput cell for CSV: num(value), "no strategy" or "not run".
std::string throughput_csv(const CellResult* r);

/// One CSV line (with "\n"); fields with a comma, quote or line break are quoted, quotes doubled.
std::string csv_row(const std::vector<std::string>& fields);
/// A Markdown table: header, separator, rows; '|' inside cells is escaped.
std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// The files written by one write_outputs call.
class FileSet {
 public:
  explicit FileSet(std::filesystem::path dir) : dir_(std::move(dir)) {}
  /// Writes `content` atomically to dir/name and records it.
  void write(const std::string& name, std::string_view content);
  /// Records a file produced by another program (a plot).
  void add(const std::string& name) { files_.push_back(dir_ / name); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  /// Every recorded file, sorted and without duplicates.
  [[nodiscard]] std::vector<std::filesystem::path> sorted() const;

 private:
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> files_;
};

/// Writes every CSV and Markdown table of the parts that ran; returns the speedup table.
std::string write_tables(const Parts& parts, FileSet& files);

/// What happened to the plots.
struct PlotStatus {
  bool gnuplot_found = false;
  std::vector<std::string> rendered;  ///< plot names ("speedup", "throughput_mmt") with .png and .svg
  std::vector<std::string> failed;    ///< "name: why" for plots gnuplot could not render
  std::vector<std::string> scripts;   ///< the .gp scripts written, whether or not rendered
};

/// Writes one gnuplot script per plot of the parts that ran and renders each to PNG and SVG
/// when gnuplot is on PATH.
PlotStatus write_plots(const Parts& parts, FileSet& files);

// report.md helpers, shared by outputs_report.cc (claims 1-3) and outputs_claims.cc (claims 4-7).

/// "Not run (quick subset)." when the experiment defines the part, else names the missing part.
std::string not_run(bool defined, std::string_view part);
/// A clause on what differs between GraphPipe's plan and a baseline's (depth, micro-batch,
/// bubble fraction), e.g. "a shallower pipeline (depth 4 vs 8) and larger micro-batches (4 vs 2)".
std::string plan_difference(const CellResult& gpp, const CellResult& base);
/// How `ours` relates to the paper's figure: "close to" (within 10%), "below" or "above".
std::string magnitude(double ours, double paper);
/// How [lo, hi] relates to the paper's [paper_lo, paper_hi]: "within", "partly within", "below", "above".
std::string range_relation(double lo, double hi, double paper_lo, double paper_hi);
/// "agrees", "partly agrees" or "differs" from how many of `total` checks held.
std::string verdict(int held, int total);

/// The sections of claims 4 (ablation), 5 (branches), 6 (case study), 7 (sequential model).
std::string claim_ablation(const config::Experiment& exp, const Parts& parts);
std::string claim_branches(const config::Experiment& exp, const Parts& parts);
std::string claim_case_study(const config::Experiment& exp, const Parts& parts);
std::string claim_sequential(const config::Experiment& exp, const Parts& parts);

/// report.md: how the run was made and, per claim of the paper, its figure next to ours.
std::string report_markdown(const config::Experiment& exp, const Parts& parts, std::size_t num_cells,
                            const PlotStatus& plots);

}  // namespace gppsim::experiment::detail
