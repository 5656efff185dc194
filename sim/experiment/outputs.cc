#include "sim/experiment/outputs.h"

#include <algorithm>

#include "sim/core/atomic_file.h"
#include "sim/experiment/outputs_detail.h"

namespace gppsim::experiment {
namespace detail {

void FileSet::write(const std::string& name, std::string_view content) {
  core::write_file_atomically(dir_ / name, content);
  files_.push_back(dir_ / name);
}

std::vector<std::filesystem::path> FileSet::sorted() const {
  auto out = files_;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace detail

OutputSummary write_outputs(const config::Experiment& exp, const std::vector<CellSpec>& cells,
                            const std::vector<CellResult>& results, const std::filesystem::path& dir) {
  const detail::Parts parts = detail::split_parts(cells, results);
  detail::FileSet files(dir);
  OutputSummary summary;
  summary.speedup_table = detail::write_tables(parts, files);
  // Plots come before the report, which lists the ones that could not be rendered.
  const detail::PlotStatus plots = detail::write_plots(parts, files);
  files.write("report.md", detail::report_markdown(exp, parts, cells.size(), plots));
  summary.files = files.sorted();
  return summary;
}

}  // namespace gppsim::experiment
