#pragma once
// GraphPipe's per-stage figures (time per sample, memory) from the shared cost model, used by
// the graphpipe and exhaustive planners. Formulas and the link choice: sim/plan/graphpipe.md.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/units.h"
#include "sim/cost/communication.h"
#include "sim/hw/cluster.h"
#include "sim/model/op_graph.h"
#include "sim/plan/planner.h"

namespace gppsim::plan {

/// The power-of-two micro-batch sizes of settings.micro_batch_sizes that divide the mini-batch,
/// ascending and without duplicates (GraphPipe's candidates; others are ignored).
std::vector<std::int64_t> power_of_two_micro_batches(const PlanRequest& request);

/// What the estimator needs of a set of ops. Computed once per set by StageEstimator::load.
struct StageLoad {
  /// Σ (forward + backward) time of the ops on sizes()[i] samples, per entry of sizes().
  std::vector<core::Seconds> compute;
  core::Bytes parameter_bytes;            ///< Σ parameter bytes (weights at the model dtype)
  core::Bytes stashed_per_sample;         ///< Σ stashed bytes per sample
  core::Bytes boundary_per_sample;        ///< Σ bytes per sample of op edges with one end inside
  std::int64_t boundary_edges = 0;        ///< number of such edges
};

/// A stage's figures at one (micro-batch, devices, in-flight) point.
struct StageFigures {
  core::Seconds time_per_sample;  ///< TPS, see StageEstimator::time_per_sample
  core::Bytes memory;             ///< per device, see StageEstimator::memory
  bool fits = false;              ///< memory <= capacity()
};

/// Per-stage estimates for one plan request.
///
/// With b the micro-batch size, d the stage's data-parallel degree (s = b / d samples per
/// device), B the mini-batch, alpha / beta the latency / bandwidth of link():
///   TPS    = [Σ_op (fw + bw)(s) + Σ_boundary-edge 2 (alpha + bytes_per_sample · s / beta)] / b
///            + ring_allreduce(parameter bytes, d devices) / B
///   memory = parameter_bytes / element_size(dtype) · static_bytes_per_parameter(dtype, optimizer)
///            + in_flight · s · Σ stashed bytes per sample
/// (each boundary edge moves activations forward and gradients backward: two transfers).
/// link(): the intra-node link on a one-node cluster; with several nodes the slower of intra- and
/// inter-node (lower bandwidth, higher latency, taken separately), because stage placement is
/// unknown during the search and any stage or ring may cross the network. The all-reduce is
/// cost::ring_allreduce_time over devices 0..d-1 of a one-node topology whose links are link()
/// (its figures are link()'s, so no topology is built).
class StageEstimator {
 public:
  /// Tabulates every op's forward + backward time for s = 1, 2, 4, ... up to the largest
  /// power-of-two micro-batch candidate (1 when there is none). Keeps references to `request`.
  explicit StageEstimator(const PlanRequest& request);

