#pragma once
// Schedule generators: the order in which each device set ("lane") runs its compute slots
// (forward F, backward B, weight-gradient W of each micro-batch of each of its stages).
// Pure functions of the stage graph's shape; definitions in ../shared/reference/METHODS.md §2
// and §5. Lowering turns a Schedule into a TaskGraph.

#include <cstdint>
#include <vector>

#include "sim/plan/strategy.h"

namespace gppsim::schedule {

/// Compute phases. Without a split backward (every schedule but ZB-H1) B is the whole
/// backward and no W slot exists.
enum class Phase { kForward, kBackward, kWeightGrad };

/// One slot: run `phase` of micro-batch `micro_batch` (0-based, counted in the stage's own
/// micro-batches of Stage::micro_batch_size samples) of stage `stage`.
struct Slot {
  int stage = 0;
  Phase phase = Phase::kForward;
  std::int64_t micro_batch = 0;
  friend bool operator==(const Slot&, const Slot&) = default;
};

/// The compute order of every lane. A lane is one stage, except under interleaved 1F1B where
/// lane g holds the chunks (stages) g, g + p, g + 2p, ... on the same devices.
struct Schedule {
  std::vector<std::vector<Slot>> lanes;
  std::vector<int> lane_of_stage;                     ///< indexed by stage id
  std::vector<std::int64_t> micro_batches;            ///< per stage: mini_batch / micro_batch_size
  std::vector<std::int64_t> in_flight_micro_batches;  ///< per stage: most F done whose B is not
};

/// Per-stage micro-batch counts: mini_batch / stage.micro_batch_size (each must divide).
std::vector<std::int64_t> micro_batch_counts(const plan::Strategy& s, std::int64_t mini_batch);

/// Warm-up depth of each stage under graph 1F1B (METHODS §2's in-flight rule, in micro-batches
/// of the stage): with equal sizes 1 + the longest path (in stages) to a sink; with per-stage
/// sizes n_s = max over successors t of (n_t + max(b_s, b_t)), n_sink = b_sink, divided by b_s
/// and rounded up. Capped at the stage's micro-batch count.
std::vector<std::int64_t> warmup_micro_batches(const plan::Strategy& s, std::int64_t mini_batch);

/// The schedule of `s` for one iteration of `mini_batch` samples, by s.schedule:
///  - gpipe: all F in order, then all B in order;
///  - 1f1b: warm-up F (warmup_micro_batches), then alternate B and F, then the remaining B;
///  - zb-h1: 1F1B's order with each backward split into B then W, W deferred to fill bubbles
///    as in Zero Bubble's ZB-H1 (same in-flight memory as 1F1B);
///  - interleaved-1f1b: Megatron's interleaved order on a chain of p * v stages where stage s
///    runs on lane s mod p (p = number of distinct device sets); the micro-batch count must be
///    a multiple of p.
Schedule make_schedule(const plan::Strategy& s, std::int64_t mini_batch);

}  // namespace gppsim::schedule
