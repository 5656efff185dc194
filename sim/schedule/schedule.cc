#include "sim/schedule/schedule.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "sim/core/check.h"

// Definitions and closed forms of every order built here: README.md in this folder.

namespace gppsim::schedule {
namespace {

using Lane = std::vector<Slot>;

Slot slot(int stage, Phase phase, std::int64_t micro_batch) { return Slot{stage, phase, micro_batch}; }

/// GPipe: every forward, then every backward, both in micro-batch order.
Lane gpipe_lane(int stage, std::int64_t m) {
  Lane lane;
  for (std::int64_t j = 0; j < m; ++j) lane.push_back(slot(stage, Phase::kForward, j));
  for (std::int64_t j = 0; j < m; ++j) lane.push_back(slot(stage, Phase::kBackward, j));
  return lane;
}

/// 1F1B with `warmup` warm-up forwards: then B_k (followed by W_(k - defer) when `split`) and
/// the next forward while forwards remain; a split backward ends with the deferred W's.
Lane one_f_one_b_lane(int stage, std::int64_t m, std::int64_t warmup, bool split, std::int64_t defer) {
  Lane lane;
  std::int64_t next_forward = 0;
  for (; next_forward < warmup; ++next_forward) lane.push_back(slot(stage, Phase::kForward, next_forward));
  for (std::int64_t k = 0; k < m; ++k) {
    lane.push_back(slot(stage, Phase::kBackward, k));
    if (split && k >= defer) lane.push_back(slot(stage, Phase::kWeightGrad, k - defer));
    if (next_forward < m) lane.push_back(slot(stage, Phase::kForward, next_forward++));
  }
  if (split) {
    for (std::int64_t k = m - defer; k < m; ++k) lane.push_back(slot(stage, Phase::kWeightGrad, k));
  }
  return lane;
}

/// Longest path from a source to each stage, in stages, counting the stage itself.
std::vector<std::int64_t> paths_from_source(const plan::Strategy& s) {
  std::vector<std::int64_t> length(s.stages.size(), 1);
  for (const int v : s.topological_order()) {
    for (const int u : s.predecessors(v)) length[v] = std::max(length[v], length[u] + 1);
  }
  return length;
}

/// For each stage, the most forwards done whose (input-gradient) backward is not, over the
/// lane orders.
std::vector<std::int64_t> in_flight(const Schedule& sched, std::size_t num_stages) {
  std::vector<std::int64_t> open(num_stages, 0);
  std::vector<std::int64_t> peak(num_stages, 0);
  for (const Lane& lane : sched.lanes) {
    for (const Slot& x : lane) {
      if (x.phase == Phase::kForward) peak[x.stage] = std::max(peak[x.stage], ++open[x.stage]);
      if (x.phase == Phase::kBackward) --open[x.stage];
    }
  }
  return peak;
}

/// One lane per stage: gpipe, 1f1b (graph 1F1B on a DAG) and zb-h1.
void fill_per_stage_lanes(const plan::Strategy& s, std::int64_t mini_batch, Schedule& out) {
  const std::vector<std::int64_t> warmup = warmup_micro_batches(s, mini_batch);
  const std::vector<std::int64_t> from_source = paths_from_source(s);
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const int stage = static_cast<int>(i);
    const std::int64_t m = out.micro_batches[i];
    out.lane_of_stage.push_back(stage);
    switch (s.schedule) {
      case plan::ScheduleKind::kGpipe:
        out.lanes.push_back(gpipe_lane(stage, m));
        break;
      case plan::ScheduleKind::kOneFOneB:
        out.lanes.push_back(one_f_one_b_lane(stage, m, warmup[i], false, 0));
        break;
      case plan::ScheduleKind::kZbH1:
        // W deferred by the stages upstream of this one: their backwards are this stage's
        // cool-down bubble (stage i of a chain defers i W's).
        out.lanes.push_back(one_f_one_b_lane(stage, m, warmup[i], true, std::min(m, from_source[i] - 1)));
        break;
      case plan::ScheduleKind::kInterleaved1F1B:
        GPPSIM_CHECK(false, "interleaved-1f1b has its own lane builder");
    }
  }
}

/// Lane ids of the stages under interleaved 1F1B: one lane per distinct device set (compared
/// as sets), numbered by first appearance in stage order.
std::vector<int> lanes_by_device_set(const plan::Strategy& s) {
  std::map<std::vector<hw::DeviceId>, int> lane_of_set;
  std::vector<int> lane_of_stage;
  for (const plan::Stage& stage : s.stages) {
    std::vector<hw::DeviceId> key = stage.devices;
    std::sort(key.begin(), key.end());
    const int next = static_cast<int>(lane_of_set.size());
    lane_of_stage.push_back(lane_of_set.emplace(key, next).first->second);
  }
  return lane_of_stage;
}

/// The layout interleaved 1F1B needs: a chain 0 -> 1 -> ... -> p v - 1 with stage s on lane
/// s mod p, one micro-batch size, and a micro-batch count that p divides.
void check_interleaved_layout(const plan::Strategy& s, const std::vector<int>& lane_of_stage, int p,
                              std::int64_t m) {
  const int n = static_cast<int>(s.stages.size());
  GPPSIM_CHECK(n % p == 0, fmt::format("interleaved-1f1b: {} stages on {} device sets", n, p));
  std::vector<std::pair<int, int>> chain;
  for (int i = 0; i < n; ++i) {
    GPPSIM_CHECK(lane_of_stage[i] == i % p,
                 fmt::format("interleaved-1f1b: stage {} must share the devices of stage {}", i, i % p));
    GPPSIM_CHECK(s.stages[i].micro_batch_size == s.stages[0].micro_batch_size,
                 "interleaved-1f1b: all stages need one micro-batch size");
    if (i + 1 < n) chain.emplace_back(i, i + 1);
  }
  GPPSIM_CHECK(s.edges == chain, "interleaved-1f1b: the stage graph must be the chain 0 -> 1 -> ...");
  GPPSIM_CHECK(m % p == 0, fmt::format("interleaved-1f1b: {} micro-batches, not a multiple of {}", m, p));
}

/// Megatron-LM's interleaved order of lane g (forward_backward_pipelining_with_interleaving):
/// the k-th virtual forward runs chunk (k / p) % v on micro-batch (k / (p v)) p + k % p; the
/// k-th backward the same micro-batch on chunk v - 1 - (k / p) % v.
Lane interleaved_lane(int g, int p, int v, std::int64_t m) {
  const std::int64_t total = m * v;
  const std::int64_t pv = static_cast<std::int64_t>(p) * v;
  const std::int64_t warmup = std::min<std::int64_t>(total, (p - g - 1) * 2 + (v - 1) * p);
  const auto micro_batch = [&](std::int64_t k) { return (k / pv) * p + k % p; };
  const auto forward = [&](std::int64_t k) {
    return slot(static_cast<int>((k / p) % v) * p + g, Phase::kForward, micro_batch(k));
  };
  const auto backward = [&](std::int64_t k) {
    return slot(static_cast<int>(v - 1 - (k / p) % v) * p + g, Phase::kBackward, micro_batch(k));
  };
  Lane lane;
  for (std::int64_t k = 0; k < warmup; ++k) lane.push_back(forward(k));
  for (std::int64_t k = 0; k < total - warmup; ++k) {
    lane.push_back(forward(warmup + k));
    lane.push_back(backward(k));
  }
  for (std::int64_t k = total - warmup; k < total; ++k) lane.push_back(backward(k));
  return lane;
}

void fill_interleaved_lanes(const plan::Strategy& s, Schedule& out) {
  out.lane_of_stage = lanes_by_device_set(s);
  const int p = *std::max_element(out.lane_of_stage.begin(), out.lane_of_stage.end()) + 1;
  const std::int64_t m = out.micro_batches.front();
  check_interleaved_layout(s, out.lane_of_stage, p, m);
  const int v = static_cast<int>(s.stages.size()) / p;
  for (int g = 0; g < p; ++g) out.lanes.push_back(interleaved_lane(g, p, v, m));
}

}  // namespace

