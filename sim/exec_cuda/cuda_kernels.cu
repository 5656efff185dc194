#include "sim/exec_cuda/cuda_kernels.cuh"

#include "kernels/cuda/cuda_check.cuh"

namespace gppsim::exec::cuda {
namespace {

constexpr int kThreads = 256;
constexpr float kLayerNormEps = 1e-5f;

unsigned blocks_for(std::size_t n) {
  const std::size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 * 16 ? (b == 0 ? 1 : b) : 65535 * 16);
}

void check_launch() { GPPSIM_CUDA_CHECK(cudaGetLastError()); }

// Sum of `v` over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float block_sum(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // `shared` may still be read from a previous call
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) total += shared[w];
  return total;
}

__device__ float block_max(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float top = shared[0];
  for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w) top = fmaxf(top, shared[w]);
  return top;
}

__global__ void add_scaled_kernel(float* out, const float* in, float scale, std::size_t n) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] += scale * in[i];
}

__global__ void bias_activation_kernel(float* m, std::size_t n, std::size_t cols, const float* bias, bool relu) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const float z = m[i] + (bias != nullptr ? bias[i % cols] : 0.0f);
    m[i] = relu ? (z > 0.0f ? z : 0.0f) : z;
  }
}

__global__ void relu_mask_kernel(float* grad, const float* y, std::size_t n) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    if (!(y[i] > 0.0f)) grad[i] = 0.0f;
  }
}

struct RowStats {
  float mean, inv;
};

__device__ RowStats row_stats(const float* in, std::size_t k, float* shared) {
  float sum = 0.0f;
  for (std::size_t j = threadIdx.x; j < k; j += blockDim.x) sum += in[j];
  const float mean = block_sum(sum, shared) / static_cast<float>(k);
  float var = 0.0f;
  for (std::size_t j = threadIdx.x; j < k; j += blockDim.x) var += (in[j] - mean) * (in[j] - mean);
  const float inv = rsqrtf(block_sum(var, shared) / static_cast<float>(k) + kLayerNormEps);
  return {mean, inv};
}

__global__ void layer_norm_forward_kernel(const float* x, std::size_t k, const float* gamma, const float* beta,
                                          float* out) {
  __shared__ float shared[32];
  const float* in = x + blockIdx.x * k;
  const RowStats st = row_stats(in, k, shared);
  for (std::size_t j = threadIdx.x; j < k; j += blockDim.x) {
    out[blockIdx.x * k + j] = (in[j] - st.mean) * st.inv * gamma[j] + beta[j];
  }
}

__global__ void layer_norm_backward_kernel(const float* x, std::size_t k, const float* gamma, const float* dout,
                                           float* dx, float* dout_xhat) {
  __shared__ float shared[32];
  const std::size_t base = blockIdx.x * k;
  const RowStats st = row_stats(x + base, k, shared);
  float s1 = 0.0f, s2 = 0.0f;
  for (std::size_t j = threadIdx.x; j < k; j += blockDim.x) {
    const float xhat = (x[base + j] - st.mean) * st.inv;
    const float dg = dout[base + j] * gamma[j];
    s1 += dg;
    s2 += dg * xhat;
    dout_xhat[base + j] = dout[base + j] * xhat;
  }
  const float sum_dxhat = block_sum(s1, shared);
  const float sum_dxhat_xhat = block_sum(s2, shared);
  const auto kf = static_cast<float>(k);
  for (std::size_t j = threadIdx.x; j < k; j += blockDim.x) {
    const float xhat = (x[base + j] - st.mean) * st.inv;
    dx[base + j] = st.inv * (dout[base + j] * gamma[j] - sum_dxhat / kf - xhat * sum_dxhat_xhat / kf);
  }
}

