#pragma once
// Which CUDA devices this process sees, with the properties calibration records in a profile.
// Plain C++ header: callers need no CUDA headers.

#include <cstdint>
#include <string>
#include <vector>

namespace gppsim::kernels {

/// One visible CUDA device.
struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int sm_count = 0;
  std::int64_t memory_bytes = 0;
  int driver_version = 0;   ///< e.g. 13000 for 13.0
  int runtime_version = 0;
};

/// Every visible device; empty (not an error) when there is no driver or no device.
std::vector<CudaDeviceInfo> query_cuda_devices();

}  // namespace gppsim::kernels
