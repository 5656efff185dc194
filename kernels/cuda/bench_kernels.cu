#include "kernels/cuda/bench_kernels.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <climits>
#include <string>
#include <type_traits>

#include "kernels/common/kernel_error.h"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/deterministic_values.cuh"

namespace gppsim::kernels::cuda_detail {
namespace {

constexpr int kRowWarps = kRowThreads / 32;
constexpr float kLayerNormEpsilon = 1e-5f;

__device__ std::int64_t global_thread() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ std::int64_t grid_threads() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

template <typename T>
__device__ T from_float(float v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16_rn(v);
  } else {
    return static_cast<T>(v);
  }
}

template <typename T>
__global__ void fill_grid_kernel(T* data, std::int64_t count, std::uint64_t seed,
                                 std::uint32_t levels) {
  for (std::int64_t i = global_thread(); i < count; i += grid_threads()) {
    data[i] = from_float<T>(grid_value(static_cast<std::uint64_t>(i), seed, levels));
  }
}

__global__ void fill_bytes_kernel(unsigned char* data, std::int64_t bytes, std::uint64_t seed) {
  const std::int64_t words = bytes / 8;
  auto* word_data = reinterpret_cast<std::uint64_t*>(data);
  for (std::int64_t w = global_thread(); w < words; w += grid_threads()) {
    word_data[w] = pattern_word(static_cast<std::uint64_t>(w), seed);
  }
  for (std::int64_t i = words * 8 + global_thread(); i < bytes; i += grid_threads()) {
    data[i] = static_cast<unsigned char>(pattern_byte(static_cast<std::uint64_t>(i), seed));
  }
}

__global__ void fill_constant_kernel(float* data, std::int64_t count, float value) {
  for (std::int64_t i = global_thread(); i < count; i += grid_threads()) data[i] = value;
}

__global__ void fill_indices_kernel(int* idx, std::int64_t count, std::int64_t modulus,
                                    std::uint64_t seed) {
  for (std::int64_t i = global_thread(); i < count; i += grid_threads()) {
    idx[i] = static_cast<int>(pattern_index(static_cast<std::uint64_t>(i), modulus, seed));
  }
}

__global__ void axpy_kernel(const float* x, const float* y, float* z, float a, std::int64_t n) {
  const std::int64_t n4 = n / 4;
  const auto* x4 = reinterpret_cast<const float4*>(x);
  const auto* y4 = reinterpret_cast<const float4*>(y);
  auto* z4 = reinterpret_cast<float4*>(z);
  for (std::int64_t i = global_thread(); i < n4; i += grid_threads()) {
    const float4 xv = x4[i];
    const float4 yv = y4[i];
    z4[i] = make_float4(xv.x + a * yv.x, xv.y + a * yv.y, xv.z + a * yv.z, xv.w + a * yv.w);
  }
  for (std::int64_t i = n4 * 4 + global_thread(); i < n; i += grid_threads()) z[i] = x[i] + a * y[i];
}

// Sum over the block, returned to every thread. The leading barrier lets `scratch` be reused by
// consecutive reductions.
__device__ float block_sum(float v, float* scratch) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  __syncthreads();
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kRowWarps; ++w) total += scratch[w];
  return total;
}

__device__ float block_max(float v, float* scratch) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
  }
  __syncthreads();
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float best = scratch[0];
  for (int w = 1; w < kRowWarps; ++w) best = fmaxf(best, scratch[w]);
  return best;
}

__global__ void __launch_bounds__(kRowThreads) layer_norm_kernel(const float* x, float* y) {
  __shared__ float scratch[kRowWarps];
  const std::int64_t slot = static_cast<std::int64_t>(blockIdx.x) * kRowThreads + threadIdx.x;
  const float4 v = reinterpret_cast<const float4*>(x)[slot];
  const float mean = block_sum(v.x + v.y + v.z + v.w, scratch) / static_cast<float>(kRowWidth);
  const float4 d = make_float4(v.x - mean, v.y - mean, v.z - mean, v.w - mean);
  const float var = block_sum(d.x * d.x + d.y * d.y + d.z * d.z + d.w * d.w, scratch) /
                    static_cast<float>(kRowWidth);
  const float inv = 1.0f / sqrtf(var + kLayerNormEpsilon);
  reinterpret_cast<float4*>(y)[slot] = make_float4(d.x * inv, d.y * inv, d.z * inv, d.w * inv);
}

__global__ void __launch_bounds__(kRowThreads) softmax_kernel(const float* x, float* y) {
  __shared__ float scratch[kRowWarps];
  const std::int64_t slot = static_cast<std::int64_t>(blockIdx.x) * kRowThreads + threadIdx.x;
  const float4 v = reinterpret_cast<const float4*>(x)[slot];
  const float m = block_max(fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)), scratch);
  const float4 e = make_float4(expf(v.x - m), expf(v.y - m), expf(v.z - m), expf(v.w - m));
  const float inv = 1.0f / block_sum(e.x + e.y + e.z + e.w, scratch);
  reinterpret_cast<float4*>(y)[slot] = make_float4(e.x * inv, e.y * inv, e.z * inv, e.w * inv);
}

