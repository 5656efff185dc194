// run_multi_gpu_sweep: peer copies 0 -> 1 and, with NCCL, send/recv 0 -> 1 and all-reduce over
// every visible device, from one process (ncclCommInitAll). Each timed iteration starts after
// every device is idle; its end waits on every device's stream, all measured by events on device
// 0's stream.

#include "kernels/cuda/cuda_benchmarks.h"

#ifdef GPPSIM_HAVE_NCCL
#include <nccl.h>
#endif

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common/kernel_error.h"
#include "kernels/cuda/bench_kernels.cuh"
#include "kernels/cuda/bench_session.cuh"

namespace gppsim::kernels {
namespace {

constexpr int kSampledFloats = 16;

/// Restores the caller's current device on scope exit.
class CurrentDeviceGuard {
 public:
  CurrentDeviceGuard() { GPPSIM_CUDA_CHECK(cudaGetDevice(&saved_)); }
  ~CurrentDeviceGuard() { (void)cudaSetDevice(saved_); }
  CurrentDeviceGuard(const CurrentDeviceGuard&) = delete;
  CurrentDeviceGuard& operator=(const CurrentDeviceGuard&) = delete;

 private:
  int saved_ = 0;
};

/// One device's stream, buffers (send filled with index + 1) and one event.
struct PeerDevice {
  int index = 0;
  int sm_count = 0;
  cuda_detail::StreamHandle stream;
  cuda_detail::DeviceBuffer send;
  cuda_detail::DeviceBuffer recv;
  cuda_detail::EventPool events;  // device 0: start, stop; others: done
};

std::vector<std::unique_ptr<PeerDevice>> open_devices(int count, std::int64_t max_bytes) {
  std::vector<std::unique_ptr<PeerDevice>> devs;
  for (int d = 0; d < count; ++d) {
    GPPSIM_CUDA_CHECK(cudaSetDevice(d));
    auto dev = std::make_unique<PeerDevice>();
    dev->index = d;
    GPPSIM_CUDA_CHECK(cudaDeviceGetAttribute(&dev->sm_count, cudaDevAttrMultiProcessorCount, d));
    dev->stream.create();
    dev->events.reserve(2);
    const auto bytes = static_cast<std::size_t>(max_bytes);
    auto* send = static_cast<float*>(dev->send.reserve(bytes));
    dev->recv.reserve(bytes);
    cuda_detail::launch_fill_constant(send, max_bytes / 4, static_cast<float>(d + 1),
                                 dev->stream.get(), dev->sm_count);
    devs.push_back(std::move(dev));
  }
  return devs;
}

void sync_all(const std::vector<std::unique_ptr<PeerDevice>>& devs) {
  for (const auto& dev : devs) {
    GPPSIM_CUDA_CHECK(cudaSetDevice(dev->index));
    GPPSIM_CUDA_CHECK(cudaStreamSynchronize(dev->stream.get()));
  }
}

void clear_recv(const std::vector<std::unique_ptr<PeerDevice>>& devs, std::int64_t bytes) {
  for (const auto& dev : devs) {
    GPPSIM_CUDA_CHECK(cudaSetDevice(dev->index));
    GPPSIM_CUDA_CHECK(cudaMemsetAsync(dev->recv.get(), 0, static_cast<std::size_t>(bytes),
                                      dev->stream.get()));
  }
  sync_all(devs);
}

/// Seconds of one enqueue: from an event on device 0's stream to one recorded after device 0's
/// stream has waited on every other device's stream.
double time_once(const std::vector<std::unique_ptr<PeerDevice>>& devs,
                 const std::function<void()>& enqueue) {
  PeerDevice& first = *devs.front();
  sync_all(devs);
  GPPSIM_CUDA_CHECK(cudaSetDevice(first.index));
  GPPSIM_CUDA_CHECK(cudaEventRecord(first.events[0], first.stream.get()));
  enqueue();
  for (std::size_t d = 1; d < devs.size(); ++d) {
    GPPSIM_CUDA_CHECK(cudaSetDevice(devs[d]->index));
    GPPSIM_CUDA_CHECK(cudaEventRecord(devs[d]->events[0], devs[d]->stream.get()));
    GPPSIM_CUDA_CHECK(cudaSetDevice(first.index));
    GPPSIM_CUDA_CHECK(cudaStreamWaitEvent(first.stream.get(), devs[d]->events[0], 0));
  }
  GPPSIM_CUDA_CHECK(cudaSetDevice(first.index));
  GPPSIM_CUDA_CHECK(cudaEventRecord(first.events[1], first.stream.get()));
  sync_all(devs);
  float ms = 0.0f;
  GPPSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, first.events[0], first.events[1]));
  return static_cast<double>(ms) * 1e-3;
}

