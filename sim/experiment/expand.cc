#include <algorithm>

#include <fmt/format.h>

#include "sim/core/errors.h"
#include "sim/experiment/cell.h"

namespace gppsim::experiment {
namespace {

std::string describe(const model::ZooArgs& args) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, model::MmtArgs>) {
          return fmt::format("mmt({},{},{},{},{},{})", a.branches, a.layers_per_branch, a.hidden, a.heads, a.ffn, a.seq_len);
        } else if constexpr (std::is_same_v<T, model::DlrmArgs>) {
          return fmt::format("dlrm({},{},{},{},{},{},{},{})", a.dense_branches, a.sparse_branches, a.layers_per_branch,
                             a.hidden, a.embedding_dim, a.embedding_rows, a.bag_size, a.top_layers);
        } else if constexpr (std::is_same_v<T, model::CandleUnoArgs>) {
          return fmt::format("candle_uno({},{},{})", a.branches, a.layers_per_branch, a.hidden);
        } else if constexpr (std::is_same_v<T, model::TransformerArgs>) {
          return fmt::format("transformer({},{},{},{},{})", a.layers, a.hidden, a.heads, a.ffn, a.seq_len);
        } else if constexpr (std::is_same_v<T, model::TwoBranchArgs>) {
          return fmt::format("two_branch({},{},{},{},{})", a.branches, a.blocks_per_branch, a.hidden, a.heads, a.seq_len);
        } else {
          return fmt::format("chain({},{},{},{},{})", a.layers, a.forward_time.value(), a.backward_time.value(),
                             a.activation_bytes.value(), a.parameter_bytes.value());
        }
      },
      args);
}

// Sets the branch count of models that have one; other models cannot be swept.
model::ZooArgs with_branches(model::ZooArgs args, std::int64_t branches, const config::Experiment& exp) {
  bool ok = true;
  std::visit(
      [&](auto& a) {
        if constexpr (requires { a.branches; }) a.branches = branches; else ok = false;
      },
      args);
  if (!ok) {
    throw core::ConfigError(core::SourceLocation{exp.file.string(), 0, 0, "parts.branch_sweep.model"},
                            "expected a model with a branches argument (mmt, candle_uno, two_branch)");
  }
  return args;
}

class Expander {
 public:
  explicit Expander(const config::Experiment& exp) : exp_(exp) {}

  std::size_t add(std::string part, const std::string& model, int gpus, std::int64_t mini_batch,
                  plan::PlannerKind planner, std::string variant, std::vector<std::int64_t> candidates) {
    CellSpec c;
    c.part = std::move(part);
    c.model = model;
    c.args = exp_.models.at(model);
    c.gpus = gpus;
    c.mini_batch = mini_batch;
    c.planner = planner;
    c.variant = std::move(variant);
    std::erase_if(candidates, [&](std::int64_t b) { return mini_batch % b != 0; });
    c.micro_batch_sizes = std::move(candidates);
    c.cluster = cluster_for(exp_.cluster, gpus);
    c.dtype = exp_.dtype;
    c.optimizer = exp_.optimizer;
    cells_.push_back(std::move(c));
    return cells_.size() - 1;
  }

  [[nodiscard]] std::int64_t mini_batch(const std::string& model, int gpus) const {
    const auto m = exp_.mini_batch.find(model);
    if (m != exp_.mini_batch.end()) {
      if (const auto it = m->second.find(gpus); it != m->second.end()) return it->second;
    }
    throw core::ConfigError(core::SourceLocation{exp_.file.string(), 0, 0, fmt::format("mini_batch.{}", model)},
                            fmt::format("expected a mini-batch for {} on {} GPUs, found none", model, gpus));
  }

  void best(const std::string& part, const std::string& model, int gpus, plan::PlannerKind p) {
    add(part, model, gpus, mini_batch(model, gpus), p, "best", exp_.micro_batch_sizes);
  }