  /// Per-device sample counts the estimator can evaluate (powers of two, ascending).
  [[nodiscard]] const std::vector<std::int64_t>& sizes() const { return sizes_; }
  /// The aggregate of `ops` (distinct ids of the request's model, any order).
  [[nodiscard]] StageLoad load(const std::vector<model::OpId>& ops) const;
  /// TPS of a stage; micro_batch / devices must be one of sizes().
  [[nodiscard]] core::Seconds time_per_sample(const StageLoad& load, std::int64_t micro_batch,
                                              int devices) const;
  /// The same with the all-reduce term given: `allreduce` must be
  /// allreduce_time(load.parameter_bytes, devices) (for callers that cache it across sizes).
  [[nodiscard]] core::Seconds time_per_sample(const StageLoad& load, std::int64_t micro_batch, int devices,
                                              core::Seconds allreduce) const;
  /// Per-device memory of a stage holding `in_flight` micro-batches of activations.
  [[nodiscard]] core::Bytes memory(const StageLoad& load, std::int64_t micro_batch, int devices,
                                   std::int64_t in_flight) const;
  /// Weights + gradients + optimizer state of a stage (the in_flight = 0 part of memory()).
  [[nodiscard]] core::Bytes static_memory(const StageLoad& load) const;
  /// The least device time per sample `load`'s ops can take at micro-batch b: min over degrees
  /// d = 1, 2, 4, ... <= min(b, devices()) of (fw + bw)(b / d) / (b / d). A stage graph of these
  /// ops on at most N devices has a slowest stage of TPS >= this / N (degrees sum to <= N).
  [[nodiscard]] double least_device_time(const StageLoad& load, std::int64_t micro_batch) const;
  /// Ring all-reduce time of `bytes` over `devices` devices joined by link().
  [[nodiscard]] core::Seconds allreduce_time(core::Bytes bytes, int devices) const;
  /// All figures at once.
  [[nodiscard]] StageFigures estimate(const std::vector<model::OpId>& ops, std::int64_t micro_batch,
                                      int devices, std::int64_t in_flight) const;

  /// Memory a device may use (request.memory_capacity()).
  [[nodiscard]] core::Bytes capacity() const { return capacity_; }
  /// The link all transfers and all-reduces are priced on (see the class comment).
  [[nodiscard]] const hw::LinkSpec& link() const { return link_; }
  /// Words for plan notes: which link and why.
  [[nodiscard]] std::string link_description() const;
  /// Number of devices of the cluster.
  [[nodiscard]] int devices() const { return devices_; }
  /// The request's mini-batch size.
  [[nodiscard]] std::int64_t mini_batch() const { return mini_batch_; }
  /// The request's op graph.
  [[nodiscard]] const model::OpGraph& graph() const { return *graph_; }

 private:
  [[nodiscard]] std::size_t size_index(std::int64_t samples) const;

  const model::OpGraph* graph_;
  std::int64_t mini_batch_;
  int devices_;
  int nodes_;
  core::Bytes capacity_;
  double static_per_weight_byte_;  ///< static bytes per byte of weights
  hw::LinkSpec link_;
  std::vector<std::int64_t> sizes_;
  std::vector<std::vector<core::Seconds>> op_compute_;  ///< [op][size index]
  std::vector<model::OpEdge> edges_;                    ///< graph_->edges(), cached
  std::vector<std::vector<std::uint32_t>> incident_;     ///< [op]: indices into edges_ of its edges
};

/// One stage of a planned stage graph before device ids are assigned.
struct PlannedStage {
  std::vector<model::OpId> ops;  ///< any order
  int devices = 1;               ///< data-parallel degree
};

/// The Strategy of planned stages: stage i is stages[i]; devices are numbered consecutively
/// from 0 in stage order (devices past the last stage stay idle); ops are sorted in the graph's
/// topological order; edges are derive_stage_edges'.
Strategy assemble_strategy(const model::OpGraph& graph, const std::vector<PlannedStage>& stages,
                           std::int64_t micro_batch, ScheduleKind schedule);

/// Micro-batches each stage keeps in flight under graph 1F1B with one micro-batch size:
/// min(longest path to a sink in stages, mini_batch / micro_batch).
std::vector<std::int64_t> in_flight_micro_batches(const Strategy& strategy, std::int64_t mini_batch);

/// A strategy's figures under the estimator.
struct StrategyFigures {
  core::Seconds objective;     ///< TPS of the slowest stage
  bool fits = true;            ///< every stage's memory <= capacity
  core::Bytes peak_memory;     ///< largest per-device memory of a stage
  int peak_stage = 0;          ///< the stage with that memory
};

/// Evaluates every stage of `strategy` (one micro-batch size, in-flight per
/// in_flight_micro_batches).
StrategyFigures evaluate_strategy(const StageEstimator& estimator, const Strategy& strategy);

}  // namespace gppsim::plan
