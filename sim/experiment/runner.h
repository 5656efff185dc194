#pragma once
// Runs experiment cells on a pool of threads. Each finished cell is written at once to a cache
// folder under a hash of its fingerprint, so an interrupted run loses nothing and a rerun
// skips every cell whose inputs are unchanged.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <vector>

#include "sim/experiment/cell.h"

namespace gppsim::experiment {

/// How far a run is.
struct Progress {
  std::size_t done = 0;
  std::size_t total = 0;
  std::size_t cached = 0;     ///< of `done`, how many came from the cache
  double elapsed_s = 0.0;
  const CellSpec* last = nullptr;
  double last_seconds = 0.0;  ///< wall time of the last cell (0 when cached)
};

/// Runner settings.
struct RunnerOptions {
  std::filesystem::path cache_dir;
  int threads = 1;
  std::function<void(const Progress&)> on_progress;  ///< called after each cell, one at a time
};

/// Computes one cell; may throw only for errors that should end the whole run.
using CellEvaluator = std::function<CellResult(const CellSpec&)>;

/// Runs every cell (cells whose micro_batch_of names another cell run after it, with that
/// cell's best micro-batch as their only candidate) and returns the results in cell order.
std::vector<CellResult> run_cells(std::vector<CellSpec>& cells, const CellEvaluator& evaluate,
                                  const RunnerOptions& options);

/// The cache file of a fingerprint: a 64-bit FNV-1a hash in hex, ".json".
std::filesystem::path cache_file(const std::filesystem::path& dir, const std::string& fingerprint);

}  // namespace gppsim::experiment
