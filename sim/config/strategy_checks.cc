#include "sim/config/strategy_checks.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace gppsim::config {
namespace {

std::string list_names(const std::vector<model::OpId>& ops, const model::OpGraph& g) {
  std::string out;
  for (std::size_t i = 0; i < ops.size() && i < 8; ++i) out += (i ? ", " : "") + g.op(ops[i]).name;
  if (ops.size() > 8) out += fmt::format(", ... ({} in all)", ops.size());
  return out;
}

std::string list_edges(const std::vector<std::pair<int, int>>& edges) {
  std::string out;
  for (const auto& [a, b] : edges) out += fmt::format("{}[{}, {}]", out.empty() ? "" : ", ", a, b);
  return "[" + out + "]";
}

// Assigns every op to its stage; reports ops in two stages and ops in none.
std::vector<int> check_partition(plan::Strategy* s, const std::vector<YamlValue>& where, const YamlValue& top,
                                 const model::OpGraph& g) {
  std::vector<int> stage_of(g.num_ops(), -1);
  for (auto& st : s->stages) {
    for (const auto op : st.ops) {
      if (stage_of[op] >= 0) {
        where[static_cast<std::size_t>(st.id)].error(
            fmt::format("op \"{}\" is already in stage {}; ops must partition the model", g.op(op).name, stage_of[op]));
      }
      stage_of[op] = st.id;
    }
  }
  std::vector<model::OpId> missing;
  for (model::OpId op = 0; op < g.num_ops(); ++op) {
    if (stage_of[op] < 0) missing.push_back(op);
  }
  if (!missing.empty()) top.error(fmt::format("expected every op of the model in a stage; not in any stage: {}", list_names(missing, g)));
  // Stage ops in the graph's topological order, whatever order the file listed them in.
  std::vector<std::size_t> rank(g.num_ops());
  const auto order = g.topological_order();
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  for (auto& st : s->stages) std::sort(st.ops.begin(), st.ops.end(), [&](auto a, auto b) { return rank[a] < rank[b]; });
  return stage_of;
}

bool reaches(const plan::Strategy& s, int from, int to) {
  std::vector<int> stack{from};
  std::vector<bool> seen(s.stages.size(), false);
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    if (v == to) return true;
    for (const auto& [a, b] : s.edges) {
      if (a == v && !seen[static_cast<std::size_t>(b)]) {
        seen[static_cast<std::size_t>(b)] = true;
        stack.push_back(b);
      }
    }
  }
  return false;
}

// Explicit edges may add stage edges (a sequential pipeline's chain), as long as every op edge
// across stages has a stage path to travel: tensors are forwarded along it.
bool check_given_edges(const plan::Strategy& s, const std::vector<std::pair<int, int>>& derived, const YamlValue& at) {
  const int n = static_cast<int>(s.stages.size());
  for (const auto& [a, b] : s.edges) {
    if (a >= n || b >= n || a == b) {
      at.error(fmt::format("expected edges between two different stages 0..{}, found [{}, {}]", n - 1, a, b));
      return false;
    }
  }
  for (const auto& [a, b] : derived) {
    if (!reaches(s, a, b)) {
      at.error(fmt::format("expected stage edges that connect every op edge across stages; the op graph needs a "
                           "path from stage {} to stage {} (implied edges {}), found {}", a, b, list_edges(derived),
                           list_edges(s.edges)));
      return false;
    }
  }
  return true;
}

void check_acyclic(const plan::Strategy& s, const YamlValue& top) {
  std::vector<int> indegree(s.stages.size(), 0);
  for (const auto& e : s.edges) ++indegree[static_cast<std::size_t>(e.second)];
  std::vector<int> ready;
  for (std::size_t i = 0; i < indegree.size(); ++i) {
    if (indegree[i] == 0) ready.push_back(static_cast<int>(i));
  }
  std::size_t seen = 0;
  while (!ready.empty()) {
    const int v = ready.back();
    ready.pop_back();
    ++seen;
    for (const auto& e : s.edges) {
      if (e.first == v && --indegree[static_cast<std::size_t>(e.second)] == 0) ready.push_back(e.second);
    }
  }
  if (seen == s.stages.size()) return;
  std::string stuck;
  for (std::size_t i = 0; i < indegree.size(); ++i) {
    if (indegree[i] > 0) stuck += (stuck.empty() ? "" : ", ") + std::to_string(i);
  }
  top.error(fmt::format("expected an acyclic stage graph of convex stages; stages {} form a cycle (a stage whose "
                        "ops are not convex, or two stages that feed each other)", stuck));
}