// One thread per float4 of an output row: consecutive threads read consecutive float4 of the
// same gathered table row, so every gather is coalesced.
__global__ void embedding_bag_kernel(const float* table, const int* idx, float* out,
                                     std::int64_t bags) {
  constexpr std::int64_t kSlotsPerRow = kEmbeddingDim / 4;
  const auto* table4 = reinterpret_cast<const float4*>(table);
  auto* out4 = reinterpret_cast<float4*>(out);
  for (std::int64_t s = global_thread(); s < bags * kSlotsPerRow; s += grid_threads()) {
    const std::int64_t bag = s / kSlotsPerRow;
    const std::int64_t column = s % kSlotsPerRow;
    float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (std::int64_t j = 0; j < kBagSize; ++j) {
      const float4 t = table4[static_cast<std::int64_t>(idx[bag * kBagSize + j]) * kSlotsPerRow + column];
      acc = make_float4(acc.x + t.x, acc.y + t.y, acc.z + t.z, acc.w + t.w);
    }
    out4[s] = acc;
  }
}

__global__ void empty_kernel() {}

void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) {
    throw_cuda_error(kernel, __FILE__, __LINE__,
                     std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")");
  }
}

unsigned row_grid(std::int64_t rows, const char* kernel) {
  if (rows < 1 || rows > INT_MAX) {
    throw KernelError(std::string(kernel) + ": row count " + std::to_string(rows) +
                      " outside [1, INT_MAX]");
  }
  return static_cast<unsigned>(rows);
}

}  // namespace

int grid_for(std::int64_t items, int sm_count) {
  const std::int64_t needed = (items + kBlockThreads - 1) / kBlockThreads;
  const std::int64_t cap = static_cast<std::int64_t>(std::max(sm_count, 1)) * 32;
  return static_cast<int>(std::clamp<std::int64_t>(needed, 1, cap));
}

void launch_fill_grid(void* data, ElementKind kind, std::int64_t count, std::uint64_t seed,
                      std::uint32_t levels, cudaStream_t stream, int sm_count) {
  const int grid = grid_for(count, sm_count);
  switch (kind) {
    case ElementKind::kF32:
      fill_grid_kernel<<<grid, kBlockThreads, 0, stream>>>(static_cast<float*>(data), count, seed,
                                                           levels);
      break;
    case ElementKind::kF64:
      fill_grid_kernel<<<grid, kBlockThreads, 0, stream>>>(static_cast<double*>(data), count, seed,
                                                           levels);
      break;
    case ElementKind::kF16:
      fill_grid_kernel<<<grid, kBlockThreads, 0, stream>>>(static_cast<__half*>(data), count, seed,
                                                           levels);
      break;
    case ElementKind::kBF16:
      fill_grid_kernel<<<grid, kBlockThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(data), count,
                                                           seed, levels);
      break;
  }
  check_launch("fill_grid_kernel<<<>>>");
}

void launch_fill_eighths(void* data, ElementKind kind, std::int64_t count, std::uint64_t seed,
                         cudaStream_t stream, int sm_count) {
  launch_fill_grid(data, kind, count, seed, 8, stream, sm_count);
}

void launch_fill_bytes(void* data, std::int64_t bytes, std::uint64_t seed, cudaStream_t stream,
                       int sm_count) {
  fill_bytes_kernel<<<grid_for(bytes / 8 + 1, sm_count), kBlockThreads, 0, stream>>>(
      static_cast<unsigned char*>(data), bytes, seed);
  check_launch("fill_bytes_kernel<<<>>>");
}

void launch_fill_constant(float* data, std::int64_t count, float value, cudaStream_t stream,
                          int sm_count) {
  fill_constant_kernel<<<grid_for(count, sm_count), kBlockThreads, 0, stream>>>(data, count, value);
  check_launch("fill_constant_kernel<<<>>>");
}

void launch_fill_indices(int* idx, std::int64_t count, std::int64_t modulus, std::uint64_t seed,
                         cudaStream_t stream, int sm_count) {
  if (modulus < 1 || modulus > INT_MAX) {
    throw KernelError("fill_indices: modulus " + std::to_string(modulus) + " outside [1, INT_MAX]");
  }
  fill_indices_kernel<<<grid_for(count, sm_count), kBlockThreads, 0, stream>>>(idx, count, modulus,
                                                                               seed);
  check_launch("fill_indices_kernel<<<>>>");
}

void launch_axpy(const float* x, const float* y, float* z, float a, std::int64_t n,
                 cudaStream_t stream, int sm_count) {
  axpy_kernel<<<grid_for(n / 4 + 1, sm_count), kBlockThreads, 0, stream>>>(x, y, z, a, n);
  check_launch("axpy_kernel<<<>>>");
}

void launch_layer_norm(const float* x, float* y, std::int64_t rows, cudaStream_t stream) {
  layer_norm_kernel<<<row_grid(rows, "layer_norm"), kRowThreads, 0, stream>>>(x, y);
  check_launch("layer_norm_kernel<<<>>>");
}

void launch_softmax(const float* x, float* y, std::int64_t rows, cudaStream_t stream) {
  softmax_kernel<<<row_grid(rows, "softmax"), kRowThreads, 0, stream>>>(x, y);
  check_launch("softmax_kernel<<<>>>");
}

void launch_embedding_bag(const float* table, const int* idx, float* out, std::int64_t bags,
                          cudaStream_t stream, int sm_count) {
  const int grid = grid_for(bags * (kEmbeddingDim / 4), sm_count);
  embedding_bag_kernel<<<grid, kBlockThreads, 0, stream>>>(table, idx, out, bags);
  check_launch("embedding_bag_kernel<<<>>>");
}

void launch_empty(cudaStream_t stream) { empty_kernel<<<1, 1, 0, stream>>>(); }

}  // namespace gppsim::kernels::cuda_detail