  void parts(const config::ExperimentParts& ps) {
    if (ps.throughput) {
      for (const auto& m : ps.throughput->models)
        for (const int g : ps.throughput->gpus)
          for (const auto p : ps.throughput->planners) best("throughput", m, g, p);
    }
    if (ps.ablation) ablation(*ps.ablation);
    if (ps.branch_sweep) branch_sweep(*ps.branch_sweep);
    if (ps.micro_batch_sweep) micro_batch_sweep(*ps.micro_batch_sweep);
    for (const auto* c : {&ps.case_study, &ps.sequential}) {
      if (!*c) continue;
      const std::string part = c == &ps.case_study ? "case_study" : "sequential";
      for (const int g : (*c)->gpus)
        for (const auto p : (*c)->planners) best(part, (*c)->model, g, p);
    }
  }

  std::vector<CellSpec> take() { return std::move(cells_); }

 private:
  void ablation(const config::AblationPart& a) {
    for (const auto& m : a.models) {
      for (const int g : a.gpus) {
        const auto b = mini_batch(m, g);
        const auto spp = add("ablation", m, g, b, plan::PlannerKind::kPipeDream, "spp", exp_.micro_batch_sizes);
        const auto par = add("ablation", m, g, b, plan::PlannerKind::kGraphPipe, "parallel_only", {});
        cells_[par].micro_batch_of = spp;
        add("ablation", m, g, b, plan::PlannerKind::kGraphPipe, "gpp", exp_.micro_batch_sizes);
      }
    }
  }

  void branch_sweep(const config::BranchSweepPart& s) {
    for (const auto n : s.branches) {
      for (const int g : s.gpus) {
        for (const auto p : s.planners) {
          const auto i = add("branch_sweep", s.model, g, s.mini_batch_per_gpu * g, p, "best", exp_.micro_batch_sizes);
          cells_[i].args = with_branches(cells_[i].args, n, exp_);
          cells_[i].branches = n;
        }
      }
    }
  }

  void micro_batch_sweep(const config::MicroBatchSweepPart& s) {
    for (const auto b : s.micro_batch_sizes)
      for (const auto p : s.planners)
        add("micro_batch_sweep", s.model, s.gpus, s.mini_batch, p, fmt::format("mb={}", b), {b});
  }

  const config::Experiment& exp_;
  std::vector<CellSpec> cells_;
};

}  // namespace

std::string CellSpec::fingerprint() const {
  std::string mbs;
  for (const auto b : micro_batch_sizes) mbs += fmt::format("{},", b);
  // The version prefix changes whenever planner or simulator changes alter results (v2: PipeDream's
  // divisible-replication fallback, Piper over transformer layers), so older caches are not reused.
  // The variant is only a label: cells with equal inputs (a "gpp" ablation cell and a throughput
  // cell, say) share one result.
  return fmt::format("gppsim-cell-v2|{}|gpus={}|nodes={}x{}|{}|intra={},{}|inter={},{}|{}|opt={}|B={}|{}|mbs={}",
                     describe(args), gpus, cluster.nodes, cluster.gpus_per_node,
                     cluster.profile ? cluster.device.name + "@" + cluster.profile->digest : cluster.device.name,
                     cluster.intra_node.bandwidth.value(), cluster.intra_node.latency.value(),
                     cluster.inter_node.bandwidth.value(), cluster.inter_node.latency.value(), core::to_string(dtype),
                     static_cast<int>(optimizer), mini_batch, plan::to_string(planner), mbs);
}

hw::ClusterSpec cluster_for(const hw::ClusterSpec& base, int gpus) {
  hw::ClusterSpec c = base;
  c.gpus_per_node = std::min(base.gpus_per_node, gpus);
  c.nodes = (gpus + c.gpus_per_node - 1) / c.gpus_per_node;
  return c;
}

std::vector<CellSpec> expand(const config::Experiment& exp, bool quick) {
  Expander e(exp);
  e.parts(quick ? exp.quick : exp.parts);
  return e.take();
}

}  // namespace gppsim::experiment
