#include "sim/exec_cuda/cuda_device.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kernels/cuda/cuda_check.cuh"
#include "sim/exec_cuda/cuda_device_impl.h"
#include "sim/exec_cuda/cuda_kernels.cuh"

namespace gppsim::exec {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

std::unique_ptr<Device> make_cuda_device(int ordinal) { return std::make_unique<cuda::CudaDevice>(ordinal); }

namespace cuda {

float* BlockCache::take(std::size_t floats) {
  const auto it = free_.find(floats);
  if (it == free_.end()) return nullptr;
  float* p = it->second;
  free_.erase(it);
  return p;
}

std::vector<float*> BlockCache::drop_free() {
  std::vector<float*> out;
  for (const auto& [size, p] : free_) {
    out.push_back(p);
    blocks_.erase(std::find(blocks_.begin(), blocks_.end(), p));
  }
  free_.clear();
  return out;
}

PinnedHostDevice::~PinnedHostDevice() {
  for (float* p : cache_.blocks()) (void)cudaFreeHost(p);
}

float* PinnedHostDevice::allocate(std::size_t floats) {
  if (floats == 0) return nullptr;
  float* p = cache_.take(floats);
  if (p == nullptr) {
    GPPSIM_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&p), floats * sizeof(float)));
    cache_.adopt(p);
  }
  std::fill(p, p + floats, 0.0f);
  return p;
}

void PinnedHostDevice::release(float* p, std::size_t floats) noexcept {
  if (p != nullptr) cache_.put(floats, p);  // host memory: free for reuse at once
}

CudaDevice::CudaDevice(int ordinal) : ordinal_(ordinal) {
  GPPSIM_CUDA_CHECK(cudaSetDevice(ordinal));
  cudaDeviceProp prop{};
  GPPSIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, ordinal));
  name_ = fmt::format("cuda:{} ({})", ordinal, prop.name);
  GPPSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  GPPSIM_CUBLAS_CHECK(cublasCreate(&blas_));
  GPPSIM_CUBLAS_CHECK(cublasSetStream(blas_, stream_));
  // The default math mode: fp32 products (no TF32), as the calibration timed its fp32 points.
}

CudaDevice::~CudaDevice() {
  (void)cudaSetDevice(ordinal_);
  (void)cudaStreamSynchronize(stream_);
  for (float* p : cache_.blocks()) (void)cudaFree(p);
  (void)cudaFree(ones_);
  (void)cudaFree(index_);
  (void)cudaFree(pointers_);
  (void)cublasDestroy(blas_);
  (void)cudaStreamDestroy(stream_);
}

float* CudaDevice::allocate(std::size_t floats) {
  if (floats == 0) return nullptr;
  float* p = cache_.take(floats);
  if (p == nullptr) {
    if (cudaMalloc(&p, floats * sizeof(float)) != cudaSuccess) {
      // Return the freed blocks to the driver and try once more before giving up.
      (void)cudaGetLastError();
      synchronize();
      for (float* block : cache_.drop_free()) (void)cudaFree(block);
      GPPSIM_CUDA_CHECK(cudaMalloc(&p, floats * sizeof(float)));
    }
    cache_.adopt(p);
  }
  GPPSIM_CUDA_CHECK(cudaMemsetAsync(p, 0, floats * sizeof(float), stream_));
  return p;
}

void CudaDevice::release(float* p, std::size_t floats) noexcept {
  if (p != nullptr) cache_.put(floats, p);  // reused in stream order: later work runs after earlier work
}

void CudaDevice::copy(float* dst, const float* src, std::size_t floats) {
  if (floats == 0) return;
  GPPSIM_CUDA_CHECK(cudaMemcpyAsync(dst, src, floats * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
}

void CudaDevice::copy_2d(float* dst, std::size_t dst_pitch, const float* src, std::size_t src_pitch,
                         std::size_t width, std::size_t rows) {
  if (width == 0 || rows == 0) return;
  constexpr std::size_t f = sizeof(float);
  GPPSIM_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch * f, src, src_pitch * f, width * f, rows,
                                      cudaMemcpyDeviceToDevice, stream_));
}

