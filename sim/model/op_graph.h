#pragma once
// The operator graph of a DNN: a DAG of Ops whose edges carry the tensor sent per sample.
// Boost.Graph (adjacency_list with bundled properties) lives behind this API; callers never
// see Boost types.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "sim/core/units.h"
#include "sim/model/op.h"

namespace gppsim::model {

/// Index of an op in its OpGraph: dense, 0..num_ops()-1, in insertion order.
using OpId = std::size_t;

/// An edge from `from` to `to` carrying `bytes` per sample.
struct OpEdge {
  OpId from = 0;
  OpId to = 0;
  core::Bytes bytes;
};

/// A DAG of operators. Op names are unique. Insertion order defines OpIds and every iteration
/// order, so equal construction gives equal graphs and deterministic outputs.
class OpGraph {
 public:
  /// Adds an op; its name must be new (callers report duplicates as input errors first).
  OpId add_op(Op op);
  /// Adds an edge; both ends must exist, differ, and not already be connected.
  void add_edge(OpId from, OpId to, core::Bytes bytes_per_sample);

  [[nodiscard]] std::size_t num_ops() const;
  [[nodiscard]] std::size_t num_edges() const;
  [[nodiscard]] const Op& op(OpId id) const;
  [[nodiscard]] Op& mutable_op(OpId id);
  /// The op with this name, if any.
  [[nodiscard]] std::optional<OpId> find(std::string_view name) const;
  [[nodiscard]] bool has_edge(OpId from, OpId to) const;

  /// Successors / predecessors in edge insertion order.
  [[nodiscard]] std::vector<OpId> successors(OpId id) const;
  [[nodiscard]] std::vector<OpId> predecessors(OpId id) const;
  /// All edges in insertion order of their source op, then of the edge.
  [[nodiscard]] std::vector<OpEdge> edges() const;
  /// Ops without predecessors / successors, ascending.
  [[nodiscard]] std::vector<OpId> sources() const;
  [[nodiscard]] std::vector<OpId> sinks() const;

  /// A cycle as a list of ops (first == last), or nullopt when the graph is a DAG.
  [[nodiscard]] std::optional<std::vector<OpId>> find_cycle() const;
  /// Kahn's order, smallest ready OpId first (deterministic). The graph must be a DAG.
  [[nodiscard]] std::vector<OpId> topological_order() const;

 private:
  struct EdgeData {
    core::Bytes bytes;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Op, EdgeData>;
  Graph g_;
  std::unordered_map<std::string, OpId> by_name_;
};

}  // namespace gppsim::model
