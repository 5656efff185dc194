#pragma once
// Return-code checks of the CUDA runtime and cuBLAS: a failed call throws kernels::CudaError naming
// the call, the source position and the library's error name and string. Internal to
// kernels/cuda (the NCCL check lives in multi_gpu.cu, the only NCCL user besides the version).

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "kernels/common/kernel_error.h"

namespace gppsim::kernels::cuda_detail {

/// Throws CudaError "CALL failed at FILE:LINE: ERROR".
[[noreturn]] inline void throw_cuda_error(const char* call, const char* file, int line,
                                          const std::string& error) {
  throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  error);
}

/// Throws CudaError when `status` is not cudaSuccess (and clears the runtime's last error).
inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  (void)cudaGetLastError();
  throw_cuda_error(call, file, line,
                   std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")");
}

/// Throws CudaError when `status` is not CUBLAS_STATUS_SUCCESS.
inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw_cuda_error(call, file, line,
                   std::string(cublasGetStatusString(status)) + " (cublasStatus_t " +
                       std::to_string(static_cast<int>(status)) + ")");
}

}  // namespace gppsim::kernels::cuda_detail

/// Checks a CUDA runtime call; the call's text appears in the error.
#define GPPSIM_CUDA_CHECK(call) \
  ::gppsim::kernels::cuda_detail::check_cuda((call), #call, __FILE__, __LINE__)

/// Checks a cuBLAS call; the call's text appears in the error.
#define GPPSIM_CUBLAS_CHECK(call) \
  ::gppsim::kernels::cuda_detail::check_cublas((call), #call, __FILE__, __LINE__)
