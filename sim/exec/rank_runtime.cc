#include "sim/exec/rank_runtime.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace gppsim::exec::detail {
namespace {

using schedule::ComputeTask;
using schedule::TaskId;
using schedule::TransferTask;

int checked_count(std::size_t floats) {
  GPPSIM_CHECK(floats <= static_cast<std::size_t>(INT_MAX), "a message over 2^31 floats");
  return static_cast<int>(floats);
}

}  // namespace

RankRuntime::RankRuntime(const ExecModel& model, const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                         const TrainingSetup& setup, int rank, Device& device)
    : model_(model),
      strategy_(strategy),
      tasks_(tasks),
      boundary_(make_stage_boundary(strategy, model)),
      rank_(rank),
      mem_(device),
      host_mem_(device.staging()) {
  for (const auto& st : strategy.stages) {
    if (std::find(st.devices.begin(), st.devices.end(), rank) == st.devices.end()) continue;
    runners_[st.id] = std::make_unique<StageRunner>(model_, st, boundary_, setup, mem_);
  }
  index_tasks();
  make_communicators();
}

RankRuntime::~RankRuntime() {
  for (auto& [stage, comm] : stage_comm_) MPI_Comm_free(&comm);
}

void RankRuntime::index_tasks() {
  std::map<std::pair<int, int>, int> next_tag;
  for (TaskId id = 0; id < tasks_.size(); ++id) {
    const auto& kind = tasks_.kind(id);
    if (const auto* t = std::get_if<TransferTask>(&kind)) {
      const int tag = next_tag[{t->src, t->dst}]++;
      if (t->src == rank_ || t->dst == rank_) tag_[id] = tag;
      if (t->src == rank_) {
        sends_[tasks_.deps(id)[0]].push_back(id);
        ++users_[tasks_.deps(id)[0]];
      }
    } else if (const auto* c = std::get_if<ComputeTask>(&kind); c != nullptr && c->device == rank_) {
      for (const TaskId dep : tasks_.deps(id)) {
        const auto* d = std::get_if<ComputeTask>(&tasks_.kind(dep));
        if (d != nullptr && d->stage != c->stage) ++users_[dep];
      }
    } else if (const auto* a = std::get_if<schedule::AllReduceTask>(&kind)) {
      for (const TaskId dep : tasks_.deps(id)) {
        const auto* d = std::get_if<ComputeTask>(&tasks_.kind(dep));
        if (d != nullptr && d->device == rank_) {
          reduce_after_[dep].push_back(id);
          reduce_of_stage_[a->stage] = id;
        }
      }
    }
  }
  int* tag_ub = nullptr;
  int flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
  for (const auto& [pair, count] : next_tag) {
    if (flag != 0 && count > *tag_ub) {
      throw core::PlanError(fmt::format("{} messages from device {} to {} exceed this MPI's tag limit {}", count,
                                        pair.first, pair.second, *tag_ub));
    }
  }
}

void RankRuntime::make_communicators() {
  for (const auto& st : strategy_.stages) {
    if (st.devices.size() < 2) continue;
    const auto it = std::find(st.devices.begin(), st.devices.end(), rank_);
    const bool member = it != st.devices.end();
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, member ? 0 : MPI_UNDEFINED,
                   member ? static_cast<int>(it - st.devices.begin()) : 0, &comm);
    if (member) stage_comm_[st.id] = comm;
  }
}

RankRuntime::Range RankRuntime::range(TaskId compute) const {
  const auto& c = std::get<ComputeTask>(tasks_.kind(compute));
  const auto& st = strategy_.stages[static_cast<std::size_t>(c.stage)];
  const auto k = std::find(st.devices.begin(), st.devices.end(), c.device) - st.devices.begin();
  const std::int64_t lo = c.micro_batch * st.micro_batch_size + k * c.samples;
  return {lo, lo + c.samples};
}

const std::vector<std::size_t>& RankRuntime::payload_of(const TransferTask& t) const {
  const bool forward = t.phase == schedule::Phase::kForward;
  return boundary_.payload[forward ? boundary_.edge_index(t.from_stage, t.to_stage)
                                   : boundary_.edge_index(t.to_stage, t.from_stage)];
}

