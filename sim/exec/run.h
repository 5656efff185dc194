#pragma once
// The real backend's entry points: run a lowered plan on the MPI ranks of the job (one rank per
// device), and the single-rank reference its numerics are checked against.

#include <map>
#include <string>
#include <vector>

#include "sim/exec/exec_model.h"
#include "sim/exec/stage_runner.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/task_graph.h"
#include "sim/schedule/trace.h"

namespace gppsim::exec {

/// How `run_on_ranks` runs.
struct ExecOptions {
  TrainingSetup setup;
  int warmup = 1;            ///< iterations run first and not measured (they do update weights)
  int iterations = 3;        ///< measured iterations
  bool collect_weights = false;
  /// Where this rank computes (null: the CPU); must outlive the run.
  Device* device = nullptr;
};

/// The weights one device holds for one stage after the run, per op name.
struct StageWeights {
  int stage = 0;
  int device = 0;
  std::map<std::string, std::vector<float>> ops;
};

/// What a run measured; filled on rank 0 only (`root`).
struct ExecResult {
  bool root = false;
  schedule::Trace trace;                  ///< the measured iteration of median makespan
  std::vector<double> iteration_times_s;  ///< every measured iteration, in order
  std::vector<StageWeights> weights;      ///< with collect_weights: every (stage, device)
};

/// Runs `tasks` (lowered from `strategy` on `model`) on the ranks of MPI_COMM_WORLD; rank r is
/// device r, and the world size must equal tasks.num_devices() (core::ConfigError otherwise,
/// on every rank). Collective: every rank calls it with the same inputs. Per-task times are on
/// rank 0's clock (offsets estimated by ping-pong), from the iteration's start (a barrier).
ExecResult run_on_ranks(const model::Model& model, const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                        const ExecOptions& options);

/// The single-rank reference: every op of the model in one stage on one device (the CPU unless
/// given), the whole mini-batch as one micro-batch, `iterations` optimizer steps. Returns each
/// op's weights.
std::map<std::string, std::vector<float>> reference_weights(const model::Model& model, const TrainingSetup& setup,
                                                            int iterations, Device& device = cpu_device());

}  // namespace gppsim::exec
