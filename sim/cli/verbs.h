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

}  // namespace gppsim::cli
