#include "sim/schedule/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/core/errors.h"

namespace gppsim::schedule {

// Readable slots in failure messages ("F2@s1"); found by argument-dependent lookup.
void PrintTo(const Slot& x, std::ostream* os) {
  const char* phase = x.phase == Phase::kForward ? "F" : x.phase == Phase::kBackward ? "B" : "W";
  *os << phase << x.micro_batch << "@s" << x.stage;
}

namespace {

using ::testing::ElementsAre;
using plan::ScheduleKind;
using Edges = std::vector<std::pair<int, int>>;

/// Stages of the given micro-batch sizes, stage i on device i, joined by `edges`.
plan::Strategy make_strategy(ScheduleKind kind, const std::vector<std::int64_t>& sizes, Edges edges) {
  plan::Strategy s;
  s.schedule = kind;
  for (int i = 0; i < static_cast<int>(sizes.size()); ++i) s.stages.push_back(plan::Stage{i, {}, {i}, sizes[i]});
  s.edges = std::move(edges);
  return s;
}

Edges chain_edges(int n) {
  Edges e;
  for (int i = 0; i + 1 < n; ++i) e.emplace_back(i, i + 1);
  return e;
}

/// A chain of p stages of micro-batch size 1 (so m = mini-batch).
plan::Strategy chain(ScheduleKind kind, int p) {
  return make_strategy(kind, std::vector<std::int64_t>(p, 1), chain_edges(p));
}

/// Interleaved layout: p devices, v chunks each, stage s on device s mod p, chain of p v.
plan::Strategy interleaved(int p, int v) {
  plan::Strategy s = chain(ScheduleKind::kInterleaved1F1B, p * v);
  for (plan::Stage& st : s.stages) st.devices = {st.id % p};
  return s;
}

Slot f(int s, std::int64_t j) { return Slot{s, Phase::kForward, j}; }
Slot b(int s, std::int64_t j) { return Slot{s, Phase::kBackward, j}; }
Slot w(int s, std::int64_t j) { return Slot{s, Phase::kWeightGrad, j}; }

// ---------------------------------------------------------------------------------------------
// An independent timing evaluator (list scheduling). Each lane runs its slots in order; a slot
// starts at max(lane free, all its dependencies done). Dependencies, on sample ranges so that
// stages of different micro-batch sizes connect: F_j of t needs every overlapping F of each
// predecessor; B_j needs F_j of its stage and every overlapping B of each successor; W_j needs
// B_j. Returns nullopt on deadlock.
struct Durations {
  double forward = 1.0;   ///< per sample
  double backward = 2.0;  ///< per sample; the input-gradient part when W exists
  double weight = 0.0;    ///< per sample
};

using Key = std::tuple<int, int, std::int64_t>;

Key key(int stage, Phase ph, std::int64_t j) { return {stage, static_cast<int>(ph), j}; }

std::vector<Key> dependencies(const plan::Strategy& s, const Slot& x) {
  std::vector<Key> deps;
  const auto overlapping = [&](int other, Phase ph) {
    const std::int64_t bx = s.stages[x.stage].micro_batch_size;
    const std::int64_t bo = s.stages[other].micro_batch_size;
    for (std::int64_t k = x.micro_batch * bx / bo; k <= ((x.micro_batch + 1) * bx - 1) / bo; ++k) {
      deps.push_back(key(other, ph, k));
    }
  };
  if (x.phase == Phase::kForward) {
    for (const int u : s.predecessors(x.stage)) overlapping(u, Phase::kForward);
  } else if (x.phase == Phase::kBackward) {
    deps.push_back(key(x.stage, Phase::kForward, x.micro_batch));
    for (const int t : s.successors(x.stage)) overlapping(t, Phase::kBackward);
  } else {
    deps.push_back(key(x.stage, Phase::kBackward, x.micro_batch));
  }
  return deps;
}

std::optional<double> makespan(const plan::Strategy& s, const Schedule& sched, Durations d) {
  std::map<Key, double> done;
  std::vector<std::size_t> next(sched.lanes.size(), 0);
  std::vector<double> lane_free(sched.lanes.size(), 0.0);
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t l = 0; l < sched.lanes.size(); ++l) {
      for (; next[l] < sched.lanes[l].size(); ++next[l], progress = true) {
        const Slot& x = sched.lanes[l][next[l]];
        double start = lane_free[l];
        bool ready = true;
        for (const Key& k : dependencies(s, x)) {
          const auto it = done.find(k);
          if (it == done.end()) ready = false;
          if (ready) start = std::max(start, it->second);
        }
        if (!ready) break;
        const double per_sample = x.phase == Phase::kForward    ? d.forward
                                  : x.phase == Phase::kBackward ? d.backward
                                                                : d.weight;
        lane_free[l] = start + per_sample * static_cast<double>(s.stages[x.stage].micro_batch_size);
        done[key(x.stage, x.phase, x.micro_batch)] = lane_free[l];
      }
    }
  }
  for (std::size_t l = 0; l < sched.lanes.size(); ++l) {
    if (next[l] != sched.lanes[l].size()) return std::nullopt;
  }
  return *std::max_element(lane_free.begin(), lane_free.end());
}

