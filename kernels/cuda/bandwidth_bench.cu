// CudaBench::bandwidth: bandwidth-bound kernels and copies. Each kernel's setup sizes and fills
// its buffers from the requested byte count and returns what to time and how to check it; byte
// and FLOP formulas are in README.md.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cuda/bench_kernels.cuh"
#include "kernels/cuda/bench_session.cuh"
#include "kernels/cuda/cuda_benchmarks.h"
#include "kernels/cuda/deterministic_values.cuh"

namespace gppsim::kernels {
namespace {

using cuda_detail::kBagSize;
using cuda_detail::kEmbeddingDim;
using cuda_detail::kRowWidth;

constexpr std::uint64_t kSeedX = 11;
constexpr std::uint64_t kSeedY = 12;
constexpr std::uint64_t kSeedTable = 13;
constexpr std::uint64_t kSeedIndex = 14;
constexpr std::uint64_t kSeedBytes = 15;
constexpr float kAxpyScale = 0.5f;
constexpr std::int64_t kMinBytes = 1024;
constexpr int kSampledElements = 16;
/// Fraction of the available device memory one bandwidth point may take.
constexpr double kBandwidthMemoryFraction = 0.8;
/// Tolerances of the checks: exact kernels compare exactly (up to float printing); layer_norm and
/// softmax differ from the double recomputation by float rounding of sums, sqrt and exp.
constexpr double kExactTolerance = 1e-6;
constexpr double kRowKernelTolerance = 1e-4;

/// What one bandwidth point runs: counted work, the operation to time, and its check.
struct KernelRun {
  std::string dtype;
  double flops = 0.0;
  double bytes = 0.0;
  double tolerance = 0.0;
  std::function<void()> enqueue;
  std::function<cuda_detail::ErrorTracker()> check;
};

using Setup = KernelRun (*)(cuda_detail::Session&, std::int64_t);

/// kSampledElements indices in [0, count): the first, the last and hashed ones in between.
std::vector<std::int64_t> sample_indices(std::int64_t count) {
  std::vector<std::int64_t> out{0, count - 1};
  for (std::uint64_t i = 2; i < kSampledElements; ++i) {
    out.push_back(cuda_detail::pattern_index(i, count, 99));
  }
  return out;
}

/// Rows checked entirely by the row kernels: first, two inner ones, last.
std::vector<std::int64_t> sample_rows(std::int64_t rows) {
  return {0, rows / 3, (2 * rows) / 3, rows - 1};
}

KernelRun setup_elementwise(cuda_detail::Session& s, std::int64_t bytes) {
  const std::int64_t n = bytes / 12;
  cuda_detail::ensure_fits(s, 12.0 * static_cast<double>(n), kBandwidthMemoryFraction, "elementwise");
  float* x = s.a.reserve_as<float>(n);
  float* y = s.b.reserve_as<float>(n);
  float* z = s.c.reserve_as<float>(n);
  const cudaStream_t stream = s.stream.get();
  const int sms = s.info.sm_count;
  cuda_detail::launch_fill_eighths(x, cuda_detail::ElementKind::kF32, n, kSeedX, stream, sms);
  cuda_detail::launch_fill_eighths(y, cuda_detail::ElementKind::kF32, n, kSeedY, stream, sms);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(z, 0, static_cast<std::size_t>(n) * sizeof(float), stream));
  KernelRun run{"fp32", 2.0 * static_cast<double>(n), 12.0 * static_cast<double>(n),
                kExactTolerance, nullptr, nullptr};
  run.enqueue = [=] { cuda_detail::launch_axpy(x, y, z, kAxpyScale, n, stream, sms); };
  run.check = [&s, z, n] {
    cuda_detail::ErrorTracker tracker;
    for (const std::int64_t i : sample_indices(n)) {
      const auto u = static_cast<std::uint64_t>(i);
      const double expected = static_cast<double>(cuda_detail::eighths_value(u, kSeedX)) +
                              kAxpyScale * static_cast<double>(cuda_detail::eighths_value(u, kSeedY));
      tracker.add(cuda_detail::read_device<float>(s, z, i), expected, std::max(1.0, std::abs(expected)),
                  i);
    }
    return tracker;
  };
  return run;
}

/// The host recomputation of one output row of layer_norm or softmax, in double.
std::vector<double> reference_row(const std::string& kernel, std::int64_t row) {
  std::vector<double> x(static_cast<std::size_t>(kRowWidth));
  for (std::int64_t c = 0; c < kRowWidth; ++c) {
    x[c] = cuda_detail::eighths_value(static_cast<std::uint64_t>(row * kRowWidth + c), kSeedX);
  }
  std::vector<double> y(x.size());
  if (kernel == "layer_norm") {
    double mean = 0.0;
    for (const double v : x) mean += v / static_cast<double>(kRowWidth);
    double var = 0.0;
    for (const double v : x) var += (v - mean) * (v - mean) / static_cast<double>(kRowWidth);
    for (std::size_t c = 0; c < x.size(); ++c) y[c] = (x[c] - mean) / std::sqrt(var + 1e-5);
    return y;
  }
  const double top = *std::max_element(x.begin(), x.end());
  double sum = 0.0;
  for (std::size_t c = 0; c < x.size(); ++c) sum += (y[c] = std::exp(x[c] - top));
  for (double& v : y) v /= sum;
  return y;
}

/// layer_norm and softmax: rows of kRowWidth fp32 read once and written once.
KernelRun setup_row_kernel(cuda_detail::Session& s, std::int64_t bytes, const std::string& kernel) {
  const std::int64_t rows = std::max<std::int64_t>(1, bytes / (8 * kRowWidth));
  const std::int64_t n = rows * kRowWidth;
  cuda_detail::ensure_fits(s, 8.0 * static_cast<double>(n), kBandwidthMemoryFraction, kernel);
  float* x = s.a.reserve_as<float>(n);
  float* y = s.c.reserve_as<float>(n);
  const cudaStream_t stream = s.stream.get();
  cuda_detail::launch_fill_eighths(x, cuda_detail::ElementKind::kF32, n, kSeedX, stream, s.info.sm_count);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(y, 0, static_cast<std::size_t>(n) * sizeof(float), stream));
  const bool softmax = kernel == "softmax";
  KernelRun run{"fp32", 0.0, 8.0 * static_cast<double>(n), kRowKernelTolerance, nullptr, nullptr};
  run.enqueue = [=] {
    if (softmax) {
      cuda_detail::launch_softmax(x, y, rows, stream);
    } else {
      cuda_detail::launch_layer_norm(x, y, rows, stream);
    }
  };
  run.check = [&s, y, rows, kernel, softmax] {
    cuda_detail::ErrorTracker tracker;
    std::vector<float> got(static_cast<std::size_t>(kRowWidth));
    for (const std::int64_t row : sample_rows(rows)) {
      cuda_detail::copy_to_host(s, got.data(), y + row * kRowWidth, got.size() * sizeof(float));
      const std::vector<double> expected = reference_row(kernel, row);
      for (std::size_t c = 0; c < got.size(); ++c) {
        // softmax: relative to the entry itself (all positive); layer_norm: absolute below 1.
        const double scale = softmax ? expected[c] : std::max(1.0, std::abs(expected[c]));
        tracker.add(got[c], expected[c], scale, row * kRowWidth + static_cast<std::int64_t>(c));
      }
    }
    return tracker;
  };
  return run;
}

