#include "sim/config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/core/unit_parse.h"

namespace gppsim::config {
namespace {

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Undefined: return "nothing";
    case YAML::NodeType::Scalar: break;
  }
  return fmt::format("\"{}\"", node.Scalar());
}

// Runs a unit parser; a UnitParseError becomes a diagnostic at `v`.
template <typename T, typename Parse>
std::optional<T> parse_unit(const YamlValue& v, std::optional<std::string> text, Parse parse) {
  if (!text) return std::nullopt;
  try {
    return parse(*text);
  } catch (const core::UnitParseError& e) {
    v.error(e.what());
    return std::nullopt;
  }
}

// Reads the whole file; a missing or unreadable file is bad input (exit 2), not a crash.
std::string read_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw core::ConfigError(core::SourceLocation{file.string(), 0, 0, ""},
                            "cannot read the file: no such file (expected a YAML file)");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    throw core::ConfigError(core::SourceLocation{file.string(), 0, 0, ""}, "cannot read the file");
  }
  return text.str();
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw core::ConfigError(core::SourceLocation{file, e.mark.line + 1, e.mark.column + 1, ""},
                            fmt::format("malformed YAML: {}", e.msg));
  }
}

}  // namespace

YAML::Node load_yaml_file(const std::filesystem::path& file, std::string_view expected) {
  const YAML::Node root = parse_yaml(read_text(file), file.string());
  if (root.IsNull() || !root.IsDefined()) {
    throw core::ConfigError(core::SourceLocation{file.string(), 1, 1, ""},
                            fmt::format("expected {}; found an empty document", expected));
  }
  return root;
}

std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

YamlValue::YamlValue(YAML::Node node, std::string path, const ReadContext* ctx)
    : node_(std::move(node)), path_(std::move(path)), ctx_(ctx) {}

core::SourceLocation YamlValue::location() const {
  const YAML::Mark mark = node_.Mark();
  const int line = mark.line >= 0 ? mark.line + 1 : 0;
  const int column = mark.column >= 0 ? mark.column + 1 : 0;
  return core::SourceLocation{ctx_->file, line, column, path_};
}

void YamlValue::error(std::string message) const { ctx_->sink->add(location(), std::move(message)); }

std::string YamlValue::found() const { return kind_name(node_); }

std::optional<std::string> YamlValue::scalar(std::string_view expected) const {
  if (!node_.IsScalar()) {
    error(fmt::format("expected {}, found {}", expected, found()));
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::string> YamlValue::as_string() const {
  auto s = scalar("a string");
  if (s && s->empty()) {
    error("expected a non-empty string, found an empty one");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> YamlValue::as_int(std::int64_t min_value, std::int64_t max_value) const {
  const auto s = scalar("an integer");
  if (!s) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), value);
  if (ec != std::errc{} || end != s->data() + s->size()) {
    error(fmt::format("expected an integer, found \"{}\"", *s));
    return std::nullopt;
  }
  if (value < min_value || value > max_value) {
    error(max_value == INT64_MAX
              ? fmt::format("expected an integer of at least {}, found {}", min_value, value)
              : fmt::format("expected an integer from {} to {}, found {}", min_value, max_value, value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlValue::as_number() const {
  const auto s = scalar("a number");
  if (!s) return std::nullopt;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), value);
  if (ec != std::errc{} || end != s->data() + s->size() || !std::isfinite(value)) {
    error(fmt::format("expected a number, found \"{}\"", *s));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlValue::as_bool() const {
  const auto s = scalar("true or false");
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error(fmt::format("expected true or false, found \"{}\"", *s));
  return std::nullopt;
}

std::optional<std::string> YamlValue::as_choice(const std::vector<std::string_view>& choices) const {
  const auto s = scalar(fmt::format("one of: {}", join(choices)));
  if (!s) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
    error(fmt::format("expected one of: {}; found \"{}\"", join(choices), *s));
    return std::nullopt;
  }
  return s;
}

std::optional<core::Bytes> YamlValue::as_bytes(bool positive) const {
  auto b = parse_unit<core::Bytes>(*this, scalar("a size such as \"16 GiB\""), core::parse_bytes);
  if (b && (b->value() < 0.0 || (positive && b->value() == 0.0))) {
    error(fmt::format("expected a {} size, found \"{}\"", positive ? "positive" : "non-negative", node_.Scalar()));
    return std::nullopt;
  }
  return b;
}

std::optional<core::Seconds> YamlValue::as_seconds(bool positive) const {
  auto s = parse_unit<core::Seconds>(*this, scalar("a duration such as \"5 us\""), core::parse_seconds);
  if (s && (s->value() < 0.0 || (positive && s->value() == 0.0))) {
    error(fmt::format("expected a {} duration, found \"{}\"", positive ? "positive" : "non-negative", node_.Scalar()));
    return std::nullopt;
  }
  return s;
}

std::optional<core::BytesPerSecond> YamlValue::as_bandwidth() const {
  auto bw = parse_unit<core::BytesPerSecond>(*this, scalar("a bandwidth such as \"12.5 GB/s\""),
                                              core::parse_bandwidth);
  if (bw && bw->value() <= 0.0) {
    error(fmt::format("expected a positive bandwidth, found \"{}\"", node_.Scalar()));
    return std::nullopt;
  }
  return bw;
}

std::optional<core::Flops> YamlValue::as_flops() const {
  auto f = parse_unit<core::Flops>(*this, scalar("an amount of work such as \"3 GFLOP\""), core::parse_flops);
  if (f && f->value() < 0.0) {
    error(fmt::format("expected a non-negative amount of work, found \"{}\"", node_.Scalar()));
    return std::nullopt;
  }
  return f;
}

std::vector<YamlValue> YamlValue::elements() const {
  std::vector<YamlValue> out;
  if (!node_.IsSequence()) {
    error(fmt::format("expected a list, found {}", found()));
    return out;
  }
  for (std::size_t i = 0; i < node_.size(); ++i) out.emplace_back(node_[i], index_path(path_, i), ctx_);
  return out;
}

bool YamlValue::is_map() const { return node_.IsMap(); }
bool YamlValue::is_sequence() const { return node_.IsSequence(); }

YamlMap::YamlMap(const YamlValue& value, std::vector<std::string_view> valid_keys)
    : self_(value), valid_(std::move(valid_keys)) {
  if (!value.is_map()) {
    value.error(fmt::format("expected a mapping with keys {}, found {}", join(valid_), kind_name(value.node())));
    return;
  }
  ok_ = true;
  std::set<std::string> seen;
  for (const auto& kv : value.node()) {
    const std::string key = kv.first.Scalar();
    const YamlValue at_key(kv.first, child_path(value.path(), key), value.context());
    if (!seen.insert(key).second) {
      at_key.error(fmt::format("duplicate key \"{}\"", key));
    } else if (std::find(valid_.begin(), valid_.end(), key) == valid_.end()) {
      at_key.error(fmt::format("unknown key \"{}\"; valid keys here: {}", key, join(valid_)));
    }
  }
}

bool YamlMap::has(std::string_view key) const {
  return ok_ && self_.node()[std::string(key)].IsDefined();
}

std::optional<YamlValue> YamlMap::get(std::string_view key, bool required) const {
  if (!ok_) return std::nullopt;
  const YAML::Node child = self_.node()[std::string(key)];
  if (!child.IsDefined()) {
    if (required) self_.error(fmt::format("missing required key \"{}\"", key));
    return std::nullopt;
  }
  return YamlValue(child, child_path(self_.path(), key), self_.context());
}

}  // namespace gppsim::config
