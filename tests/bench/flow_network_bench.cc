// FlowNetwork throughput: 100k flows, each over 1-2 of 4096 links, started in time order and
// finished as they complete. Reports flows/s (items_per_second). The argument is the mean gap
// between flow starts in picoseconds: 1 us keeps ~150 flows in flight in components of a few
// flows (the engine's typical case); 125 ns keeps ~1900 in flight, where links fill up and
// components merge into one large one, whose every change re-shares all of it. Below ~100 ns
// the offered load exceeds what max-min sharing delivers and the backlog grows without bound.
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

BENCHMARK(BM_FlowNetwork)
    ->Arg(1'000'000)
    ->Arg(250'000)
    ->Arg(125'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gppsim::engine
