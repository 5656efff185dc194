#include "sim/core/errors.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace gppsim::core {
namespace {

std::string join(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += d.format();
  }
  return out;
}

}  // namespace

std::string Diagnostic::format() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) out += fmt::format(":{}", where.line);
    if (where.column > 0) out += fmt::format(":{}", where.column);
    out += ": ";
  }
  if (!where.yaml_path.empty()) out += where.yaml_path + ": ";
  return out + message;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}

ConfigError::ConfigError(SourceLocation where, std::string message)
    : ConfigError(std::vector<Diagnostic>{Diagnostic{std::move(where), std::move(message)}}) {}

void throw_internal_error(const char* condition, const std::string& message, const char* file,
                          int line) {
  throw InternalError(
      fmt::format("internal error at {}:{}: check `{}` failed: {}", file, line, condition, message));
}

void DiagnosticSink::add(SourceLocation where, std::string message) {
  diagnostics_.push_back(Diagnostic{std::move(where), std::move(message)});
}

void DiagnosticSink::throw_if_any() const {
  if (diagnostics_.empty()) return;
  // Report in reading order of the file, whatever order the sections were checked in.
  std::vector<Diagnostic> sorted = diagnostics_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.where.file, a.where.line, a.where.column) < std::tie(b.where.file, b.where.line, b.where.column);
  });
  throw ConfigError(std::move(sorted));
}

}  // namespace gppsim::core