KernelRun setup_layer_norm(cuda_detail::Session& s, std::int64_t bytes) {
  return setup_row_kernel(s, bytes, "layer_norm");
}

KernelRun setup_softmax(cuda_detail::Session& s, std::int64_t bytes) {
  return setup_row_kernel(s, bytes, "softmax");
}

KernelRun setup_embedding_bag(cuda_detail::Session& s, std::int64_t bytes) {
  constexpr std::int64_t kBytesPerBag = (kBagSize + 1) * kEmbeddingDim * 4;
  const std::int64_t bags = std::max<std::int64_t>(1, bytes / kBytesPerBag);
  const std::int64_t table_rows = bags * kBagSize;  // room for every gathered row to differ
  const double need = 4.0 * static_cast<double>(table_rows * kEmbeddingDim + bags * kBagSize +
                                                bags * kEmbeddingDim);
  cuda_detail::ensure_fits(s, need, kBandwidthMemoryFraction, "embedding_bag");
  float* table = s.a.reserve_as<float>(table_rows * kEmbeddingDim);
  int* idx = s.b.reserve_as<int>(bags * kBagSize);
  float* out = s.c.reserve_as<float>(bags * kEmbeddingDim);
  const cudaStream_t stream = s.stream.get();
  const int sms = s.info.sm_count;
  cuda_detail::launch_fill_eighths(table, cuda_detail::ElementKind::kF32, table_rows * kEmbeddingDim,
                              kSeedTable, stream, sms);
  cuda_detail::launch_fill_indices(idx, bags * kBagSize, table_rows, kSeedIndex, stream, sms);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(
      out, 0, static_cast<std::size_t>(bags * kEmbeddingDim) * sizeof(float), stream));
  KernelRun run{"fp32", 0.0, static_cast<double>(bags * kBytesPerBag), kExactTolerance, nullptr,
                nullptr};
  run.enqueue = [=] { cuda_detail::launch_embedding_bag(table, idx, out, bags, stream, sms); };
  run.check = [&s, out, bags, table_rows] {
    cuda_detail::ErrorTracker tracker;
    for (const std::int64_t e : sample_indices(bags * kEmbeddingDim)) {
      const std::int64_t bag = e / kEmbeddingDim;
      const std::int64_t column = e % kEmbeddingDim;
      double expected = 0.0;
      for (std::int64_t j = 0; j < kBagSize; ++j) {
        const std::int64_t row = cuda_detail::pattern_index(
            static_cast<std::uint64_t>(bag * kBagSize + j), table_rows, kSeedIndex);
        expected += cuda_detail::eighths_value(static_cast<std::uint64_t>(row * kEmbeddingDim + column),
                                          kSeedTable);
      }
      tracker.add(cuda_detail::read_device<float>(s, out, e), expected,
                  std::max(1.0, std::abs(expected)), e);
    }
    return tracker;
  };
  return run;
}