void RankRuntime::post_receives(TaskId compute) {
  const Range me = range(compute);
  for (const TaskId dep : tasks_.deps(compute)) {
    const auto* t = std::get_if<TransferTask>(&tasks_.kind(dep));
    if (t == nullptr || receives_.count(dep) != 0) continue;
    const std::size_t n = rows(overlap(me, range(tasks_.deps(dep)[0])));
    Pending& pending = receives_[dep];
    pending.buffer = Buffer(staging(), 1, payload_floats(model_, payload_of(*t), n));
    MPI_Irecv(pending.buffer.data(), checked_count(pending.buffer.size()), MPI_FLOAT, t->src, tag_.at(dep),
              MPI_COMM_WORLD, &pending.request);
  }
}

void RankRuntime::wait_receive(TaskId transfer) {
  Pending& p = receives_.at(transfer);
  if (p.arrived < 0.0) {
    MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    p.arrived = MPI_Wtime();
  }
  records_.push_back({static_cast<double>(transfer), 0.0, p.arrived, 2.0});
}

void RankRuntime::poll_receives() {
  for (auto& [id, p] : receives_) {
    if (p.arrived >= 0.0) continue;
    int done = 0;
    MPI_Test(&p.request, &done, MPI_STATUS_IGNORE);
    if (done != 0) p.arrived = MPI_Wtime();
  }
  report_pending_sends();
}

void RankRuntime::report_pending_sends() {
  if (!on_pending_sends_) return;
  std::size_t pending = 0;
  for (auto& [request, buffer] : sends_in_flight_) {
    if (buffer.bytes() <= progress_min_bytes_) continue;
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);  // a completed request is MPI_REQUEST_NULL: done
    if (done == 0) ++pending;
  }
  on_pending_sends_(pending);
}

EdgeTensors RankRuntime::gather_inputs(TaskId id, const ComputeTask& c) {
  const Range me = range(id);
  const bool forward = c.phase == schedule::Phase::kForward;
  const auto st = static_cast<std::size_t>(c.stage);
  EdgeTensors in = allocate_edges(model_, forward ? boundary_.in_edges[st] : boundary_.out_edges[st], rows(me), mem_);
  for (const TaskId dep : tasks_.deps(id)) {
    const auto& kind = tasks_.kind(dep);
    if (const auto* t = std::get_if<TransferTask>(&kind)) {
      const Range o = overlap(me, range(tasks_.deps(dep)[0]));
      unpack(model_, payload_of(*t), receives_.at(dep).buffer.data(), rows(o), in, static_cast<std::size_t>(o.lo - me.lo));
      receives_.erase(dep);
    } else if (const auto* d = std::get_if<ComputeTask>(&kind); d != nullptr && d->stage != c.stage) {
      const Range p = range(dep);
      const Range o = overlap(me, p);
      const auto& edges = boundary_.payload[forward ? boundary_.edge_index(d->stage, c.stage)
                                                    : boundary_.edge_index(c.stage, d->stage)];
      copy_rows(edges, outputs_.at(dep), static_cast<std::size_t>(o.lo - p.lo), in,
                static_cast<std::size_t>(o.lo - me.lo), rows(o));
      release(dep);
    }
  }
  return in;
}

void RankRuntime::run_compute(TaskId id) {
  const auto& c = std::get<ComputeTask>(tasks_.kind(id));
  for (const TaskId dep : tasks_.deps(id)) {
    if (std::holds_alternative<TransferTask>(tasks_.kind(dep))) wait_receive(dep);
  }
  const double start = MPI_Wtime();
  EdgeTensors in = gather_inputs(id, c);
  StageRunner& runner = *runners_.at(c.stage);
  const Range me = range(id);
  EdgeTensors out;
  switch (c.phase) {
    case schedule::Phase::kForward:
      out = runner.forward(c.micro_batch, me.lo, rows(me), in);
      break;
    case schedule::Phase::kBackward:
      out = runner.backward(c.micro_batch, in, strategy_.schedule == plan::ScheduleKind::kZbH1);
      break;
    case schedule::Phase::kWeightGrad: runner.weight_grad(c.micro_batch); break;
  }
  mem_.device().synchronize();
  in.clear();
  send_outputs(id, out);
  if (remaining_[id] > 0) outputs_[id] = std::move(out);
  records_.push_back({static_cast<double>(id), start, MPI_Wtime(), 0.0});
  after_compute(id);
}

