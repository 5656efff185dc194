// CudaBench::gemm: one cuBLAS GEMM point, column-major, in one of a layer's three layouts
// (README.md). nn: A is m x k (lda = m), B is k x n (ldb = k). nt (input gradient): B is stored
// n x k (ldb = n) and used transposed. tn (weight gradient): A is stored k x m (lda = k) and used
// transposed, and C accumulates (beta = 1). C is m x n (ldc = m); batch t (nn only) of each
// starts at t * m*k, t * k*n, t * m*n elements. A and B hold grid_value(linear index, seed,
// levels), a value exact in the dtype, so the host recomputes any C entry from exact inputs.

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cuda/bench_kernels.cuh"
#include "kernels/cuda/bench_session.cuh"
#include "kernels/cuda/cuda_benchmarks.h"
#include "kernels/cuda/deterministic_values.cuh"

namespace gppsim::kernels {
namespace {

using cuda_detail::ElementKind;

constexpr std::uint64_t kSeedA = 101;
constexpr std::uint64_t kSeedB = 202;
constexpr int kSampledEntries = 16;
/// Fraction of the available device memory A, B and C may take together.
constexpr double kGemmMemoryFraction = 0.4;

/// cuBLAS types of one dtype, the input grid and the tolerance of its check, relative to
/// sum_k |a||b|. Inputs are multiples of 1/levels in [-1, 1], exact in the dtype (1/128 for bf16,
/// 1/1024 otherwise: fine enough that tensor cores see data about as busy as random data, which
/// matters for their clock and so for the timing). Errors then come only from the fp32 (fp64)
/// accumulation, about 1e-7 (1e-16) of sum |a||b|, and for fp16 and bf16 from rounding C to 16
/// bits (2^-11 and 2^-9 of |C| <= sum |a||b|).
struct GemmType {
  cudaDataType_t data;
  cublasComputeType_t compute;
  ElementKind kind;
  std::size_t element_size;
  std::uint32_t levels;
  double tolerance;
};

GemmType gemm_type(const std::string& dtype) {
  if (dtype == "fp32") return {CUDA_R_32F, CUBLAS_COMPUTE_32F, ElementKind::kF32, 4, 1024, 1e-5};
  if (dtype == "tf32") {
    return {CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, ElementKind::kF32, 4, 1024, 1e-2};
  }
  if (dtype == "fp16") return {CUDA_R_16F, CUBLAS_COMPUTE_32F, ElementKind::kF16, 2, 1024, 1e-2};
  if (dtype == "bf16") return {CUDA_R_16BF, CUBLAS_COMPUTE_32F, ElementKind::kBF16, 2, 128, 1e-2};
  if (dtype == "fp64") return {CUDA_R_64F, CUBLAS_COMPUTE_64F, ElementKind::kF64, 8, 1024, 1e-12};
  throw KernelError("CudaBench::gemm: unknown dtype '" + dtype +
                    "' (expected fp32, tf32, fp16, bf16 or fp64)");
}

std::string describe(const GemmPoint& p) {
  return "gemm " + p.dtype + " " + p.layout + " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) +
         " k=" + std::to_string(p.k) + " batch=" + std::to_string(p.batch);
}

void validate_point(const GemmPoint& p) {
  if (p.layout != "nn" && p.layout != "nt" && p.layout != "tn") {
    throw KernelError("CudaBench::" + describe(p) + ": unknown layout '" + p.layout + "' (expected nn, nt or tn)");
  }
  if (p.layout != "nn" && p.batch != 1) {
    throw KernelError("CudaBench::" + describe(p) + ": batched products run in layout nn only, not '" + p.layout + "'");
  }
  for (const std::int64_t dim : {p.m, p.n, p.k, p.batch}) {
    if (dim < 1 || dim > INT_MAX) {
      throw KernelError("CudaBench::" + describe(p) + ": every dimension must be in [1, INT_MAX]");
    }
  }
}

struct GemmBuffers {
  void* a = nullptr;
  void* b = nullptr;
  void* c = nullptr;
};

/// Column-major operand roles of a batch-1 point: transposes and leading dimensions.
struct Operands {
  cublasOperation_t op_a;
  cublasOperation_t op_b;
  int lda;
  int ldb;
  bool accumulate;
};

Operands operands_of(const GemmPoint& p) {
  const auto m = static_cast<int>(p.m);
  const auto n = static_cast<int>(p.n);
  const auto k = static_cast<int>(p.k);
  if (p.layout == "nt") return {CUBLAS_OP_N, CUBLAS_OP_T, m, n, false};
  if (p.layout == "tn") return {CUBLAS_OP_T, CUBLAS_OP_N, k, k, true};
  return {CUBLAS_OP_N, CUBLAS_OP_N, m, k, false};
}

void enqueue_gemm(cublasHandle_t handle, const GemmPoint& p, const GemmType& t,
                  const GemmBuffers& buf) {
  // Host pointer mode (the default): cuBLAS reads the scalars during the call.
  const float one_f = 1.0f;
  const float zero_f = 0.0f;
  const double one_d = 1.0;
  const double zero_d = 0.0;
  const bool fp64 = t.kind == ElementKind::kF64;
  const Operands o = operands_of(p);
  const void* alpha = fp64 ? static_cast<const void*>(&one_d) : static_cast<const void*>(&one_f);
  const void* beta_zero = fp64 ? static_cast<const void*>(&zero_d) : static_cast<const void*>(&zero_f);
  const void* beta = o.accumulate ? alpha : beta_zero;
  const auto m = static_cast<int>(p.m);
  const auto n = static_cast<int>(p.n);
  const auto k = static_cast<int>(p.k);
  if (p.batch == 1) {
    GPPSIM_CUBLAS_CHECK(cublasGemmEx(handle, o.op_a, o.op_b, m, n, k, alpha, buf.a, t.data, o.lda, buf.b, t.data,
                                     o.ldb, beta, buf.c, t.data, m, t.compute, CUBLAS_GEMM_DEFAULT));
    return;
  }
  GPPSIM_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, alpha, buf.a, t.data, m,
      static_cast<long long>(p.m * p.k), buf.b, t.data, k, static_cast<long long>(p.k * p.n), beta,
      buf.c, t.data, m, static_cast<long long>(p.m * p.n), static_cast<int>(p.batch), t.compute,
      CUBLAS_GEMM_DEFAULT));
}