/// Compares sampled bytes of `data` (device or host memory) with the byte pattern.
cuda_detail::ErrorTracker check_pattern(const cuda_detail::Session& s, const void* data,
                                   std::int64_t bytes) {
  cuda_detail::ErrorTracker tracker;
  for (const std::int64_t i : sample_indices(bytes)) {
    const auto got = cuda_detail::read_device<unsigned char>(s, data, i);
    tracker.add(got, cuda_detail::pattern_byte(static_cast<std::uint64_t>(i), kSeedBytes), 1.0, i);
  }
  return tracker;
}

/// A copy of `copied` bytes from src to dst, counted as `counted` bytes.
KernelRun copy_run(const cuda_detail::Session& s, void* dst, const void* src, std::int64_t copied,
                   double counted, cudaMemcpyKind kind) {
  const cudaStream_t stream = s.stream.get();
  KernelRun run{"", 0.0, counted, 0.0, nullptr, nullptr};
  run.enqueue = [=] {
    GPPSIM_CUDA_CHECK(
        cudaMemcpyAsync(dst, src, static_cast<std::size_t>(copied), kind, stream));
  };
  run.check = [&s, dst, copied] { return check_pattern(s, dst, copied); };
  return run;
}

KernelRun setup_copy_d2d(cuda_detail::Session& s, std::int64_t bytes) {
  const std::int64_t half = bytes / 2;
  cuda_detail::ensure_fits(s, 2.0 * static_cast<double>(half), kBandwidthMemoryFraction, "copy_d2d");
  void* src = s.a.reserve(static_cast<std::size_t>(half));
  void* dst = s.b.reserve(static_cast<std::size_t>(half));
  cuda_detail::launch_fill_bytes(src, half, kSeedBytes, s.stream.get(), s.info.sm_count);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(dst, 0, static_cast<std::size_t>(half), s.stream.get()));
  return copy_run(s, dst, src, half, 2.0 * static_cast<double>(half), cudaMemcpyDeviceToDevice);
}

