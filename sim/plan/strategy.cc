#include "sim/plan/strategy.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::plan {
namespace {

void check_stage(const Strategy& s, int stage) {
  GPPSIM_CHECK(stage >= 0 && stage < static_cast<int>(s.stages.size()),
               fmt::format("stage {} out of range [0, {})", stage, s.stages.size()));
}

/// Longest path from each stage to a sink, in stages and counting the stage itself.
std::vector<int> paths_to_sink(const Strategy& s) {
  const std::vector<int> order = s.topological_order();
  // Reverse topological order visits every successor before its predecessors.
  std::vector<int> length(s.stages.size(), 1);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const int t : s.successors(*it)) length[*it] = std::max(length[*it], length[t] + 1);
  }
  return length;
}

}  // namespace

std::string_view to_string(PlannerKind kind) {
  switch (kind) {
    case PlannerKind::kGraphPipe: return "graphpipe";
    case PlannerKind::kPipeDream: return "pipedream";
    case PlannerKind::kPiper: return "piper";
    case PlannerKind::kExhaustive: return "exhaustive";
    case PlannerKind::kManual: return "manual";
  }
  GPPSIM_CHECK(false, fmt::format("unknown PlannerKind {}", static_cast<int>(kind)));
}

std::string_view to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kGpipe: return "gpipe";
    case ScheduleKind::kOneFOneB: return "1f1b";
    case ScheduleKind::kInterleaved1F1B: return "interleaved-1f1b";
    case ScheduleKind::kZbH1: return "zb-h1";
  }
  GPPSIM_CHECK(false, fmt::format("unknown ScheduleKind {}", static_cast<int>(kind)));
}

std::vector<int> Strategy::successors(int stage) const {
  check_stage(*this, stage);
  std::vector<int> out;
  for (const auto& [from, to] : edges) {
    if (from == stage) out.push_back(to);
  }
  return out;
}

std::vector<int> Strategy::predecessors(int stage) const {
  check_stage(*this, stage);
  std::vector<int> out;
  for (const auto& [from, to] : edges) {
    if (to == stage) out.push_back(from);
  }
  return out;
}

std::vector<int> Strategy::topological_order() const {
  const int n = static_cast<int>(stages.size());
  std::vector<int> indegree(n, 0);
  for (const auto& [from, to] : edges) {
    check_stage(*this, from);
    check_stage(*this, to);
    ++indegree[to];
  }
  // A min-heap gives the documented tie-break: smallest ready id first.
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int v = 0; v < n; ++v) {
    if (indegree[v] == 0) ready.push(v);
  }
  std::vector<int> order;
  order.reserve(stages.size());
  while (!ready.empty()) {
    const int v = ready.top();
    ready.pop();
    order.push_back(v);
    for (const int t : successors(v)) {
      if (--indegree[t] == 0) ready.push(t);
    }
  }
  GPPSIM_CHECK(static_cast<int>(order.size()) == n, "the stage graph has a cycle");
  return order;
}

int Strategy::longest_path_to_sink(int stage) const {
  check_stage(*this, stage);
  return paths_to_sink(*this)[stage];
}

std::vector<int> Strategy::longest_paths_to_sink() const { return paths_to_sink(*this); }

int Strategy::depth() const {
  const std::vector<int> length = paths_to_sink(*this);
  return length.empty() ? 0 : *std::max_element(length.begin(), length.end());
}

std::vector<std::pair<int, int>> derive_stage_edges(const model::OpGraph& graph, const std::vector<int>& stage_of) {
  GPPSIM_CHECK(stage_of.size() == graph.num_ops(),
               fmt::format("stage_of has {} entries for {} ops", stage_of.size(), graph.num_ops()));
  std::set<std::pair<int, int>> unique;
  for (const model::OpEdge& e : graph.edges()) {
    const int from = stage_of[e.from];
    const int to = stage_of[e.to];
    if (from != to) unique.emplace(from, to);
  }
  return {unique.begin(), unique.end()};
}

}  // namespace gppsim::plan
