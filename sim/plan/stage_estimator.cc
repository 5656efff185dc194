#include "sim/plan/stage_estimator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/cost/communication.h"
#include "sim/model/summary.h"

namespace gppsim::plan {
namespace {

hw::LinkSpec planning_link(const hw::ClusterSpec& cluster) {
  if (cluster.nodes <= 1) return cluster.intra_node;
  return {core::min(cluster.intra_node.bandwidth, cluster.inter_node.bandwidth),
          core::max(cluster.intra_node.latency, cluster.inter_node.latency)};
}

/// The figures of a ring of `devices` devices on one node whose every directed pair has its own
/// link `link`: each hop is one link used once, so the largest latency and the smallest bandwidth
/// share are the link's (zero below two devices).
cost::RingFigures flat_ring(int devices, const hw::LinkSpec& link) {
  cost::RingFigures f;
  f.devices = static_cast<std::size_t>(devices);
  if (devices <= 1) return f;
  f.max_latency = link.latency;
  f.min_bandwidth = link.bandwidth;
  return f;
}

bool is_power_of_two(std::int64_t v) { return v > 0 && std::has_single_bit(static_cast<std::uint64_t>(v)); }

}  // namespace

std::vector<std::int64_t> power_of_two_micro_batches(const PlanRequest& request) {
  std::vector<std::int64_t> out;
  for (const std::int64_t b : request.settings.micro_batch_sizes) {
    if (is_power_of_two(b) && b <= request.mini_batch && request.mini_batch % b == 0) out.push_back(b);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StageEstimator::StageEstimator(const PlanRequest& request)
    : graph_(&request.model.graph),
      mini_batch_(request.mini_batch),
      devices_(request.cluster.num_devices()),
      nodes_(request.cluster.nodes),
      capacity_(request.memory_capacity()),
      static_per_weight_byte_(model::static_bytes_per_parameter(request.model.dtype, request.optimizer) /
                              core::element_size(request.model.dtype)),
      link_(planning_link(request.cluster)) {
  GPPSIM_CHECK(mini_batch_ >= 1, fmt::format("mini-batch {} must be positive", mini_batch_));
  GPPSIM_CHECK(devices_ >= 1, "the cluster has no device");
  const std::vector<std::int64_t> candidates = power_of_two_micro_batches(request);
  const std::int64_t largest = candidates.empty() ? 1 : candidates.back();
  for (std::int64_t s = 1; s <= largest; s *= 2) sizes_.push_back(s);
  edges_ = graph_->edges();
  incident_.resize(graph_->num_ops());
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    incident_[edges_[e].from].push_back(static_cast<std::uint32_t>(e));
    incident_[edges_[e].to].push_back(static_cast<std::uint32_t>(e));
  }
  op_compute_.resize(graph_->num_ops());
  for (model::OpId op = 0; op < graph_->num_ops(); ++op) {
    for (const std::int64_t s : sizes_) {
      const model::Op& o = graph_->op(op);
      op_compute_[op].push_back(request.op_cost.forward(o, s) + request.op_cost.backward(o, s));
    }
  }
}

std::size_t StageEstimator::size_index(std::int64_t samples) const {
  const auto it = std::lower_bound(sizes_.begin(), sizes_.end(), samples);
  GPPSIM_CHECK(it != sizes_.end() && *it == samples,
               fmt::format("{} samples per device is not a tabulated size (1..{} powers of two)", samples,
                           sizes_.back()));
  return static_cast<std::size_t>(it - sizes_.begin());
}

namespace {

/// Membership of op ids: a bitmap on the stack for graphs of up to 4096 ops, else on the heap
/// (a stage's load is asked for thousands of times per plan).
class OpSet {
 public:
  explicit OpSet(std::size_t ops) {
    if (ops > kStackBits) heap_.assign((ops + 63) / 64, 0);
  }
  /// Adds `op`; false when it was there already.
  bool insert(model::OpId op) {
    std::uint64_t& w = word(op);
    const std::uint64_t bit = std::uint64_t{1} << (op % 64);
    if ((w & bit) != 0) return false;
    w |= bit;
    return true;
  }
  [[nodiscard]] bool contains(model::OpId op) const { return ((words()[op / 64] >> (op % 64)) & 1U) != 0; }

 private:
  static constexpr std::size_t kStackBits = 4096;
  [[nodiscard]] const std::uint64_t* words() const { return heap_.empty() ? stack_.data() : heap_.data(); }
  std::uint64_t& word(model::OpId op) { return heap_.empty() ? stack_[op / 64] : heap_[op / 64]; }
  std::array<std::uint64_t, kStackBits / 64> stack_{};
  std::vector<std::uint64_t> heap_;
};

}  // namespace

StageLoad StageEstimator::load(const std::vector<model::OpId>& ops) const {
  OpSet inside(graph_->num_ops());
  for (const model::OpId op : ops) {
    GPPSIM_CHECK(op < graph_->num_ops() && inside.insert(op), fmt::format("op {} is invalid or repeated", op));
  }
  StageLoad l;
  l.compute.assign(sizes_.size(), core::Seconds(0.0));
  for (const model::OpId op : ops) {
    const model::Op& o = graph_->op(op);
    for (std::size_t i = 0; i < sizes_.size(); ++i) l.compute[i] += op_compute_[op][i];
    l.parameter_bytes += o.parameter_bytes;
    l.stashed_per_sample += o.stashed_bytes;
  }
  // Each boundary edge is counted once, from its end inside, in the order of `ops`.
  for (const model::OpId op : ops) {
    for (const std::uint32_t index : incident_[op]) {
      const model::OpEdge& e = edges_[index];
      if (inside.contains(e.from == op ? e.to : e.from)) continue;
      l.boundary_per_sample += e.bytes;
      ++l.boundary_edges;
    }
  }
  return l;
}

core::Seconds StageEstimator::time_per_sample(const StageLoad& load, std::int64_t micro_batch,
                                              int devices) const {
  return time_per_sample(load, micro_batch, devices, allreduce_time(load.parameter_bytes, devices));
}

core::Seconds StageEstimator::time_per_sample(const StageLoad& load, std::int64_t micro_batch, int devices,
                                              core::Seconds allreduce) const {
  GPPSIM_CHECK(devices >= 1 && micro_batch % devices == 0,
               fmt::format("micro-batch {} does not split over {} devices", micro_batch, devices));
  const std::int64_t s = micro_batch / devices;
  const auto per_device = static_cast<double>(s);
  const core::Seconds transfers =
      2.0 * (static_cast<double>(load.boundary_edges) * link_.latency +
             (load.boundary_per_sample * per_device) / link_.bandwidth);
  const core::Seconds per_micro_batch = load.compute[size_index(s)] + transfers;
  return per_micro_batch / static_cast<double>(micro_batch) + allreduce / static_cast<double>(mini_batch_);
}

core::Bytes StageEstimator::static_memory(const StageLoad& load) const {
  return load.parameter_bytes * static_per_weight_byte_;
}

core::Bytes StageEstimator::memory(const StageLoad& load, std::int64_t micro_batch, int devices,
                                   std::int64_t in_flight) const {
  GPPSIM_CHECK(devices >= 1 && micro_batch % devices == 0 && in_flight >= 0,
               fmt::format("bad stage point b={} d={} in-flight={}", micro_batch, devices, in_flight));
  const auto samples = static_cast<double>(in_flight * (micro_batch / devices));
  return static_memory(load) + load.stashed_per_sample * samples;
}

double StageEstimator::least_device_time(const StageLoad& load, std::int64_t micro_batch) const {
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t d = 1; d <= micro_batch && d <= devices_; d *= 2) {
    const std::int64_t s = micro_batch / d;
    best = std::min(best, load.compute[size_index(s)].value() / static_cast<double>(s));
  }
  return best;
}

core::Seconds StageEstimator::allreduce_time(core::Bytes bytes, int devices) const {
  GPPSIM_CHECK(devices >= 1 && devices <= devices_,
               fmt::format("{} devices for an all-reduce on a {}-device cluster", devices, devices_));
  return cost::ring_allreduce_time(flat_ring(devices, link_), bytes);
}

StageFigures StageEstimator::estimate(const std::vector<model::OpId>& ops, std::int64_t micro_batch,
                                      int devices, std::int64_t in_flight) const {
  const StageLoad l = load(ops);
  StageFigures f;
  f.time_per_sample = time_per_sample(l, micro_batch, devices);
  f.memory = memory(l, micro_batch, devices, in_flight);
  f.fits = f.memory <= capacity_;
  return f;
}

std::string StageEstimator::link_description() const {
  return fmt::format("{} link: {:.6g} GB/s, {:.6g} us ({})",
                     nodes_ <= 1 ? "intra-node" : "slower of intra/inter-node",
                     link_.bandwidth.value() / 1e9, link_.latency.value() * 1e6,
                     nodes_ <= 1 ? "one node" : "stage placement unknown while searching");
}

Strategy assemble_strategy(const model::OpGraph& graph, const std::vector<PlannedStage>& stages,
                           std::int64_t micro_batch, ScheduleKind schedule) {
  std::vector<std::size_t> position(graph.num_ops(), 0);
  const std::vector<model::OpId> order = graph.topological_order();
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  Strategy s;
  s.schedule = schedule;
  std::vector<int> stage_of(graph.num_ops(), -1);
  hw::DeviceId next = 0;
  for (const PlannedStage& p : stages) {
    Stage st;
    st.id = static_cast<int>(s.stages.size());
    st.ops = p.ops;
    std::sort(st.ops.begin(), st.ops.end(),
              [&position](model::OpId a, model::OpId b) { return position[a] < position[b]; });
    for (const model::OpId op : st.ops) {
      GPPSIM_CHECK(stage_of[op] < 0, fmt::format("op {} is in two stages", op));
      stage_of[op] = st.id;
    }
    for (int d = 0; d < p.devices; ++d) st.devices.push_back(next++);
    st.micro_batch_size = micro_batch;
    s.stages.push_back(std::move(st));
  }
  for (model::OpId op = 0; op < graph.num_ops(); ++op) {
    GPPSIM_CHECK(stage_of[op] >= 0, fmt::format("op {} is in no stage", op));
  }
  s.edges = derive_stage_edges(graph, stage_of);
  return s;
}

std::vector<std::int64_t> in_flight_micro_batches(const Strategy& strategy, std::int64_t mini_batch) {
  const std::vector<int> paths = strategy.longest_paths_to_sink();
  std::vector<std::int64_t> out;
  for (const Stage& st : strategy.stages) {
    GPPSIM_CHECK(st.id >= 0 && static_cast<std::size_t>(st.id) < paths.size(),
                 fmt::format("stage id {} out of range [0, {})", st.id, paths.size()));
    const std::int64_t count = mini_batch / st.micro_batch_size;
    out.push_back(std::min<std::int64_t>(paths[static_cast<std::size_t>(st.id)], count));
  }
  return out;
}

StrategyFigures evaluate_strategy(const StageEstimator& estimator, const Strategy& strategy) {
  const std::vector<std::int64_t> in_flight = in_flight_micro_batches(strategy, estimator.mini_batch());
  StrategyFigures f;
  for (const Stage& st : strategy.stages) {
    const auto d = static_cast<int>(st.devices.size());
    const std::int64_t held = in_flight[static_cast<std::size_t>(st.id)];
    const StageFigures sf = estimator.estimate(st.ops, st.micro_batch_size, d, held);
    f.objective = core::max(f.objective, sf.time_per_sample);
    f.fits = f.fits && sf.fits;
    if (sf.memory > f.peak_memory) {
      f.peak_memory = sf.memory;
      f.peak_stage = st.id;
    }
  }
  return f;
}

}  // namespace gppsim::plan
