// PipeDream profiler graph.txt -> Model. Format (../shared/data/README.md):
//   nodeID -- description -- forward_compute_time=F, backward_compute_time=B,
//       activation_size=A, parameter_size=P
//   <tab>nodeX -- nodeY
// PipeDream's own reader (graph/graph.py, Node.from_str) sums a list activation_size
// `[a; b; c]` (multi-output layers such as LSTMs in gnmt) and accepts an optional trailing
// ` -- stage_id=N` written for partitioned graphs; both are read the same way here.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/errors.h"
#include "sim/model/import_util.h"
#include "sim/model/importers.h"

namespace gppsim::model {
namespace {

using import_detail::excerpt;
using import_detail::trim;

constexpr std::string_view kSeparator = " -- ";
constexpr std::string_view kNodeFormat =
    "`ID -- DESCRIPTION -- forward_compute_time=F, backward_compute_time=B, activation_size=A, "
    "parameter_size=P`";
constexpr std::array<std::string_view, 4> kAttributes{
    "forward_compute_time", "backward_compute_time", "activation_size", "parameter_size"};

/// One node line as written: times in ms for the profiled batch, sizes in bytes.
struct NodeRecord {
  std::string id;
  std::string description;
  std::array<double, 4> values{};  ///< in kAttributes order
  int line = 0;
};

/// One edge line.
struct EdgeRecord {
  std::string from;
  std::string to;
  int line = 0;
};

/// Reads node and edge lines, collecting every problem found before throwing.
class ProfileParser {
 public:
  explicit ProfileParser(std::string file) : file_(std::move(file)) {}

  void parse(std::string_view text);
  [[nodiscard]] const std::vector<NodeRecord>& nodes() const { return nodes_; }
  [[nodiscard]] const std::vector<EdgeRecord>& edges() const { return edges_; }
  void throw_if_any() const { sink_.throw_if_any(); }

 private:
  void error(int line, std::string message) {
    sink_.add(core::SourceLocation{file_, line, 0, ""}, std::move(message));
  }
  void parse_edge(std::string_view line, int number);
  void parse_node(std::string_view line, int number);
  bool parse_attributes(std::string_view attributes, NodeRecord& node);
  bool parse_attribute(std::string_view item, NodeRecord& node,
                       std::array<bool, kAttributes.size()>& seen);
  std::optional<double> parse_value(std::string_view key, std::string_view value, int line);
  std::optional<double> parse_list(std::string_view key, std::string_view value, int line);