std::vector<double> time_multi(const std::vector<std::unique_ptr<PeerDevice>>& devs,
                               const BenchSettings& settings,
                               const std::function<void()>& enqueue) {
  for (int i = 0; i < settings.warmup; ++i) enqueue();
  sync_all(devs);
  std::vector<double> times;
  for (int i = 0; i < settings.iterations; ++i) times.push_back(time_once(devs, enqueue));
  return times;
}

/// Worst error of sampled floats of device `dev`'s recv buffer against `expected`.
double recv_error(const PeerDevice& dev, std::int64_t count, float expected) {
  double worst = 0.0;
  GPPSIM_CUDA_CHECK(cudaSetDevice(dev.index));
  for (int s = 0; s < kSampledFloats; ++s) {
    const std::int64_t i = s == 0 ? count - 1 : (count * s) / kSampledFloats;
    float got = 0.0f;
    GPPSIM_CUDA_CHECK(cudaMemcpy(&got, static_cast<const float*>(dev.recv.get()) + i,
                                 sizeof(float), cudaMemcpyDeviceToHost));
    const double error = std::abs(static_cast<double>(got) - expected) / expected;
    worst = std::max(worst, std::isnan(error) ? std::numeric_limits<double>::infinity() : error);
  }
  return worst;
}

Measurement make_measurement(const std::string& kernel, const std::string& dtype,
                             std::int64_t size, double bytes, std::vector<double> times,
                             double error) {
  Measurement m;
  m.kernel = kernel;
  m.dtype = dtype;
  m.shape = {size};
  m.bytes = bytes;
  m.times_s = std::move(times);
  m.max_relative_error = error;
  m.correct = error <= 1e-6;
  return m;
}

void enable_peer_access(int from, int to) {
  int can = 0;
  GPPSIM_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, from, to));
  if (can == 0) return;  // cudaMemcpyPeerAsync then stages through the host
  GPPSIM_CUDA_CHECK(cudaSetDevice(from));
  const cudaError_t status = cudaDeviceEnablePeerAccess(to, 0);
  if (status == cudaErrorPeerAccessAlreadyEnabled) {
    (void)cudaGetLastError();
    return;
  }
  GPPSIM_CUDA_CHECK(status);
}

Measurement peer_copy(const std::vector<std::unique_ptr<PeerDevice>>& devs, std::int64_t size,
                      const BenchSettings& settings) {
  clear_recv(devs, size);
  PeerDevice& src = *devs[0];
  PeerDevice& dst = *devs[1];
  auto enqueue = [&] {
    GPPSIM_CUDA_CHECK(cudaSetDevice(src.index));  // the stream belongs to the source device
    GPPSIM_CUDA_CHECK(cudaMemcpyPeerAsync(dst.recv.get(), dst.index, src.send.get(),
                                          src.index, static_cast<std::size_t>(size),
                                          src.stream.get()));
  };
  std::vector<double> times = time_multi(devs, settings, enqueue);
  return make_measurement("peer_copy", "", size, static_cast<double>(size), std::move(times),
                          recv_error(dst, size / 4, 1.0f));
}

#ifdef GPPSIM_HAVE_NCCL
void check_nccl(ncclResult_t status, const char* call, const char* file, int line) {
  if (status == ncclSuccess) return;
  cuda_detail::throw_cuda_error(call, file, line, std::string(ncclGetErrorString(status)));
}
#define GPPSIM_NCCL_CHECK(call) check_nccl((call), #call, __FILE__, __LINE__)

/// Communicators of every device, one process (ncclCommInitAll).
class NcclComms {
 public:
  explicit NcclComms(int count) : comms_(static_cast<std::size_t>(count), nullptr) {
    GPPSIM_NCCL_CHECK(ncclCommInitAll(comms_.data(), count, nullptr));
  }
  ~NcclComms() {
    for (ncclComm_t c : comms_) {
      if (c != nullptr) (void)ncclCommDestroy(c);
    }
  }
  NcclComms(const NcclComms&) = delete;
  NcclComms& operator=(const NcclComms&) = delete;
  [[nodiscard]] ncclComm_t operator[](std::size_t i) const { return comms_.at(i); }

