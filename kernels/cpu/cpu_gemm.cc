// Single-threaded OpenBLAS GEMM: warm-up, timed iterations with steady_clock, then a check of
// sampled entries of C against a double-precision dot product.

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cpu/bench_util.h"
#include "kernels/cpu/cpu_benchmarks.h"

namespace gppsim::kernels {
namespace {

constexpr double kMaxMatrixBytes = 4.0 * 1024.0 * 1024.0 * 1024.0;  // A + B + C of all batches
constexpr int kCheckedEntries = 16;
constexpr std::uint64_t kSaltA = 1;
constexpr std::uint64_t kSaltB = 2;

/// Operands and result of `batch` products stored back to back (row-major, no padding).
template <typename T>
struct GemmBuffers {
  std::vector<T> a;
  std::vector<T> b;
  std::vector<T> c;
};

/// "fp32 m=.. n=.. k=.. batch=.." for error messages.
std::string describe(const GemmPoint& p) {
  return p.dtype + " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) + " k=" +
         std::to_string(p.k) + " batch=" + std::to_string(p.batch);
}

/// Throws unless every dimension is >= 1 and A, B and C of all batches fit in 4 GiB.
void validate_point(const GemmPoint& p, double elem_size) {
  if (p.m < 1 || p.n < 1 || p.k < 1 || p.batch < 1) {
    throw KernelError("cpu gemm: every dimension must be >= 1, got " + describe(p));
  }
  // Computed in double so that huge dimensions cannot overflow before the comparison.
  const double m = static_cast<double>(p.m), n = static_cast<double>(p.n);
  const double k = static_cast<double>(p.k), batch = static_cast<double>(p.batch);
  const double bytes = (m * k + k * n + m * n) * batch * elem_size;
  if (bytes > kMaxMatrixBytes) {
    std::ostringstream msg;
    msg << "cpu gemm: the matrices of " << describe(p) << " take " << bytes / (1024.0 * 1024.0 * 1024.0)
        << " GiB, more than the 4 GiB limit";
    throw KernelError(msg.str());
  }
}

template <typename T>
GemmBuffers<T> make_buffers(const GemmPoint& p) {
  GemmBuffers<T> buf;
  buf.a.resize(static_cast<std::size_t>(p.batch * p.m * p.k));
  buf.b.resize(static_cast<std::size_t>(p.batch * p.k * p.n));
  buf.c.resize(static_cast<std::size_t>(p.batch * p.m * p.n));
  for (std::size_t i = 0; i < buf.a.size(); ++i) buf.a[i] = static_cast<T>(detail::eighths_value(kSaltA, i));
  for (std::size_t i = 0; i < buf.b.size(); ++i) buf.b[i] = static_cast<T>(detail::eighths_value(kSaltB, i));
  return buf;
}

void gemm_call(const GemmPoint& p, const float* a, const float* b, float* c) {
  const auto m = static_cast<blasint>(p.m), n = static_cast<blasint>(p.n);
  const auto k = static_cast<blasint>(p.k);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
}

void gemm_call(const GemmPoint& p, const double* a, const double* b, double* c) {
  const auto m = static_cast<blasint>(p.m), n = static_cast<blasint>(p.n);
  const auto k = static_cast<blasint>(p.k);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
}

/// One timed unit of work: every product of the batch, on distinct matrices.
template <typename T>
void run_batch(const GemmPoint& p, GemmBuffers<T>& buf) {
  for (std::int64_t i = 0; i < p.batch; ++i) {
    gemm_call(p, buf.a.data() + i * p.m * p.k, buf.b.data() + i * p.k * p.n,
              buf.c.data() + i * p.m * p.n);
  }
}

/// Worst error of kCheckedEntries entries of C spread over all batches, each relative to
/// sum |a| |b| of its dot product (the scale of its rounding error).
template <typename T>
double max_sampled_error(const GemmPoint& p, const GemmBuffers<T>& buf) {
  const std::int64_t total = p.batch * p.m * p.n;
  double worst = 0.0;
  for (int s = 0; s < kCheckedEntries; ++s) {
    const std::int64_t flat = total == 1 ? 0 : s * (total - 1) / (kCheckedEntries - 1);
    const std::int64_t batch = flat / (p.m * p.n), row = flat % (p.m * p.n) / p.n, col = flat % p.n;
    double ref = 0.0, scale = 0.0;
    for (std::int64_t l = 0; l < p.k; ++l) {
      const double a = buf.a[static_cast<std::size_t>((batch * p.m + row) * p.k + l)];
      const double b = buf.b[static_cast<std::size_t>((batch * p.k + l) * p.n + col)];
      ref += a * b;
      scale += std::fabs(a) * std::fabs(b);
    }
    const double diff = std::fabs(static_cast<double>(buf.c[static_cast<std::size_t>(flat)]) - ref);
    worst = std::max(worst, scale > 0.0 ? diff / scale : diff);
  }
  return worst;
}

template <typename T>
Measurement run_typed(const GemmPoint& p, const BenchSettings& settings, double tolerance) {
  GemmBuffers<T> buf = make_buffers<T>(p);
  Measurement m;
  m.kernel = p.batch > 1 ? "batched_gemm" : "gemm";
  m.dtype = p.dtype;
  m.shape = {p.m, p.n, p.k, p.batch};
  const double batch = static_cast<double>(p.batch);
  m.flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k) * batch;
  m.bytes = static_cast<double>(p.m * p.k + p.k * p.n + p.m * p.n) * batch * static_cast<double>(sizeof(T));
  m.times_s = detail::time_iterations(settings, [&] { run_batch(p, buf); });
  m.max_relative_error = max_sampled_error(p, buf);
  m.correct = m.max_relative_error <= tolerance;
  if (!m.correct) {
    std::ostringstream msg;
    msg << "cpu gemm " << describe(p) << ": sampled relative error " << m.max_relative_error
        << " exceeds " << tolerance;
    throw KernelError(msg.str());
  }
  return m;
}

}  // namespace

Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings) {
  detail::validate_settings(settings, "cpu gemm");
  if (point.dtype != "fp32" && point.dtype != "fp64") {
    throw KernelError("cpu gemm: dtype '" + point.dtype + "' is not supported (expected fp32 or fp64)");
  }
  const bool fp32 = point.dtype == "fp32";
  validate_point(point, fp32 ? 4.0 : 8.0);
  // One thread: the calibration measures a single core, and the machine is shared.
  openblas_set_num_threads(1);
  return fp32 ? run_typed<float>(point, settings, 1e-5) : run_typed<double>(point, settings, 1e-12);
}

}  // namespace gppsim::kernels
