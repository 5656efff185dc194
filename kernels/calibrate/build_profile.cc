#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/calibrate/calibrate.h"
#include "kernels/calibrate/fit.h"
#include "kernels/common/kernel_error.h"
#include "kernels/cpu/cpu_benchmarks.h"
#include "sim/cost/profile_cost_source.h"

namespace gppsim::calibrate {
namespace {

std::vector<kernels::Measurement> select(const std::vector<kernels::Measurement>& all, std::string_view kernel,
                                         std::string_view dtype = {}) {
  std::vector<kernels::Measurement> out;
  for (const auto& m : all) {
    if (m.kernel == kernel && (dtype.empty() || m.dtype == dtype)) out.push_back(m);
  }
  return out;
}

std::vector<SizeTime> size_times(const std::vector<kernels::Measurement>& ms) {
  std::vector<SizeTime> out;
  for (const auto& m : ms) out.push_back(SizeTime{m.bytes, m.median_s()});
  return out;
}

void fit_gemms(const SweepPlan& plan, const SweepMeasurements& m, hw::DeviceProfile* p) {
  for (const auto dtype : plan.dtypes) {
    const std::string name(core::to_string(dtype));
    p->gemm[dtype] = fit_gemm_table(plan.gemm_axes, select(m.fit, "gemm", name));
    for (const auto& layout : plan.gemm_layouts) {
      if (layout == "nn") continue;
      auto& tables = layout == "nt" ? p->gemm_nt : p->gemm_tn;
      tables[dtype] = fit_gemm_table(plan.gemm_axes_of(layout), select(m.fit, "gemm_" + layout, name));
    }
    p->batched_gemm[dtype] = fit_gemm_table(plan.batched_axes, select(m.fit, "batched_gemm", name));
  }
}

void fit_sizes(const SweepPlan& plan, const SweepMeasurements& m, hw::DeviceProfile* p) {
  for (const auto& k : plan.memory_kernels) {
    p->memory[k] = fit_piecewise_linear(size_times(select(m.fit, measured_kernel(k, plan.backend))));
  }
  for (const auto& k : hw::profile_link_kinds()) {
    const auto points = select(m.fit, k);
    if (points.size() >= 2) p->links[k] = fit_piecewise_linear(size_times(points));
  }
}

std::string today() {
  const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{now};
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::map<std::string, std::string> sweep_record(const SweepPlan& plan) {
  const auto axis = [](const std::vector<std::int64_t>& a) { return fmt::format("{}..{}", a.front(), a.back()); };
  const auto& tn = plan.gemm_axes_of("tn");
  return {{"quick", plan.quick ? "true" : "false"},
          {"seed", std::to_string(plan.seed)},
          {"warmup", std::to_string(plan.settings.warmup)},
          {"iterations", std::to_string(plan.settings.iterations)},
          {"holdout_fraction", fmt::format("{}", plan.holdout_fraction)},
          {"gemm_m", axis(plan.gemm_axes[0])},
          {"gemm_nk", axis(plan.gemm_axes[1])},
          {"gemm_layouts", fmt::format("{}", fmt::join(plan.gemm_layouts, ", "))},
          {"gemm_tn_mnk", fmt::format("{} x {} x {}", axis(tn[0]), axis(tn[1]), axis(tn[2]))},
          {"gemm_operands", plan.backend == Backend::kCpu
                                ? fmt::format("cold (cycled through {:.0f} MiB)", kernels::kColdOperandBytes / (1024.0 * 1024.0))
                                : std::string("warm (reused)")},
          {"batched_batch", axis(plan.batched_axes[3])},
          {"memory_bytes", axis(plan.memory_bytes)},
          {"link_bytes", axis(plan.link_bytes)},
          {"statistic", "median of timed iterations"}};
}

/// The layout a GEMM measurement ran in; nullopt for other kernels.
std::optional<cost::GemmLayout> gemm_layout_of(std::string_view kernel) {
  if (kernel == "gemm" || kernel == "batched_gemm") return cost::GemmLayout::kNN;
  if (kernel == "gemm_nt") return cost::GemmLayout::kNT;
  if (kernel == "gemm_tn") return cost::GemmLayout::kTN;
  return std::nullopt;
}

/// What the profile predicts for a held-out measurement, through the cost model's own code.
double predicted_seconds(const cost::ProfileCostSource& source, const kernels::Measurement& m, Backend backend) {
  const hw::DeviceProfile& p = source.profile();
  if (const auto layout = gemm_layout_of(m.kernel)) {
    const model::GemmShape shape{m.shape[0], m.shape[1], m.shape[2], m.shape[3], model::BatchDim::kM};
    return source.gemm_time(shape, *core::parse_dtype(m.dtype), *layout).value();
  }
  for (const auto& k : hw::profile_memory_kernels()) {
    if (measured_kernel(k, backend) == m.kernel && p.memory.count(k) != 0) {
      return p.memory.at(k).time(core::Bytes{m.bytes}).value();
    }
  }
  const auto link = p.links.find(m.kernel);
  if (link == p.links.end()) throw kernels::KernelError(fmt::format("no fit predicts held-out kernel {}", m.kernel));
  return link->second.time(core::Bytes{m.bytes}).value();
}

/// A point whose result failed its correctness check must not shape (or judge) a fit.
void require_correct(const std::vector<kernels::Measurement>& ms) {
  for (const auto& x : ms) {
    if (!x.correct) {
      throw kernels::KernelError(fmt::format("{} {} at shape ({}) failed its correctness check (max relative error {})",
                                             x.kernel, x.dtype, fmt::join(x.shape, ", "), x.max_relative_error));
    }
  }
}

}  // namespace

hw::DeviceProfile build_profile(const SweepPlan& plan, const SweepMeasurements& m, const CalibrateOptions& options,
                                std::vector<HoldoutError>* errors) {
  require_correct(m.fit);
  require_correct(m.holdout);
  hw::DeviceProfile p;
  p.name = options.name;
  p.backend = to_string(plan.backend);
  p.device = m.device;
  p.versions = m.versions;
  p.date = today();
  p.sweep = sweep_record(plan);
  if (options.concurrent > 1) p.sweep["concurrent_processes"] = std::to_string(options.concurrent);
  p.memory_capacity = core::Bytes{m.memory_bytes};
  p.launch_overhead = core::Seconds{m.launch.median_s()};
  fit_gemms(plan, m, &p);
  fit_sizes(plan, m, &p);
  if (auto problems = p.validate(); !problems.empty()) {
    throw kernels::KernelError(fmt::format("the fitted profile is inconsistent: {}", problems));
  }
  const cost::ProfileCostSource source(std::make_shared<const hw::DeviceProfile>(p));
  errors->clear();
  std::vector<double> rel;
  for (const auto& h : m.holdout) {
    const double predicted = predicted_seconds(source, h, plan.backend);
    const double measured = h.median_s();
    const double e = std::abs(predicted - measured) / measured;
    errors->push_back(HoldoutError{h.kernel, h.dtype, h.shape, measured, predicted, e});
    rel.push_back(e);
  }
  p.validation.points = static_cast<int>(rel.size());
  p.validation.median_relative_error = kernels::median(rel);
  p.validation.max_relative_error = rel.empty() ? 0.0 : *std::max_element(rel.begin(), rel.end());
  return p;
}

}  // namespace gppsim::calibrate