double run(const plan::Strategy& s, std::int64_t mini_batch, Durations d) {
  const std::optional<double> t = makespan(s, make_schedule(s, mini_batch), d);
  EXPECT_TRUE(t.has_value()) << "deadlock under " << plan::to_string(s.schedule);
  return t.value_or(-1.0);
}

/// Structural invariants: every stage's slots exist exactly once, on the stage's lane; in each
/// lane F_j < B_j < W_j and each phase in micro-batch order.
void expect_well_formed(const plan::Strategy& s, const Schedule& sched) {
  const bool split = s.schedule == ScheduleKind::kZbH1;
  std::map<Key, std::size_t> position;
  for (std::size_t l = 0; l < sched.lanes.size(); ++l) {
    for (std::size_t i = 0; i < sched.lanes[l].size(); ++i) {
      const Slot& x = sched.lanes[l][i];
      EXPECT_EQ(sched.lane_of_stage.at(x.stage), static_cast<int>(l));
      EXPECT_TRUE(position.emplace(key(x.stage, x.phase, x.micro_batch), i).second) << "slot twice";
    }
  }
  std::size_t expected = 0;
  for (int st = 0; st < static_cast<int>(s.stages.size()); ++st) {
    const std::int64_t m = sched.micro_batches[st];
    expected += static_cast<std::size_t>(m) * (split ? 3 : 2);
    for (std::int64_t j = 0; j < m; ++j) {
      const auto at = [&](Phase ph, std::int64_t k) { return position.at(key(st, ph, k)); };
      EXPECT_LT(at(Phase::kForward, j), at(Phase::kBackward, j));
      if (split) {
        EXPECT_LT(at(Phase::kBackward, j), at(Phase::kWeightGrad, j));
      }
      if (j + 1 < m) {
        EXPECT_LT(at(Phase::kForward, j), at(Phase::kForward, j + 1));
        EXPECT_LT(at(Phase::kBackward, j), at(Phase::kBackward, j + 1));
      }
    }
  }
  EXPECT_EQ(position.size(), expected);
}

// ---------------------------------------------------------------------------------------------
// Micro-batch counts and warm-up depths.

TEST(MicroBatchCounts, DivideTheMiniBatchOrFail) {
  const plan::Strategy s = make_strategy(ScheduleKind::kOneFOneB, {1, 2, 4}, chain_edges(3));
  EXPECT_THAT(micro_batch_counts(s, 16), ElementsAre(16, 8, 4));
  EXPECT_THROW((void)micro_batch_counts(s, 6), core::InternalError);  // 4 does not divide 6
  EXPECT_THROW((void)micro_batch_counts(s, 0), core::InternalError);
}

