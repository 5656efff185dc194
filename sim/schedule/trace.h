#pragma once
// What an executor reports about one iteration of a TaskGraph: when each task ran and how much
// memory each device needed. The simulator and the real backend both produce it, so comparing
// a prediction with a measurement is a diff of two Traces.

#include <cstdint>
#include <vector>

#include "sim/core/time.h"
#include "sim/core/units.h"

namespace gppsim::schedule {

/// Start and end of one task, from the iteration's start.
struct TaskTiming {
  core::Time start;
  core::Time end;
};

/// One executed iteration.
struct Trace {
  std::vector<TaskTiming> tasks;            ///< indexed by TaskId
  std::vector<core::Bytes> peak_memory;     ///< per device: static + the highest dynamic level
  std::vector<core::Bytes> static_memory;   ///< per device: weights, gradients, optimizer state
  std::uint64_t events = 0;                 ///< events the executor processed

  /// The iteration time: the latest task end.
  [[nodiscard]] core::Time makespan() const {
    core::Time t;
    for (const auto& x : tasks) t = x.end > t ? x.end : t;
    return t;
  }
};

}  // namespace gppsim::schedule
