#pragma once
// Typed errors. Library code throws these; only sim/cli catches them and maps each to an exit
// code (ConfigError 2, PlanError 3, InternalError 1).

#include <stdexcept>
#include <string>
#include <vector>

namespace gppsim::core {

/// Where in an input a problem was found. line and column are 1-based; 0 means unknown.
/// yaml_path is a dotted path with indices, e.g. `cluster.inter_node.bandwidth` or
/// `model.graph.ops[3].flops`; empty when the input is not YAML or the whole file is meant.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string yaml_path;
};

/// One problem in an input: its location and what was expected versus found.
struct Diagnostic {
  SourceLocation where;
  std::string message;

  /// "file:line:column: path: message", leaving out the parts that are unknown.
  [[nodiscard]] std::string format() const;
};

/// Bad input: a config, file or argument. Holds every problem found, so all are reported at once.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  /// A single problem.
  ConfigError(SourceLocation where, std::string message);
  [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// The input is valid but no plan exists for it (devices, memory), or a plan does not fit.
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A broken invariant inside gppsim: a bug, never the user's fault.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws InternalError for GPPSIM_CHECK; not for direct use.
[[noreturn]] void throw_internal_error(const char* condition, const std::string& message,
                                       const char* file, int line);

/// Collects diagnostics and throws one ConfigError with all of them at the end.
class DiagnosticSink {
 public:
  void add(SourceLocation where, std::string message);
  [[nodiscard]] bool empty() const { return diagnostics_.empty(); }
  /// Throws ConfigError when any diagnostic was added; otherwise does nothing.
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace gppsim::core
