#pragma once
// A scenario: what to train (model), where (cluster), how (training), and how to plan it.
// Loaded from YAML by load_scenario; configs/README.md documents every key.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/hw/cluster.h"
#include "sim/model/model.h"
#include "sim/model/summary.h"
#include "sim/plan/settings.h"
#include "sim/plan/strategy.h"

namespace gppsim::config {

using plan::PlannerKind;
using plan::ScheduleKind;

/// Training settings.
struct Training {
  std::int64_t mini_batch = 0;  ///< samples per iteration
  core::Dtype dtype = core::Dtype::kFp32;
  model::Optimizer optimizer = model::Optimizer::kAdam;
};

using plan::PlanSettings;

/// A fully validated scenario.
struct Scenario {
  std::filesystem::path file;  ///< the YAML it came from
  std::string name;
  std::string model_source;    ///< "zoo mmt", "import pipedream vgg16.txt", "graph"
  model::Model model;
  hw::ClusterSpec cluster;
  Training training;
  PlanSettings plan;
};

/// Loads and validates a scenario. Throws core::ConfigError listing every problem found, each
/// with file, line:column and YAML path. Relative paths inside resolve against the file's folder.
Scenario load_scenario(const std::filesystem::path& file);

}  // namespace gppsim::config
