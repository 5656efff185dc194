#pragma once
// Readers of the scenario's sections; each records problems in the context's sink and returns
// what it could read. Internal to sim/config.

#include <optional>

#include "sim/config/scenario.h"
#include "sim/config/yaml_reader.h"
#include "sim/model/zoo.h"

namespace gppsim::config {

/// `model:` -> a built model (zoo, explicit graph, or import); nullopt after errors.
std::optional<model::Model> read_model_section(const YamlValue& value, core::Dtype dtype,
                                               const std::filesystem::path& base_dir,
                                               std::string* source);
/// `model.args:` for one zoo model.
std::optional<model::ZooArgs> read_zoo_args(const std::string& zoo, const std::optional<YamlValue>& args);
/// `model.graph:` -> an op graph.
std::optional<model::OpGraph> read_graph(const YamlValue& value, core::Dtype dtype);
/// `model.graph.edges:` added to `graph`; false after errors (unknown ops, loops, cycles).
bool read_graph_edges(const YamlValue& value, model::OpGraph* graph);
/// `cluster:` -> a cluster; a device profile path in `cluster.device` is relative to `base_dir`.
std::optional<hw::ClusterSpec> read_cluster(const YamlValue& value, const std::filesystem::path& base_dir);
/// `training:`.
std::optional<Training> read_training(const YamlValue& value);
/// `plan:`; micro-batch candidates are checked against the mini-batch when it is known.
std::optional<PlanSettings> read_plan(const YamlValue& value, std::optional<std::int64_t> mini_batch);

}  // namespace gppsim::config
