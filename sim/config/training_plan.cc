#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "sim/config/sections.h"

namespace gppsim::config {
namespace {

constexpr std::array<std::pair<PlannerKind, std::string_view>, 5> kPlanners{{
    {PlannerKind::kGraphPipe, "graphpipe"},
    {PlannerKind::kPipeDream, "pipedream"},
    {PlannerKind::kPiper, "piper"},
    {PlannerKind::kExhaustive, "exhaustive"},
    {PlannerKind::kManual, "manual"},
}};

constexpr std::array<std::pair<ScheduleKind, std::string_view>, 4> kSchedules{{
    {ScheduleKind::kGpipe, "gpipe"},
    {ScheduleKind::kOneFOneB, "1f1b"},
    {ScheduleKind::kInterleaved1F1B, "interleaved-1f1b"},
    {ScheduleKind::kZbH1, "zb-h1"},
}};

constexpr std::array<std::pair<model::Optimizer, std::string_view>, 3> kOptimizers{{
    {model::Optimizer::kSgd, "sgd"},
    {model::Optimizer::kMomentum, "momentum"},
    {model::Optimizer::kAdam, "adam"},
}};

template <typename E, std::size_t N>
std::vector<std::string_view> names(const std::array<std::pair<E, std::string_view>, N>& table) {
  std::vector<std::string_view> out;
  for (const auto& [kind, name] : table) out.push_back(name);
  return out;
}

template <typename E, std::size_t N>
std::optional<E> read_enum(const YamlValue& v, const std::array<std::pair<E, std::string_view>, N>& table) {
  const auto name = v.as_choice(names(table));
  if (!name) return std::nullopt;
  for (const auto& [kind, n] : table) {
    if (n == *name) return kind;
  }
  return std::nullopt;
}

// Micro-batch candidates: positive, distinct, each dividing the mini-batch. Absent -> every
// power of two that divides the mini-batch (documented in configs/README.md).
std::optional<std::vector<std::int64_t>> read_micro_batches(const std::optional<YamlValue>& v,
                                                            std::optional<std::int64_t> mini_batch) {
  std::vector<std::int64_t> out;
  if (!v) {
    for (std::int64_t b = 1; mini_batch && b <= *mini_batch && *mini_batch % b == 0; b *= 2) out.push_back(b);
    return out;
  }
  bool ok = v->is_sequence();
  for (const auto& e : v->elements()) {
    const auto b = e.as_int(1);
    if (!b) { ok = false; continue; }
    if (std::find(out.begin(), out.end(), *b) != out.end()) {
      e.error(fmt::format("expected distinct micro-batch sizes, found {} twice", *b));
      ok = false;
    } else if (mini_batch && *mini_batch % *b != 0) {
      e.error(fmt::format("expected a micro-batch size that divides training.mini_batch = {}, found {}",
                          *mini_batch, *b));
      ok = false;
    }
    out.push_back(*b);
  }
  if (ok && out.empty()) {
    v->error("expected at least one micro-batch size, found an empty list");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

std::optional<Training> read_training(const YamlValue& value) {
  const YamlMap m(value, {"mini_batch", "dtype", "optimizer"});
  if (!m.ok()) return std::nullopt;
  Training t;
  const auto mini_value = m.get("mini_batch", true);
  const auto mini = mini_value ? mini_value->as_int(1) : std::nullopt;
  bool ok = mini.has_value();
  if (mini) t.mini_batch = *mini;
  if (const auto v = m.get("dtype", false)) {
    const auto name = v->as_choice({"fp32", "tf32", "fp16", "bf16"});
    if (name) t.dtype = *core::parse_dtype(*name);
    ok = ok && name.has_value();
  }
  if (const auto v = m.get("optimizer", false)) {
    const auto opt = read_enum(*v, kOptimizers);
    if (opt) t.optimizer = *opt;
    ok = ok && opt.has_value();
  }
  if (!ok) return std::nullopt;
  return t;
}

std::optional<PlanSettings> read_plan(const YamlValue& value, std::optional<std::int64_t> mini_batch) {
  const YamlMap m(value, {"planner", "schedule", "micro_batch_sizes", "straight", "memory_limit", "epsilon",
                          "max_downsets", "virtual_stages"});
  if (!m.ok()) return std::nullopt;
  PlanSettings p;
  bool ok = true;
  const auto set = [&ok](auto& field, auto parsed) {
    if (parsed) field = *parsed; else ok = false;
  };
  if (const auto v = m.get("planner", true)) set(p.planner, read_enum(*v, kPlanners)); else ok = false;
  if (const auto v = m.get("schedule", false)) set(p.schedule, read_enum(*v, kSchedules));
  set(p.micro_batch_sizes, read_micro_batches(m.get("micro_batch_sizes", false), mini_batch));
  if (const auto v = m.get("straight", false)) set(p.straight, v->as_bool());
  if (const auto v = m.get("memory_limit", false)) {
    const auto b = v->as_bytes(true);
    if (b) p.memory_limit = *b; else ok = false;
  }
  if (const auto v = m.get("epsilon", false)) {
    const auto e = v->as_number();
    if (e && (*e <= 0.0 || *e >= 1.0)) v->error(fmt::format("expected a relative tolerance in (0, 1), found {}", *e));
    set(p.epsilon, (e && *e > 0.0 && *e < 1.0) ? e : std::nullopt);
  }
  if (const auto v = m.get("max_downsets", false)) set(p.max_downsets, v->as_int(1));
  if (const auto v = m.get("virtual_stages", false)) set(p.virtual_stages, v->as_int(1));
  if (!ok) return std::nullopt;
  return p;
}

}  // namespace gppsim::config