TEST(WarmupMicroBatches, ChainStageIHoldsPMinusI) {
  EXPECT_THAT(warmup_micro_batches(chain(ScheduleKind::kOneFOneB, 4), 8), ElementsAre(4, 3, 2, 1));
  // Capped by the micro-batch count: m = 2.
  EXPECT_THAT(warmup_micro_batches(chain(ScheduleKind::kOneFOneB, 4), 2), ElementsAre(2, 2, 2, 1));
}

TEST(WarmupMicroBatches, TwoBranchDagIsShallowerThanItsLinearisation) {
  // Branches 0 -> 1 and 2 -> 3 side by side: longest paths 2, 1, 2, 1; the linearised chain
  // 0 -> 1 -> 2 -> 3 gives 4, 3, 2, 1.
  const plan::Strategy gpp = make_strategy(ScheduleKind::kOneFOneB, {1, 1, 1, 1}, {{0, 1}, {2, 3}});
  EXPECT_THAT(warmup_micro_batches(gpp, 8), ElementsAre(2, 1, 2, 1));
  EXPECT_THAT(warmup_micro_batches(chain(ScheduleKind::kOneFOneB, 4), 8), ElementsAre(4, 3, 2, 1));
}

TEST(WarmupMicroBatches, PerStageSizesCountSamples) {
  // Sizes 1, 2, 4 on a chain. n_2 = b_2 = 4; n_1 = 4 + max(2, 4) = 8; n_0 = 8 + max(1, 2) = 10
  // samples, against 4, 8, 12 with a uniform size of 4. In micro-batches: ceil(10/1) = 10,
  // ceil(8/2) = 4, ceil(4/4) = 1 (mini-batch 16: m = 16, 8, 4, no cap).
  const plan::Strategy mixed = make_strategy(ScheduleKind::kOneFOneB, {1, 2, 4}, chain_edges(3));
  EXPECT_THAT(warmup_micro_batches(mixed, 16), ElementsAre(10, 4, 1));
  const plan::Strategy uniform = make_strategy(ScheduleKind::kOneFOneB, {4, 4, 4}, chain_edges(3));
  EXPECT_THAT(warmup_micro_batches(uniform, 16), ElementsAre(3, 2, 1));  // 12/4, 8/4, 4/4
  // Mini-batch 8: m = 8, 4, 2; stage 0's 10 is capped to 8.
  EXPECT_THAT(warmup_micro_batches(mixed, 8), ElementsAre(8, 4, 1));
}

// ---------------------------------------------------------------------------------------------
// Orders written out by hand.

TEST(MakeSchedule, GpipeOrderP2M4) {
  const Schedule sched = make_schedule(chain(ScheduleKind::kGpipe, 2), 4);
  for (int s = 0; s < 2; ++s) {
    EXPECT_THAT(sched.lanes[s], ElementsAre(f(s, 0), f(s, 1), f(s, 2), f(s, 3), b(s, 0), b(s, 1), b(s, 2), b(s, 3)));
  }
  EXPECT_THAT(sched.lane_of_stage, ElementsAre(0, 1));
  EXPECT_THAT(sched.micro_batches, ElementsAre(4, 4));
}

TEST(MakeSchedule, OneFOneBOrderP3M4) {
  // Warm-up 3, 2, 1 forwards, then B_j followed by the next F, then the remaining B's.
  const Schedule sched = make_schedule(chain(ScheduleKind::kOneFOneB, 3), 4);
  EXPECT_THAT(sched.lanes[0], ElementsAre(f(0, 0), f(0, 1), f(0, 2), b(0, 0), f(0, 3), b(0, 1), b(0, 2), b(0, 3)));
  EXPECT_THAT(sched.lanes[1], ElementsAre(f(1, 0), f(1, 1), b(1, 0), f(1, 2), b(1, 1), f(1, 3), b(1, 2), b(1, 3)));
  EXPECT_THAT(sched.lanes[2], ElementsAre(f(2, 0), b(2, 0), f(2, 1), b(2, 1), f(2, 2), b(2, 2), f(2, 3), b(2, 3)));
}