double read_c(const cuda_detail::Session& s, const void* c, std::int64_t index, ElementKind kind) {
  switch (kind) {
    case ElementKind::kF32:
      return cuda_detail::read_device<float>(s, c, index);
    case ElementKind::kF64:
      return cuda_detail::read_device<double>(s, c, index);
    case ElementKind::kF16:
      return __half2float(cuda_detail::read_device<__half>(s, c, index));
    case ElementKind::kBF16:
      return __bfloat162float(cuda_detail::read_device<__nv_bfloat16>(s, c, index));
  }
  throw KernelError("CudaBench::gemm: unhandled element kind");
}

/// One sampled entry C[i, j] of batch t.
struct Entry {
  std::int64_t t;
  std::int64_t i;
  std::int64_t j;
};

/// kSampledEntries entries over all batches: the first and the last of C, the rest hashed.
std::vector<Entry> sample_entries(const GemmPoint& p) {
  std::vector<Entry> out{{0, 0, 0}, {p.batch - 1, p.m - 1, p.n - 1}};
  for (std::uint64_t s = 2; s < kSampledEntries; ++s) {
    out.push_back({static_cast<std::int64_t>(s) % p.batch, cuda_detail::pattern_index(2 * s, p.m, 7),
                   cuda_detail::pattern_index(2 * s + 1, p.n, 7)});
  }
  return out;
}

