#include "kernels/cuda/device_query.h"

#include <cuda_runtime.h>

namespace gppsim::kernels {

std::vector<CudaDeviceInfo> query_cuda_devices() {
  std::vector<CudaDeviceInfo> out;
  int count = 0;
  // No driver or no device is a normal situation on CPU machines: report none.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return out;
  }
  int driver = 0;
  int runtime = 0;
  (void)cudaDriverGetVersion(&driver);
  (void)cudaRuntimeGetVersion(&runtime);
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back(CudaDeviceInfo{i, prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                                 static_cast<std::int64_t>(prop.totalGlobalMem), driver, runtime});
  }
  return out;
}

}  // namespace gppsim::kernels
