#pragma once
// The files of a finished experiment: CSVs, Markdown tables, plots (PNG and SVG via gnuplot)
// and report.md setting the paper's claims next to our numbers.

#include <filesystem>
#include <string>
#include <vector>

#include "sim/config/experiment_file.h"
#include "sim/experiment/cell.h"

namespace gppsim::experiment {

/// What write_outputs produced.
struct OutputSummary {
  std::string speedup_table;                 ///< Markdown table to print on stdout
  std::vector<std::filesystem::path> files;  ///< every file written, sorted
};

/// Writes every output of a run into `dir` (atomically, deterministically: equal results give
/// byte-identical CSVs and Markdown). Plots need gnuplot on PATH; without it they are skipped
/// and listed in report.md as missing.
OutputSummary write_outputs(const config::Experiment& exp, const std::vector<CellSpec>& cells,
                            const std::vector<CellResult>& results, const std::filesystem::path& dir);

}  // namespace gppsim::experiment