cuda_detail::ErrorTracker check_gemm(const cuda_detail::Session& s, const GemmPoint& p, const GemmType& t,
                                const void* c) {
  cuda_detail::ErrorTracker tracker;
  for (const Entry& e : sample_entries(p)) {
    double expected = 0.0;
    double scale = 0.0;
    for (std::int64_t q = 0; q < p.k; ++q) {
      const std::int64_t ia = p.layout == "tn" ? q + e.i * p.k : e.i + q * p.m;  // A(i, q)
      const std::int64_t ib = p.layout == "nt" ? e.j + q * p.n : q + e.j * p.k;  // B(q, j)
      const double a = cuda_detail::grid_value(static_cast<std::uint64_t>(e.t * p.m * p.k + ia), kSeedA, t.levels);
      const double b = cuda_detail::grid_value(static_cast<std::uint64_t>(e.t * p.k * p.n + ib), kSeedB, t.levels);
      expected += a * b;
      scale += std::abs(a * b);
    }
    const std::int64_t index = e.t * p.m * p.n + e.i + e.j * p.m;
    tracker.add(read_c(s, c, index, t.kind), expected, scale, index);
  }
  return tracker;
}

GemmBuffers prepare_operands(cuda_detail::Session& s, const GemmPoint& p, const GemmType& t) {
  const std::int64_t a_count = p.m * p.k * p.batch;
  const std::int64_t b_count = p.k * p.n * p.batch;
  const std::int64_t c_count = p.m * p.n * p.batch;
  GemmBuffers buf;
  buf.a = s.a.reserve(static_cast<std::size_t>(a_count) * t.element_size);
  buf.b = s.b.reserve(static_cast<std::size_t>(b_count) * t.element_size);
  buf.c = s.c.reserve(static_cast<std::size_t>(c_count) * t.element_size);
  const cudaStream_t stream = s.stream.get();
  cuda_detail::launch_fill_grid(buf.a, t.kind, a_count, kSeedA, t.levels, stream, s.info.sm_count);
  cuda_detail::launch_fill_grid(buf.b, t.kind, b_count, kSeedB, t.levels, stream, s.info.sm_count);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(buf.c, 0, static_cast<std::size_t>(c_count) * t.element_size,
                                    stream));
  return buf;
}

}  // namespace

Measurement CudaBench::gemm(const GemmPoint& point, const BenchSettings& settings) {
  cuda_detail::validate_settings(settings, "CudaBench::gemm");
  validate_point(point);
  const GemmType type = gemm_type(point.dtype);
  cuda_detail::Session& s = impl_->session;
  s.activate();
  // In double: the element count of an absurd point must not overflow before the guard.
  const double elements = (static_cast<double>(point.m) * static_cast<double>(point.k) +
                           static_cast<double>(point.k) * static_cast<double>(point.n) +
                           static_cast<double>(point.m) * static_cast<double>(point.n)) *
                          static_cast<double>(point.batch);
  const double bytes = elements * static_cast<double>(type.element_size);
  cuda_detail::ensure_fits(s, bytes, kGemmMemoryFraction, "CudaBench::" + describe(point));
  const GemmBuffers buf = prepare_operands(s, point, type);
  const cublasHandle_t handle = s.cublas.get();
  Measurement m;
  m.kernel = gemm_kernel_name(point);
  m.dtype = point.dtype;
  m.shape = {point.m, point.n, point.k, point.batch};
  m.flops = 2.0 * static_cast<double>(point.m) * static_cast<double>(point.n) *
            static_cast<double>(point.k) * static_cast<double>(point.batch);
  m.bytes = bytes;
  m.times_s = cuda_detail::time_iterations(s, settings, [&] { enqueue_gemm(handle, point, type, buf); });
  // tn accumulated once per timed or warm-up run: the check runs one product on a zeroed C.
  const std::size_t c_bytes = static_cast<std::size_t>(point.m * point.n * point.batch) * type.element_size;
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(buf.c, 0, c_bytes, s.stream.get()));
  enqueue_gemm(handle, point, type, buf);
  const cuda_detail::ErrorTracker tracker = check_gemm(s, point, type, buf.c);
  m.max_relative_error = tracker.max_error();
  m.correct = tracker.within(type.tolerance);
  if (!m.correct) {
    throw KernelError("CudaBench::" + describe(point) + ": result check failed (tolerance " +
                      std::to_string(type.tolerance) + " relative to sum_k |a||b|), worst C " +
                      tracker.worst());
  }
  return m;
}

}  // namespace gppsim::kernels
