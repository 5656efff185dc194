#pragma once
// Errors of the microkernels: a library call that failed (CUDA, cuBLAS, NCCL, MPI) or a result
// that failed its correctness check. Only sim/cli catches them.

#include <stdexcept>
#include <string>

namespace gppsim::kernels {

/// A benchmark could not run or produced a wrong result; what() says which call or check.
class KernelError : public std::runtime_error {
 public:
  explicit KernelError(const std::string& what) : std::runtime_error(what) {}
};

/// A CUDA runtime, cuBLAS or NCCL call failed; what() names the call and the error string.
class CudaError : public KernelError {
 public:
  explicit CudaError(const std::string& what) : KernelError(what) {}
};

}  // namespace gppsim::kernels
