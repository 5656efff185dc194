#pragma once
// The Piper-style planner (../shared/reference/METHODS.md §4): Piper's DP over downsets with
// pipeline and data parallelism (tensor degree 1, "vanilla" layers: GraphPipe's comparison
// setting), reproducing the published planner github.com/msr-fiddle/piper algo.cpp.
// Scenario mapping, formulas and deviations: sim/plan/piper.md.

#include "sim/plan/planner.h"

namespace gppsim::plan {

/// Plans a sequential pipeline with Piper's DP.
///
/// - Piper JSON models (Model::piper set): N = mbsInBatch of the file, micro-batch size
///   b = mini_batch / N; the file's per-layer figures are used as they are. objective_s is
///   Piper's time per sample of the slowest stage.
/// - Other models: for each b in settings.micro_batch_sizes dividing the mini-batch, a problem
///   in units of one micro-batch built from request.op_cost (piper_model.h), N = mini_batch / b;
///   the b with the lowest time per sample wins (the first on ties). objective_s is the
///   slowest stage's time per micro-batch divided by b.
/// - Both: K = cluster devices, M = request.memory_capacity(), β = piper_bandwidth(cluster);
///   data-parallel degrees d divide N (Piper) and b (a gppsim stage splits each micro-batch
///   over its devices); a note reports degrees that the second rule removed.
/// - More than settings.max_downsets downsets: feasible = false, reason "Piper gave up: more
///   than N downsets (K branches)", decided by an enumeration that stops at the cap.
class PiperPlanner final : public Planner {
 public:
  /// See the class comment. Infeasibility and giving up are answers; a malformed model (a
  /// Piper import with an op lacking options) throws core::PlanError.
  [[nodiscard]] PlanResult plan(const PlanRequest& request) const override;
};

}  // namespace gppsim::plan
