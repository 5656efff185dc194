// Piper planner JSON input -> Model (format in ../shared/data/README.md). Every value is checked
// with its JSON path (`nodes[3].TMPCs.1[0].timePerSample`), and unknown keys are errors, as for
// gppsim's own YAML. The first problem found is reported.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/core/errors.h"
#include "sim/model/import_util.h"
#include "sim/model/importers.h"

namespace gppsim::model {
namespace {

using nlohmann::json;

/// One node as read, before it becomes an op.
struct NodeInput {
  std::int64_t id = 0;
  std::string name;
  std::vector<PiperTmpc> tmpcs;  ///< ascending tensor degree
  std::string path;              ///< "nodes[i]"
};

/// One edge as read.
struct EdgeInput {
  std::int64_t from = 0;
  std::int64_t to = 0;
  core::Bytes bytes;
  std::string path;  ///< "edges[i]"
};

/// `path.key` (or `key` at the top level).
std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

/// `path[index]`.
std::string element(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

/// A JSON value for a message: its type and (a prefix of) its text.
std::string describe(const json& value) {
  return fmt::format("{} `{}`", value.type_name(), import_detail::excerpt(value.dump(), 60));
}

/// Typed access to JSON values that throws ConfigError with the file and JSON path.
class JsonReader {
 public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw core::ConfigError(core::SourceLocation{file_, 0, 0, path}, message);
  }

  /// Checks that `value` is an object holding exactly `keys` (all required, no others).
  void expect_object(const json& value, const std::string& path,
                     std::initializer_list<std::string_view> keys) const {
    if (!value.is_object()) fail(path, "expected an object, found " + describe(value));
    for (const auto& [key, unused] : value.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        fail(child(path, key),
             fmt::format("unknown key `{}`; valid keys: {}", key, fmt::join(keys, ", ")));
      }
    }
    for (const std::string_view key : keys) {
      if (!value.contains(key)) fail(child(path, key), fmt::format("missing key `{}`", key));
    }
  }

  /// A finite number >= 0 (or > 0 when `positive`).
  [[nodiscard]] double number(const json& value, const std::string& path,
                              bool positive = false) const {
    const std::string_view wanted = positive ? "a positive number" : "a non-negative number";
    if (!value.is_number()) {
      fail(path, fmt::format("expected {}, found {}", wanted, describe(value)));
    }
    const auto v = value.get<double>();
    if (!std::isfinite(v) || v < 0.0 || (positive && v == 0.0)) {
      fail(path, fmt::format("expected {}, found {}", wanted, value.dump()));
    }
    return v;
  }

  /// A whole number >= `min`.
  [[nodiscard]] std::int64_t integer(const json& value, const std::string& path,
                                     std::int64_t min) const {
    const auto v = value.is_number() ? value.get<double>() : std::nan("");
    if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(min) || v > 9.0e15) {
      fail(path, fmt::format("expected an integer >= {}, found {}", min, describe(value)));
    }
    return static_cast<std::int64_t>(v);
  }

  [[nodiscard]] std::string string(const json& value, const std::string& path) const {
    if (!value.is_string() || value.get<std::string>().empty()) {
      fail(path, "expected a non-empty string, found " + describe(value));
    }
    return value.get<std::string>();
  }

  void expect_array(const json& value, const std::string& path) const {
    if (!value.is_array()) fail(path, "expected an array, found " + describe(value));
  }

 private:
  std::string file_;
};

