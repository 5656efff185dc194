// The CSV and Markdown tables of each part: rows in cell order, fixed columns, numbers through
// num() so that equal results give byte-identical files.

#include <fmt/format.h>

#include <array>

#include "sim/experiment/outputs_detail.h"

namespace gppsim::experiment::detail {
namespace {

using Rows = std::vector<std::vector<std::string>>;
using plan::PlannerKind;

constexpr std::array<std::string_view, 3> kAblationVariants = {"spp", "parallel_only", "gpp"};

std::string yes_no(bool b) { return b ? "true" : "false"; }

std::string csv_or_na(std::optional<double> v) { return v ? num(*v) : "n/a"; }

std::string markdown_file(std::string_view title, std::string_view intro, const std::string& table) {
  return fmt::format("# {}\n\n{}\n\n{}", title, intro, table);
}

// Infeasible cells of a part with the planner's reason, as a Markdown list (empty if none).
std::string reasons_list(const std::vector<Entry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (e.result->feasible) continue;
    out += fmt::format("- {} on {}, {} GPUs{}: {}\n", plan::to_string(e.cell->planner), e.cell->model, e.cell->gpus,
                       e.cell->variant == "best" ? "" : " (" + e.cell->variant + ")", e.result->reason);
  }
  return out.empty() ? out : "\nNo strategy found:\n\n" + out;
}

std::string throughput_csv_file(const std::vector<Entry>& entries) {
  std::string out = csv_row({"model", "gpus", "mini_batch", "planner", "feasible", "throughput_samples_per_s",
                             "iteration_time_s", "search_time_s", "pipeline_depth", "num_stages", "micro_batch_size",
                             "peak_memory_bytes", "bubble_fraction", "reason"});
  for (const auto& [c, r] : entries) {
    out += csv_row({c->model, std::to_string(c->gpus), std::to_string(c->mini_batch),
                    std::string(plan::to_string(c->planner)), yes_no(r->feasible), num(r->throughput_samples_per_s),
                    num(r->iteration_time_s), num(r->search_time_s), std::to_string(r->pipeline_depth),
                    std::to_string(r->num_stages), std::to_string(r->micro_batch_size), num(r->peak_memory_bytes),
                    num(r->bubble_fraction), r->reason});
  }
  return out;
}

// speedup.csv and the Markdown speedup table (returned).
std::string speedup_files(const std::vector<Entry>& entries, FileSet& files) {
  std::string csv = csv_row({"model", "gpus", "graphpipe_samples_per_s", "pipedream_samples_per_s",
                             "piper_samples_per_s", "speedup_vs_pipedream", "speedup_vs_piper"});
  Rows md;
  for (const auto& g : group_entries(entries)) {
    const auto* gpp = g.by_planner(PlannerKind::kGraphPipe);
    const auto* pd = g.by_planner(PlannerKind::kPipeDream);
    const auto* piper = g.by_planner(PlannerKind::kPiper);
    csv += csv_row({g.model, std::to_string(g.gpus), throughput_csv(gpp), throughput_csv(pd), throughput_csv(piper),
                    csv_or_na(ratio_of(gpp, pd)), csv_or_na(ratio_of(gpp, piper))});
    md.push_back({g.model, std::to_string(g.gpus), throughput_text(gpp), throughput_text(pd), throughput_text(piper),
                  ratio_text(ratio_of(gpp, pd)), ratio_text(ratio_of(gpp, piper))});
  }
  files.write("speedup.csv", csv);
  return md_table({"model", "GPUs", "GraphPipe", "PipeDream", "Piper", "vs PipeDream", "vs Piper"}, md);
}

std::string search_cell(const CellResult* r) {
  if (r == nullptr) return "not run";
  return fmt::format("{:.3g}{}", r->search_time_s, r->feasible ? "" : " (no strategy)");
}

void search_time_files(const std::vector<Entry>& entries, FileSet& files) {
  std::string csv = csv_row({"model", "gpus", "planner", "feasible", "search_time_s", "ratio_to_graphpipe"});
  Rows md;
  for (const auto& g : group_entries(entries)) {
    const auto* gpp = g.by_planner(PlannerKind::kGraphPipe);
    for (const auto& [c, r] : g.members) {
      csv += csv_row({g.model, std::to_string(g.gpus), std::string(plan::to_string(c->planner)), yes_no(r->feasible),
                      num(r->search_time_s), csv_or_na(search_ratio(r, gpp))});
    }
    const auto* pd = g.by_planner(PlannerKind::kPipeDream);
    const auto* piper = g.by_planner(PlannerKind::kPiper);
    md.push_back({g.model, std::to_string(g.gpus), search_cell(gpp), search_cell(pd), search_cell(piper),
                  ratio_text(search_ratio(pd, gpp)), ratio_text(search_ratio(piper, gpp))});
  }
  files.write("search_time.csv", csv);
  files.write("search_time.md",
              markdown_file("Search time (Table 1)",
                            "Planner search time in seconds (wall-clock on this machine, all candidate micro-batches "
                            "at once) and each baseline's time over GraphPipe's.",
                            md_table({"model", "GPUs", "GraphPipe (s)", "PipeDream (s)", "Piper (s)",
                                      "PipeDream / GraphPipe", "Piper / GraphPipe"},
                                     md)));
}

void ablation_files(const std::vector<Entry>& entries, FileSet& files) {
  std::string csv = csv_row({"model", "gpus", "variant", "feasible", "throughput_samples_per_s", "micro_batch_size",
                             "pipeline_depth", "normalised_to_spp"});
  Rows md;
  for (const auto& g : group_entries(entries)) {
    const auto* spp = g.by_variant("spp");
    for (const auto v : kAblationVariants) {
      const auto* r = g.by_variant(v);
      if (r == nullptr) continue;
      csv += csv_row({g.model, std::to_string(g.gpus), std::string(v), yes_no(r->feasible), throughput_csv(r),
                      std::to_string(r->micro_batch_size), std::to_string(r->pipeline_depth),
                      csv_or_na(ratio_of(r, spp))});
      md.push_back({g.model, std::to_string(g.gpus), std::string(v), throughput_text(r),
                    std::to_string(r->micro_batch_size), std::to_string(r->pipeline_depth),
                    ratio_text(ratio_of(r, spp))});
    }
  }
  files.write("ablation.csv", csv);
  files.write("ablation.md",
              markdown_file("Ablation (Figure 9)",
                            "spp: PipeDream's sequential pipeline; parallel_only: GraphPipe's stage graph at SPP's "
                            "micro-batch; gpp: GraphPipe with its own micro-batch. Throughput in samples/s.",
                            md_table({"model", "GPUs", "variant", "throughput", "micro-batch", "depth", "vs SPP"}, md) +
                                reasons_list(entries)));
}

void branch_sweep_files(const std::vector<Entry>& entries, FileSet& files) {
  std::string csv =
      csv_row({"branches", "gpus", "planner", "feasible", "throughput_samples_per_s", "normalised_to_pipedream"});
  const auto planners = planners_of(entries);
  std::vector<std::string> header = {"branches", "GPUs"};
  for (const auto p : planners) header.push_back(planner_title(p));
  Rows md;
  for (const auto& g : group_entries(entries)) {
    const auto* pd = g.by_planner(PlannerKind::kPipeDream);
    for (const auto& [c, r] : g.members) {
      csv += csv_row({std::to_string(g.branches), std::to_string(g.gpus), std::string(plan::to_string(c->planner)),
                      yes_no(r->feasible), throughput_csv(r), csv_or_na(ratio_of(r, pd))});
    }
    std::vector<std::string> row = {std::to_string(g.branches), std::to_string(g.gpus)};
    for (const auto p : planners) row.push_back(ratio_text(ratio_of(g.by_planner(p), pd)));
    md.push_back(std::move(row));
  }
  files.write("branch_sweep.csv", csv);
  files.write("branch_sweep.md",
              markdown_file("Branch sweep (Figure 7, left)",
                            fmt::format("Throughput of {} normalised to PipeDream's at the same branch count and GPU "
                                        "count (n/a where PipeDream or the planner found no strategy).",
                                        entries.front().cell->model),
                            md_table(header, md) + reasons_list(entries)));
}

void micro_batch_sweep_files(const std::vector<Entry>& entries, FileSet& files) {
  std::string csv = csv_row({"micro_batch_size", "planner", "feasible", "throughput_samples_per_s", "pipeline_depth",
                             "num_stages", "bubble_fraction"});
  Rows md;
  for (const auto& [c, r] : entries) {
    const auto b = std::to_string(variant_micro_batch(*c));
    csv += csv_row({b, std::string(plan::to_string(c->planner)), yes_no(r->feasible), throughput_csv(r),
                    std::to_string(r->pipeline_depth), std::to_string(r->num_stages), num(r->bubble_fraction)});
    md.push_back({b, planner_title(c->planner), throughput_text(r), std::to_string(r->pipeline_depth),
                  std::to_string(r->num_stages), fmt::format("{:.3f}", r->bubble_fraction)});
  }
  const auto& c0 = *entries.front().cell;
  files.write("micro_batch_sweep.csv", csv);
  files.write("micro_batch_sweep.md",
              markdown_file("Micro-batch sweep (Figure 7, right)",
                            fmt::format("{} on {} GPUs, mini-batch {}, each micro-batch size fixed. Throughput in "
                                        "samples/s.",
                                        c0.model, c0.gpus, c0.mini_batch),
                            md_table({"micro-batch", "planner", "throughput", "depth", "stages", "bubble"}, md) +
                                reasons_list(entries)));
}

// case_study.* or sequential.*: one row per (GPUs, planner).
void comparison_files(const std::string& name, std::string_view title, const std::vector<Entry>& entries,
                      FileSet& files) {
  std::string csv = csv_row({"model", "gpus", "planner", "feasible", "throughput_samples_per_s", "num_stages",
                             "pipeline_depth", "micro_batch_size", "graphpipe_gain", "partition"});
  Rows md;
  for (const auto& g : group_entries(entries)) {
    const auto* gpp = g.by_planner(PlannerKind::kGraphPipe);
    for (const auto& [c, r] : g.members) {
      const auto gain = ratio_of(gpp, r);
      csv += csv_row({g.model, std::to_string(g.gpus), std::string(plan::to_string(c->planner)), yes_no(r->feasible),
                      throughput_csv(r), std::to_string(r->num_stages), std::to_string(r->pipeline_depth),
                      std::to_string(r->micro_batch_size), csv_or_na(gain), r->partition});
      md.push_back({std::to_string(g.gpus), planner_title(c->planner), std::to_string(r->num_stages),
                    std::to_string(r->pipeline_depth), std::to_string(r->micro_batch_size), throughput_text(r),
                    ratio_text(gain), r->partition});
    }
  }
  files.write(name + ".csv", csv);
  files.write(name + ".md",
              markdown_file(title,
                            fmt::format("{}: each planner's plan (partition as first..last op x devices per stage), "
                                        "throughput in samples/s and GraphPipe's throughput over it.",
                                        entries.front().cell->model),
                            md_table({"GPUs", "planner", "stages", "depth", "micro-batch", "throughput",
                                      "GraphPipe gain", "partition"},
                                     md) +
                                reasons_list(entries)));
}

}  // namespace

std::string write_tables(const Parts& parts, FileSet& files) {
  std::string speedup;
  if (!parts.throughput.empty()) {
    files.write("throughput.csv", throughput_csv_file(parts.throughput));
    speedup = speedup_files(parts.throughput, files);
    files.write("throughput.md",
                markdown_file("Throughput (Figure 6)",
                              "Throughput in samples/s of each planner at its best micro-batch, and GraphPipe's "
                              "speedup over each baseline.",
                              speedup + reasons_list(parts.throughput)));
    search_time_files(parts.throughput, files);
  }
  if (!parts.ablation.empty()) ablation_files(parts.ablation, files);
  if (!parts.branch_sweep.empty()) branch_sweep_files(parts.branch_sweep, files);
  if (!parts.micro_batch_sweep.empty()) micro_batch_sweep_files(parts.micro_batch_sweep, files);
  if (!parts.case_study.empty()) comparison_files("case_study", "Case study", parts.case_study, files);
  if (!parts.sequential.empty()) comparison_files("sequential", "Sequential model", parts.sequential, files);
  return speedup;
}

}  // namespace gppsim::experiment::detail
