#pragma once
// Importers of published per-layer profiles (formats in ../shared/data/README.md).
// Errors are core::ConfigError naming the file and line (PipeDream) or JSON path (Piper).

#include <filesystem>

#include "sim/model/model.h"

namespace gppsim::model {

/// Reads a PipeDream profiler graph.txt. Node times (ms for the profiled batch) become
/// MeasuredTimes per sample by dividing by `profile_batch_size`; activation_size becomes each
/// op's activation_bytes (and every out-edge's bytes) per sample likewise; parameter_size is
/// parameter_bytes (fp32, so parameters = bytes / 4). Ops are named by their node id ("node4").
Model import_pipedream(const std::filesystem::path& path, int profile_batch_size);

/// Reads a Piper JSON input. Each node becomes an op named by its `name` (made unique with its
/// id when names repeat) carrying all its TMPCs; the tensor-degree-1 "vanilla" option gives its
/// MeasuredTimes (timePerSample split 1:2 into forward and backward) and parameter bytes; edges
/// carry communicationCost bytes. The top-level fields become Model::piper.
Model import_piper(const std::filesystem::path& path);

}  // namespace gppsim::model
