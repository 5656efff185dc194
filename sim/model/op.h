#pragma once
// One operator of a DNN: what it computes per sample, what it stores, the GEMMs it runs.
// Granularity used by the zoo: one Op per attention block, per linear / feed-forward layer, per
// embedding bag, per concat, plus a zero-cost `input` source where a model has several branches.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/units.h"

namespace gppsim::model {

/// What an operator does. A closed set; `kProfiled` is an op known only by measured times.
enum class OpKind { kInput, kLinear, kAttention, kEmbeddingBag, kConcat, kProfiled };

/// Lower-case name of a kind ("linear", "attention", ...).
std::string_view to_string(OpKind kind);
/// Parses a kind name; nullopt when unknown.
std::optional<OpKind> parse_op_kind(std::string_view name);

/// Which GEMM dimension grows with the micro-batch size b.
enum class BatchDim { kM, kBatch };

/// One (possibly batched) GEMM C[m x n] = A[m x k] B[k x n], `batch` times, as it runs on one
/// sample. At micro-batch b the dimension named by `scales` is multiplied by b, so the cost
/// model sees the shape a kernel really gets (and its efficiency) at each micro-batch size.
struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;
  BatchDim scales = BatchDim::kM;

  /// The shape at micro-batch size b.
  [[nodiscard]] GemmShape at_micro_batch(std::int64_t b) const;
  /// 2 m n k batch.
  [[nodiscard]] core::Flops flops() const;
  friend bool operator==(const GemmShape&, const GemmShape&) = default;
};

/// Times measured by a profiler (imported profiles, the synthetic `chain`): the cost model uses
/// them as they are, times the micro-batch size, with no launch overhead.
struct MeasuredTimes {
  core::Seconds forward_per_sample;
  core::Seconds backward_per_sample;
};

/// Per-op data that only the Piper planner reads (tensor-parallel options of Piper's JSON).
struct PiperOption {
  std::string id;                 ///< "vanilla", "activation recomp", ...
  double time_per_sample = 0.0;   ///< fw + bw, seconds per sample as Piper reads it
  core::Bytes parameter_bytes;    ///< w
  core::Bytes memory_a;           ///< memory = a * ceil(s / d) + b
  core::Bytes memory_b;
  std::map<std::int64_t, double> sync_time_fw;  ///< keyed as in the JSON (a node id)
  std::map<std::int64_t, double> sync_time_bw;
};

/// Piper's options of one op for one tensor-parallel degree.
struct PiperTmpc {
  int tensor_degree = 1;
  std::vector<PiperOption> options;
};

/// An operator. All per-sample quantities are for one sample of the mini-batch.
struct Op {
  std::string name;
  OpKind kind = OpKind::kProfiled;
  core::Flops forward_flops;          ///< per sample
  core::Flops backward_flops;         ///< per sample (input + weight gradients)
  core::Bytes bytes_read;             ///< per sample, activations only (weights: parameter_bytes)
  core::Bytes bytes_written;          ///< per sample
  std::int64_t parameters = 0;        ///< number of trainable scalars
  core::Bytes parameter_bytes;        ///< weights at the training dtype
  core::Bytes activation_bytes;       ///< output activation per sample (what a next stage receives)
  core::Bytes stashed_bytes;          ///< kept from forward until backward, per sample
  std::vector<GemmShape> gemms;       ///< forward GEMMs per sample
  std::optional<MeasuredTimes> measured;
  std::vector<PiperTmpc> piper;       ///< only for ops imported from Piper JSON
  std::string description;  ///< free text from an imported profile (PipeDream's layer description)
};

}  // namespace gppsim::model
