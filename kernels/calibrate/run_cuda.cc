// The CUDA sweep on device 0: cuBLAS GEMMs per dtype, bandwidth-bound kernels, host-device
// copies, and with two or more GPUs peer copies and NCCL. Built without nvcc, it reports so.
#include <fmt/format.h>

#include "kernels/calibrate/calibrate.h"
#include "kernels/common/kernel_error.h"

#ifdef GPPSIM_HAVE_CUDA_KERNELS
#include "kernels/cuda/cuda_benchmarks.h"
#endif

namespace gppsim::calibrate {

#ifdef GPPSIM_HAVE_CUDA_KERNELS
namespace {

std::string describe(const kernels::GemmPoint& g) {
  return fmt::format("{} {} {}x{}x{}{}", g.batch > 1 ? "batched_gemm" : "gemm", g.dtype, g.m, g.n, g.k,
                     g.batch > 1 ? fmt::format(" x{}", g.batch) : "");
}

std::string cuda_kernel(const std::string& memory_kernel) {
  return memory_kernel == "copy" ? "copy_d2d" : memory_kernel;
}

struct Run {
  kernels::CudaBench& bench;
  const SweepPlan& plan;
  const ProgressFn& progress;
  std::size_t done = 0;
  SweepMeasurements out;

  void tick(const std::string& what) {
    ++done;
    if (progress) progress(done, plan.total_points(), what);
  }
  void gemms() {
    for (const auto dtype : plan.dtypes) {
      for (const auto& g : plan.grid_gemms(dtype)) {
        out.fit.push_back(bench.gemm(g, plan.settings));
        tick(describe(g));
      }
    }
    for (const auto& g : plan.holdout_gemms) {
      out.holdout.push_back(bench.gemm(g, plan.settings));
      tick(describe(g) + " (held out)");
    }
  }
  void sizes(const std::string& kernel, const std::vector<std::int64_t>& fit, const std::vector<std::int64_t>& held) {
    for (const auto bytes : fit) {
      out.fit.push_back(bench.bandwidth(kernel, bytes, plan.settings));
      tick(fmt::format("{} {} B", kernel, bytes));
    }
    for (const auto bytes : held) {
      out.holdout.push_back(bench.bandwidth(kernel, bytes, plan.settings));
      tick(fmt::format("{} {} B (held out)", kernel, bytes));
    }
  }
};

}  // namespace

std::string cuda_unavailable_reason() {
  if (!kernels::query_cuda_devices().empty()) return {};
  return "no CUDA device is visible to this process (no driver, no GPU, or CUDA_VISIBLE_DEVICES hides them)";
}

SweepMeasurements run_cuda_sweep(const SweepPlan& plan, const ProgressFn& progress) {
  kernels::CudaBench bench(0);
  Run run{bench, plan, progress, 0, {}};
  const auto& dev = bench.device();
  run.out.device = dev.name;
  run.out.memory_bytes = static_cast<double>(dev.memory_bytes);
  run.out.versions = {{"cuda_driver", std::to_string(dev.driver_version)},
                      {"cuda_runtime", std::to_string(dev.runtime_version)},
                      {"cublas", bench.cublas_version()},
                      {"nccl", bench.nccl_version()},
                      {"compute_capability", fmt::format("{}.{}", dev.compute_capability_major,
                                                         dev.compute_capability_minor)}};
  run.out.launch = bench.launch_overhead(plan.settings);
  run.tick("launch overhead (empty kernel)");
  run.gemms();
  for (const auto& k : plan.memory_kernels) run.sizes(cuda_kernel(k), plan.memory_bytes, plan.holdout_memory_bytes);
  for (const auto& k : plan.link_kinds) run.sizes(k, plan.link_bytes, plan.holdout_link_bytes);
  for (auto& m : kernels::run_multi_gpu_sweep(plan.link_bytes, plan.settings)) run.out.fit.push_back(std::move(m));
  return std::move(run.out);
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
