// CudaBench's lifetime, versions and the launch-overhead benchmark. gemm() lives in
// gemm_bench.cu, bandwidth() in bandwidth_bench.cu.

#include "kernels/cuda/cuda_benchmarks.h"

#ifdef GPPSIM_HAVE_NCCL
#include <nccl.h>
#endif

#include <string>

#include "kernels/cuda/bench_kernels.cuh"
#include "kernels/cuda/bench_session.cuh"

namespace gppsim::kernels {
namespace {

/// Launches per timed block of launch_overhead: enough to dwarf the event-recording cost.
constexpr int kLaunchesPerBlock = 100;

std::string dotted(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

CudaBench::CudaBench(int device) : impl_(std::make_unique<Impl>(device)) {}

CudaBench::~CudaBench() = default;

const CudaDeviceInfo& CudaBench::device() const { return impl_->session.info; }

std::string CudaBench::cublas_version() const {
  int major = 0;
  int minor = 0;
  int patch = 0;
  GPPSIM_CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  GPPSIM_CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  GPPSIM_CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  return dotted(major, minor, patch);
}

std::string CudaBench::nccl_version() const {
#ifdef GPPSIM_HAVE_NCCL
  int code = 0;
  const ncclResult_t status = ncclGetVersion(&code);
  if (status != ncclSuccess) {
    throw CudaError(std::string("ncclGetVersion(&code) failed: ") + ncclGetErrorString(status));
  }
  // NCCL_VERSION(X,Y,Z): X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z from 2.9 on.
  if (code >= 10000) return dotted(code / 10000, (code / 100) % 100, code % 100);
  return dotted(code / 1000, (code / 100) % 10, code % 100);
#else
  return "";
#endif
}

Measurement CudaBench::launch_overhead(const BenchSettings& settings) {
  cuda_detail::validate_settings(settings, "CudaBench::launch_overhead");
  cuda_detail::Session& s = impl_->session;
  s.activate();
  const cudaStream_t stream = s.stream.get();
  // Checking once after the burst suffices: a failed launch leaves its error as the last error.
  const auto burst = [stream] {
    for (int i = 0; i < kLaunchesPerBlock; ++i) cuda_detail::launch_empty(stream);
    GPPSIM_CUDA_CHECK(cudaGetLastError());
  };
  Measurement m;
  m.kernel = "launch";
  m.shape = {0};  // {bytes}, as for the other non-GEMM kernels: a launch moves none
  m.times_s = cuda_detail::time_iterations(s, settings, burst);
  for (double& t : m.times_s) t /= kLaunchesPerBlock;
  m.correct = true;
  return m;
}

}  // namespace gppsim::kernels
