#include "sim/report/comparison.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gppsim::report {
namespace {

double relative(double simulated, double measured) {
  return measured == 0.0 ? (simulated == 0.0 ? 0.0 : INFINITY) : (simulated - measured) / measured;
}

std::vector<double> stage_busy(const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                               const schedule::Trace& trace) {
  std::vector<double> busy(strategy.stages.size(), 0.0);
  for (schedule::TaskId id = 0; id < tasks.size(); ++id) {
    if (const auto* c = std::get_if<schedule::ComputeTask>(&tasks.kind(id))) {
      busy[static_cast<std::size_t>(c->stage)] += (trace.tasks[id].end - trace.tasks[id].start).seconds().value();
    }
  }
  for (const auto& st : strategy.stages) busy[static_cast<std::size_t>(st.id)] /= static_cast<double>(st.devices.size());
  return busy;
}

std::string percent(double x) { return std::isfinite(x) ? fmt::format("{:+.1f}%", 100.0 * x) : "n/a"; }

}  // namespace

Comparison compare_traces(const plan::Strategy& strategy, const schedule::TaskGraph& tasks,
                          const schedule::Trace& simulated, const schedule::Trace& measured) {
  Comparison c;
  c.simulated_iteration_s = simulated.makespan().seconds().value();
  c.measured_iteration_s = measured.makespan().seconds().value();
  c.relative_error = relative(c.simulated_iteration_s, c.measured_iteration_s);
  const auto sim_busy = stage_busy(strategy, tasks, simulated);
  const auto real_busy = stage_busy(strategy, tasks, measured);
  for (const auto& st : strategy.stages) {
    const auto i = static_cast<std::size_t>(st.id);
    c.stages.push_back({st.id, sim_busy[i], real_busy[i], relative(sim_busy[i], real_busy[i])});
  }
  for (int d = 0; d < tasks.num_devices(); ++d) {
    if (tasks.queue(d).empty()) continue;
    const double s = simulated.peak_memory[static_cast<std::size_t>(d)].value();
    const double m = measured.peak_memory[static_cast<std::size_t>(d)].value();
    c.ranks.push_back({d, s, m, relative(s, m)});
  }
  return c;
}

std::string comparison_json(const Comparison& c, const ComparisonInfo& info) {
  nlohmann::ordered_json j;
  j["scenario"] = info.scenario;
  j["profile"] = info.profile;
  j["ranks"] = info.ranks;
  j["oversubscribed"] = info.oversubscribed;
  j["device"] = info.device;
  j["simulated_iteration_time_s"] = c.simulated_iteration_s;
  j["measured_iteration_time_s"] = c.measured_iteration_s;
  j["relative_error"] = c.relative_error;
  j["measured_iterations_s"] = info.measured_iterations_s;
  auto& stages = j["stages"] = nlohmann::ordered_json::array();
  for (const auto& s : c.stages) {
    stages.push_back({{"id", s.id}, {"simulated_busy_s", s.simulated_busy_s}, {"measured_busy_s", s.measured_busy_s},
                      {"relative_error", std::isfinite(s.relative_error) ? nlohmann::ordered_json(s.relative_error) : nullptr}});
  }
  auto& ranks = j["ranks_memory"] = nlohmann::ordered_json::array();
  for (const auto& r : c.ranks) {
    ranks.push_back({{"device", r.device}, {"simulated_peak_memory_bytes", r.simulated_peak_bytes},
                     {"measured_peak_memory_bytes", r.measured_peak_bytes},
                     {"relative_error", std::isfinite(r.relative_error) ? nlohmann::ordered_json(r.relative_error) : nullptr}});
  }
  return j.dump(2) + "\n";
}

std::string comparison_markdown(const Comparison& c, const ComparisonInfo& info) {
  std::string md = fmt::format("# Cross-check: {}\n\n", info.scenario);
  md += fmt::format("The simulator, on profile `{}`, predicts **{:.3f} ms** per iteration. The real run on {} MPI "
                    "ranks measured **{:.3f} ms** (the median of {} iterations). Error: **{}**.\n\n",
                    info.profile, 1e3 * c.simulated_iteration_s, info.ranks, 1e3 * c.measured_iteration_s,
                    info.measured_iterations_s.size(), percent(c.relative_error));
  if (info.oversubscribed) {
    md += fmt::format("The ranks outnumbered this machine's {0}, so they shared {0}: the measured times say little "
                      "about the prediction and are not judged.\n\n", info.device == "cuda" ? "GPUs" : "cores");
  }
  md += "| stage | simulated busy | measured busy | error |\n|---|---|---|---|\n";
  for (const auto& s : c.stages) {
    md += fmt::format("| {} | {:.3f} ms | {:.3f} ms | {} |\n", s.id, 1e3 * s.simulated_busy_s, 1e3 * s.measured_busy_s,
                      percent(s.relative_error));
  }
  md += "\n| rank | simulated peak memory | measured peak memory | error |\n|---|---|---|---|\n";
  for (const auto& r : c.ranks) {
    md += fmt::format("| {} | {:.2f} MiB | {:.2f} MiB | {} |\n", r.device, r.simulated_peak_bytes / 1048576.0,
                      r.measured_peak_bytes / 1048576.0, percent(r.relative_error));
  }
  md += "\nBusy time is compute per device of the stage. Timelines: `simulated/trace.json` and `measured/trace.json` "
        "(chrome://tracing or Perfetto).\n";
  return md;
}

}  // namespace gppsim::report