TEST(MakeSchedule, ZbH1OrderP3M4) {
  // 1F1B's order with B split; stage i runs W_(k-i) right after B_k, the last i W's at the end.
  const Schedule sched = make_schedule(chain(ScheduleKind::kZbH1, 3), 4);
  EXPECT_THAT(sched.lanes[0], ElementsAre(f(0, 0), f(0, 1), f(0, 2), b(0, 0), w(0, 0), f(0, 3), b(0, 1), w(0, 1),
                                          b(0, 2), w(0, 2), b(0, 3), w(0, 3)));
  EXPECT_THAT(sched.lanes[1], ElementsAre(f(1, 0), f(1, 1), b(1, 0), f(1, 2), b(1, 1), w(1, 0), f(1, 3), b(1, 2),
                                          w(1, 1), b(1, 3), w(1, 2), w(1, 3)));
  EXPECT_THAT(sched.lanes[2], ElementsAre(f(2, 0), b(2, 0), f(2, 1), b(2, 1), f(2, 2), b(2, 2), w(2, 0), f(2, 3),
                                          b(2, 3), w(2, 1), w(2, 2), w(2, 3)));
}

TEST(MakeSchedule, InterleavedOrderP2V2M4) {
  // Lane 0 holds stages 0, 2; lane 1 stages 1, 3. 8 virtual micro-batches per lane. Warm-up:
  // lane 0 (2-0-1)*2 + (2-1)*2 = 4, lane 1 0 + 2 = 2. Forward k: chunk (k/2)%2, micro-batch
  // (k/4)*2 + k%2 -> (c0,0) (c0,1) (c1,0) (c1,1) (c0,2) (c0,3) (c1,2) (c1,3); backward k the
  // same micro-batches on chunks 1,1,0,0,1,1,0,0. After warm-up: F then B, then the rest of B.
  const Schedule sched = make_schedule(interleaved(2, 2), 4);
  EXPECT_THAT(sched.lane_of_stage, ElementsAre(0, 1, 0, 1));
  EXPECT_THAT(sched.lanes[0], ElementsAre(f(0, 0), f(0, 1), f(2, 0), f(2, 1),     // warm-up
                                          f(0, 2), b(2, 0), f(0, 3), b(2, 1),     // steady
                                          f(2, 2), b(0, 0), f(2, 3), b(0, 1),     //
                                          b(2, 2), b(2, 3), b(0, 2), b(0, 3)));   // cool-down
  EXPECT_THAT(sched.lanes[1], ElementsAre(f(1, 0), f(1, 1),                       // warm-up
                                          f(3, 0), b(3, 0), f(3, 1), b(3, 1),     // steady
                                          f(1, 2), b(1, 0), f(1, 3), b(1, 1),     //
                                          f(3, 2), b(3, 2), f(3, 3), b(3, 3),     //
                                          b(1, 2), b(1, 3)));                     // cool-down
  // In flight per chunk, read off the orders: stage 0 F0..F3 before B0 -> 4; stage 1 F0 F1 F2
  // before B0 -> 3; stage 2 F0 F1 before B0 -> 2; stage 3 alternates -> 1.
  EXPECT_THAT(sched.in_flight_micro_batches, ElementsAre(4, 3, 2, 1));
}

