// Single-threaded memory streaming: memcpy ("copy") and fp32 z = x + a y ("elementwise").
// Buffers are allocated and written once per call before timing, so page faults of the first
// touch are never timed.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cpu/bench_util.h"
#include "kernels/cpu/cpu_benchmarks.h"

namespace gppsim::kernels {
namespace {

constexpr std::int64_t kMinStreamBytes = 64;
constexpr int kCheckedElements = 16;
constexpr float kAxpyScale = 0.5f;     // a of z = x + a y; keeps x + a y exact in fp32
constexpr float kUnwritten = 100.0f;   // z before the kernel; no x + a y in [-1.5, 1.5] equals it

/// Index of the s-th of kCheckedElements elements spread evenly over [0, n).
std::size_t sampled_index(int s, std::size_t n) {
  return n == 1 ? 0 : static_cast<std::size_t>(s) * (n - 1) / (kCheckedElements - 1);
}

/// Never zero, so a destination left zero-filled fails the check.
unsigned char copy_pattern(std::size_t i) { return static_cast<unsigned char>(i % 251 + 1); }

Measurement run_copy(std::int64_t bytes, const BenchSettings& settings) {
  const auto half = static_cast<std::size_t>(bytes / 2);
  std::vector<unsigned char> src(half), dst(half, 0);  // both written here: first touch
  for (std::size_t i = 0; i < half; ++i) src[i] = copy_pattern(i);
  Measurement m;
  m.kernel = "copy";
  m.dtype = "";
  m.shape = {bytes};
  m.bytes = 2.0 * static_cast<double>(half);  // read src + write dst
  m.flops = 0.0;
  m.times_s = detail::time_iterations(settings, [&] {
    std::memcpy(dst.data(), src.data(), half);
    detail::clobber_memory(dst.data());
  });
  int wrong = 0;
  for (int s = 0; s < kCheckedElements; ++s) {
    const std::size_t i = sampled_index(s, half);
    wrong += dst[i] != copy_pattern(i) ? 1 : 0;
  }
  m.max_relative_error = wrong > 0 ? 1.0 : 0.0;
  m.correct = wrong == 0;
  if (!m.correct) {
    throw KernelError("cpu stream copy of " + std::to_string(bytes) + " bytes: " +
                      std::to_string(wrong) + " sampled bytes differ from the source");
  }
  return m;
}

/// Worst relative error of sampled z[i] against x[i] + a y[i] recomputed in double.
double max_axpy_error(const std::vector<float>& x, const std::vector<float>& y, const std::vector<float>& z) {
  double worst = 0.0;
  for (int s = 0; s < kCheckedElements; ++s) {
    const std::size_t i = sampled_index(s, z.size());
    const double ref = static_cast<double>(x[i]) + static_cast<double>(kAxpyScale) * y[i];
    const double diff = std::fabs(static_cast<double>(z[i]) - ref);
    worst = std::max(worst, diff / std::max(std::fabs(ref), 1.0));
  }
  return worst;
}

Measurement run_elementwise(std::int64_t bytes, const BenchSettings& settings) {
  const auto n = static_cast<std::size_t>(bytes / 12);
  std::vector<float> x(n), y(n), z(n, kUnwritten);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(detail::eighths_value(1, i));
    y[i] = static_cast<float>(detail::eighths_value(2, i));
  }
  Measurement m;
  m.kernel = "elementwise";
  m.dtype = "fp32";
  m.shape = {bytes};
  m.bytes = 12.0 * static_cast<double>(n);  // read x, y and write z: 3 x 4 bytes
  m.flops = 2.0 * static_cast<double>(n);   // one multiply and one add per element
  m.times_s = detail::time_iterations(settings, [&] {
    for (std::size_t i = 0; i < n; ++i) z[i] = x[i] + kAxpyScale * y[i];
    detail::clobber_memory(z.data());
  });
  m.max_relative_error = max_axpy_error(x, y, z);
  m.correct = m.max_relative_error <= 1e-6;
  if (!m.correct) {
    throw KernelError("cpu stream elementwise of " + std::to_string(bytes) +
                      " bytes: sampled z differs from x + a y by " + std::to_string(m.max_relative_error));
  }
  return m;
}

}  // namespace

Measurement run_cpu_stream(const std::string& kernel, std::int64_t bytes, const BenchSettings& settings) {
  detail::validate_settings(settings, "cpu stream " + kernel);
  if (kernel != "copy" && kernel != "elementwise") {
    throw KernelError("cpu stream: kernel '" + kernel + "' is unknown (expected copy or elementwise)");
  }
  if (bytes < kMinStreamBytes) {
    throw KernelError("cpu stream " + kernel + ": bytes must be >= " + std::to_string(kMinStreamBytes) +
                      ", got " + std::to_string(bytes));
  }
  return kernel == "copy" ? run_copy(bytes, settings) : run_elementwise(bytes, settings);
}

}  // namespace gppsim::kernels