/// Writes the byte pattern on the host, word by word (little-endian, as the device writes it).
void fill_pattern_host(unsigned char* data, std::int64_t bytes) {
  const std::int64_t words = bytes / 8;
  for (std::int64_t w = 0; w < words; ++w) {
    const std::uint64_t word = cuda_detail::pattern_word(static_cast<std::uint64_t>(w), kSeedBytes);
    std::memcpy(data + 8 * w, &word, sizeof(word));
  }
  for (std::int64_t i = words * 8; i < bytes; ++i) {
    data[i] = static_cast<unsigned char>(cuda_detail::pattern_byte(static_cast<std::uint64_t>(i), kSeedBytes));
  }
}

KernelRun setup_copy_h2d(cuda_detail::Session& s, std::int64_t bytes) {
  cuda_detail::ensure_fits(s, static_cast<double>(bytes), kBandwidthMemoryFraction, "copy_h2d");
  auto* host = static_cast<unsigned char*>(s.host.reserve(static_cast<std::size_t>(bytes)));
  void* dst = s.a.reserve(static_cast<std::size_t>(bytes));
  fill_pattern_host(host, bytes);
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(dst, 0, static_cast<std::size_t>(bytes), s.stream.get()));
  return copy_run(s, dst, host, bytes, static_cast<double>(bytes), cudaMemcpyHostToDevice);
}

KernelRun setup_copy_d2h(cuda_detail::Session& s, std::int64_t bytes) {
  cuda_detail::ensure_fits(s, static_cast<double>(bytes), kBandwidthMemoryFraction, "copy_d2h");
  void* host = s.host.reserve(static_cast<std::size_t>(bytes));
  void* src = s.a.reserve(static_cast<std::size_t>(bytes));
  cuda_detail::launch_fill_bytes(src, bytes, kSeedBytes, s.stream.get(), s.info.sm_count);
  std::memset(host, 0, static_cast<std::size_t>(bytes));
  return copy_run(s, host, src, bytes, static_cast<double>(bytes), cudaMemcpyDeviceToHost);
}

Setup find_setup(const std::string& kernel) {
  static const std::map<std::string, Setup> kSetups{
      {"elementwise", &setup_elementwise},     {"layer_norm", &setup_layer_norm},
      {"softmax", &setup_softmax},             {"embedding_bag", &setup_embedding_bag},
      {"copy_d2d", &setup_copy_d2d},           {"copy_h2d", &setup_copy_h2d},
      {"copy_d2h", &setup_copy_d2h}};
  const auto it = kSetups.find(kernel);
  if (it != kSetups.end()) return it->second;
  std::string names;
  for (const auto& [name, setup] : kSetups) names += (names.empty() ? "" : ", ") + name;
  throw KernelError("CudaBench::bandwidth: unknown kernel '" + kernel + "' (expected one of " +
                    names + ")");
}

}  // namespace

Measurement CudaBench::bandwidth(const std::string& kernel, std::int64_t bytes,
                                 const BenchSettings& settings) {
  cuda_detail::validate_settings(settings, "CudaBench::bandwidth");
  const Setup setup = find_setup(kernel);
  if (bytes < kMinBytes) {
    throw KernelError("CudaBench::bandwidth " + kernel + ": bytes must be >= " +
                      std::to_string(kMinBytes) + ", got " + std::to_string(bytes));
  }
  cuda_detail::Session& s = impl_->session;
  s.activate();
  const KernelRun run = setup(s, bytes);
  Measurement m;
  m.kernel = kernel;
  m.dtype = run.dtype;
  m.shape = {bytes};
  m.flops = run.flops;
  m.bytes = run.bytes;
  m.times_s = cuda_detail::time_iterations(s, settings, run.enqueue);
  const cuda_detail::ErrorTracker tracker = run.check();
  m.max_relative_error = tracker.max_error();
  m.correct = tracker.within(run.tolerance);
  return m;
}

}  // namespace gppsim::kernels
