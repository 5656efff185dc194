#include "sim/engine/flow_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "sim/core/errors.h"

namespace gppsim::engine {
namespace {

using core::Bytes;
using core::BytesPerSecond;
using core::Time;

constexpr double kGB = 1e9;  // bytes

FlowNetwork network(const std::vector<double>& capacities_bytes_per_s) {
  std::vector<BytesPerSecond> caps;
  for (const double c : capacities_bytes_per_s) caps.emplace_back(c);
  return FlowNetwork(std::move(caps));
}

Time ps(std::int64_t v) { return Time::from_ps(v); }

/// Finishes every flow in completion order; returns (time in ps, flow) per completion.
std::vector<std::pair<std::int64_t, FlowId>> drain(FlowNetwork& net) {
  std::vector<std::pair<std::int64_t, FlowId>> done;
  while (const auto next = net.next_completion()) {
    net.finish(next->second, next->first);
    done.emplace_back(next->first.ps(), next->second);
  }
  return done;
}

using Completions = std::vector<std::pair<std::int64_t, FlowId>>;

TEST(FlowNetwork, SingleFlowTakesBytesOverCapacity) {
  FlowNetwork net = network({10 * kGB});
  const FlowId f = net.start({0}, Bytes(1 * kGB), ps(0));
  EXPECT_DOUBLE_EQ(net.rate(f).value(), 10 * kGB);
  EXPECT_EQ(net.active_flows(), 1u);
  // 1e9 B / 1e10 B/s = 0.1 s = 1e11 ps, exactly.
  EXPECT_EQ(drain(net), (Completions{{100'000'000'000, f}}));
  EXPECT_EQ(net.active_flows(), 0u);
  EXPECT_FALSE(net.next_completion().has_value());
}

TEST(FlowNetwork, CompletionRoundsUpToWholePicosecond) {
  FlowNetwork net = network({3 * kGB});
  const FlowId f = net.start({0}, Bytes(1 * kGB), ps(7));
  // 1/3 s = 333'333'333'333.33 ps -> ceil = 333'333'333'334 ps, plus the start at 7 ps.
  EXPECT_EQ(drain(net), (Completions{{333'333'333'341, f}}));
}

TEST(FlowNetwork, TwoEqualFlowsShareALinkAndFinishTogether) {
  FlowNetwork net = network({10 * kGB});
  const FlowId a = net.start({0}, Bytes(1 * kGB), ps(0));
  const FlowId b = net.start({0}, Bytes(1 * kGB), ps(0));
  EXPECT_DOUBLE_EQ(net.rate(a).value(), 5 * kGB);  // 10 GB/s / 2
  EXPECT_DOUBLE_EQ(net.rate(b).value(), 5 * kGB);
  // Each moves 1e9 B at 5e9 B/s = 0.2 s = 2e11 ps, twice the 1e11 ps of a flow alone;
  // the tie goes to the smaller id.
  EXPECT_EQ(drain(net), (Completions{{200'000'000'000, a}, {200'000'000'000, b}}));
}

TEST(FlowNetwork, ManyEqualFlowsOnOneLinkFinishTogetherInIdOrder) {
  FlowNetwork net = network({10 * kGB});
  Completions expected;
  for (FlowId i = 0; i < 50; ++i) {
    EXPECT_EQ(net.start({0}, Bytes(1 * kGB), ps(0)), i);
    // 50 flows share 1e10 B/s: 2e8 B/s each; 1e9 B / 2e8 B/s = 5 s = 5e12 ps.
    expected.emplace_back(5'000'000'000'000, i);
  }
  EXPECT_DOUBLE_EQ(net.rate(17).value(), 0.2 * kGB);
  EXPECT_EQ(drain(net), expected);
}

TEST(FlowNetwork, HalfTheBandwidthTakesTwiceAsLong) {
  FlowNetwork net = network({5 * kGB});
  const FlowId f = net.start({0}, Bytes(1 * kGB), ps(0));
  // 1e9 B / 5e9 B/s = 0.2 s = 2e11 ps (vs 1e11 ps at 10 GB/s).
  EXPECT_EQ(drain(net), (Completions{{200'000'000'000, f}}));
}

TEST(FlowNetwork, FlowStartingHalfwayDelaysTheFirst) {
  FlowNetwork net = network({10 * kGB});
  const FlowId first = net.start({0}, Bytes(1 * kGB), ps(0));
  ASSERT_EQ(net.next_completion()->first.ps(), 100'000'000'000);
  // At 0.05 s the first has moved 0.5e9 B and has 0.5e9 B left.
  const FlowId second = net.start({0}, Bytes(1 * kGB), ps(50'000'000'000));
  EXPECT_DOUBLE_EQ(net.rate(first).value(), 5 * kGB);
  EXPECT_DOUBLE_EQ(net.rate(second).value(), 5 * kGB);
  // first: 0.5e9 B at 5e9 B/s = 0.1 s -> 0.05 + 0.1 = 0.15 s = 1.5e11 ps.
  const auto next = net.next_completion();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, std::make_pair(ps(150'000'000'000), first));
  net.finish(first, next->first);
  // second moved 5e9 * 0.1 = 0.5e9 B, has 0.5e9 B left, now alone at 1e10 B/s: 0.05 s more
  // -> 0.2 s = 2e11 ps.
  EXPECT_DOUBLE_EQ(net.rate(second).value(), 10 * kGB);
  EXPECT_EQ(drain(net), (Completions{{200'000'000'000, second}}));
}

TEST(FlowNetwork, MaxMinGivesUnequalShares) {
  // Link A (0) = 10 GB/s carries f1, f2; link B (1) = 4 GB/s carries f2, f3.
  // Fair shares: A 10/2 = 5, B 4/2 = 2 -> B is the bottleneck: f2 = f3 = 2 GB/s.
  // A keeps 10 - 2 = 8 for its one unfrozen flow: f1 = 8 GB/s. Both links saturated.
  FlowNetwork net = network({10 * kGB, 4 * kGB});
  const FlowId f1 = net.start({0}, Bytes(24 * kGB), ps(0));
  const FlowId f2 = net.start({0, 1}, Bytes(4 * kGB), ps(0));
  const FlowId f3 = net.start({1}, Bytes(8 * kGB), ps(0));
  EXPECT_DOUBLE_EQ(net.rate(f1).value(), 8 * kGB);
  EXPECT_DOUBLE_EQ(net.rate(f2).value(), 2 * kGB);
  EXPECT_DOUBLE_EQ(net.rate(f3).value(), 2 * kGB);
  // f2: 4 GB / 2 GB/s = 2 s. By then f1 has 24 - 16 = 8 GB left, f3 has 8 - 4 = 4 GB left.
  const auto next = net.next_completion();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, std::make_pair(ps(2'000'000'000'000), f2));
  net.finish(f2, next->first);
  // Alone: f1 at 10 GB/s -> 0.8 s more (2.8 s); f3 at 4 GB/s -> 1 s more (3 s).
  EXPECT_DOUBLE_EQ(net.rate(f1).value(), 10 * kGB);
  EXPECT_DOUBLE_EQ(net.rate(f3).value(), 4 * kGB);
  EXPECT_EQ(drain(net), (Completions{{2'800'000'000'000, f1}, {3'000'000'000'000, f3}}));
}

TEST(FlowNetwork, FlowsOnDisjointLinksDoNotAffectEachOther) {
  FlowNetwork net = network({10 * kGB, 20 * kGB});
  const FlowId a = net.start({0}, Bytes(1 * kGB), ps(0));
  // b starts at 3e10 ps on the other link: 1e9 B / 2e10 B/s = 5e10 ps -> done at 8e10 ps.
  const FlowId b = net.start({1}, Bytes(1 * kGB), ps(30'000'000'000));
  EXPECT_DOUBLE_EQ(net.rate(a).value(), 10 * kGB);
  EXPECT_DOUBLE_EQ(net.rate(b).value(), 20 * kGB);
  // a is unaffected: still 1e9 / 1e10 = 1e11 ps.
  EXPECT_EQ(drain(net), (Completions{{80'000'000'000, b}, {100'000'000'000, a}}));
}

TEST(FlowNetwork, ZeroByteFlowCompletesAtOnceWithoutDisturbingOthers) {
  FlowNetwork net = network({10 * kGB});
  const FlowId a = net.start({0}, Bytes(1 * kGB), ps(0));
  const FlowId z = net.start({0}, Bytes(0), ps(20'000'000'000));
  EXPECT_DOUBLE_EQ(net.rate(a).value(), 10 * kGB);
  EXPECT_EQ(net.active_flows(), 2u);
  // z completes at its start; a keeps its 1e11 ps.
  EXPECT_EQ(drain(net), (Completions{{20'000'000'000, z}, {100'000'000'000, a}}));
}

TEST(FlowNetwork, ChainReleasesBandwidthAcrossLinks) {
  // f0 on links {0, 1}, f1 on {1}, both 10 GB/s links: link 1 is shared -> 5 GB/s each.
  FlowNetwork net = network({10 * kGB, 10 * kGB});
  const FlowId f0 = net.start({0, 1}, Bytes(1 * kGB), ps(0));
  const FlowId f1 = net.start({1}, Bytes(3 * kGB), ps(0));
  // f0: 1 GB at 5 GB/s = 0.2 s. f1 then has 3 - 1 = 2 GB left at 10 GB/s: 0.2 s more.
  EXPECT_EQ(drain(net), (Completions{{200'000'000'000, f0}, {400'000'000'000, f1}}));
}

// ---- misuse --------------------------------------------------------------------------------

TEST(FlowNetwork, RejectsMisuse) {
  EXPECT_THROW(network({10 * kGB, 0.0}), core::InternalError);
  FlowNetwork net = network({10 * kGB, 10 * kGB});
  EXPECT_THROW(net.start({}, Bytes(1), ps(0)), core::InternalError);
  EXPECT_THROW(net.start({2}, Bytes(1), ps(0)), core::InternalError);
  EXPECT_THROW(net.start({1, 1}, Bytes(1), ps(0)), core::InternalError);
  EXPECT_THROW(net.start({0}, Bytes(-1), ps(0)), core::InternalError);
  const FlowId a = net.start({0}, Bytes(1 * kGB), ps(100));
  EXPECT_THROW(net.start({0}, Bytes(1), ps(99)), core::InternalError);  // time backwards
  EXPECT_THROW(static_cast<void>(net.rate(a + 1)), core::InternalError);  // never started
  const FlowId b = net.start({0}, Bytes(2 * kGB), ps(100));
  const auto next = net.next_completion();
  ASSERT_EQ(next->second, a);
  EXPECT_THROW(net.finish(b, next->first), core::InternalError);      // not the next one
  EXPECT_THROW(net.finish(a, next->first - ps(1)), core::InternalError);  // too early
  net.finish(a, next->first);
  EXPECT_THROW(net.finish(a, next->first), core::InternalError);  // no longer active
  EXPECT_THROW(static_cast<void>(net.rate(a)), core::InternalError);
  EXPECT_THROW(net.finish(b, next->first - ps(1)), core::InternalError);  // time backwards
}

// ---- properties over random flows ---------------------------------------------------------

struct RandomRun {
  Completions completions;
  double delivered = 0.0;  // bytes, integrated from rate() between events
  double offered = 0.0;    // bytes, sum of flow sizes
};

/// Checks capacity and max-min optimality of the current rates of `active` flows.
void expect_max_min(const FlowNetwork& net, const std::vector<double>& caps,
                    const std::vector<std::vector<hw::LinkId>>& paths,
                    const std::vector<double>& sizes, const std::vector<FlowId>& active) {
  std::vector<double> load(caps.size(), 0.0);
  std::vector<double> top(caps.size(), 0.0);
  for (const FlowId f : active) {
    for (const hw::LinkId l : paths[f]) {
      load[l] += net.rate(f).value();
      top[l] = std::max(top[l], net.rate(f).value());
    }
  }
  for (std::size_t l = 0; l < caps.size(); ++l) EXPECT_LE(load[l], caps[l] * (1 + 1e-9));
  for (const FlowId f : active) {
    if (sizes[f] == 0.0) continue;  // zero-byte flows take no share
    const double r = net.rate(f).value();
    EXPECT_GT(r, 0.0);
    // Bottlenecked: some link of its path is saturated and no flow there gets more.
    const bool bottlenecked = std::any_of(paths[f].begin(), paths[f].end(), [&](auto l) {
      return load[l] >= caps[l] * (1 - 1e-9) && r >= top[l] * (1 - 1e-9);
    });
    EXPECT_TRUE(bottlenecked) << "flow " << f;
  }
}

RandomRun run_random(std::uint64_t seed, bool check) {
  std::mt19937_64 rng(seed);
  const std::size_t num_links = 10;
  std::vector<double> caps;
  std::uniform_real_distribution<double> cap_gbs(1.0, 10.0);
  for (std::size_t l = 0; l < num_links; ++l) caps.push_back(cap_gbs(rng) * kGB);
  FlowNetwork net = network(caps);
  std::vector<std::vector<hw::LinkId>> paths;
  std::vector<double> sizes, delivered;
  std::vector<FlowId> active;
  std::uniform_int_distribution<std::int64_t> gap(0, 20'000'000'000);  // up to 20 ms
  std::uniform_real_distribution<double> size_gb(0.001, 1.0);
  RandomRun out;
  Time now;
  Time arrival = ps(gap(rng));
  const std::size_t num_flows = 400;
  while (paths.size() < num_flows || !active.empty()) {
    const auto next = net.next_completion();
    const bool arrive = paths.size() < num_flows && (!next || arrival < next->first);
    const Time t = arrive ? arrival : next->first;
    for (const FlowId f : active) {
      delivered[f] += net.rate(f).value() * static_cast<double>((t - now).ps()) / 1e12;
    }
    now = t;
    if (arrive) {
      std::vector<hw::LinkId> path(num_links);
      for (std::size_t l = 0; l < num_links; ++l) path[l] = l;
      std::shuffle(path.begin(), path.end(), rng);
      path.resize(1 + rng() % 3);
      const double size = rng() % 20 == 0 ? 0.0 : size_gb(rng) * kGB;
      const FlowId f = net.start(path, Bytes(size), now);
      EXPECT_EQ(f, paths.size());
      paths.push_back(path);
      sizes.push_back(size);
      delivered.push_back(0.0);
      active.push_back(f);
      out.offered += size;
      arrival = now + ps(gap(rng));
    } else {
      const FlowId f = next->second;
      net.finish(f, now);
      out.completions.emplace_back(now.ps(), f);
      EXPECT_NEAR(delivered[f], sizes[f], 1e-6 * sizes[f]) << "flow " << f;
      out.delivered += delivered[f];
      active.erase(std::find(active.begin(), active.end(), f));
    }
    EXPECT_EQ(net.active_flows(), active.size());
    if (check) expect_max_min(net, caps, paths, sizes, active);
  }
  return out;
}

TEST(FlowNetwork, RandomFlowsAreMaxMinFairAndDeliverEveryByte) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const RandomRun run = run_random(seed, /*check=*/true);
    EXPECT_EQ(run.completions.size(), 400u);
    EXPECT_NEAR(run.delivered, run.offered, 1e-9 * run.offered);
    EXPECT_TRUE(std::is_sorted(run.completions.begin(), run.completions.end(),
                               [](auto& a, auto& b) { return a.first < b.first; }));
  }
}

TEST(FlowNetwork, SameSequenceGivesSameCompletionTimes) {
  const RandomRun a = run_random(42, /*check=*/false);
  const RandomRun b = run_random(42, /*check=*/false);
  EXPECT_EQ(a.completions, b.completions);
  EXPECT_NE(a.completions, run_random(43, /*check=*/false).completions);
}

}  // namespace
}  // namespace gppsim::engine
