#pragma once
// Private helpers shared by the profile importers (import_pipedream.cc, import_piper.cc).
// Not part of the model library's public API.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/read_text_file.h"
#include "sim/model/op_graph.h"

namespace gppsim::model::import_detail {

/// `text` cut to at most `max_chars` characters (with "..." when cut), for error messages.
inline std::string excerpt(std::string_view text, std::size_t max_chars = 80) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

/// `text` without leading and trailing spaces, tabs and carriage returns.
inline std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

/// The whole of `text` as a finite double, or nullopt (trailing characters, inf and nan fail).
inline std::optional<double> parse_finite_double(std::string_view text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

using core::read_text_file;

/// "a -> b -> a" for a cycle given as op ids (first == last).
inline std::string describe_cycle(const OpGraph& graph, const std::vector<OpId>& cycle) {
  std::string out;
  for (const OpId id : cycle) {
    if (!out.empty()) out += " -> ";
    out += graph.op(id).name;
  }
  return out;
}

}  // namespace gppsim::model::import_detail
