#include "sim/plan/sp_symmetry.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace gppsim::plan {
namespace {

/// An edge as seen from one of its ops: direction, the other op, bytes per sample.
struct Incident {
  int out = 0;  ///< 1: the op is the edge's source
  model::OpId partner = 0;
  double bytes = 0.0;
};

/// Whole numbers below 2^50 add exactly in any order.
bool whole(double bytes) { return bytes >= 0.0 && bytes < 0x1p50 && std::floor(bytes) == bytes; }

class Matcher {
 public:
  Matcher(const SpTree& tree, const StageEstimator& est) : tree_(tree) {
    const model::OpGraph& g = est.graph();
    incident_.resize(g.num_ops());
    loads_.reserve(g.num_ops());
    for (model::OpId op = 0; op < g.num_ops(); ++op) loads_.push_back(est.load({op}));
    for (const model::OpEdge& e : g.edges()) {
      incident_[e.from].push_back({1, e.to, e.bytes.value()});
      incident_[e.to].push_back({0, e.from, e.bytes.value()});
    }
    pos_u_.assign(g.num_ops(), -1);
    pos_v_.assign(g.num_ops(), -1);
  }

  std::vector<int> run() {
    group_.assign(tree_.nodes.size(), -1);
    visit(tree_.root);
    std::vector<int> smallest(tree_.nodes.size(), -1);
    for (std::size_t v = 0; v < tree_.nodes.size(); ++v) {
      if (group_[v] < 0) continue;  // not below the root
      int& first = smallest[static_cast<std::size_t>(group_[v])];
      if (first < 0) first = static_cast<int>(v);
    }
    std::vector<int> out(tree_.nodes.size());
    for (std::size_t v = 0; v < tree_.nodes.size(); ++v) {
      out[v] = group_[v] < 0 ? static_cast<int>(v) : smallest[static_cast<std::size_t>(group_[v])];
    }
    return out;
  }

 private:
  const SpNode& node(int v) const { return tree_.nodes[static_cast<std::size_t>(v)]; }
  int group_of(int v) const { return group_[static_cast<std::size_t>(v)]; }

  // Post-order: children are grouped before their parent is compared.
  void visit(int v) {
    for (const int c : node(v).children) visit(c);
    const SpNode& n = node(v);
    const auto key = std::make_tuple(static_cast<int>(n.kind), n.children.size(), n.ops.size());
    std::vector<int>& firsts = buckets_[key];
    for (const int u : firsts) {
      if (same(u, v)) {
        group_[static_cast<std::size_t>(v)] = group_[static_cast<std::size_t>(u)];
        return;
      }
    }
    group_[static_cast<std::size_t>(v)] = groups_++;
    firsts.push_back(v);
  }

  bool same(int u, int v) {
    const SpNode& a = node(u);
    const SpNode& b = node(v);
    for (std::size_t k = 0; k < a.children.size(); ++k) {
      if (group_of(a.children[k]) != group_of(b.children[k])) return false;
    }
    mark(a, pos_u_, 0);
    mark(b, pos_v_, 0);
    const bool ok = children_agree(a, b) && ops_agree(a, b);
    mark(a, pos_u_, -1);
    mark(b, pos_v_, -1);
    return ok;
  }

  // Positions in a node's ascending op list (-1 outside); `reset` = -1 clears them again.
  static void mark(const SpNode& n, std::vector<int>& pos, int reset) {
    for (std::size_t i = 0; i < n.ops.size(); ++i) pos[n.ops[i]] = reset < 0 ? -1 : static_cast<int>(i);
  }

  // The children's own matchings (their ascending lists) must be the parent's matching.
  bool children_agree(const SpNode& a, const SpNode& b) const {
    for (std::size_t k = 0; k < a.children.size(); ++k) {
      const SpNode& ca = node(a.children[k]);
      const SpNode& cb = node(b.children[k]);
      for (std::size_t i = 0; i < ca.ops.size(); ++i) {
        if (pos_u_[ca.ops[i]] != pos_v_[cb.ops[i]]) return false;
      }
    }
    return true;
  }

  bool ops_agree(const SpNode& a, const SpNode& b) const {
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
      const StageLoad& la = loads_[a.ops[i]];
      const StageLoad& lb = loads_[b.ops[i]];
      if (la.compute != lb.compute || la.parameter_bytes != lb.parameter_bytes ||
          la.stashed_per_sample != lb.stashed_per_sample) {
        return false;
      }
      if (signature(a.ops[i], pos_u_) != signature(b.ops[i], pos_v_)) return false;
    }
    return true;
  }

  // An op's edges as (direction, partner's position or -1 outside, bytes), sorted; an edge with
  // fractional bytes makes the op unmatchable (-2).
  std::vector<std::tuple<int, int, double>> signature(model::OpId op, const std::vector<int>& pos) const {
    std::vector<std::tuple<int, int, double>> out;
    for (const Incident& e : incident_[op]) {
      out.emplace_back(e.out, whole(e.bytes) ? pos[e.partner] : -2 - static_cast<int>(op), e.bytes);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  const SpTree& tree_;
  std::vector<StageLoad> loads_;
  std::vector<std::vector<Incident>> incident_;
  std::vector<int> pos_u_, pos_v_;
  std::vector<int> group_;
  int groups_ = 0;
  std::map<std::tuple<int, std::size_t, std::size_t>, std::vector<int>> buckets_;
};

}  // namespace

std::vector<int> interchangeable_nodes(const SpTree& tree, const StageEstimator& estimator) {
  return Matcher(tree, estimator).run();
}

}  // namespace gppsim::plan
