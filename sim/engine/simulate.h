#pragma once
// The discrete-event executor: runs a TaskGraph on the hardware model in simulated time.
//
// Events are ordered by (time in int64 picoseconds, insertion sequence), so equal inputs give
// identical traces. A device runs one compute task at a time, in its queue order, each as soon
// as its dependencies are done. Transfers run on links concurrently with compute: the route's
// latency once, then the bytes as a flow sharing every link max-min fairly with the other flows
// (FlowNetwork). A gradient all-reduce is a ring: 2(n-1) steps of n neighbour transfers of
// bytes/n each, a step starting when the previous one has fully arrived.
//
// Memory per device: static (weights, gradients, optimizer state of its stages) plus dynamic:
// activations stashed from a forward's end until its backward's end (until W's end under ZB-H1),
// and received tensors from arrival until the consuming compute task ends. Peaks are reported;
// judging them against capacity is the caller's business.

#include "sim/cost/op_cost.h"
#include "sim/hw/topology.h"
#include "sim/model/model.h"
#include "sim/model/summary.h"
#include "sim/plan/strategy.h"
#include "sim/schedule/task_graph.h"
#include "sim/schedule/trace.h"

namespace gppsim::engine {

/// Everything one simulation reads; all referenced objects must outlive the call.
struct SimulationInput {
  const plan::Strategy& strategy;
  const schedule::TaskGraph& tasks;
  const model::Model& model;
  const hw::Topology& topology;
  const cost::OpCost& op_cost;
  model::Optimizer optimizer = model::Optimizer::kAdam;
};

/// Simulates one iteration. Throws InternalError when tasks can never run (a cyclic order).
schedule::Trace simulate(const SimulationInput& input);

}  // namespace gppsim::engine
