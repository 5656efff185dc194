#pragma once
// The input and output of the Piper dynamic programme (../shared/reference/METHODS.md §4,
// github.com/msr-fiddle/piper algo.cpp) in the planner's own terms: nodes with per-layer
// options (Piper's TMPCs), edges with bytes, and the problem-level numbers K, N, M, β.
// sim/plan/piper.md explains how a gppsim Model maps onto it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/core/units.h"

namespace gppsim::plan {

/// One way to run one node (Piper's TMPC): on `tensor_degree` devices, with or without
/// activation recomputation. All per-"sample" figures count Piper's unit of work (a sample of
/// the JSON inputs; one micro-batch for zoo models, see piper.md).
struct PiperNodeOption {
  std::string id = "vanilla";     ///< "vanilla", "activation recomp", ...
  int tensor_degree = 1;          ///< >= 1
  core::Seconds time_per_sample;  ///< p: forward + backward compute
  core::Bytes parameter_bytes;    ///< w: only enters the data-parallel resync cost
  core::Bytes memory_a;           ///< memory = a * ceil(s / d) + b per device
  core::Bytes memory_b;
  /// Extra bytes Piper adds to an incoming edge (syncTimeFw), keyed by the predecessor's node
  /// index; a missing key counts 0.
  std::map<std::size_t, core::Bytes> sync_in;
  /// Extra bytes added to an outgoing edge (syncTimeBw), keyed by the successor's node index.
  std::map<std::size_t, core::Bytes> sync_out;
};

/// A directed edge from node `from` to node `to` carrying `bytes` per sample (Piper's c(u, v)).
struct PiperEdge {
  std::size_t from = 0;
  std::size_t to = 0;
  core::Bytes bytes;
};

/// One Piper instance. Nodes are 0..options.size()-1 and must form a DAG with `edges`.
struct PiperProblem {
  std::vector<std::vector<PiperNodeOption>> options;  ///< per node, every tensor degree
  std::vector<PiperEdge> edges;
  int devices = 1;                 ///< K, >= 1
  int micro_batches = 1;           ///< N (mbsInBatch), >= 1; data-parallel degrees divide it
  core::Bytes memory_per_device;   ///< M
  core::BytesPerSecond bandwidth;  ///< β, > 0
  /// When > 0, data-parallel degrees must divide it as well (gppsim splits each micro-batch of
  /// this many samples across a stage's devices); 0 leaves Piper's rule d | N alone.
  std::int64_t data_degree_divisor = 0;
  std::int64_t max_downsets = 40000;  ///< give up when the DAG has more downsets than this
  /// false (default): tensor degree 1 and the "vanilla" option only (GraphPipe's comparison
  /// setting, solved by the fast 1-D DP). true: every tensor degree and option, per-layer
  /// options picked by Piper's knapsack heuristic (the full 2-D DP).
  bool all_options = false;
};

/// One stage of a Piper plan.
struct PiperStage {
  std::vector<std::size_t> nodes;       ///< ascending node index
  int data_degree = 1;                  ///< d
  int tensor_degree = 1;                ///< t; the stage uses t * d devices
  std::vector<std::string> option_ids;  ///< parallel to `nodes`
  core::Seconds time_per_sample;        ///< this stage's TPS at its in-flight bound
};

/// How a solve ended.
enum class PiperStatus { kOk, kInfeasible, kTooManyDownsets };

/// The DP's answer. Stages are in pipeline order: stages[0] holds the sources.
struct PiperSolution {
  PiperStatus status = PiperStatus::kInfeasible;
  core::Seconds time_per_sample;  ///< TPS of the slowest stage (Piper's objective)
  std::vector<PiperStage> stages;
  std::int64_t num_downsets = 0;  ///< counted up to max_downsets + 1
  std::int64_t num_pairs = 0;     ///< (D, D') pairs the DP visited
};

/// Solves `problem` with Piper's DP: min over sequential partitions into downset differences
/// and per-stage degrees of the slowest stage's TPS (definition in piper.md). Returns
/// kTooManyDownsets as soon as the enumeration passes problem.max_downsets, kInfeasible when no
/// partition fits memory. Throws core::PlanError when the graph has a cycle or a node lacks the
/// options the mode needs, InternalError on a broken invariant.
PiperSolution solve_piper(const PiperProblem& problem);

/// Data-parallel degrees the DP may use: 1 <= d <= min(K, N), d | N and, when the divisor is
/// set, d | data_degree_divisor; ascending.
std::vector<int> allowed_data_degrees(const PiperProblem& problem);

}  // namespace gppsim::plan
