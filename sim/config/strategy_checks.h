#pragma once
// Semantic checks of a strategy read from strategy.yaml. Internal to sim/config.

#include <optional>
#include <utility>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/config/yaml_reader.h"
#include "sim/plan/strategy.h"

namespace gppsim::config {

/// Checks `s` against the scenario, records problems at the stage (`stage_where[i]`), the edges
/// or the file's top, sorts each stage's ops topologically and fills s->edges.
void check_strategy(plan::Strategy* s, const std::vector<YamlValue>& stage_where, const YamlValue& top,
                    const std::optional<std::vector<std::pair<int, int>>>& given_edges,
                    const std::optional<YamlValue>& edges_where, const Scenario& sc);

}  // namespace gppsim::config
