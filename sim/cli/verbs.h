#pragma once
// The gppsim verbs. Each returns the process exit code on success paths; errors propagate as
// typed exceptions to main(), the only place that catches them.

#include <filesystem>
#include <iosfwd>

namespace gppsim::cli {

/// Options of `gppsim inspect`.
struct InspectOptions {
  std::filesystem::path scenario;
  bool json = false;
};

/// Prints the model summary of a scenario (text table or JSON) to `out`.
int run_inspect(const InspectOptions& options, std::ostream& out);

/// Options of `gppsim simulate`.
struct SimulateOptions {
  std::filesystem::path scenario;
  std::filesystem::path strategy;  ///< empty: use the scenario's planner
  std::filesystem::path out;       ///< empty: out/<scenario name>
};

/// Simulates one iteration, writes summary.json and trace.json, prints a table. Returns 3 when
/// the plan does not fit in memory (the files are still written, with feasible: false).
int run_simulate(const SimulateOptions& options, std::ostream& out);

}  // namespace gppsim::cli