void CudaDevice::upload(float* dst, const float* host, std::size_t floats) {
  if (floats == 0) return;
  GPPSIM_CUDA_CHECK(cudaMemcpyAsync(dst, host, floats * sizeof(float), cudaMemcpyHostToDevice, stream_));
  synchronize();  // the host array may go away on return
}

void CudaDevice::download(float* host, const float* src, std::size_t floats) {
  if (floats == 0) return;
  GPPSIM_CUDA_CHECK(cudaMemcpyAsync(host, src, floats * sizeof(float), cudaMemcpyDeviceToHost, stream_));
  synchronize();
}

void CudaDevice::synchronize() { GPPSIM_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

void CudaDevice::add_into(float* out, const float* in, std::size_t n) { cuda::add_scaled(stream_, out, in, 1.0f, n); }

void CudaDevice::add_scaled(float* out, const float* in, float scale, std::size_t n) {
  cuda::add_scaled(stream_, out, in, scale, n);
}

double CudaDevice::sum_squares(const float* x, std::size_t n) {
  std::vector<float> host(n);
  download(host.data(), x, n);
  double sum = 0.0;
  for (const float v : host) sum += static_cast<double>(v) * v;
  return sum;
}

void CudaDevice::optimizer_step(kernels::OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1,
                                float* s2, std::size_t n) {
  switch (kind) {
    case kernels::OptimizerKind::kSgd: return sgd(stream_, w, g, n, kernels::kSgdRate);
    case kernels::OptimizerKind::kMomentum: return momentum(stream_, w, g, s1, n, kernels::kSgdRate, kernels::kMomentumDecay);
    case kernels::OptimizerKind::kAdam: break;
  }
  const auto t = static_cast<float>(step);
  const float rate = kernels::kAdamRate / (1.0f - std::pow(kernels::kAdamBeta1, t));
  const float inv_c2 = 1.0f / (1.0f - std::pow(kernels::kAdamBeta2, t));
  adam(stream_, w, g, s1, s2, n, rate, inv_c2, kernels::kAdamBeta1, kernels::kAdamBeta2, kernels::kAdamEps);
}

void CudaDevice::reserve_scratch(void** p, std::size_t* capacity, std::size_t bytes) {
  if (bytes <= *capacity) return;
  synchronize();
  GPPSIM_CUDA_CHECK(cudaFree(*p));
  *p = nullptr;
  *capacity = 0;
  GPPSIM_CUDA_CHECK(cudaMalloc(p, bytes));
  *capacity = bytes;
}

const std::int32_t* CudaDevice::device_index(const std::vector<std::int32_t>& index) {
  const std::size_t bytes = index.size() * sizeof(std::int32_t);
  reserve_scratch(&index_, &index_bytes_, bytes);
  if (bytes != 0) {
    GPPSIM_CUDA_CHECK(cudaMemcpyAsync(index_, index.data(), bytes, cudaMemcpyHostToDevice, stream_));
    synchronize();  // the next call rewrites the scratch array
  }
  return static_cast<const std::int32_t*>(index_);
}

Tensor CudaDevice::embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                                     std::size_t rows, MemoryCounter& mem) {
  const auto dim = static_cast<std::size_t>(op.out_width);
  auto out = std::make_shared<Buffer>(mem, rows, dim);
  cuda::embedding_forward(stream_, table, device_index(index), rows, static_cast<std::size_t>(op.bag), dim,
                          out->data());
  return out;
}

void CudaDevice::embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad,
                                    float* grads) {
  cuda::embedding_backward(stream_, device_index(index), grad.data(), grad.rows(), static_cast<std::size_t>(op.bag),
                           static_cast<std::size_t>(op.out_width), grads);
}

}  // namespace cuda
}  // namespace gppsim::exec
