// The CUDA sweep on device 0: cuBLAS GEMMs per dtype, bandwidth-bound kernels, host-device
// copies, and with two or more GPUs peer copies and NCCL. Built without nvcc, it reports so.
#include <fmt/format.h>

#include "kernels/calibrate/calibrate.h"
#include "kernels/calibrate/sweep_runner.h"
#include "kernels/common/kernel_error.h"

#ifdef GPPSIM_HAVE_CUDA_KERNELS
#include "kernels/cuda/cuda_benchmarks.h"
#endif

namespace gppsim::calibrate {

#ifdef GPPSIM_HAVE_CUDA_KERNELS
std::string cuda_unavailable_reason() {
  if (!kernels::query_cuda_devices().empty()) return {};
  return "no CUDA device is visible to this process (no driver, no GPU, or CUDA_VISIBLE_DEVICES hides them)";
}

SweepMeasurements run_cuda_sweep(const SweepPlan& plan, const ProgressFn& progress) {
  kernels::CudaBench bench(0);
  SweepMeasurements out;
  detail::SweepRunner runner(plan, progress, &out);
  const auto& dev = bench.device();
  out.device = dev.name;
  out.memory_bytes = static_cast<double>(dev.memory_bytes);
  out.versions = {{"cuda_driver", std::to_string(dev.driver_version)},
                  {"cuda_runtime", std::to_string(dev.runtime_version)},
                  {"cublas", bench.cublas_version()},
                  {"nccl", bench.nccl_version()},
                  {"compute_capability", fmt::format("{}.{}", dev.compute_capability_major, dev.compute_capability_minor)}};
  out.launch = bench.launch_overhead(plan.settings);
  runner.tick("launch overhead (empty kernel)");
  runner.gemms([&](const kernels::GemmPoint& g) { return bench.gemm(g, plan.settings); });
  const auto bandwidth = [&](const std::string& kernel, std::int64_t bytes) {
    return bench.bandwidth(kernel, bytes, plan.settings);
  };
  for (const auto& k : plan.memory_kernels) {
    runner.sizes(measured_kernel(k, Backend::kCuda), plan.memory_bytes, plan.holdout_memory_bytes, bandwidth);
  }
  for (const auto& k : plan.link_kinds) runner.sizes(k, plan.link_bytes, plan.holdout_link_bytes, bandwidth);
  for (auto& m : kernels::run_multi_gpu_sweep(plan.link_bytes, plan.settings)) out.fit.push_back(std::move(m));
  return out;
}

#else

std::string cuda_unavailable_reason() {
  return "this gppsim was built without the CUDA kernels (CMake did not find nvcc); rebuild on a machine with the "
         "CUDA toolkit";
}

SweepMeasurements run_cuda_sweep(const SweepPlan&, const ProgressFn&) {
  throw kernels::KernelError("this gppsim was built without the CUDA kernels (CMake did not find nvcc)");
}

#endif

}  // namespace gppsim::calibrate
