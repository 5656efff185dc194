#include "sim/exec/stage_boundary.h"

#include <algorithm>

#include "sim/core/check.h"
#include "sim/exec/op_kernels.h"
#include "sim/schedule/lower.h"

namespace gppsim::exec {
namespace {

void sort_unique(std::vector<std::size_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

std::size_t StageBoundary::edge_index(int from, int to) const {
  const auto it = std::lower_bound(edges.begin(), edges.end(), std::pair{from, to});
  GPPSIM_CHECK(it != edges.end() && *it == std::pair(from, to), "no such stage edge");
  return static_cast<std::size_t>(it - edges.begin());
}

StageBoundary make_stage_boundary(const plan::Strategy& strategy, const ExecModel& model) {
  StageBoundary b;
  b.edges = strategy.edges;
  b.payload.resize(strategy.edges.size());
  b.in_edges.resize(strategy.stages.size());
  b.out_edges.resize(strategy.stages.size());
  b.stage_of.assign(model.ops.size(), -1);
  for (const auto& st : strategy.stages) {
    for (const auto op : st.ops) b.stage_of[op] = st.id;
  }
  for (std::size_t e = 0; e < model.edges.size(); ++e) {
    const int from = b.stage_of[model.edges[e].from];
    const int to = b.stage_of[model.edges[e].to];
    if (from == to) continue;
    for (const std::size_t se : schedule::stage_path(strategy, from, to)) {
      b.payload[se].push_back(e);
      b.out_edges[static_cast<std::size_t>(strategy.edges[se].first)].push_back(e);
      b.in_edges[static_cast<std::size_t>(strategy.edges[se].second)].push_back(e);
    }
  }
  for (auto& v : b.payload) sort_unique(&v);
  for (auto& v : b.in_edges) sort_unique(&v);
  for (auto& v : b.out_edges) sort_unique(&v);
  return b;
}

EdgeTensors allocate_edges(const ExecModel& model, const std::vector<std::size_t>& op_edges, std::size_t rows,
                           MemoryCounter& mem) {
  EdgeTensors out;
  for (const auto e : op_edges) {
    out.emplace(e, std::make_shared<Buffer>(mem, rows, static_cast<std::size_t>(model.edge_width(e))));
  }
  return out;
}

std::size_t payload_floats(const ExecModel& model, const std::vector<std::size_t>& op_edges, std::size_t rows) {
  std::size_t n = 0;
  for (const auto e : op_edges) n += rows * static_cast<std::size_t>(model.edge_width(e));
  return n;
}

Buffer pack(const ExecModel& model, const std::vector<std::size_t>& op_edges, const EdgeTensors& src,
            std::size_t row0, std::size_t rows, MemoryCounter& mem) {
  Buffer out(mem, 1, payload_floats(model, op_edges, rows));
  float* p = out.data();
  for (const auto e : op_edges) {
    const Buffer& t = *src.at(e);
    t.device().download(p, t.row(row0), rows * t.cols());
    p += rows * t.cols();
  }
  return out;
}

void unpack(const ExecModel& model, const std::vector<std::size_t>& op_edges, const float* message, std::size_t rows,
            EdgeTensors& dst, std::size_t row0) {
  for (const auto e : op_edges) {
    Buffer& t = *dst.at(e);
    GPPSIM_CHECK(t.cols() == static_cast<std::size_t>(model.edge_width(e)) && row0 + rows <= t.rows(),
                 "message rows out of the tensor");
    t.device().upload(t.row(row0), message, rows * t.cols());
    message += rows * t.cols();
  }
}

void copy_rows(const std::vector<std::size_t>& op_edges, const EdgeTensors& src, std::size_t src_row0,
               EdgeTensors& dst, std::size_t dst_row0, std::size_t rows) {
  for (const auto e : op_edges) {
    const Buffer& s = *src.at(e);
    Buffer& d = *dst.at(e);
    GPPSIM_CHECK(s.cols() == d.cols() && src_row0 + rows <= s.rows() && dst_row0 + rows <= d.rows(),
                 "local copy out of range");
    d.device().copy(d.row(dst_row0), s.row(src_row0), rows * s.cols());
  }
}

}  // namespace gppsim::exec
