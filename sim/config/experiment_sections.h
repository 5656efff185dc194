#pragma once
// Readers of an experiment's shared sections. Internal to sim/config.

#include "sim/config/experiment_file.h"
#include "sim/config/yaml_reader.h"

namespace gppsim::config {

/// name, cluster, training, micro_batch_sizes, models and mini_batch of an experiment.
void read_experiment_basics(const YamlMap& top, Experiment* exp);

}  // namespace gppsim::config
