// Grouping and text formatting shared by the tables, the plots and the report.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "sim/core/check.h"
#include "sim/experiment/outputs_detail.h"

namespace gppsim::experiment::detail {

const CellResult* Group::by_planner(plan::PlannerKind planner) const {
  for (const auto& e : members) {
    if (e.cell->planner == planner) return e.result;
  }
  return nullptr;
}

const CellResult* Group::by_variant(std::string_view variant) const {
  for (const auto& e : members) {
    if (e.cell->variant == variant) return e.result;
  }
  return nullptr;
}

Parts split_parts(const std::vector<CellSpec>& cells, const std::vector<CellResult>& results) {
  GPPSIM_CHECK(cells.size() == results.size(), "write_outputs needs one result per cell");
  Parts parts;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Entry e{&cells[i], &results[i]};
    const std::string& p = cells[i].part;
    if (p == "throughput")
      parts.throughput.push_back(e);
    else if (p == "ablation")
      parts.ablation.push_back(e);
    else if (p == "branch_sweep")
      parts.branch_sweep.push_back(e);
    else if (p == "micro_batch_sweep")
      parts.micro_batch_sweep.push_back(e);
    else if (p == "case_study")
      parts.case_study.push_back(e);
    else if (p == "sequential")
      parts.sequential.push_back(e);
    else
      GPPSIM_CHECK(false, fmt::format("unknown experiment part '{}'", p));
  }
  return parts;
}

std::vector<Group> group_entries(const std::vector<Entry>& entries) {
  std::vector<Group> groups;
  for (const auto& e : entries) {
    const auto same = [&](const Group& g) {
      return g.model == e.cell->model && g.branches == e.cell->branches && g.gpus == e.cell->gpus;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      groups.push_back(Group{e.cell->model, e.cell->branches, e.cell->gpus, {}});
      it = groups.end() - 1;
    }
    it->members.push_back(e);
  }
  return groups;
}

std::vector<plan::PlannerKind> planners_of(const std::vector<Entry>& entries) {
  std::vector<plan::PlannerKind> out;
  for (const auto& e : entries) {
    if (std::find(out.begin(), out.end(), e.cell->planner) == out.end()) out.push_back(e.cell->planner);
  }
  return out;
}

std::optional<double> throughput_of(const CellResult* r) {
  if (r == nullptr || !r->feasible) return std::nullopt;
  return r->throughput_samples_per_s;
}

std::optional<double> ratio_of(const CellResult* a, const CellResult* b) {
  const auto ta = throughput_of(a);
  const auto tb = throughput_of(b);
  if (!ta || !tb || *tb <= 0.0) return std::nullopt;
  return *ta / *tb;
}

std::int64_t variant_micro_batch(const CellSpec& cell) {
  const std::string_view v = cell.variant;
  std::int64_t b = 0;
  const bool prefixed = v.substr(0, 3) == "mb=";
  const auto [end, ec] = std::from_chars(v.data() + (prefixed ? 3 : 0), v.data() + v.size(), b);
  GPPSIM_CHECK(prefixed && ec == std::errc() && end == v.data() + v.size() && b > 0,
               fmt::format("micro-batch sweep cell with variant '{}', expected mb=B", v));
  return b;
}

std::string planner_title(plan::PlannerKind planner) {
  switch (planner) {
    case plan::PlannerKind::kGraphPipe:
      return "GraphPipe";
    case plan::PlannerKind::kPipeDream:
      return "PipeDream";
    case plan::PlannerKind::kPiper:
      return "Piper";
    case plan::PlannerKind::kExhaustive:
      return "Exhaustive";
    case plan::PlannerKind::kManual:
      return "Manual";
  }
  return std::string(plan::to_string(planner));
}

std::optional<double> search_ratio(const CellResult* baseline, const CellResult* graphpipe) {
  if (baseline == nullptr || graphpipe == nullptr || graphpipe->search_time_s <= 0.0) return std::nullopt;
  if (baseline->search_time_s <= 0.0) return std::nullopt;
  return baseline->search_time_s / graphpipe->search_time_s;
}

std::string num(double value) { return fmt::format("{:.6g}", value); }

std::string ratio_text(std::optional<double> ratio) { return ratio ? fmt::format("{:.2f}x", *ratio) : "n/a"; }

std::string range_text(double lo, double hi) {
  return lo == hi ? fmt::format("{:.2f}x", lo) : fmt::format("{:.2f}x-{:.2f}x", lo, hi);
}

std::string throughput_text(const CellResult* r) {
  if (r == nullptr) return "not run";
  return r->feasible ? fmt::format("{:.1f}", r->throughput_samples_per_s) : "no strategy";
}

std::string throughput_csv(const CellResult* r) {
  if (r == nullptr) return "not run";
  return r->feasible ? num(r->throughput_samples_per_s) : "no strategy";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\n\r") == std::string::npos) {
      line += f;
      continue;
    }
    line += '"';
    for (const char c : f) line += c == '"' ? std::string("\"\"") : std::string(1, c);
    line += '"';
  }
  return line + "\n";
}

namespace {

std::string md_line(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const auto& c : cells) {
    std::string escaped;
    for (const char ch : c) {
      if (ch == '|')
        escaped += "\\|";
      else
        escaped += ch == '\n' ? ' ' : ch;
    }
    line += " " + escaped + " |";
  }
  return line + "\n";
}

}  // namespace

std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = md_line(header);
  out += "|";
  for (std::size_t i = 0; i < header.size(); ++i) out += " --- |";
  out += "\n";
  for (const auto& r : rows) out += md_line(r);
  return out;
}

}  // namespace gppsim::experiment::detail
