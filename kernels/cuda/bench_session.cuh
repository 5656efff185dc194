#pragma once
// The state behind CudaBench (its Impl) and the pieces every benchmark shares: RAII owners of
// CUDA resources, the event-timing harness, the device-memory guard and the error tracker of the
// correctness checks. Internal to kernels/cuda.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/common/measurement.h"
#include "kernels/cuda/cuda_benchmarks.h"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/device_query.h"

namespace gppsim::kernels::cuda_detail {

/// Device memory from cudaMalloc (never managed memory), grown on demand and never shrunk; the
/// contents are lost when it grows. Freed by the destructor.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// A pointer to at least max(bytes, 1) bytes on the current device.
  void* reserve(std::size_t bytes);
  /// reserve() for `count` elements of T.
  template <typename T>
  T* reserve_as(std::int64_t count) {
    return static_cast<T*>(reserve(sizeof(T) * static_cast<std::size_t>(count)));
  }
  /// Bytes held now.
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  /// The memory held now (nullptr before the first reserve).
  [[nodiscard]] void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  std::size_t capacity_ = 0;
};

/// Page-locked host memory from cudaHostAlloc, grown on demand like DeviceBuffer.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  /// A pointer to at least max(bytes, 1) pinned bytes.
  void* reserve(std::size_t bytes);

 private:
  void* ptr_ = nullptr;
  std::size_t capacity_ = 0;
};

/// A non-blocking stream of the device current at create().
class StreamHandle {
 public:
  StreamHandle() = default;
  ~StreamHandle();
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;

  void create();
  [[nodiscard]] cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

/// A cuBLAS handle bound to a stream and a user workspace.
class CublasHandle {
 public:
  CublasHandle() = default;
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;

  /// Creates the handle on the current device; sets the stream first, then the workspace
  /// (cublasSetStream resets the workspace to the default pool).
  void create(cudaStream_t stream, void* workspace, std::size_t workspace_bytes);
  [[nodiscard]] cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

/// Timing events (cudaEventDefault) of the device current when they are created.
class EventPool {
 public:
  EventPool() = default;
  ~EventPool();
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;

  /// Makes at least `count` events available.
  void reserve(std::size_t count);
  [[nodiscard]] cudaEvent_t operator[](std::size_t i) const { return events_.at(i); }

 private:
  std::vector<cudaEvent_t> events_;
};

/// Everything one CudaBench owns, on one device. Members are declared so that the cuBLAS handle
/// is destroyed before its workspace and the stream last.
struct Session {
  /// Selects `device_index` and creates stream, workspace and cuBLAS handle; throws CudaError
  /// when the device does not exist.
  explicit Session(int device_index);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Makes this session's device current (callers may have switched devices in between).
  void activate() const;
  /// Bytes held by the scratch buffers a, b and c.
  [[nodiscard]] std::size_t scratch_bytes() const;

  int device = 0;
  CudaDeviceInfo info;
  StreamHandle stream;
  DeviceBuffer workspace;
  CublasHandle cublas;
  DeviceBuffer a;
  DeviceBuffer b;
  DeviceBuffer c;
  PinnedBuffer host;
  EventPool events;
};

/// cuBLAS workspace handed to the handle (the size cuBLAS recommends for Hopper).
inline constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

/// Throws KernelError unless warmup >= 0 and iterations >= 1; `who` names the caller.
void validate_settings(const BenchSettings& settings, const std::string& who);

/// A timed sample spans at least this long: shorter runs are repeated back to back within it.
inline constexpr double kMinSampleSeconds = 200e-6;
/// The most repetitions in one sample.
inline constexpr double kMaxRepetitions = 256.0;

/// Runs `enqueue` settings.warmup times untimed, once more to measure its duration t, then
/// settings.iterations samples, each between its own pair of events on the session's stream and
/// holding r = clamp(ceil(kMinSampleSeconds / t), 1, kMaxRepetitions) back-to-back runs;
/// synchronises once at the end and returns each sample's elapsed seconds / r, in order.
std::vector<double> time_iterations(Session& session, const BenchSettings& settings,
                                    const std::function<void()>& enqueue);

/// Throws KernelError naming the numbers when `need` bytes exceed `fraction` of the device
/// memory available to this session (free memory plus the scratch it already holds).
void ensure_fits(const Session& session, double need, double fraction,
                 const std::string& what);

/// Copies `bytes` bytes from device (or pinned) memory at `src` to host `dst` on the session's
/// stream and waits for them.
void copy_to_host(const Session& session, void* dst, const void* src, std::size_t bytes);

/// The element `index` of device array `base` of T, copied to the host.
template <typename T>
T read_device(const Session& session, const void* base, std::int64_t index) {
  T value{};
  copy_to_host(session, &value, static_cast<const T*>(base) + index, sizeof(T));
  return value;
}

/// Worst error of a correctness check: |actual - expected| / scale (scale <= 0 counts as 1); a
/// NaN error counts as infinite.
class ErrorTracker {
 public:
  /// Adds one checked entry; `where` identifies it in messages (an element index).
  void add(double actual, double expected, double scale, std::int64_t where);
  [[nodiscard]] double max_error() const { return max_error_; }
  [[nodiscard]] bool within(double tolerance) const { return max_error_ <= tolerance; }
  /// "entry W: got A, expected E" of the worst entry.
  [[nodiscard]] std::string worst() const;

 private:
  double max_error_ = 0.0;
  double worst_actual_ = 0.0;
  double worst_expected_ = 0.0;
  std::int64_t worst_where_ = -1;
};

}  // namespace gppsim::kernels::cuda_detail

namespace gppsim::kernels {

/// CudaBench's state: one session.
struct CudaBench::Impl {
  explicit Impl(int device_index) : session(device_index) {}
  cuda_detail::Session session;
};

}  // namespace gppsim::kernels
