#pragma once
// The real backend on a GPU: a Device (sim/exec/device.h) whose memory is the GPU's and whose
// kernels are cuBLAS SGEMMs (full fp32, no TF32, as the calibration's fp32 points) and our own
// CUDA kernels, all on one stream. Built only when CMake finds nvcc; plain C++ header.

#include <memory>

#include "sim/exec/device.h"

namespace gppsim::exec {

/// GPUs this process can use (0 without a driver or a device).
int cuda_device_count();

/// The GPU of CUDA ordinal `ordinal` as a Device. Throws kernels::CudaError when it cannot be
/// used. Several Devices (processes) may share one GPU; they then contend for it.
std::unique_ptr<Device> make_cuda_device(int ordinal);

}  // namespace gppsim::exec