TEST(MakeSchedule, InFlightP4M8) {
  EXPECT_THAT(make_schedule(chain(ScheduleKind::kOneFOneB, 4), 8).in_flight_micro_batches, ElementsAre(4, 3, 2, 1));
  EXPECT_THAT(make_schedule(chain(ScheduleKind::kGpipe, 4), 8).in_flight_micro_batches, ElementsAre(8, 8, 8, 8));
  // ZB-H1 keeps 1F1B's count of forwards whose B has not run.
  const Schedule zb = make_schedule(chain(ScheduleKind::kZbH1, 4), 8);
  EXPECT_THAT(zb.in_flight_micro_batches, ElementsAre(4, 3, 2, 1));
  // Forwards whose W is pending: stage i warms up with 4 - i and defers i W's, so every stage
  // peaks at 1F1B's stage-0 figure, p = 4.
  for (const auto& lane : zb.lanes) {
    std::int64_t open = 0;
    std::int64_t peak = 0;
    for (const Slot& x : lane) {
      if (x.phase == Phase::kForward) peak = std::max(peak, ++open);
      if (x.phase == Phase::kWeightGrad) --open;
    }
    EXPECT_EQ(peak, 4);
  }
}

TEST(MakeSchedule, EverySlotOnceInOrder) {
  const std::vector<plan::Strategy> cases{
      chain(ScheduleKind::kGpipe, 4),
      chain(ScheduleKind::kOneFOneB, 4),
      chain(ScheduleKind::kZbH1, 4),
      interleaved(4, 2),
      interleaved(2, 3),
      make_strategy(ScheduleKind::kOneFOneB, {1, 2, 4}, chain_edges(3)),
      make_strategy(ScheduleKind::kZbH1, {2, 1, 2, 4}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}}),
  };
  for (const plan::Strategy& s : cases) {
    SCOPED_TRACE(std::string(plan::to_string(s.schedule)));
    expect_well_formed(s, make_schedule(s, 8));
  }
}

// ---------------------------------------------------------------------------------------------
// Closed forms via the independent evaluator (p = 4, m = 8 unless noted).

TEST(ClosedForm, GpipeAndOneFOneBTakeMPlusPMinus1TimesFPlusB) {
  // (m + p - 1)(F + B) = (8 + 3)(1 + 2) = 33.
  EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kGpipe, 4), 8, {1.0, 2.0, 0.0}), 33.0);
  EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kOneFOneB, 4), 8, {1.0, 2.0, 0.0}), 33.0);
  // p = 3, m = 4: (4 + 2) * 3 = 18.
  EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kOneFOneB, 3), 4, {1.0, 2.0, 0.0}), 18.0);
}

TEST(ClosedForm, ZbH1BubbleIsAThirdOfOneFOneB) {
  // m(F + B + W) + (p - 1)(F + B - W) = 8 * 3 + 3 * 1 = 27 with F = B = W = 1; 1F1B with the
  // whole backward B + W = 2 takes 33, bubble 9 = 3 * 3.
  EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kZbH1, 4), 8, {1.0, 1.0, 1.0}), 27.0);
  for (int p = 2; p <= 5; ++p) {
    for (std::int64_t m = p; m <= 2 * p + 1; ++m) {
      SCOPED_TRACE(::testing::Message() << "p=" << p << " m=" << m);
      EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kZbH1, p), m, {1.0, 1.0, 1.0}), 3.0 * static_cast<double>(m) + (p - 1));
    }
  }
  // Unequal costs F = 2, B = 3, W = 1: 8 * 6 + 3 * (2 + 3 - 1) = 60.
  EXPECT_DOUBLE_EQ(run(chain(ScheduleKind::kZbH1, 4), 8, {2.0, 3.0, 1.0}), 60.0);
}

