#pragma once
// Strict reading of YAML into plain values. Every problem becomes a diagnostic with the file,
// line:column and YAML path; reading goes on after an error so that all problems of a file are
// reported at once (the caller throws at the end through DiagnosticSink::throw_if_any).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/core/errors.h"
#include "sim/core/units.h"

namespace gppsim::config {

/// The file being read and the sink collecting its problems.
struct ReadContext {
  std::string file;
  core::DiagnosticSink* sink = nullptr;
};

/// A YAML node together with its YAML path, for reading one value with precise errors.
class YamlValue {
 public:
  YamlValue(YAML::Node node, std::string path, const ReadContext* ctx);

  [[nodiscard]] const YAML::Node& node() const { return node_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const ReadContext* context() const { return ctx_; }
  [[nodiscard]] core::SourceLocation location() const;
  /// Records a problem at this value.
  void error(std::string message) const;

  /// Readers: nullopt (after recording a diagnostic) when the value has the wrong type or range.
  [[nodiscard]] std::optional<std::string> as_string() const;
  [[nodiscard]] std::optional<std::int64_t> as_int(std::int64_t min_value,
                                                 std::int64_t max_value = INT64_MAX) const;
  [[nodiscard]] std::optional<double> as_number() const;
  [[nodiscard]] std::optional<bool> as_bool() const;
  /// One of `choices`; the message lists them.
  [[nodiscard]] std::optional<std::string> as_choice(const std::vector<std::string_view>& choices) const;
  /// Quantities with units; `positive` rejects zero and negatives, otherwise only negatives.
  [[nodiscard]] std::optional<core::Bytes> as_bytes(bool positive) const;
  [[nodiscard]] std::optional<core::Seconds> as_seconds(bool positive) const;
  [[nodiscard]] std::optional<core::BytesPerSecond> as_bandwidth() const;
  [[nodiscard]] std::optional<core::Flops> as_flops() const;
  /// Elements of a sequence (records an error and returns nothing when not a sequence).
  [[nodiscard]] std::vector<YamlValue> elements() const;
  [[nodiscard]] bool is_map() const;
  [[nodiscard]] bool is_sequence() const;

 private:
  [[nodiscard]] std::optional<std::string> scalar(std::string_view expected) const;
  [[nodiscard]] std::string found() const;

  YAML::Node node_;
  std::string path_;
  const ReadContext* ctx_;
};

/// A mapping whose keys are checked: every key must be in `valid_keys`; unknown keys are
/// reported with the list of valid ones. Required keys that are missing are reported at the map.
class YamlMap {
 public:
  /// `value` must be a mapping; otherwise an error is recorded and the map reads as empty.
  YamlMap(const YamlValue& value, std::vector<std::string_view> valid_keys);

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool has(std::string_view key) const;
  /// The value at `key`, or nullopt; a missing required key is recorded as an error.
  [[nodiscard]] std::optional<YamlValue> get(std::string_view key, bool required) const;
  [[nodiscard]] const YamlValue& self() const { return self_; }

 private:
  YamlValue self_;
  std::vector<std::string_view> valid_;
  bool ok_ = false;
};

/// Reads and parses a YAML file. Throws ConfigError for a missing or unreadable file, malformed
/// YAML (with line and column) or an empty document (saying `expected`).
YAML::Node load_yaml_file(const std::filesystem::path& file, std::string_view expected);

/// Child path: "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string child_path(std::string_view parent, std::string_view key);
/// Index path: "ops" + 3 -> "ops[3]".
std::string index_path(std::string_view parent, std::size_t index);

}  // namespace gppsim::config