__global__ void softmax_rows_kernel(float* m, std::size_t cols) {
  __shared__ float shared[32];
  float* row = m + blockIdx.x * cols;
  float top = -INFINITY;
  for (std::size_t j = threadIdx.x; j < cols; j += blockDim.x) top = fmaxf(top, row[j]);
  top = block_max(top, shared);
  float sum = 0.0f;
  for (std::size_t j = threadIdx.x; j < cols; j += blockDim.x) sum += (row[j] = expf(row[j] - top));
  const float inv = 1.0f / block_sum(sum, shared);
  for (std::size_t j = threadIdx.x; j < cols; j += blockDim.x) row[j] *= inv;
}

__global__ void softmax_backward_kernel(float* dp, const float* p, std::size_t cols, float scale) {
  __shared__ float shared[32];
  float* row = dp + blockIdx.x * cols;
  const float* prow = p + blockIdx.x * cols;
  float dot = 0.0f;
  for (std::size_t j = threadIdx.x; j < cols; j += blockDim.x) dot += row[j] * prow[j];
  dot = block_sum(dot, shared);
  for (std::size_t j = threadIdx.x; j < cols; j += blockDim.x) row[j] = prow[j] * (row[j] - dot) * scale;
}

__global__ void embedding_forward_kernel(const float* table, const std::int32_t* index, std::size_t rows,
                                         std::size_t bag, std::size_t dim, float* out) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < rows * dim; i += gridDim.x * blockDim.x) {
    const std::size_t r = i / dim, c = i % dim;
    float sum = 0.0f;
    for (std::size_t j = 0; j < bag; ++j) sum += table[static_cast<std::size_t>(index[r * bag + j]) * dim + c];
    out[i] = sum;
  }
}

__global__ void embedding_backward_kernel(const std::int32_t* index, const float* grad, std::size_t rows,
                                          std::size_t bag, std::size_t dim, float* grads) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < rows * dim; i += gridDim.x * blockDim.x) {
    const std::size_t r = i / dim, c = i % dim;
    for (std::size_t j = 0; j < bag; ++j) atomicAdd(&grads[static_cast<std::size_t>(index[r * bag + j]) * dim + c], grad[i]);
  }
}

__global__ void sgd_kernel(float* w, float* g, std::size_t n, float rate) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    w[i] -= rate * g[i];
    g[i] = 0.0f;
  }
}

__global__ void momentum_kernel(float* w, float* g, float* v, std::size_t n, float rate, float mu) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    v[i] = mu * v[i] + g[i];
    w[i] -= rate * v[i];
    g[i] = 0.0f;
  }
}

__global__ void adam_kernel(float* w, float* g, float* m, float* v, std::size_t n, float rate, float inv_c2,
                            float beta1, float beta2, float eps) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const float mi = beta1 * m[i] + (1.0f - beta1) * g[i];
    const float vi = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    w[i] -= rate * mi / (sqrtf(vi * inv_c2) + eps);
    g[i] = 0.0f;
  }
}

__global__ void fill_pointers_kernel(const float* base, std::size_t outer, std::size_t inner, std::size_t per,
                                     std::size_t count, float** ptrs) {
  for (std::size_t b = blockIdx.x * blockDim.x + threadIdx.x; b < count; b += gridDim.x * blockDim.x) {
    ptrs[b] = const_cast<float*>(base) + (b / per) * outer + (b % per) * inner;  // cuBLAS reads A, B only
  }
}

__global__ void fill_kernel(float* x, std::size_t n, float value) {
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] = value;
}

// Threads per block of a row-wise kernel: a warp multiple, about the row's width.
unsigned row_threads(std::size_t cols) { return cols >= 256 ? 256u : (cols >= 64 ? 64u : 32u); }
unsigned grid_rows(std::size_t rows) { return static_cast<unsigned>(rows); }

}  // namespace

void add_scaled(cudaStream_t s, float* out, const float* in, float scale, std::size_t n) {
  if (n == 0) return;
  add_scaled_kernel<<<blocks_for(n), kThreads, 0, s>>>(out, in, scale, n);
  check_launch();
}

