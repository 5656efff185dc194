// Single-threaded optimizer steps (optimizer_update.h: the update and the gradients' reset) over
// parameters larger than the cache at the sweep's big sizes: the loop the real backend runs,
// timed as a bandwidth-bound kernel. After the first timed call the gradients are zero, which
// changes no instruction the loop runs.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cpu/bench_util.h"
#include "kernels/cpu/cpu_benchmarks.h"
#include "kernels/cpu/optimizer_update.h"

namespace gppsim::kernels {
namespace {

constexpr std::int64_t kMinOptimizerBytes = 64;
constexpr int kCheckedParameters = 16;

/// Parameters, gradients and up to two state arrays, with their values before a step.
struct OptimizerArrays {
  std::vector<float> w, g, s1, s2;

  void reset() {
    for (std::size_t i = 0; i < w.size(); ++i) {
      w[i] = static_cast<float>(detail::eighths_value(1, i));
      g[i] = static_cast<float>(detail::eighths_value(2, i));
    }
    for (std::size_t i = 0; i < s1.size(); ++i) s1[i] = static_cast<float>(detail::eighths_value(3, i));
    for (std::size_t i = 0; i < s2.size(); ++i) s2[i] = static_cast<float>(std::fabs(detail::eighths_value(4, i)));
  }
};

OptimizerKind parse_kind(const std::string& kernel) {
  if (kernel == "sgd") return OptimizerKind::kSgd;
  if (kernel == "momentum") return OptimizerKind::kMomentum;
  if (kernel == "adam") return OptimizerKind::kAdam;
  throw KernelError("cpu optimizer: kernel '" + kernel + "' is unknown (expected sgd, momentum or adam)");
}

/// Parameter i after step 1 from the values reset() writes, in double.
double reference_weight(OptimizerKind kind, std::size_t i) {
  const double w = detail::eighths_value(1, i), g = detail::eighths_value(2, i);
  if (kind == OptimizerKind::kSgd) return w - 0.01 * g;
  if (kind == OptimizerKind::kMomentum) return w - 0.01 * (0.9 * detail::eighths_value(3, i) + g);
  const double m = (0.9 * detail::eighths_value(3, i) + 0.1 * g) / (1.0 - 0.9);
  const double v = (0.999 * std::fabs(detail::eighths_value(4, i)) + 0.001 * g * g) / (1.0 - 0.999);
  return w - 0.001 * m / (std::sqrt(v) + 1e-8);
}

double max_sampled_error(OptimizerKind kind, const OptimizerArrays& a) {
  double worst = 0.0;
  const std::size_t n = a.w.size();
  for (int s = 0; s < kCheckedParameters; ++s) {
    const std::size_t i = n == 1 ? 0 : static_cast<std::size_t>(s) * (n - 1) / (kCheckedParameters - 1);
    const double ref = reference_weight(kind, i);
    worst = std::max(worst, std::fabs(static_cast<double>(a.w[i]) - ref) / std::max(std::fabs(ref), 1.0));
  }
  return worst;
}

}  // namespace

Measurement run_cpu_optimizer(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings) {
  detail::validate_settings(settings, "cpu optimizer " + kernel);
  const OptimizerKind kind = parse_kind(kernel);
  if (bytes < kMinOptimizerBytes) {
    throw KernelError("cpu optimizer " + kernel + ": bytes must be >= " + std::to_string(kMinOptimizerBytes) +
                      ", got " + std::to_string(bytes));
  }
  const int per_parameter = 4 * optimizer_bytes_per_parameter_byte(kind);
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(1, bytes / per_parameter));
  const auto states = static_cast<std::size_t>(optimizer_state_floats(kind));
  OptimizerArrays a{std::vector<float>(n), std::vector<float>(n), std::vector<float>(states >= 1 ? n : 0),
                    std::vector<float>(states >= 2 ? n : 0)};
  a.reset();  // first touch, untimed
  Measurement m;
  m.kernel = kernel;
  m.dtype = "fp32";
  m.shape = {bytes};
  m.bytes = static_cast<double>(per_parameter) * static_cast<double>(n);
  m.flops = 0.0;
  m.times_s = detail::time_iterations(settings, [&] {
    optimizer_step(kind, 1, a.w.data(), a.g.data(), a.s1.data(), a.s2.data(), n);
    detail::clobber_memory(a.w.data());
  });
  a.reset();
  optimizer_step(kind, 1, a.w.data(), a.g.data(), a.s1.data(), a.s2.data(), n);
  m.max_relative_error = max_sampled_error(kind, a);
  m.correct = m.max_relative_error <= 1e-6;
  if (!m.correct) {
    throw KernelError("cpu optimizer " + kernel + " of " + std::to_string(bytes) +
                      " bytes: sampled weights differ from the update in double by " +
                      std::to_string(m.max_relative_error));
  }
  return m;
}

}  // namespace gppsim::kernels