void RankRuntime::send_outputs(TaskId id, const EdgeTensors& out) {
  const auto it = sends_.find(id);
  if (it == sends_.end()) return;
  const Range me = range(id);
  for (const TaskId t : it->second) {
    const auto& tr = std::get<TransferTask>(tasks_.kind(t));
    const Range o = overlap(me, range(tr.consumer));
    Buffer message = pack(model_, payload_of(tr), out, static_cast<std::size_t>(o.lo - me.lo), rows(o), staging());
    MPI_Request request = MPI_REQUEST_NULL;
    records_.push_back({static_cast<double>(t), MPI_Wtime(), 0.0, 1.0});
    MPI_Isend(message.data(), checked_count(message.size()), MPI_FLOAT, tr.dst, tag_.at(t), MPI_COMM_WORLD, &request);
    sends_in_flight_.emplace_back(request, std::move(message));
    --remaining_[id];
  }
  report_pending_sends();
}

void RankRuntime::release(TaskId producer) {
  if (--remaining_[producer] <= 0) outputs_.erase(producer);
}

void RankRuntime::after_compute(TaskId id) {
  const auto it = reduce_after_.find(id);
  if (it == reduce_after_.end()) return;
  for (const TaskId ar : it->second) {
    const int stage = std::get<schedule::AllReduceTask>(tasks_.kind(ar)).stage;
    Buffer* grads = &runners_.at(stage)->gradients();
    reduction_record_[ar] = records_.size();
    records_.push_back({static_cast<double>(ar), MPI_Wtime(), 0.0, 3.0});
    if (!mem_.device().host_memory()) {
      Buffer& host = reduction_staging_[ar] = Buffer(host_mem_, 1, grads->size());
      mem_.device().download(host.data(), grads->data(), grads->size());
      grads = &host;
    }
    MPI_Iallreduce(MPI_IN_PLACE, grads->data(), checked_count(grads->size()), MPI_FLOAT, MPI_SUM,
                   stage_comm_.at(stage), &reductions_[ar]);
  }
}

void RankRuntime::run_optimizer(TaskId id) {
  const int stage = std::get<schedule::OptimizerTask>(tasks_.kind(id)).stage;
  if (const auto ar = reduce_of_stage_.find(stage); ar != reduce_of_stage_.end()) {
    MPI_Wait(&reductions_.at(ar->second), MPI_STATUS_IGNORE);
    reductions_.erase(ar->second);
    if (const auto host = reduction_staging_.find(ar->second); host != reduction_staging_.end()) {
      Buffer& grads = runners_.at(stage)->gradients();
      mem_.device().upload(grads.data(), host->second.data(), grads.size());
      reduction_staging_.erase(host);
    }
    records_[reduction_record_.at(ar->second)].end = MPI_Wtime();
  }
  const double start = MPI_Wtime();
  runners_.at(stage)->optimizer_step();
  mem_.device().synchronize();
  records_.push_back({static_cast<double>(id), start, MPI_Wtime(), 0.0});
}

std::vector<TaskRecord> RankRuntime::run_iteration() {
  records_.clear();
  remaining_ = users_;
  const auto& queue = tasks_.queue(rank_);
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const TaskId id = queue[i];
    const bool compute = std::holds_alternative<ComputeTask>(tasks_.kind(id));
    if (compute) post_receives(id);
    if (i + 1 < queue.size() && std::holds_alternative<ComputeTask>(tasks_.kind(queue[i + 1]))) {
      post_receives(queue[i + 1]);  // one task ahead: data may arrive while this one computes
    }
    if (compute) run_compute(id); else run_optimizer(id);
    poll_receives();
  }
  for (auto& [request, buffer] : sends_in_flight_) MPI_Wait(&request, MPI_STATUS_IGNORE);
  sends_in_flight_.clear();
  if (on_pending_sends_) on_pending_sends_(0);
  GPPSIM_CHECK(receives_.empty() && reductions_.empty() && outputs_.empty(), "an iteration left messages behind");
  return records_;
}

std::size_t RankRuntime::static_bytes() const {
  std::size_t n = 0;
  for (const auto& [stage, r] : runners_) n += r->static_bytes();
  return n;
}

StageRunner* RankRuntime::runner(int stage) {
  const auto it = runners_.find(stage);
  return it == runners_.end() ? nullptr : it->second.get();
}

}  // namespace gppsim::exec::detail