  std::string file_;
  core::DiagnosticSink sink_;
  std::vector<NodeRecord> nodes_;
  std::vector<EdgeRecord> edges_;
};

bool is_token(std::string_view text) {
  return !text.empty() && text.find_first_of(" \t\r") == std::string_view::npos;
}

void ProfileParser::parse(std::string_view text) {
  int number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    ++number;
    start = end + 1;
    if (trim(line).empty()) continue;
    if (line.front() == '\t') {
      parse_edge(trim(line), number);
    } else {
      parse_node(trim(line), number);
    }
  }
}

void ProfileParser::parse_edge(std::string_view line, int number) {
  const auto sep = line.find(kSeparator);
  const std::string_view from = sep == std::string_view::npos ? line : line.substr(0, sep);
  const std::string_view to =
      sep == std::string_view::npos ? std::string_view{} : line.substr(sep + kSeparator.size());
  if (!is_token(from) || !is_token(to)) {
    error(number,
          fmt::format("malformed edge line: expected a tab then `FROM -- TO` (two node ids), "
                      "found `{}`",
                      excerpt(line)));
    return;
  }
  edges_.push_back(EdgeRecord{std::string(from), std::string(to), number});
}

void ProfileParser::parse_node(std::string_view line, int number) {
  const auto first = line.find(kSeparator);
  auto last = line.rfind(kSeparator);
  if (first != last && line.substr(last + kSeparator.size()).starts_with("stage_id=")) {
    last = line.rfind(kSeparator, last - 1);  // the stage assignment does not matter here
  }
  if (first == std::string_view::npos || first == last || !is_token(line.substr(0, first))) {
    error(number,
          fmt::format("malformed node line: expected {}, found `{}`", kNodeFormat, excerpt(line)));
    return;
  }
  NodeRecord node;
  node.id = std::string(line.substr(0, first));
  const std::size_t desc_start = first + kSeparator.size();
  node.description = std::string(line.substr(desc_start, last - desc_start));
  node.line = number;
  std::string_view attributes = line.substr(last + kSeparator.size());
  attributes = attributes.substr(0, attributes.find(kSeparator));  // drop ` -- stage_id=N`
  if (parse_attributes(attributes, node)) nodes_.push_back(std::move(node));
}

bool ProfileParser::parse_attributes(std::string_view attributes, NodeRecord& node) {
  std::array<bool, kAttributes.size()> seen{};
  bool ok = true;
  std::size_t start = 0;
  while (start <= attributes.size()) {
    const std::size_t end = std::min(attributes.find(',', start), attributes.size());
    ok = parse_attribute(trim(attributes.substr(start, end - start)), node, seen) && ok;
    start = end + 1;
  }
  std::vector<std::string_view> missing;
  for (std::size_t i = 0; i < kAttributes.size(); ++i) {
    if (!seen[i]) missing.push_back(kAttributes[i]);
  }
  if (!missing.empty()) {
    error(node.line, fmt::format("missing attribute `{}` on node `{}`; expected {}",
                                 fmt::join(missing, "`, `"), node.id, kNodeFormat));
  }
  return ok && missing.empty();
}

bool ProfileParser::parse_attribute(std::string_view item, NodeRecord& node,
                                    std::array<bool, kAttributes.size()>& seen) {
  const auto eq = item.find('=');
  const std::string_view key = trim(item.substr(0, eq));
  const auto* it = std::find(kAttributes.begin(), kAttributes.end(), key);
  if (eq == std::string_view::npos || it == kAttributes.end()) {
    error(node.line,
          fmt::format("expected an attribute `NAME=VALUE` with NAME one of {}, found `{}`",
                      fmt::join(kAttributes, ", "), excerpt(item)));
    return false;
  }
  const auto index = static_cast<std::size_t>(it - kAttributes.begin());
  if (seen[index]) {
    error(node.line, fmt::format("attribute `{}` is given twice", key));
    return false;
  }
  seen[index] = true;
  const auto value = parse_value(key, trim(item.substr(eq + 1)), node.line);
  node.values[index] = value.value_or(0.0);
  return value.has_value();
}

std::optional<double> ProfileParser::parse_value(std::string_view key, std::string_view value,
                                                 int line) {
  if (key == "activation_size" && value.starts_with('[')) return parse_list(key, value, line);
  const auto number = import_detail::parse_finite_double(value);
  if (!number || *number < 0.0) {
    error(line,
          fmt::format("expected a non-negative number for `{}`, found `{}`", key, excerpt(value)));
    return std::nullopt;
  }
  return number;
}

// A multi-output layer's activation_size is `[a; b; ...]`; its outputs travel together.
std::optional<double> ProfileParser::parse_list(std::string_view key, std::string_view value,
                                                int line) {
  if (!value.ends_with(']') || trim(value.substr(1, value.size() - 2)).empty()) {
    error(line, fmt::format("expected `{}` to be a number or a non-empty list `[a; b; ...]`, "
                            "found `{}`",
                            key, excerpt(value)));
    return std::nullopt;
  }
  const std::string_view inner = value.substr(1, value.size() - 2);
  double sum = 0.0;
  std::size_t start = 0;
  while (start <= inner.size()) {
    const std::size_t end = std::min(inner.find(';', start), inner.size());
    const auto element = parse_value(key, trim(inner.substr(start, end - start)), line);
    if (!element) return std::nullopt;
    sum += *element;
    start = end + 1;
  }
  return sum;
}

/// The op of one node: per-sample times and activations, parameters for the whole model.
Op make_op(const NodeRecord& node, int profile_batch_size) {
  const double batch = profile_batch_size;
  Op op;
  op.name = node.id;
  op.kind = OpKind::kProfiled;
  op.description = node.description;
  op.measured = MeasuredTimes{core::Seconds(node.values[0] / 1000.0 / batch),
                              core::Seconds(node.values[1] / 1000.0 / batch)};
  op.activation_bytes = core::Bytes(node.values[2] / batch);
  op.stashed_bytes = op.activation_bytes;
  op.parameter_bytes = core::Bytes(node.values[3]);
  op.parameters = static_cast<std::int64_t>(std::llround(node.values[3] / 4.0));  // fp32
  return op;
}

/// Adds every node as an op, in file order; duplicate ids are reported, not added.
void add_ops(const std::vector<NodeRecord>& nodes, int profile_batch_size, const std::string& file,
             OpGraph& graph) {
  core::DiagnosticSink sink;
  std::unordered_map<std::string, int> first_line;
  for (const NodeRecord& node : nodes) {
    const auto [it, inserted] = first_line.emplace(node.id, node.line);
    if (!inserted) {
      sink.add(core::SourceLocation{file, node.line, 0, ""},
               fmt::format("duplicate node id `{}`: expected each node once, found it already on "
                           "line {}",
                           node.id, it->second));
      continue;
    }
    graph.add_op(make_op(node, profile_batch_size));
  }
  sink.throw_if_any();
}

/// Adds every edge in file order, carrying its source's activation bytes; then rejects cycles.
void add_edges(const std::vector<EdgeRecord>& edges, const std::string& file, OpGraph& graph) {
  core::DiagnosticSink sink;
  std::map<std::pair<OpId, OpId>, int> edge_line;
  for (const EdgeRecord& edge : edges) {
    const core::SourceLocation where{file, edge.line, 0, ""};
    const auto from = graph.find(edge.from);
    const auto to = graph.find(edge.to);
    if (!from || !to) {
      sink.add(where, fmt::format("edge `{} -- {}` refers to unknown node `{}`: expected a node id "
                                  "declared by a node line",
                                  edge.from, edge.to, !from ? edge.from : edge.to));
    } else if (*from == *to) {
      sink.add(where,
               fmt::format("self-loop `{} -- {}`: expected an edge between two different nodes",
                           edge.from, edge.to));
    } else if (const auto it = edge_line.find({*from, *to}); it != edge_line.end()) {
      sink.add(where, fmt::format("duplicate edge `{} -- {}`: already given on line {}", edge.from,
                                  edge.to, it->second));
    } else {
      edge_line.emplace(std::pair{*from, *to}, edge.line);
      graph.add_edge(*from, *to, graph.op(*from).activation_bytes);
    }
  }
  sink.throw_if_any();
  if (const auto cycle = graph.find_cycle()) {
    int line = 0;  // the cycle's last edge in file order
    for (std::size_t i = 0; i + 1 < cycle->size(); ++i) {
      line = std::max(line, edge_line.at({(*cycle)[i], (*cycle)[i + 1]}));
    }
    throw core::ConfigError(core::SourceLocation{file, line, 0, ""},
                            "expected an acyclic graph, found the cycle " +
                                import_detail::describe_cycle(graph, *cycle));
  }
}

}  // namespace

Model import_pipedream(const std::filesystem::path& path, int profile_batch_size) {
  const std::string file = path.string();
  if (profile_batch_size < 1) {
    throw core::ConfigError(
        core::SourceLocation{file, 0, 0, ""},
        fmt::format("expected a profile batch size >= 1, found {}", profile_batch_size));
  }
  const std::string text = import_detail::read_text_file(path, "PipeDream profile");
  ProfileParser parser(file);
  parser.parse(text);
  parser.throw_if_any();
  if (parser.nodes().empty()) {
    throw core::ConfigError(core::SourceLocation{file, 0, 0, ""},
                            "expected at least one node line "
                            "(`ID -- DESCRIPTION -- forward_compute_time=...`), found none");
  }
  Model model;
  model.name = path.stem().string();
  model.dtype = core::Dtype::kFp32;
  add_ops(parser.nodes(), profile_batch_size, file, model.graph);
  add_edges(parser.edges(), file, model.graph);
  return model;
}

}  // namespace gppsim::model
