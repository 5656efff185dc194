#include <fmt/format.h>

#include "sim/config/experiment_sections.h"
#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

void read_training_basics(const YamlValue& v, Experiment* exp) {
  const YamlMap m(v, {"dtype", "optimizer"});
  if (const auto d = m.get("dtype", false)) {
    if (const auto name = d->as_choice({"fp32", "tf32", "fp16", "bf16"})) exp->dtype = *core::parse_dtype(*name);
  }
  if (const auto o = m.get("optimizer", false)) {
    const auto name = o->as_choice({"sgd", "momentum", "adam"});
    if (name == "sgd") exp->optimizer = model::Optimizer::kSgd;
    if (name == "momentum") exp->optimizer = model::Optimizer::kMomentum;
    if (name == "adam") exp->optimizer = model::Optimizer::kAdam;
  }
}

void read_models(const YamlValue& v, Experiment* exp) {
  if (!v.is_map()) {
    v.error("expected a mapping from model names to {zoo: NAME, args: {...}}");
    return;
  }
  for (const auto& kv : v.node()) {
    const std::string name = kv.first.Scalar();
    const YamlValue entry(kv.second, child_path(v.path(), name), v.context());
    const YamlMap m(entry, {"zoo", "args"});
    const auto zoo = m.get("zoo", true);
    const auto zoo_name = zoo ? zoo->as_choice({"mmt", "dlrm", "candle_uno", "transformer", "two_branch", "chain"})
                              : std::nullopt;
    if (!zoo_name) continue;
    if (auto args = read_zoo_args(*zoo_name, m.get("args", false))) exp->models.emplace(name, std::move(*args));
  }
}

void read_mini_batches(const YamlValue& v, Experiment* exp) {
  if (!v.is_map()) {
    v.error("expected a mapping from model names to {GPUS: MINI_BATCH, ...}");
    return;
  }
  for (const auto& kv : v.node()) {
    const std::string name = kv.first.Scalar();
    const YamlValue per_model(kv.second, child_path(v.path(), name), v.context());
    if (!exp->models.contains(name)) per_model.error(fmt::format("expected a model defined under models, found \"{}\"", name));
    if (!per_model.is_map()) {
      per_model.error("expected a mapping from GPU counts to mini-batch sizes, e.g. {4: 64, 8: 128}");
      continue;
    }
    for (const auto& g : per_model.node()) {
      const YamlValue gpus(g.first, child_path(per_model.path(), g.first.Scalar()), v.context());
      const YamlValue size(g.second, gpus.path(), v.context());
      const auto n = gpus.as_int(1, 4096);
      const auto b = size.as_int(1);
      if (n && b) exp->mini_batch[name][static_cast<int>(*n)] = *b;
    }
  }
}

}  // namespace

void read_experiment_basics(const YamlMap& top, Experiment* exp) {
  const auto name = top.get("name", false);
  exp->name = name ? name->as_string().value_or("") : exp->file.stem().string();
  if (const auto c = top.get("cluster", true)) {
    if (auto cluster = read_cluster(*c, exp->file.parent_path())) exp->cluster = std::move(*cluster);
  }
  if (const auto t = top.get("training", false)) read_training_basics(*t, exp);
  if (const auto v = top.get("micro_batch_sizes", true)) {
    for (const auto& e : v->elements()) {
      if (const auto b = e.as_int(1, 1 << 20)) exp->micro_batch_sizes.push_back(*b);
    }
  }
  if (const auto v = top.get("models", true)) read_models(*v, exp);
  if (const auto v = top.get("mini_batch", true)) read_mini_batches(*v, exp);
}

}  // namespace gppsim::config
