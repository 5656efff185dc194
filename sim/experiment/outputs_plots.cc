// Plots: one self-contained gnuplot script per plot (data inline as a datablock), rendered to
// PNG and SVG when gnuplot is on PATH. Scripts are deterministic text; rendered images need not
// be. gnuplot writes to "<file>.part", renamed into place on success, so that an image is never
// half-written.

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "sim/experiment/outputs_detail.h"

namespace gppsim::experiment::detail {
namespace {

using plan::PlannerKind;

/// One line or one bar colour: a value per x (or per category); nullopt is not drawn.
struct Series {
  std::string title;
  std::vector<std::optional<double>> values;
};

/// What one plot shows.
struct Plot {
  std::string name;  ///< file stem
  std::string title;
  std::string xlabel;
  std::string ylabel;
  bool bars = false;           ///< clustered bars over categories; else lines over numeric x
  std::vector<std::string> x;  ///< numeric x values (lines) or category labels (bars)
  std::vector<Series> series;
};

std::string gp_string(std::string_view s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string data_label(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? '\'' : c;
  return out + "\"";
}

std::string datablock(const Plot& p) {
  std::string out = "$data << EOD\n" + data_label(p.bars ? "category" : p.xlabel);
  for (const auto& s : p.series) out += " " + data_label(s.title);
  out += "\n";
  for (std::size_t i = 0; i < p.x.size(); ++i) {
    out += p.bars ? data_label(p.x[i]) : p.x[i];
    for (const auto& s : p.series) out += " " + (s.values[i] ? fmt::format("{:.6g}", *s.values[i]) : "NaN");
    out += "\n";
  }
  return out + "EOD\n";
}

std::string plot_command(const Plot& p) {
  const std::size_t last = p.series.size() + 1;
  if (p.bars) {
    return fmt::format(
        "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
        "set yrange [0:*]\nset xtics rotate by -30\nset arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n"
        "plot for [i=2:{}] $data using i:xtic(1) title columnheader(i)\n",
        last);
  }
  std::string tics;
  for (const auto& x : p.x) tics += (tics.empty() ? "" : ", ") + x;
  return fmt::format(
      "set logscale x 2\nset xtics ({})\nset grid\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n"
      "plot for [i=2:{}] $data using 1:i with linespoints lw 2 pt 7 title columnheader(i)\n",
      tics, last);
}

std::string script(const Plot& p) {
  std::string out = fmt::format("# {} (written by gppsim; render with: gnuplot {}.gp)\n", p.title, p.name);
  out += datablock(p);
  out += "if (!exists(\"suffix\")) suffix = \"\"\n";
  out += "set terminal pngcairo size 800,500 noenhanced\n";
  out += fmt::format("set output {}.suffix\n", gp_string(p.name + ".png"));
  out += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset key {}\n", gp_string(p.title),
                     gp_string(p.xlabel), gp_string(p.ylabel), p.bars ? "outside right top" : "top left");
  out += plot_command(p);
  out += "set terminal svg size 800,500 noenhanced\n";
  out += fmt::format("set output {}.suffix\nreplot\nunset output\n", gp_string(p.name + ".svg"));
  return out;
}

// gnuplot refuses a histogram column without a valid point, so such series are left out.
void drop_empty_series(Plot& p) {
  std::erase_if(p.series, [](const Series& s) {
    return std::none_of(s.values.begin(), s.values.end(), [](const auto& v) { return v.has_value(); });
  });
}

std::string file_stem(std::string_view model) {
  std::string out;
  for (const char c : model) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

std::vector<Plot> throughput_plots(const std::vector<Entry>& entries) {
  std::vector<Plot> plots;
  const auto planners = planners_of(entries);
  for (const auto& g : group_entries(entries)) {
    auto it = std::find_if(plots.begin(), plots.end(),
                           [&](const Plot& p) { return p.name == "throughput_" + file_stem(g.model); });
    if (it == plots.end()) {
      Plot p{"throughput_" + file_stem(g.model), "Throughput of " + g.model, "GPUs", "samples/s", false, {}, {}};
      for (const auto k : planners) p.series.push_back(Series{planner_title(k), {}});
      plots.push_back(std::move(p));
      it = plots.end() - 1;
    }
    it->x.push_back(std::to_string(g.gpus));
    for (std::size_t i = 0; i < planners.size(); ++i)
      it->series[i].values.push_back(throughput_of(g.by_planner(planners[i])));
  }
  return plots;
}

Plot speedup_plot(const std::vector<Entry>& entries) {
  Plot p{"speedup", "GraphPipe speedup over the baselines", "model / GPUs", "speedup (x)", true, {}, {}};
  const auto planners = planners_of(entries);
  for (const auto base : {PlannerKind::kPipeDream, PlannerKind::kPiper}) {
    if (std::find(planners.begin(), planners.end(), base) != planners.end()) {
      p.series.push_back(Series{"vs " + planner_title(base), {}});
    }
  }
  for (const auto& g : group_entries(entries)) {
    p.x.push_back(fmt::format("{}/{}", g.model, g.gpus));
    const auto* gpp = g.by_planner(PlannerKind::kGraphPipe);
    for (auto& s : p.series) {
      const auto base = s.title == "vs PipeDream" ? PlannerKind::kPipeDream : PlannerKind::kPiper;
      s.values.push_back(ratio_of(gpp, g.by_planner(base)));
    }
  }
  return p;
}

Plot ablation_plot(const std::vector<Entry>& entries) {
  Plot p{"ablation", "Ablation: throughput normalised to SPP", "model / GPUs", "throughput / SPP's", true, {}, {}};
  const std::array<std::string_view, 3> variants = {"spp", "parallel_only", "gpp"};
  for (const auto v : variants) p.series.push_back(Series{std::string(v), {}});
  for (const auto& g : group_entries(entries)) {
    p.x.push_back(fmt::format("{}/{}", g.model, g.gpus));
    for (std::size_t i = 0; i < variants.size(); ++i) {
      p.series[i].values.push_back(ratio_of(g.by_variant(variants[i]), g.by_variant("spp")));
    }
  }
  return p;
}

Plot branch_sweep_plot(const std::vector<Entry>& entries) {
  Plot p{"branch_sweep",
         "Throughput normalised to PipeDream vs branches (" + entries.front().cell->model + ")",
         "branches",
         "throughput / PipeDream's",
         false,
         {},
         {}};
  const auto groups = group_entries(entries);
  std::vector<int> gpus;
  for (const auto& g : groups) {
    if (std::find(gpus.begin(), gpus.end(), g.gpus) == gpus.end()) gpus.push_back(g.gpus);
    const auto b = std::to_string(g.branches);
    if (std::find(p.x.begin(), p.x.end(), b) == p.x.end()) p.x.push_back(b);
  }
  for (const auto k : planners_of(entries)) {
    if (k == PlannerKind::kPipeDream) continue;
    for (const int n : gpus) {
      Series s{fmt::format("{}, {} GPUs", planner_title(k), n), {}};
      for (const auto& x : p.x) {
        const auto g = std::find_if(groups.begin(), groups.end(),
                                    [&](const Group& gr) { return gr.gpus == n && std::to_string(gr.branches) == x; });
        s.values.push_back(g == groups.end() ? std::nullopt
                                             : ratio_of(g->by_planner(k), g->by_planner(PlannerKind::kPipeDream)));
      }
      p.series.push_back(std::move(s));
    }
  }
  return p;
}

std::optional<std::filesystem::path> find_on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  const std::string_view all = path;
  std::size_t start = 0;
  while (start <= all.size()) {
    const std::size_t end = std::min(all.find(':', start), all.size());
    const std::filesystem::path dir = end == start ? "." : std::string(all.substr(start, end - start));
    const auto candidate = dir / program;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs gnuplot on dir/name.gp; returns "" on success, else why it failed.
std::string render(const std::filesystem::path& gnuplot, const std::filesystem::path& dir, const std::string& name) {
  const std::string cmd = fmt::format("cd {} && {} -e \"suffix='.part'\" {} 2>&1", shell_quote(dir.string()),
                                      shell_quote(gnuplot.string()), shell_quote(name + ".gp"));
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "cannot start gnuplot";
  std::string output;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::error_code ec;
  for (const char* ext : {".png", ".svg"}) {
    const auto part = dir / (name + ext + ".part");
    if (code == 0 && std::filesystem::exists(part, ec)) {
      std::filesystem::rename(part, dir / (name + ext), ec);
    } else {
      std::filesystem::remove(part, ec);
      if (code == 0) return fmt::format("gnuplot wrote no {}", ext);
    }
  }
  if (code == 0) return "";
  const auto first_line = output.substr(0, output.find('\n'));
  return fmt::format("gnuplot exited with {}{}", code, first_line.empty() ? "" : ": " + first_line);
}

}  // namespace

PlotStatus write_plots(const Parts& parts, FileSet& files) {
  std::vector<Plot> plots;
  if (!parts.throughput.empty()) {
    plots = throughput_plots(parts.throughput);
    plots.push_back(speedup_plot(parts.throughput));
  }
  if (!parts.ablation.empty()) plots.push_back(ablation_plot(parts.ablation));
  if (!parts.branch_sweep.empty()) plots.push_back(branch_sweep_plot(parts.branch_sweep));
  PlotStatus status;
  const auto gnuplot = find_on_path("gnuplot");
  status.gnuplot_found = gnuplot.has_value();
  for (auto& p : plots) {
    drop_empty_series(p);
    if (p.series.empty()) {
      status.failed.push_back(p.name + ": no feasible result to plot");
      continue;
    }
    files.write(p.name + ".gp", script(p));
    status.scripts.push_back(p.name + ".gp");
    if (!gnuplot) continue;
    if (const auto why = render(*gnuplot, files.dir(), p.name); !why.empty()) {
      status.failed.push_back(p.name + ": " + why);
      continue;
    }
    status.rendered.push_back(p.name);
    files.add(p.name + ".png");
    files.add(p.name + ".svg");
  }
  return status;
}

}  // namespace gppsim::experiment::detail