 private:
  std::vector<ncclComm_t> comms_;
};

/// ncclGroupStart now; ncclGroupEnd by end() (checked) or, on an exception, by the destructor.
class NcclGroup {
 public:
  NcclGroup() { GPPSIM_NCCL_CHECK(ncclGroupStart()); }
  ~NcclGroup() {
    if (open_) (void)ncclGroupEnd();
  }
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;
  void end() {
    open_ = false;
    GPPSIM_NCCL_CHECK(ncclGroupEnd());
  }

 private:
  bool open_ = true;
};

Measurement nccl_sendrecv(const std::vector<std::unique_ptr<PeerDevice>>& devs,
                          const NcclComms& comms, std::int64_t size,
                          const BenchSettings& settings) {
  clear_recv(devs, size);
  const auto count = static_cast<std::size_t>(size / 4);
  auto enqueue = [&] {
    NcclGroup group;
    GPPSIM_NCCL_CHECK(ncclSend(devs[0]->send.get(), count, ncclFloat, 1, comms[0],
                               devs[0]->stream.get()));
    GPPSIM_NCCL_CHECK(ncclRecv(devs[1]->recv.get(), count, ncclFloat, 0, comms[1],
                               devs[1]->stream.get()));
    group.end();
  };
  std::vector<double> times = time_multi(devs, settings, enqueue);
  return make_measurement("nccl_sendrecv", "", size, 4.0 * static_cast<double>(count),
                          std::move(times), recv_error(*devs[1], size / 4, 1.0f));
}

Measurement nccl_allreduce(const std::vector<std::unique_ptr<PeerDevice>>& devs,
                           const NcclComms& comms, std::int64_t size,
                           const BenchSettings& settings) {
  clear_recv(devs, size);
  const auto count = static_cast<std::size_t>(size / 4);
  auto enqueue = [&] {
    NcclGroup group;
    for (std::size_t d = 0; d < devs.size(); ++d) {
      GPPSIM_NCCL_CHECK(ncclAllReduce(devs[d]->send.get(), devs[d]->recv.get(), count,
                                      ncclFloat, ncclSum, comms[d], devs[d]->stream.get()));
    }
    group.end();
  };
  std::vector<double> times = time_multi(devs, settings, enqueue);
  // Device d contributes d + 1 everywhere: the sum is n (n + 1) / 2.
  const auto n = static_cast<double>(devs.size());
  double error = 0.0;
  for (const auto& dev : devs) {
    error = std::max(error, recv_error(*dev, size / 4, static_cast<float>(n * (n + 1.0) / 2.0)));
  }
  return make_measurement("nccl_allreduce", "fp32", size, 4.0 * static_cast<double>(count),
                          std::move(times), error);
}
#endif

void validate_sizes(const std::vector<std::int64_t>& sizes) {
  for (const std::int64_t size : sizes) {
    if (size < 4) {
      throw KernelError("run_multi_gpu_sweep: message size " + std::to_string(size) +
                        " is below 4 bytes (one fp32)");
    }
  }
}

}  // namespace

std::vector<Measurement> run_multi_gpu_sweep(const std::vector<std::int64_t>& sizes,
                                             const BenchSettings& settings) {
  cuda_detail::validate_settings(settings, "run_multi_gpu_sweep");
  validate_sizes(sizes);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no device: nothing to measure
    return {};
  }
  if (count < 2 || sizes.empty()) return {};
  const CurrentDeviceGuard guard;
  const std::int64_t max_bytes = *std::max_element(sizes.begin(), sizes.end());
  const auto devs = open_devices(count, max_bytes);
  enable_peer_access(0, 1);
  enable_peer_access(1, 0);
  std::vector<Measurement> out;
  for (const std::int64_t size : sizes) out.push_back(peer_copy(devs, size, settings));
#ifdef GPPSIM_HAVE_NCCL
  const NcclComms comms(count);
  for (const std::int64_t size : sizes) {
    out.push_back(nccl_sendrecv(devs, comms, size, settings));
    out.push_back(nccl_allreduce(devs, comms, size, settings));
  }
#endif
  return out;
}

}  // namespace gppsim::kernels
