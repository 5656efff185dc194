#pragma once
// Private to sim/exec_cuda: the element-wise, row-wise and scatter kernels of the CUDA Device,
// as host launchers on a stream. Row-major matrices; sizes in floats. Every launcher checks its
// launch (kernels::CudaError).

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace gppsim::exec::cuda {

/// out[i] += scale * in[i].
void add_scaled(cudaStream_t s, float* out, const float* in, float scale, std::size_t n);
/// m[r][j] = (m[r][j] + bias[j]) (bias may be null), then max(., 0) when `relu`.
void bias_activation(cudaStream_t s, float* m, std::size_t rows, std::size_t cols, const float* bias, bool relu);
/// grad[i] = y[i] > 0 ? grad[i] : 0.
void relu_mask(cudaStream_t s, float* grad, const float* y, std::size_t n);
/// out = LayerNorm(x) * gamma + beta per row (eps 1e-5, two-pass mean and variance).
void layer_norm_forward(cudaStream_t s, const float* x, std::size_t rows, std::size_t k, const float* gamma,
                        const float* beta, float* out);
/// dx of LayerNorm per row; writes dout * xhat into `dout_xhat` (for dgamma's column sums).
void layer_norm_backward(cudaStream_t s, const float* x, std::size_t rows, std::size_t k, const float* gamma,
                         const float* dout, float* dx, float* dout_xhat);
/// Softmax of each row, in place.
void softmax_rows(cudaStream_t s, float* m, std::size_t rows, std::size_t cols);
/// dp = p * (dp - rowsum(dp * p)) * scale, per row, in place.
void softmax_backward(cudaStream_t s, float* dp, const float* p, std::size_t rows, std::size_t cols, float scale);
/// out row r = sum over j < bag of table row index[r * bag + j] (rows x dim).
void embedding_forward(cudaStream_t s, const float* table, const std::int32_t* index, std::size_t rows,
                       std::size_t bag, std::size_t dim, float* out);
/// grads row index[r * bag + j] += grad row r (atomic adds).
void embedding_backward(cudaStream_t s, const std::int32_t* index, const float* grad, std::size_t rows,
                        std::size_t bag, std::size_t dim, float* grads);
/// The optimizer rules of kernels/cpu/optimizer_update.h on device arrays; g is cleared.
void sgd(cudaStream_t s, float* w, float* g, std::size_t n, float rate);
void momentum(cudaStream_t s, float* w, float* g, float* v, std::size_t n, float rate, float mu);
void adam(cudaStream_t s, float* w, float* g, float* m, float* v, std::size_t n, float rate, float inv_c2,
          float beta1, float beta2, float eps);
/// ptrs[b] = base + (b / per) * outer + (b % per) * inner for b < count: the operand pointers
/// of a batched GEMM over (sample, head) pairs.
void fill_pointers(cudaStream_t s, const float* base, std::size_t outer, std::size_t inner, std::size_t per,
                   std::size_t count, float** ptrs);
/// x[i] = value.
void fill(cudaStream_t s, float* x, std::size_t n, float value);

}  // namespace gppsim::exec::cuda
