// FlowNetwork throughput: 100k flows, each over 1-2 of 4096 links, started in time order and
// finished as they complete. Reports flows/s (items_per_second). The argument is the mean gap
// between flow starts in picoseconds: 1 us keeps ~150 flows in flight in components of a few
// flows (the engine's typical case); 125 ns keeps ~1900 in flight, where links fill up and
// components merge into one large one, whose every change re-shares all of it. Below ~100 ns
// the offered load exceeds what max-min sharing delivers and the backlog grows without bound.
// BM_FlowNetworkBursts is the engine's pipeline pattern: bursts of 8 equal flows (8 GPUs of a
// node) start at one picosecond on a node's uplink to the downlink of the next or previous
// node (forward or backward pass). Its second argument says whether the driver makes a
// burst's 8 starts before asking next_completion() (1: one re-share per burst) or asks after
// every start (0: one re-share per start, 1 + 2 + ... + 8 flow re-projections).
// No main(): link benchmark::benchmark_main, so several suites can share one executable.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "sim/engine/flow_network.h"

namespace gppsim::engine {
namespace {

constexpr std::size_t kLinks = 4096;
constexpr std::size_t kFlows = 100'000;

struct FlowSpec {
  std::vector<hw::LinkId> links;
  core::Bytes bytes;
  core::Time start;
};

std::vector<FlowSpec> make_flows(std::int64_t mean_gap_ps) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<hw::LinkId> link(0, kLinks - 1);
  std::uniform_real_distribution<double> megabytes(0.0625, 4.0);
  std::exponential_distribution<double> gap(1.0 / static_cast<double>(mean_gap_ps));
  std::vector<FlowSpec> flows(kFlows);
  std::int64_t t = 0;
  for (FlowSpec& f : flows) {
    f.links.push_back(link(rng));
    if (rng() % 2 == 0) {
      hw::LinkId second = link(rng);
      while (second == f.links[0]) second = link(rng);
      f.links.push_back(second);
    }
    f.bytes = core::Bytes(megabytes(rng) * 1e6);
    t += static_cast<std::int64_t>(gap(rng));
    f.start = core::Time::from_ps(t);
  }
  return flows;
}

void BM_FlowNetwork(benchmark::State& state) {
  const std::vector<FlowSpec> flows = make_flows(state.range(0));
  // 10-50 GB/s links: 1 MB takes ~20-100 us alone.
  std::vector<core::BytesPerSecond> caps;
  for (std::size_t l = 0; l < kLinks; ++l) {
    caps.emplace_back(static_cast<double>(10 + 10 * (l % 5)) * 1e9);
  }
  std::size_t peak = 0;
  for (auto _ : state) {
    FlowNetwork net(caps);
    std::size_t started = 0;
    while (started < flows.size() || net.active_flows() > 0) {
      const auto next = net.next_completion();
      if (started < flows.size() && (!next || flows[started].start < next->first)) {
        const FlowSpec& f = flows[started++];
        net.start(f.links, f.bytes, f.start);
        peak = std::max(peak, net.active_flows());
      } else {
        net.finish(next->second, next->first);
      }
    }
    benchmark::DoNotOptimize(net.active_flows());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFlows));
  state.counters["peak_active"] = static_cast<double>(peak);
}

constexpr std::size_t kNodes = 512;      // links 0..511 are uplinks, 512..1023 downlinks
constexpr std::size_t kBurst = 8;        // flows per burst, like 8 GPUs sending at once

/// One burst: kBurst flows of `bytes` each from uplink `up` to downlink `down`.
struct BurstSpec {
  hw::LinkId up = 0;
  hw::LinkId down = 0;
  core::Bytes bytes;
  core::Time start;
};

std::vector<BurstSpec> make_bursts(std::int64_t mean_gap_ps) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<hw::LinkId> node(0, kNodes - 1);
  std::exponential_distribution<double> gap(1.0 / static_cast<double>(mean_gap_ps));
  std::vector<BurstSpec> bursts(kFlows / kBurst);
  std::int64_t t = 0;
  for (BurstSpec& b : bursts) {
    b.up = node(rng);
    const hw::LinkId step = rng() % 2 == 0 ? 1 : kNodes - 1;  // next or previous node
    b.down = kNodes + (b.up + step) % kNodes;
    b.bytes = core::Bytes(static_cast<double>(1 + rng() % 4) * 1e6);
    t += static_cast<std::int64_t>(gap(rng));
    b.start = core::Time::from_ps(t);
  }
  return bursts;
}

void BM_FlowNetworkBursts(benchmark::State& state) {
  const std::vector<BurstSpec> bursts = make_bursts(state.range(0));
  const bool batched = state.range(1) != 0;
  // 12.5 GB/s uplinks and downlinks: 8 x 1 MB take 640 us from one uplink.
  const std::vector<core::BytesPerSecond> caps(2 * kNodes, core::BytesPerSecond(12.5e9));
  std::size_t peak = 0;
  for (auto _ : state) {
    FlowNetwork net(caps);
    std::size_t started = 0;
    while (started < bursts.size() || net.active_flows() > 0) {
      const auto next = net.next_completion();
      if (started < bursts.size() && (!next || bursts[started].start <= next->first)) {
        const BurstSpec& b = bursts[started++];
        for (std::size_t k = 0; k < kBurst; ++k) {
          net.start({b.up, b.down}, b.bytes, b.start);
          if (!batched) benchmark::DoNotOptimize(net.next_completion());
        }
        peak = std::max(peak, net.active_flows());
      } else {
        net.finish(next->second, next->first);
      }
    }
    benchmark::DoNotOptimize(net.active_flows());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFlows));
  state.counters["peak_active"] = static_cast<double>(peak);
}

BENCHMARK(BM_FlowNetwork)
    ->Arg(1'000'000)
    ->Arg(250'000)
    ->Arg(125'000)
    ->Unit(benchmark::kMillisecond);
// A burst every 8 us: each uplink is busy ~40% of the time.
BENCHMARK(BM_FlowNetworkBursts)
    ->Args({8'000'000, 0})
    ->Args({8'000'000, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gppsim::engine
