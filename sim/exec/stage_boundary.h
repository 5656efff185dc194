#pragma once
// Which tensors cross each stage edge, and how they are laid out in a message. A stage edge
// carries every op edge whose stage path (schedule::stage_path) uses it: the op edges between
// the two stages, and those a sequential pipeline forwards through intermediate stages
// (pass-through), exactly what the simulator charges bytes for (schedule::stage_edge_bytes).
// A message holds, op edge after op edge in ascending order, `rows` samples of each.

#include <cstddef>
#include <vector>

#include "sim/exec/buffer.h"
#include "sim/exec/exec_model.h"
#include "sim/plan/strategy.h"

namespace gppsim::exec {

/// The boundary tensors of every stage and stage edge of a strategy.
struct StageBoundary {
  std::vector<std::vector<std::size_t>> payload;    ///< per strategy edge index: op edges, ascending
  std::vector<std::vector<std::size_t>> in_edges;   ///< per stage: op edges arriving (incl. pass-through)
  std::vector<std::vector<std::size_t>> out_edges;  ///< per stage: op edges leaving (incl. pass-through)
  std::vector<int> stage_of;                        ///< per op

  /// Index into strategy.edges of the stage edge from -> to (must exist).
  [[nodiscard]] std::size_t edge_index(int from, int to) const;
  std::vector<std::pair<int, int>> edges;  ///< the strategy's stage edges
};

/// Derives the boundary of `strategy` on `model`.
StageBoundary make_stage_boundary(const plan::Strategy& strategy, const ExecModel& model);

/// Zero tensors of `rows` samples for each op edge of `op_edges`.
EdgeTensors allocate_edges(const ExecModel& model, const std::vector<std::size_t>& op_edges, std::size_t rows,
                           MemoryCounter& mem);
/// Floats in a message of `rows` samples of `op_edges`.
std::size_t payload_floats(const ExecModel& model, const std::vector<std::size_t>& op_edges, std::size_t rows);
/// Packs rows [row0, row0 + rows) of each of `op_edges` from `src` into one message in host
/// memory (`mem`'s device must be the CPU; the tensors may be on any device).
Buffer pack(const ExecModel& model, const std::vector<std::size_t>& op_edges, const EdgeTensors& src,
            std::size_t row0, std::size_t rows, MemoryCounter& mem);
/// Unpacks a message (host memory) of `rows` samples into rows [row0, row0 + rows) of `dst`'s tensors.
void unpack(const ExecModel& model, const std::vector<std::size_t>& op_edges, const float* message, std::size_t rows,
            EdgeTensors& dst, std::size_t row0);
/// Copies rows [src_row0, + rows) of `src` to rows [dst_row0, + rows) of `dst` for `op_edges`.
void copy_rows(const std::vector<std::size_t>& op_edges, const EdgeTensors& src, std::size_t src_row0,
               EdgeTensors& dst, std::size_t dst_row0, std::size_t rows);

}  // namespace gppsim::exec
