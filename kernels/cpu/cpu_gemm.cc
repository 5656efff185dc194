// Single-threaded OpenBLAS GEMM in the three operand layouts of a layer (nn, nt, tn): warm-up,
// timed iterations with steady_clock over operands that are not in cache, then a check of
// sampled entries of C against a double-precision dot product.

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <type_traits>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cpu/bench_util.h"
#include "kernels/cpu/cpu_benchmarks.h"
#include "kernels/cpu/gemm_operand_pool.h"

namespace gppsim::kernels {
namespace {

constexpr double kMaxMatrixBytes = 4.0 * 1024.0 * 1024.0 * 1024.0;  // A + B + C of all batches
constexpr int kCheckedEntries = 16;

enum class Layout { kNN, kNT, kTN };

/// "fp32 nn m=.. n=.. k=.. batch=.." for error messages.
std::string describe(const GemmPoint& p) {
  return p.dtype + " " + p.layout + " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) + " k=" +
         std::to_string(p.k) + " batch=" + std::to_string(p.batch);
}

Layout parse_layout(const GemmPoint& p) {
  if (p.layout == "nn") return Layout::kNN;
  if (p.batch > 1) throw KernelError("cpu gemm: batched products run layout nn only, got " + describe(p));
  if (p.layout == "nt") return Layout::kNT;
  if (p.layout == "tn") return Layout::kTN;
  throw KernelError("cpu gemm: layout '" + p.layout + "' is unknown (expected nn, nt or tn)");
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

/// `copies` operand sets (A, B and C of every product of the batch, row-major, no padding)
/// stored back to back in a pool; consecutive calls use consecutive sets. Only set 0 is checked.
template <typename T>
struct OperandSets {
  const T* a = nullptr;
  const T* b = nullptr;
  T* c = nullptr;
  std::size_t a_len = 0;  // elements of one set
  std::size_t b_len = 0;
  std::size_t c_len = 0;
  std::size_t copies = 1;
};

/// Enough sets that together they span kColdOperandBytes: each call then reads operands that
/// the calls before it have evicted from every cache level, as a training step does (its
/// weights, gradients, optimizer state and activations exceed the last-level cache).
template <typename T>
OperandSets<T> make_sets(const GemmPoint& p, GemmOperandPool* pool) {
  OperandSets<T> s;
  s.a_len = static_cast<std::size_t>(p.batch * p.m * p.k);
  s.b_len = static_cast<std::size_t>(p.batch * p.k * p.n);
  s.c_len = static_cast<std::size_t>(p.batch * p.m * p.n);
  const double set_bytes = static_cast<double>((s.a_len + s.b_len + s.c_len) * sizeof(T));
  s.copies = static_cast<std::size_t>(std::max(1.0, std::ceil(kColdOperandBytes / set_bytes)));
  const auto r = [&] {
    if constexpr (std::is_same_v<T, float>) {
      return pool->floats(s.a_len * s.copies, s.b_len * s.copies, s.c_len * s.copies);
    } else {
      return pool->doubles(s.a_len * s.copies, s.b_len * s.copies, s.c_len * s.copies);
    }
  }();
  s.a = r.a;
  s.b = r.b;
  s.c = r.c;
  return s;
}

/// C = A B (nn), C = A B^T (nt) or C += A^T B (tn), row-major, as the layout stores A and B.
template <typename T>
void gemm_call(Layout l, blasint m, blasint n, blasint k, const T* a, const T* b, T* c) {
  const CBLAS_TRANSPOSE ta = l == Layout::kTN ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = l == Layout::kNT ? CblasTrans : CblasNoTrans;
  const blasint lda = l == Layout::kTN ? m : k;
  const blasint ldb = l == Layout::kNT ? k : n;
  const T beta = l == Layout::kTN ? T{1} : T{0};
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, n);
  }
}

/// One timed unit of work: every product of the batch on operand set `set`, on distinct matrices.
template <typename T>
void run_batch(const GemmPoint& p, Layout l, const OperandSets<T>& s, std::size_t set) {
  const auto m = static_cast<blasint>(p.m), n = static_cast<blasint>(p.n), k = static_cast<blasint>(p.k);
  const T* a = s.a + set * s.a_len;
  const T* b = s.b + set * s.b_len;
  T* c = s.c + set * s.c_len;
  for (std::int64_t i = 0; i < p.batch; ++i) gemm_call(l, m, n, k, a + i * p.m * p.k, b + i * p.k * p.n, c + i * p.m * p.n);
}

/// A[row][l] and B[l][col] of product `batch` as the layout stores them.
template <typename T>
std::pair<double, double> operands(const GemmPoint& p, Layout l, const OperandSets<T>& s, std::int64_t batch,
                                   std::int64_t row, std::int64_t col, std::int64_t i) {
  const std::int64_t a_at = l == Layout::kTN ? i * p.m + row : row * p.k + i;
  const std::int64_t b_at = l == Layout::kNT ? col * p.k + i : i * p.n + col;
  return {static_cast<double>(s.a[static_cast<std::size_t>(batch * p.m * p.k + a_at)]),
          static_cast<double>(s.b[static_cast<std::size_t>(batch * p.k * p.n + b_at)])};
}

/// Worst error of kCheckedEntries entries of C (set 0) spread over all batches, each relative
/// to sum |a| |b| of its dot product (the scale of its rounding error).
template <typename T>
double max_sampled_error(const GemmPoint& p, Layout l, const OperandSets<T>& s) {
  const std::int64_t total = p.batch * p.m * p.n;
  double worst = 0.0;
  for (int e = 0; e < kCheckedEntries; ++e) {
    const std::int64_t flat = total == 1 ? 0 : e * (total - 1) / (kCheckedEntries - 1);
    const std::int64_t batch = flat / (p.m * p.n), row = flat % (p.m * p.n) / p.n, col = flat % p.n;
    double ref = 0.0, scale = 0.0;
    for (std::int64_t i = 0; i < p.k; ++i) {
      const auto [a, b] = operands(p, l, s, batch, row, col, i);
      ref += a * b;
      scale += std::fabs(a) * std::fabs(b);
    }
    const double diff = std::fabs(static_cast<double>(s.c[static_cast<std::size_t>(flat)]) - ref);
    worst = std::max(worst, scale > 0.0 ? diff / scale : diff);
  }
  return worst;
}

template <typename T>
Measurement run_typed(const GemmPoint& p, Layout l, const BenchSettings& settings, double tolerance,
                      GemmOperandPool* pool) {
  const OperandSets<T> sets = make_sets<T>(p, pool);
  Measurement m;
  m.kernel = gemm_kernel_name(p);
  m.dtype = p.dtype;
  m.shape = {p.m, p.n, p.k, p.batch};
  const double batch = static_cast<double>(p.batch);
  m.flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k) * batch;
  m.bytes = static_cast<double>(p.m * p.k + p.k * p.n + p.m * p.n) * batch * static_cast<double>(sizeof(T));
  std::size_t next = 0;
  m.times_s = detail::time_iterations(settings, [&] { run_batch(p, l, sets, next++ % sets.copies); });
  // The check reruns set 0 from C = 0, so the accumulating layout holds one product too.
  std::fill(sets.c, sets.c + sets.c_len, T{0});
  run_batch(p, l, sets, 0);
  m.max_relative_error = max_sampled_error(p, l, sets);
  m.correct = m.max_relative_error <= tolerance;
  if (!m.correct) {
    std::ostringstream msg;
    msg << "cpu gemm " << describe(p) << ": sampled relative error " << m.max_relative_error << " exceeds "
        << tolerance;
    throw KernelError(msg.str());
  }
  return m;
}

}  // namespace

Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings) {
  GemmOperandPool pool;
  return run_cpu_gemm(point, settings, &pool);
}

Measurement run_cpu_gemm(const GemmPoint& point, const BenchSettings& settings, GemmOperandPool* pool) {
  detail::validate_settings(settings, "cpu gemm");
  if (point.dtype != "fp32" && point.dtype != "fp64") {
    throw KernelError("cpu gemm: dtype '" + point.dtype + "' is not supported (expected fp32 or fp64)");
  }
  const bool fp32 = point.dtype == "fp32";
  const Layout layout = parse_layout(point);
  validate_point(point, fp32 ? 4.0 : 8.0);
  // One thread: the calibration measures a single core, and the machine is shared.
  openblas_set_num_threads(1);
  return fp32 ? run_typed<float>(point, layout, settings, 1e-5, pool)
              : run_typed<double>(point, layout, settings, 1e-12, pool);
}

}  // namespace gppsim::kernels