/// Parses the text, turning a syntax error into a ConfigError with line and column.
json parse_json(const std::string& text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based and points at the last character read.
    const std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const auto newlines =
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
    const std::size_t line_start =
        offset == 0 ? 0 : text.rfind('\n', offset - 1) + 1;  // npos + 1 == 0
    const std::string what = e.what();
    const auto tag_end = what.find("] ");
    throw core::ConfigError(core::SourceLocation{file, static_cast<int>(newlines) + 1,
                                                 static_cast<int>(offset - line_start) + 1, ""},
                            "expected valid JSON, found a syntax error: " +
                                (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
  }
}

std::map<std::int64_t, double> read_sync_times(const JsonReader& r, const json& value,
                                               const std::string& path) {
  if (!value.is_object()) {
    r.fail(path, "expected an object {node id: seconds}, found " + describe(value));
  }
  std::map<std::int64_t, double> out;
  for (const auto& [key, time] : value.items()) {
    std::int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (key.empty() || ec != std::errc{} || ptr != key.data() + key.size() || id < 0) {
      r.fail(child(path, key), fmt::format("expected a node id as key, found `{}`", key));
    }
    out[id] = r.number(time, child(path, key));
  }
  return out;
}

PiperOption read_option(const JsonReader& r, const json& value, const std::string& path) {
  r.expect_object(value, path,
                  {"id", "timePerSample", "parameterSize", "memoryUsageA", "memoryUsageB",
                   "syncTimeFw", "syncTimeBw"});
  PiperOption option;
  option.id = r.string(value["id"], child(path, "id"));
  option.time_per_sample = r.number(value["timePerSample"], child(path, "timePerSample"));
  option.parameter_bytes =
      core::Bytes(r.number(value["parameterSize"], child(path, "parameterSize")));
  option.memory_a = core::Bytes(r.number(value["memoryUsageA"], child(path, "memoryUsageA")));
  option.memory_b = core::Bytes(r.number(value["memoryUsageB"], child(path, "memoryUsageB")));
  option.sync_time_fw = read_sync_times(r, value["syncTimeFw"], child(path, "syncTimeFw"));
  option.sync_time_bw = read_sync_times(r, value["syncTimeBw"], child(path, "syncTimeBw"));
  return option;
}

/// One degree's option list; option ids must be distinct.
PiperTmpc read_tmpc(const JsonReader& r, int degree, const json& value, const std::string& path) {
  r.expect_array(value, path);
  if (value.empty()) r.fail(path, "expected at least one option, found an empty list");
  PiperTmpc tmpc;
  tmpc.tensor_degree = degree;
  for (std::size_t i = 0; i < value.size(); ++i) {
    PiperOption option = read_option(r, value[i], element(path, i));
    for (const PiperOption& earlier : tmpc.options) {
      if (earlier.id == option.id) {
        r.fail(child(element(path, i), "id"), "duplicate option id `" + option.id + "`");
      }
    }
    tmpc.options.push_back(std::move(option));
  }
  return tmpc;
}

std::vector<PiperTmpc> read_tmpcs(const JsonReader& r, const json& value, const std::string& path) {
  if (!value.is_object()) {
    r.fail(path, "expected an object {tensor degree: options}, found " + describe(value));
  }
  std::vector<PiperTmpc> out;
  for (const auto& [key, options] : value.items()) {
    const auto parsed = import_detail::parse_finite_double(key);
    if (!parsed || *parsed < 1.0 || *parsed != std::floor(*parsed) || *parsed > 1e6) {
      r.fail(child(path, key),
             fmt::format("expected a positive integer tensor degree as key, found `{}`", key));
    }
    const int degree = static_cast<int>(*parsed);
    for (const PiperTmpc& earlier : out) {
      if (earlier.tensor_degree == degree) {
        r.fail(child(path, key), fmt::format("tensor degree {} given twice", degree));
      }
    }
    out.push_back(read_tmpc(r, degree, options, child(path, key)));
  }
  // JSON object keys come back in string order ("16" < "2"); degrees are numbers.
  std::sort(out.begin(), out.end(), [](const PiperTmpc& a, const PiperTmpc& b) {
    return a.tensor_degree < b.tensor_degree;
  });
  return out;
}

/// The tensor-degree-1 "vanilla" option: plain data parallelism, no recomputation.
const PiperOption* find_vanilla(const std::vector<PiperTmpc>& tmpcs) {
  for (const PiperTmpc& tmpc : tmpcs) {
    if (tmpc.tensor_degree != 1) continue;
    for (const PiperOption& option : tmpc.options) {
      if (option.id == "vanilla") return &option;
    }
  }
  return nullptr;
}

std::vector<NodeInput> read_nodes(const JsonReader& r, const json& value) {
  r.expect_array(value, "nodes");
  if (value.empty()) r.fail("nodes", "expected at least one node, found an empty list");
  std::vector<NodeInput> nodes;
  std::unordered_map<std::int64_t, std::size_t> index_of_id;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = element("nodes", i);
    r.expect_object(value[i], path, {"id", "name", "TMPCs"});
    NodeInput node;
    node.path = path;
    node.id = r.integer(value[i]["id"], child(path, "id"), 0);
    node.name = r.string(value[i]["name"], child(path, "name"));
    node.tmpcs = read_tmpcs(r, value[i]["TMPCs"], child(path, "TMPCs"));
    if (find_vanilla(node.tmpcs) == nullptr) {
      r.fail(child(path, "TMPCs"),
             "expected an option with id `vanilla` at tensor degree 1, found none");
    }
    if (const auto [it, inserted] = index_of_id.emplace(node.id, i); !inserted) {
      r.fail(child(path, "id"),
             fmt::format("duplicate node id {}, already used by nodes[{}]", node.id, it->second));
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::vector<EdgeInput> read_edges(const JsonReader& r, const json& value) {
  r.expect_array(value, "edges");
  std::vector<EdgeInput> edges;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = element("edges", i);
    r.expect_object(value[i], path, {"sourceId", "destId", "communicationCost"});
    edges.push_back(EdgeInput{
        r.integer(value[i]["sourceId"], child(path, "sourceId"), 0),
        r.integer(value[i]["destId"], child(path, "destId"), 0),
        core::Bytes(r.number(value[i]["communicationCost"], child(path, "communicationCost"))),
        path});
  }
  return edges;
}

PiperGlobals read_globals(const JsonReader& r, const json& root) {
  PiperGlobals globals;
  globals.max_memory_per_device =
      core::Bytes(r.number(root["maxMemoryPerDevice"], "maxMemoryPerDevice", true));
  globals.max_devices = static_cast<int>(r.integer(root["maxDevices"], "maxDevices", 1));
  globals.micro_batches_in_batch = static_cast<int>(r.integer(root["mbsInBatch"], "mbsInBatch", 1));
  globals.bandwidth = core::BytesPerSecond(r.number(root["bandwidth"], "bandwidth", true));
  return globals;
}

/// Sync-time keys name node ids (predecessors for forward, successors for backward).
void check_sync_keys(const JsonReader& r, const std::vector<NodeInput>& nodes,
                     const std::unordered_map<std::int64_t, OpId>& op_of_id) {
  for (const NodeInput& node : nodes) {
    for (const PiperTmpc& tmpc : node.tmpcs) {
      for (std::size_t i = 0; i < tmpc.options.size(); ++i) {
        const PiperOption& option = tmpc.options[i];
        const std::string path =
            element(child(child(node.path, "TMPCs"), std::to_string(tmpc.tensor_degree)), i);
        for (const auto* sync : {&option.sync_time_fw, &option.sync_time_bw}) {
          for (const auto& [id, unused] : *sync) {
            if (op_of_id.contains(id)) continue;
            const char* key = sync == &option.sync_time_fw ? "syncTimeFw" : "syncTimeBw";
            r.fail(child(child(path, key), std::to_string(id)),
                   fmt::format("expected a node id, found unknown id {}", id));
          }
        }
      }
    }
  }
}

/// The op of one node (activation bytes are set once the edges are known).
Op make_op(const NodeInput& node, std::string op_name) {
  const PiperOption& vanilla = *find_vanilla(node.tmpcs);
  Op op;
  op.name = std::move(op_name);
  op.kind = OpKind::kProfiled;
  op.description = node.name;
  // Piper gives forward + backward together; the 1:2 split (backward computes input and weight
  // gradients, each about as costly as the forward) is gppsim's assumption, not Piper's data.
  op.measured = MeasuredTimes{core::Seconds(vanilla.time_per_sample / 3.0),
                              core::Seconds(2.0 * vanilla.time_per_sample / 3.0)};
  op.parameter_bytes = vanilla.parameter_bytes;
  op.parameters = static_cast<std::int64_t>(std::llround(vanilla.parameter_bytes.value() / 4.0));
  op.stashed_bytes = vanilla.memory_a;
  op.piper = node.tmpcs;
  return op;
}

/// Adds the ops in file order, naming repeated names "name#id"; returns id -> OpId.
std::unordered_map<std::int64_t, OpId> add_ops(const JsonReader& r,
                                               const std::vector<NodeInput>& nodes,
                                               OpGraph& graph) {
  std::unordered_map<std::string, int> name_count;
  for (const NodeInput& node : nodes) ++name_count[node.name];
  std::unordered_map<std::int64_t, OpId> op_of_id;
  for (const NodeInput& node : nodes) {
    std::string name =
        name_count[node.name] > 1 ? fmt::format("{}#{}", node.name, node.id) : node.name;
    if (const auto other = graph.find(name)) {
      r.fail(child(node.path, "name"),
             fmt::format("op name `{}` is already used by another node; rename one of them", name));
    }
    op_of_id.emplace(node.id, graph.add_op(make_op(node, std::move(name))));
  }
  return op_of_id;
}

/// Throws when the graph has a cycle, naming it and the cycle's last edge in file order.
void reject_cycle(const JsonReader& r, const OpGraph& graph,
                  const std::map<std::pair<OpId, OpId>, std::size_t>& edge_index) {
  const auto cycle = graph.find_cycle();
  if (!cycle) return;
  std::size_t last = 0;
  for (std::size_t i = 0; i + 1 < cycle->size(); ++i) {
    last = std::max(last, edge_index.at({(*cycle)[i], (*cycle)[i + 1]}));
  }
  r.fail(element("edges", last), "expected an acyclic graph, found the cycle " +
                                     import_detail::describe_cycle(graph, *cycle));
}

/// Adds the edges in file order; each source's activation is its largest out-edge.
void add_edges(const JsonReader& r, const std::vector<EdgeInput>& edges,
               const std::unordered_map<std::int64_t, OpId>& op_of_id, OpGraph& graph) {
  std::map<std::pair<OpId, OpId>, std::size_t> edge_index;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const EdgeInput& edge = edges[i];
    const auto from = op_of_id.find(edge.from);
    const auto to = op_of_id.find(edge.to);
    if (from == op_of_id.end()) {
      r.fail(child(edge.path, "sourceId"),
             fmt::format("expected a node id, found unknown id {}", edge.from));
    }
    if (to == op_of_id.end()) {
      r.fail(child(edge.path, "destId"),
             fmt::format("expected a node id, found unknown id {}", edge.to));
    }
    if (from->second == to->second) {
      r.fail(edge.path, fmt::format("expected an edge between two different nodes, found a "
                                    "self-loop on node {}",
                                    edge.from));
    }
    if (const auto it = edge_index.find({from->second, to->second}); it != edge_index.end()) {
      r.fail(edge.path, fmt::format("duplicate edge {} -> {}, already given by edges[{}]",
                                    edge.from, edge.to, it->second));
    }
    edge_index.emplace(std::pair{from->second, to->second}, i);
    graph.add_edge(from->second, to->second, edge.bytes);
    Op& source = graph.mutable_op(from->second);
    source.activation_bytes = core::max(source.activation_bytes, edge.bytes);
  }
  reject_cycle(r, graph, edge_index);
}

}  // namespace

Model import_piper(const std::filesystem::path& path) {
  const std::string file = path.string();
  const json root = parse_json(import_detail::read_text_file(path, "Piper JSON input"), file);
  const JsonReader reader(file);
  reader.expect_object(
      root, "", {"maxMemoryPerDevice", "maxDevices", "mbsInBatch", "bandwidth", "nodes", "edges"});
  Model model;
  model.name = path.stem().string();
  model.dtype = core::Dtype::kFp32;
  model.piper = read_globals(reader, root);
  const std::vector<NodeInput> nodes = read_nodes(reader, root["nodes"]);
  const std::vector<EdgeInput> edges = read_edges(reader, root["edges"]);
  const auto op_of_id = add_ops(reader, nodes, model.graph);
  check_sync_keys(reader, nodes, op_of_id);
  add_edges(reader, edges, op_of_id, model.graph);
  return model;
}

}  // namespace gppsim::model
