// Lowering: stage-edge bytes (including forwarding through a sequential chain), re-sharding
// between stages of different micro-batch sizes and data-parallel degrees, all-reduce and
// optimizer tasks, device queues. Expected counts and bytes derived by hand.

#include <gtest/gtest.h>

#include <map>

#include "sim/schedule/lower.h"

namespace gppsim::schedule {
namespace {

using core::Bytes;

// Diamond a -> {b, c} -> d; every edge carries 10 B per sample except c -> d with 7 B.
model::OpGraph diamond() {
  model::OpGraph g;
  for (const char* name : {"a", "b", "c", "d"}) {
    model::Op op;
    op.name = name;
    op.measured = model::MeasuredTimes{core::Seconds(1e-3), core::Seconds(2e-3)};
    op.parameter_bytes = Bytes(100);
    g.add_op(op);
  }
  g.add_edge(0, 1, Bytes(10));
  g.add_edge(0, 2, Bytes(10));
  g.add_edge(1, 3, Bytes(10));
  g.add_edge(2, 3, Bytes(7));
  return g;
}

plan::Strategy one_op_stages(std::vector<std::pair<int, int>> edges) {
  plan::Strategy s;
  for (int i = 0; i < 4; ++i) s.stages.push_back(plan::Stage{i, {static_cast<model::OpId>(i)}, {i}, 1});
  s.edges = std::move(edges);
  return s;
}

TEST(StageEdgeBytes, GraphPipelineSumsOpEdges) {
  const auto s = one_op_stages({{0, 1}, {0, 2}, {1, 3}, {2, 3}});
  const auto bytes = stage_edge_bytes(s, diamond());
  EXPECT_EQ(bytes, (std::vector<Bytes>{Bytes(10), Bytes(10), Bytes(10), Bytes(7)}));
}

TEST(StageEdgeBytes, SequentialChainForwardsNonAdjacentTensors) {
  // Chain 0 -> 1 -> 2 -> 3. a -> c (0 -> 2) passes through stage 1; b -> d (1 -> 3) through 2.
  // (0,1): a->b 10 + a->c 10 = 20; (1,2): a->c 10 + b->d 10 = 20; (2,3): b->d 10 + c->d 7 = 17.
  const auto s = one_op_stages({{0, 1}, {1, 2}, {2, 3}});
  const auto bytes = stage_edge_bytes(s, diamond());
  EXPECT_EQ(bytes, (std::vector<Bytes>{Bytes(20), Bytes(20), Bytes(17)}));
  EXPECT_EQ(stage_path(s, 0, 3), (std::vector<std::size_t>{0, 1, 2}));
}

template <typename T>
std::vector<T> tasks_of(const TaskGraph& g) {
  std::vector<T> out;
  for (TaskId t = 0; t < g.size(); ++t) {
    if (const auto* x = std::get_if<T>(&g.kind(t))) out.push_back(*x);
  }
  return out;
}

TEST(Lower, ReshardsBetweenDifferentMicroBatchesAndDegrees) {
  // Two stages on a chain a -> b (10 B per sample), mini-batch 8.
  // Stage 0: micro-batch 4 over devices {0, 1} (2 samples each); stage 1: micro-batch 2 on {2}.
  // Stage 1's micro-batch j (samples 2j..2j+1) lies inside stage 0's micro-batch j/2, shard j%2:
  // 4 forward transfers of 2 samples x 10 B = 20 B, and 4 gradient transfers back.
  model::OpGraph g;
  for (const char* name : {"a", "b"}) {
    model::Op op;
    op.name = name;
    op.parameter_bytes = Bytes(64);
    g.add_op(op);
  }
  g.add_edge(0, 1, Bytes(10));
  plan::Strategy s;
  s.schedule = plan::ScheduleKind::kOneFOneB;
  s.stages = {plan::Stage{0, {0}, {0, 1}, 4}, plan::Stage{1, {1}, {2}, 2}};
  s.edges = {{0, 1}};
  const auto sched = make_schedule(s, 8);
  const TaskGraph tasks = lower(s, sched, g, 8, 3);
  const auto transfers = tasks_of<TransferTask>(tasks);
  ASSERT_EQ(transfers.size(), 8u);
  std::map<std::pair<int, int>, int> pairs;  // (src, dst) -> count
  for (const auto& t : transfers) {
    EXPECT_EQ(t.bytes, Bytes(20));
    ++pairs[{t.src, t.dst}];
  }
  EXPECT_EQ(pairs, (std::map<std::pair<int, int>, int>{{{0, 2}, 2}, {{1, 2}, 2}, {{2, 0}, 2}, {{2, 1}, 2}}));
  // Stage 0 (2 micro-batches x 2 shards) and stage 1 (4 micro-batches): F + B each = 2 x (4 + 4).
  EXPECT_EQ(tasks_of<ComputeTask>(tasks).size(), 16u);
  // One all-reduce for the data-parallel stage 0 over {0, 1} of its 64 B of gradients.
  const auto ar = tasks_of<AllReduceTask>(tasks);
  ASSERT_EQ(ar.size(), 1u);
  EXPECT_EQ(std::vector<hw::DeviceId>(ar[0].ring.begin(), ar[0].ring.end()), (std::vector<hw::DeviceId>{0, 1}));
  EXPECT_EQ(ar[0].bytes, Bytes(64));
  // An optimizer step per device of each stage, last in each queue.
  EXPECT_EQ(tasks_of<OptimizerTask>(tasks).size(), 3u);
  for (int d = 0; d < 3; ++d) {
    ASSERT_FALSE(tasks.queue(d).empty());
    EXPECT_TRUE(std::holds_alternative<OptimizerTask>(tasks.kind(tasks.queue(d).back())));
    EXPECT_EQ(tasks.queue(d).size(), d < 2 ? 2u * 2 + 1 : 4u * 2 + 1);
  }
  // Every consumer is a compute task on the transfer's destination.
  for (const auto& t : transfers) {
    const auto& c = std::get<ComputeTask>(tasks.kind(t.consumer));
    EXPECT_EQ(c.device, t.dst);
  }
}

TEST(Lower, SameDeviceNeedsNoTransfer) {
  // Interleaved 1F1B with one device group: both chunks (stages) on device 0, one lane.
  model::OpGraph g;
  for (const char* name : {"a", "b"}) {
    model::Op op;
    op.name = name;
    g.add_op(op);
  }
  g.add_edge(0, 1, Bytes(10));
  plan::Strategy s;
  s.schedule = plan::ScheduleKind::kInterleaved1F1B;
  s.stages = {plan::Stage{0, {0}, {0}, 1}, plan::Stage{1, {1}, {0}, 1}};
  s.edges = {{0, 1}};
  const TaskGraph tasks = lower(s, make_schedule(s, 2), g, 2, 1);
  EXPECT_TRUE(tasks_of<TransferTask>(tasks).empty());  // producer and consumer share device 0
  EXPECT_EQ(tasks.queue(0).size(), 2u * 2 * 2 + 2);    // 2 stages x 2 mbs x (F, B) + 2 optimizer steps
}

}  // namespace
}  // namespace gppsim::schedule
