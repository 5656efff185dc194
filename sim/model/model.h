#pragma once
// A model: its operator graph plus what gppsim needs to know about where it came from.

#include <optional>
#include <string>

#include "sim/core/dtype.h"
#include "sim/core/units.h"
#include "sim/model/op_graph.h"

namespace gppsim::model {

/// Problem-level settings carried by a Piper JSON input (see ../shared/data/README.md).
struct PiperGlobals {
  core::Bytes max_memory_per_device;
  int max_devices = 0;
  int micro_batches_in_batch = 0;  ///< mbsInBatch, N
  core::BytesPerSecond bandwidth;
};

/// A DNN ready to plan: a named op graph at a training dtype.
struct Model {
  std::string name;
  OpGraph graph;
  core::Dtype dtype = core::Dtype::kFp32;
  std::optional<PiperGlobals> piper;  ///< set only for Piper imports
};

}  // namespace gppsim::model