TEST(ClosedForm, InterleavedShrinksTheBubbleByV) {
  // Per-lane F = 1, B = 2, so each of v = 2 chunks takes F/v = 0.5, B/v = 1:
  // (m + (p - 1)/v)(F + B) = (8 + 1.5) * 3 = 28.5.
  EXPECT_DOUBLE_EQ(run(interleaved(4, 2), 8, {0.5, 1.0, 0.0}), 28.5);
  for (int p = 2; p <= 4; ++p) {
    for (int v = 2; v <= 3; ++v) {
      for (std::int64_t m : {std::int64_t{p}, std::int64_t{2 * p}}) {
        SCOPED_TRACE(::testing::Message() << "p=" << p << " v=" << v << " m=" << m);
        const double expected = (static_cast<double>(m) + (p - 1.0) / v) * 3.0;
        EXPECT_NEAR(run(interleaved(p, v), m, {1.0 / v, 2.0 / v, 0.0}), expected, 1e-9);
      }
    }
  }
}

TEST(ClosedForm, DiamondStageGraphRunsAtItsDepth) {
  // 0 -> {1, 2} -> 3 has depth 3: stages 1 and 2 run side by side, so 1F1B and GPipe take
  // (m + depth - 1)(F + B) = (8 + 2) * 3 = 30, against 33 for the linearised chain of 4.
  const Edges diamond{{0, 1}, {0, 2}, {1, 3}, {2, 3}};
  EXPECT_DOUBLE_EQ(run(make_strategy(ScheduleKind::kOneFOneB, {1, 1, 1, 1}, diamond), 8, {1.0, 2.0, 0.0}), 30.0);
  EXPECT_DOUBLE_EQ(run(make_strategy(ScheduleKind::kGpipe, {1, 1, 1, 1}, diamond), 8, {1.0, 2.0, 0.0}), 30.0);
  // ZB-H1 as on a chain of depth 3: 8 * 3 + 2 * 1 = 26.
  EXPECT_DOUBLE_EQ(run(make_strategy(ScheduleKind::kZbH1, {1, 1, 1, 1}, diamond), 8, {1.0, 1.0, 1.0}), 26.0);
}

TEST(ClosedForm, MixedMicroBatchSizesNeverDeadlock) {
  const std::vector<std::pair<std::vector<std::int64_t>, Edges>> graphs{
      {{1, 2, 4}, chain_edges(3)},
      {{4, 2, 1}, chain_edges(3)},
      {{2, 1, 2, 4}, chain_edges(4)},
      {{1, 4, 2, 1}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}}},
      {{4, 1, 2, 2, 1}, {{0, 1}, {0, 2}, {1, 4}, {2, 3}, {3, 4}}},
  };
  for (const ScheduleKind kind : {ScheduleKind::kGpipe, ScheduleKind::kOneFOneB, ScheduleKind::kZbH1}) {
    for (const auto& [sizes, edges] : graphs) {
      const plan::Strategy s = make_strategy(kind, sizes, edges);
      SCOPED_TRACE(std::string(plan::to_string(kind)));
      // Lower bound: the busiest lane does mini-batch * (F + B + W) = 16 * 3 of work.
      EXPECT_GE(run(s, 16, {1.0, 1.0, kind == ScheduleKind::kZbH1 ? 1.0 : 0.0}),
                kind == ScheduleKind::kZbH1 ? 48.0 : 32.0);
    }
  }
}

TEST(MakeSchedule, InterleavedRejectsBadLayouts) {
  // 8 micro-batches over p = 3 lanes: not a multiple.
  EXPECT_THROW((void)make_schedule(interleaved(3, 2), 8), core::InternalError);
  // Stage 2 on device 1 instead of 0 (stage s must sit on lane s mod p).
  plan::Strategy bad_lane = interleaved(2, 2);
  bad_lane.stages[2].devices = {1};
  bad_lane.stages[3].devices = {0};
  EXPECT_THROW((void)make_schedule(bad_lane, 4), core::InternalError);
  // Not a chain.
  plan::Strategy not_chain = interleaved(2, 2);
  not_chain.edges = {{0, 1}, {0, 2}, {2, 3}};
  EXPECT_THROW((void)make_schedule(not_chain, 4), core::InternalError);
}

}  // namespace
}  // namespace gppsim::schedule