std::vector<std::int64_t> micro_batch_counts(const plan::Strategy& s, std::int64_t mini_batch) {
  GPPSIM_CHECK(mini_batch > 0, fmt::format("mini-batch of {} samples", mini_batch));
  std::vector<std::int64_t> counts;
  for (const plan::Stage& stage : s.stages) {
    const std::int64_t b = stage.micro_batch_size;
    GPPSIM_CHECK(b > 0 && mini_batch % b == 0,
                 fmt::format("stage {}: micro-batch size {} does not divide the mini-batch {}", stage.id,
                             b, mini_batch));
    counts.push_back(mini_batch / b);
  }
  return counts;
}

std::vector<std::int64_t> warmup_micro_batches(const plan::Strategy& s, std::int64_t mini_batch) {
  const std::vector<std::int64_t> m = micro_batch_counts(s, mini_batch);
  const std::vector<int> order = s.topological_order();
  // Samples in flight, METHODS §2: successors are filled first (reverse topological order).
  std::vector<std::int64_t> samples(s.stages.size(), 0);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::int64_t b = s.stages[*it].micro_batch_size;
    samples[*it] = b;
    for (const int t : s.successors(*it)) {
      samples[*it] = std::max(samples[*it], samples[t] + std::max(b, s.stages[t].micro_batch_size));
    }
  }
  std::vector<std::int64_t> warmup;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const std::int64_t b = s.stages[i].micro_batch_size;
    warmup.push_back(std::min(m[i], (samples[i] + b - 1) / b));
  }
  return warmup;
}

Schedule make_schedule(const plan::Strategy& s, std::int64_t mini_batch) {
  GPPSIM_CHECK(!s.stages.empty(), "a strategy without stages");
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    GPPSIM_CHECK(s.stages[i].id == static_cast<int>(i), fmt::format("stage {} has id {}", i, s.stages[i].id));
  }
  Schedule out;
  out.micro_batches = micro_batch_counts(s, mini_batch);
  if (s.schedule == plan::ScheduleKind::kInterleaved1F1B) {
    fill_interleaved_lanes(s, out);
  } else {
    fill_per_stage_lanes(s, mini_batch, out);
  }
  out.in_flight_micro_batches = in_flight(out, s.stages.size());
  return out;
}

}  // namespace gppsim::schedule
