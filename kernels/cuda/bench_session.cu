#include "kernels/cuda/bench_session.cuh"

#include <cmath>
#include <limits>
#include <sstream>

#include "kernels/common/kernel_error.h"

namespace gppsim::kernels::cuda_detail {

// Destructors cannot throw: they release what they hold and ignore the status (a failure there
// leaves nothing to recover).
DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr) (void)cudaFree(ptr_);
}

void* DeviceBuffer::reserve(std::size_t bytes) {
  const std::size_t want = bytes > 0 ? bytes : 1;
  if (want <= capacity_) return ptr_;
  if (ptr_ != nullptr) {
    GPPSIM_CUDA_CHECK(cudaFree(ptr_));  // free first: the old and new buffer never coexist
    ptr_ = nullptr;
    capacity_ = 0;
  }
  GPPSIM_CUDA_CHECK(cudaMalloc(&ptr_, want));
  capacity_ = want;
  return ptr_;
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_ != nullptr) (void)cudaFreeHost(ptr_);
}

void* PinnedBuffer::reserve(std::size_t bytes) {
  const std::size_t want = bytes > 0 ? bytes : 1;
  if (want <= capacity_) return ptr_;
  if (ptr_ != nullptr) {
    GPPSIM_CUDA_CHECK(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    capacity_ = 0;
  }
  GPPSIM_CUDA_CHECK(cudaHostAlloc(&ptr_, want, cudaHostAllocDefault));
  capacity_ = want;
  return ptr_;
}

StreamHandle::~StreamHandle() {
  if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
}

void StreamHandle::create() {
  GPPSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CublasHandle::~CublasHandle() {
  if (handle_ != nullptr) (void)cublasDestroy(handle_);
}

void CublasHandle::create(cudaStream_t stream, void* workspace, std::size_t workspace_bytes) {
  GPPSIM_CUBLAS_CHECK(cublasCreate(&handle_));
  GPPSIM_CUBLAS_CHECK(cublasSetStream(handle_, stream));
  GPPSIM_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace, workspace_bytes));
}

EventPool::~EventPool() {
  for (cudaEvent_t e : events_) (void)cudaEventDestroy(e);
}

void EventPool::reserve(std::size_t count) {
  while (events_.size() < count) {
    cudaEvent_t e = nullptr;
    GPPSIM_CUDA_CHECK(cudaEventCreate(&e));
    events_.push_back(e);
  }
}

Session::Session(int device_index) : device(device_index) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    throw CudaError("CudaBench: no usable CUDA device: cudaGetDeviceCount returned " +
                    std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")");
  }
  if (device_index < 0 || device_index >= count) {
    throw CudaError("CudaBench: device " + std::to_string(device_index) + " does not exist (" +
                    std::to_string(count) + " visible)");
  }
  GPPSIM_CUDA_CHECK(cudaSetDevice(device_index));
  cudaDeviceProp prop{};
  GPPSIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device_index));
  info = CudaDeviceInfo{device_index, prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                        static_cast<std::int64_t>(prop.totalGlobalMem), 0, 0};
  GPPSIM_CUDA_CHECK(cudaDriverGetVersion(&info.driver_version));
  GPPSIM_CUDA_CHECK(cudaRuntimeGetVersion(&info.runtime_version));
  stream.create();
  void* ws = workspace.reserve(kCublasWorkspaceBytes);
  cublas.create(stream.get(), ws, kCublasWorkspaceBytes);
}

Session::~Session() { (void)cudaSetDevice(device); }

void Session::activate() const { GPPSIM_CUDA_CHECK(cudaSetDevice(device)); }

std::size_t Session::scratch_bytes() const { return a.capacity() + b.capacity() + c.capacity(); }

void validate_settings(const BenchSettings& settings, const std::string& who) {
  if (settings.warmup < 0 || settings.iterations < 1) {
    throw KernelError(who + ": settings need warmup >= 0 and iterations >= 1, got warmup " +
                      std::to_string(settings.warmup) + " and iterations " +
                      std::to_string(settings.iterations));
  }
}

namespace {

/// Seconds of one run of `enqueue`, from one event pair after the warm-up.
double probe_once(Session& session, const std::function<void()>& enqueue) {
  const cudaStream_t stream = session.stream.get();
  session.events.reserve(2);
  GPPSIM_CUDA_CHECK(cudaEventRecord(session.events[0], stream));
  enqueue();
  GPPSIM_CUDA_CHECK(cudaEventRecord(session.events[1], stream));
  GPPSIM_CUDA_CHECK(cudaStreamSynchronize(stream));
  float ms = 0.0f;
  GPPSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, session.events[0], session.events[1]));
  return static_cast<double>(ms) * 1e-3;
}

}  // namespace

std::vector<double> time_iterations(Session& session, const BenchSettings& settings,
                                    const std::function<void()>& enqueue) {
  validate_settings(settings, "time_iterations");
  const cudaStream_t stream = session.stream.get();
  for (int i = 0; i < settings.warmup; ++i) enqueue();
  GPPSIM_CUDA_CHECK(cudaStreamSynchronize(stream));
  // Short runs are repeated back to back inside one event pair so that each sample spans at
  // least kMinSampleSeconds: event resolution and per-pair overhead then stay small, and a
  // sample measures the back-to-back time a training step sees.
  const double once = probe_once(session, enqueue);
  const int reps = once >= kMinSampleSeconds ? 1
                   : static_cast<int>(std::min(kMaxRepetitions, std::ceil(kMinSampleSeconds / std::max(once, 1e-7))));
  const auto n = static_cast<std::size_t>(settings.iterations);
  session.events.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    GPPSIM_CUDA_CHECK(cudaEventRecord(session.events[2 * i], stream));
    for (int r = 0; r < reps; ++r) enqueue();
    GPPSIM_CUDA_CHECK(cudaEventRecord(session.events[2 * i + 1], stream));
  }
  GPPSIM_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> times;
  times.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    float ms = 0.0f;
    GPPSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, session.events[2 * i], session.events[2 * i + 1]));
    times.push_back(static_cast<double>(ms) * 1e-3 / reps);
  }
  return times;
}

void ensure_fits(const Session& session, double need, double fraction,
                 const std::string& what) {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  GPPSIM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t held = session.scratch_bytes();
  const double available = static_cast<double>(free_bytes) + static_cast<double>(held);
  if (need <= fraction * available) return;
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(0);
  out << what << " needs " << need << " bytes of device memory, more than " << fraction * 100.0
      << "% of the " << available << " bytes available to it (free " << free_bytes
      << " + scratch held " << held << ", device total " << total_bytes << ")";
  throw KernelError(out.str());
}

void copy_to_host(const Session& session, void* dst, const void* src, std::size_t bytes) {
  GPPSIM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, session.stream.get()));
  GPPSIM_CUDA_CHECK(cudaStreamSynchronize(session.stream.get()));
}

void ErrorTracker::add(double actual, double expected, double scale, std::int64_t where) {
  double error = std::abs(actual - expected) / (scale > 0.0 ? scale : 1.0);
  if (std::isnan(error)) error = std::numeric_limits<double>::infinity();
  if (worst_where_ >= 0 && error <= max_error_) return;
  max_error_ = error;
  worst_actual_ = actual;
  worst_expected_ = expected;
  worst_where_ = where;
}

std::string ErrorTracker::worst() const {
  std::ostringstream out;
  out.precision(9);
  out << "entry " << worst_where_ << ": got " << worst_actual_ << ", expected " << worst_expected_
      << " (relative error " << max_error_ << ")";
  return out.str();
}

}  // namespace gppsim::kernels::cuda_detail