void check_micro_batches(const plan::Strategy& s, const std::vector<YamlValue>& where, std::int64_t mini_batch) {
  for (const auto& st : s.stages) {
    const auto& at = where[static_cast<std::size_t>(st.id)];
    const auto dp = static_cast<std::int64_t>(st.devices.size());
    if (mini_batch % st.micro_batch_size != 0) {
      at.error(fmt::format("expected a micro_batch_size dividing training.mini_batch = {}, found {}", mini_batch,
                           st.micro_batch_size));
    } else if (dp > 0 && st.micro_batch_size % dp != 0) {
      at.error(fmt::format("expected a micro_batch_size divisible by the stage's {} devices (data parallelism "
                           "splits each micro-batch), found {}", dp, st.micro_batch_size));
    }
  }
}

void check_disjoint_devices(const plan::Strategy& s, const std::vector<YamlValue>& where) {
  std::map<hw::DeviceId, int> owner;
  for (const auto& st : s.stages) {
    for (const auto d : st.devices) {
      const auto [it, fresh] = owner.emplace(d, st.id);
      if (!fresh) {
        where[static_cast<std::size_t>(st.id)].error(fmt::format(
            "device {} is already used by stage {}; device sets must be disjoint (except under interleaved-1f1b)", d,
            it->second));
      }
    }
  }
}

// Interleaved 1F1B: a chain whose stage s runs on the device set of stage s mod p.
void check_interleaved(const plan::Strategy& s, const YamlValue& top, std::int64_t mini_batch) {
  std::vector<std::vector<hw::DeviceId>> lanes;
  for (const auto& st : s.stages) {
    if (std::find(lanes.begin(), lanes.end(), st.devices) == lanes.end()) lanes.push_back(st.devices);
  }
  const std::size_t p = lanes.size();
  bool ok = s.stages.size() % p == 0;
  for (std::size_t i = 0; ok && i < s.stages.size(); ++i) {
    ok = s.stages[i].devices == lanes[i % p] && s.stages[i].micro_batch_size == s.stages[0].micro_batch_size;
  }
  std::vector<std::pair<int, int>> chain;
  for (std::size_t i = 0; i + 1 < s.stages.size(); ++i) chain.emplace_back(static_cast<int>(i), static_cast<int>(i) + 1);
  if (!ok || s.edges != chain) {
    top.error(fmt::format("expected for interleaved-1f1b a chain of p x v stages of one micro-batch size, stage s on "
                          "the devices of stage s mod p ({} distinct device sets here)", p));
    return;
  }
  const std::int64_t m = mini_batch / s.stages[0].micro_batch_size;
  if (m % static_cast<std::int64_t>(p) != 0) {
    top.error(fmt::format("expected for interleaved-1f1b a number of micro-batches divisible by the {} device "
                          "groups, found {}", p, m));
  }
}

}  // namespace

void check_strategy(plan::Strategy* s, const std::vector<YamlValue>& stage_where, const YamlValue& top,
                    const std::optional<std::vector<std::pair<int, int>>>& given_edges,
                    const std::optional<YamlValue>& edges_where, const Scenario& sc) {
  const auto stage_of = check_partition(s, stage_where, top, sc.model.graph);
  if (std::find(stage_of.begin(), stage_of.end(), -1) != stage_of.end()) return;
  const auto derived = plan::derive_stage_edges(sc.model.graph, stage_of);
  s->edges = derived;
  if (given_edges) {
    s->edges = *given_edges;
    if (!check_given_edges(*s, derived, *edges_where)) return;
  }
  check_acyclic(*s, top);
  check_micro_batches(*s, stage_where, sc.training.mini_batch);
  if (s->schedule == plan::ScheduleKind::kInterleaved1F1B) {
    check_interleaved(*s, top, sc.training.mini_batch);
  } else {
    check_disjoint_devices(*s, stage_where);
  }
}

}  // namespace gppsim::config