void bias_activation(cudaStream_t s, float* m, std::size_t rows, std::size_t cols, const float* bias, bool relu) {
  if (rows * cols == 0) return;
  bias_activation_kernel<<<blocks_for(rows * cols), kThreads, 0, s>>>(m, rows * cols, cols, bias, relu);
  check_launch();
}

void relu_mask(cudaStream_t s, float* grad, const float* y, std::size_t n) {
  if (n == 0) return;
  relu_mask_kernel<<<blocks_for(n), kThreads, 0, s>>>(grad, y, n);
  check_launch();
}

void layer_norm_forward(cudaStream_t s, const float* x, std::size_t rows, std::size_t k, const float* gamma,
                        const float* beta, float* out) {
  if (rows == 0) return;
  layer_norm_forward_kernel<<<grid_rows(rows), row_threads(k), 0, s>>>(x, k, gamma, beta, out);
  check_launch();
}

void layer_norm_backward(cudaStream_t s, const float* x, std::size_t rows, std::size_t k, const float* gamma,
                         const float* dout, float* dx, float* dout_xhat) {
  if (rows == 0) return;
  layer_norm_backward_kernel<<<grid_rows(rows), row_threads(k), 0, s>>>(x, k, gamma, dout, dx, dout_xhat);
  check_launch();
}

void softmax_rows(cudaStream_t s, float* m, std::size_t rows, std::size_t cols) {
  if (rows == 0) return;
  softmax_rows_kernel<<<grid_rows(rows), row_threads(cols), 0, s>>>(m, cols);
  check_launch();
}

void softmax_backward(cudaStream_t s, float* dp, const float* p, std::size_t rows, std::size_t cols, float scale) {
  if (rows == 0) return;
  softmax_backward_kernel<<<grid_rows(rows), row_threads(cols), 0, s>>>(dp, p, cols, scale);
  check_launch();
}

void embedding_forward(cudaStream_t s, const float* table, const std::int32_t* index, std::size_t rows,
                       std::size_t bag, std::size_t dim, float* out) {
  if (rows * dim == 0) return;
  embedding_forward_kernel<<<blocks_for(rows * dim), kThreads, 0, s>>>(table, index, rows, bag, dim, out);
  check_launch();
}

void embedding_backward(cudaStream_t s, const std::int32_t* index, const float* grad, std::size_t rows,
                        std::size_t bag, std::size_t dim, float* grads) {
  if (rows * dim == 0) return;
  embedding_backward_kernel<<<blocks_for(rows * dim), kThreads, 0, s>>>(index, grad, rows, bag, dim, grads);
  check_launch();
}

void sgd(cudaStream_t s, float* w, float* g, std::size_t n, float rate) {
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), kThreads, 0, s>>>(w, g, n, rate);
  check_launch();
}

void momentum(cudaStream_t s, float* w, float* g, float* v, std::size_t n, float rate, float mu) {
  if (n == 0) return;
  momentum_kernel<<<blocks_for(n), kThreads, 0, s>>>(w, g, v, n, rate, mu);
  check_launch();
}

void adam(cudaStream_t s, float* w, float* g, float* m, float* v, std::size_t n, float rate, float inv_c2,
          float beta1, float beta2, float eps) {
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), kThreads, 0, s>>>(w, g, m, v, n, rate, inv_c2, beta1, beta2, eps);
  check_launch();
}

void fill_pointers(cudaStream_t s, const float* base, std::size_t outer, std::size_t inner, std::size_t per,
                   std::size_t count, float** ptrs) {
  if (count == 0) return;
  fill_pointers_kernel<<<blocks_for(count), kThreads, 0, s>>>(base, outer, inner, per, count, ptrs);
  check_launch();
}

void fill(cudaStream_t s, float* x, std::size_t n, float value) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, value);
  check_launch();
}

}  // namespace gppsim::exec::cuda
