// The linear and attention kernels of the CUDA Device, with the semantics, parameter layouts and
// operand shapes of the CPU kernels (sim/exec/op_kernels.cc, attention_kernels.cc).

#include <climits>
#include <cmath>

#include "kernels/cuda/cuda_check.cuh"
#include "sim/core/check.h"
#include "sim/exec/attention_kernels.h"
#include "sim/exec_cuda/cuda_device_impl.h"
#include "sim/exec_cuda/cuda_kernels.cuh"

namespace gppsim::exec::cuda {
namespace {

int I(std::size_t v) {
  GPPSIM_CHECK(v <= static_cast<std::size_t>(INT_MAX), "a GEMM dimension over 2^31");
  return static_cast<int>(v);
}

cublasOperation_t op_of(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

struct Dims {
  std::size_t s, h, heads, d, tokens;
};

Dims dims(const ExecOp& op, std::size_t samples) {
  const auto s = static_cast<std::size_t>(op.tokens);
  const auto h = static_cast<std::size_t>(op.k);
  const auto heads = static_cast<std::size_t>(op.heads);
  return {s, h, heads, h / heads, samples * s};
}

// Offsets of attention's parameter blocks (attention_kernels.h).
struct Layout {
  std::size_t gamma, beta, wqkv, bqkv, wo, bo;
};
Layout layout(std::size_t h) { return {0, h, 2 * h, 2 * h + 3 * h * h, 5 * h + 3 * h * h, 5 * h + 4 * h * h}; }

}  // namespace

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the operands swap places.
void CudaDevice::gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                      std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  GPPSIM_CUBLAS_CHECK(cublasSgemm(blas_, op_of(tb), op_of(ta), I(n), I(m), I(k), &alpha, b, I(ldb), a, I(lda), &beta,
                                  c, I(ldc)));
}

void CudaDevice::add_column_sums(const float* m, std::size_t rows, std::size_t cols, float* out) {
  if (rows == 0 || cols == 0) return;
  if (rows * sizeof(float) > ones_bytes_) {
    reserve_scratch(&ones_, &ones_bytes_, rows * sizeof(float));
    fill(stream_, static_cast<float*>(ones_), rows, 1.0f);
  }
  const float one = 1.0f;
  // The row-major rows x cols matrix is column-major M^T (cols x rows): out += M^T 1.
  const auto* ones = static_cast<const float*>(ones_);
  GPPSIM_CUBLAS_CHECK(cublasSgemv(blas_, CUBLAS_OP_N, I(cols), I(rows), &one, m, I(cols), ones, 1, &one, out, 1));
}

void CudaDevice::layer_norm_backward(const float* x, std::size_t rows, std::size_t k, const float* gamma,
                                     const float* dout, float* dx, float* dgamma, float* dbeta, MemoryCounter& mem) {
  Buffer dout_xhat(mem, rows, k);
  cuda::layer_norm_backward(stream_, x, rows, k, gamma, dout, dx, dout_xhat.data());
  add_column_sums(dout_xhat.data(), rows, k, dgamma);
  add_column_sums(dout, rows, k, dbeta);
}

Buffer CudaDevice::normalized_input(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) {
  const float* scale = params + op.k * op.n + op.n;
  const auto k = static_cast<std::size_t>(op.k);
  const std::size_t rows = x.size() / k;
  Buffer out(mem, rows, k);
  layer_norm_forward(stream_, x.data(), rows, k, scale, scale + op.k, out.data());
  return out;
}

Tensor CudaDevice::linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) {
  const auto k = static_cast<std::size_t>(op.k), n = static_cast<std::size_t>(op.n);
  const std::size_t tokens = x.size() / k;
  auto y = std::make_shared<Buffer>(mem, x.rows(), static_cast<std::size_t>(op.out_width));
  Buffer scaled;
  if (op.scale) scaled = normalized_input(op, params, x, mem);
  gemm(false, false, tokens, n, k, 1.0f, op.scale ? scaled.data() : x.data(), k, params, n, 0.0f, y->data(), n);
  bias_activation(stream_, y->data(), tokens, n, op.bias ? params + op.k * op.n : nullptr, true);
  return y;
}

Tensor CudaDevice::linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y,
                                         Buffer& grad, float* grads, MemoryCounter& mem) {
  const auto k = static_cast<std::size_t>(op.k), n = static_cast<std::size_t>(op.n);
  const std::size_t tokens = x.size() / k;
  relu_mask(stream_, grad.data(), y.data(), grad.size());
  auto dx = std::make_shared<Buffer>(mem, x.rows(), x.cols());
  gemm(false, true, tokens, k, n, 1.0f, grad.data(), n, params, n, 0.0f, dx->data(), k);
  float* dbias = grads + op.k * op.n;
  if (op.bias) add_column_sums(grad.data(), tokens, n, dbias);
  if (!op.scale) return dx;
  auto dln = std::make_shared<Buffer>(mem, x.rows(), x.cols());
  const float* scale = params + op.k * op.n + op.n;
  float* dscale = dbias + op.n;
  layer_norm_backward(x.data(), tokens, k, scale, dx->data(), dln->data(), dscale, dscale + op.k, mem);
  return dln;
}

void CudaDevice::linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz,
                                        float* grads, MemoryCounter& mem) {
  const auto k = static_cast<std::size_t>(op.k), n = static_cast<std::size_t>(op.n);
  const std::size_t tokens = x.size() / k;
  Buffer scaled;
  if (op.scale) scaled = normalized_input(op, params, x, mem);
  gemm(true, false, k, n, tokens, 1.0f, op.scale ? scaled.data() : x.data(), k, dz.data(), n, 1.0f, grads, n);
}

void CudaDevice::gemm_heads(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                            HeadOperand a, HeadOperand b, float beta, HeadOperand c, std::size_t samples,
                            std::size_t heads) {
  const std::size_t count = samples * heads;
  if (m == 0 || n == 0 || count == 0) return;
  reserve_scratch(&pointers_, &pointers_bytes_, 3 * count * sizeof(float*));
  float** pa = static_cast<float**>(pointers_);
  float** pb = pa + count;
  float** pc = pa + 2 * count;
  fill_pointers(stream_, a.base, a.sample_stride, a.head_stride, heads, count, pa);
  fill_pointers(stream_, b.base, b.sample_stride, b.head_stride, heads, count, pb);
  fill_pointers(stream_, c.base, c.sample_stride, c.head_stride, heads, count, pc);
  // Row-major products as column-major ones with the operands swapped (gemm above).
  GPPSIM_CUBLAS_CHECK(cublasSgemmBatched(blas_, op_of(tb), op_of(ta), I(n), I(m), I(k), &alpha, pb, I(b.ld), pa,
                                         I(a.ld), &beta, pc, I(c.ld), I(count)));
}

void CudaDevice::heads_forward(const ExecOp& op, std::size_t samples, const float* qkv, float* probs, float* ctx) {
  const Dims g = dims(op, samples);
  const float scale = 1.0f / std::sqrt(static_cast<float>(g.d));
  const std::size_t qs = g.s * 3 * g.h, ps = g.heads * g.s * g.s;
  const HeadOperand q{qkv, 3 * g.h, qs, g.d}, k{qkv + g.h, 3 * g.h, qs, g.d}, v{qkv + 2 * g.h, 3 * g.h, qs, g.d};
  const HeadOperand p{probs, g.s, ps, g.s * g.s}, c{ctx, g.h, g.s * g.h, g.d};
  gemm_heads(false, true, g.s, g.s, g.d, scale, q, k, 0.0f, p, samples, g.heads);  // P = Q K^T / sqrt(d)
  softmax_rows(stream_, probs, samples * g.heads * g.s, g.s);
  gemm_heads(false, false, g.s, g.d, g.s, 1.0f, p, v, 0.0f, c, samples, g.heads);  // C = P V
}

void CudaDevice::heads_backward(const ExecOp& op, std::size_t samples, const float* qkv, const float* probs,
                                const float* dctx, float* dqkv, MemoryCounter& mem) {
  const Dims g = dims(op, samples);
  const float scale = 1.0f / std::sqrt(static_cast<float>(g.d));
  const std::size_t qs = g.s * 3 * g.h, ps = g.heads * g.s * g.s;
  Buffer dp(mem, samples, ps);
  const HeadOperand q{qkv, 3 * g.h, qs, g.d}, k{qkv + g.h, 3 * g.h, qs, g.d}, v{qkv + 2 * g.h, 3 * g.h, qs, g.d};
  const HeadOperand dq{dqkv, 3 * g.h, qs, g.d}, dk{dqkv + g.h, 3 * g.h, qs, g.d}, dv{dqkv + 2 * g.h, 3 * g.h, qs, g.d};
  const HeadOperand p{probs, g.s, ps, g.s * g.s}, ds{dp.data(), g.s, ps, g.s * g.s}, dc{dctx, g.h, g.s * g.h, g.d};
  gemm_heads(false, true, g.s, g.s, g.d, 1.0f, dc, v, 0.0f, ds, samples, g.heads);   // dP = dC V^T
  gemm_heads(true, false, g.s, g.d, g.s, 1.0f, p, dc, 0.0f, dv, samples, g.heads);   // dV = P^T dC
  softmax_backward(stream_, dp.data(), probs, samples * g.heads * g.s, g.s, scale);  // dS / sqrt(d)
  gemm_heads(false, false, g.s, g.d, g.s, 1.0f, ds, k, 0.0f, dq, samples, g.heads);  // dQ = dS K
  gemm_heads(true, false, g.s, g.d, g.s, 1.0f, ds, q, 0.0f, dk, samples, g.heads);   // dK = dS^T Q
}

Tensor CudaDevice::attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                                     MemoryCounter& mem) {
  const Dims g = dims(op, x->rows());
  const Layout l = layout(g.h);
  Buffer xn(mem, g.tokens, g.h);
  layer_norm_forward(stream_, x->data(), g.tokens, g.h, params + l.gamma, params + l.beta, xn.data());
  auto qkv = std::make_shared<Buffer>(mem, x->rows(), g.s * 3 * g.h);
  gemm(false, false, g.tokens, 3 * g.h, g.h, 1.0f, xn.data(), g.h, params + l.wqkv, 3 * g.h, 0.0f, qkv->data(),
       3 * g.h);
  bias_activation(stream_, qkv->data(), g.tokens, 3 * g.h, params + l.bqkv, false);
  auto probs = std::make_shared<Buffer>(mem, x->rows(), g.heads * g.s * g.s);
  auto ctx = std::make_shared<Buffer>(mem, x->rows(), g.s * g.h);
  heads_forward(op, x->rows(), qkv->data(), probs->data(), ctx->data());
  auto out = std::make_shared<Buffer>(mem, x->rows(), g.s * g.h);
  gemm(false, false, g.tokens, g.h, g.h, 1.0f, ctx->data(), g.h, params + l.wo, g.h, 0.0f, out->data(), g.h);
  bias_activation(stream_, out->data(), g.tokens, g.h, params + l.bo, false);
  *stash = {x, qkv, probs, ctx};
  return out;
}

Tensor CudaDevice::attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                            const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem) {
  const std::size_t samples = stash.x->rows();
  const Dims g = dims(op, samples);
  const Layout l = layout(g.h);
  add_column_sums(dout.data(), g.tokens, g.h, grads + l.bo);
  Buffer dctx(mem, g.tokens, g.h);
  gemm(false, true, g.tokens, g.h, g.h, 1.0f, dout.data(), g.h, params + l.wo, g.h, 0.0f, dctx.data(), g.h);
  *dqkv = std::make_shared<Buffer>(mem, samples, g.s * 3 * g.h);
  heads_backward(op, samples, stash.qkv->data(), stash.probs->data(), dctx.data(), (*dqkv)->data(), mem);
  add_column_sums((*dqkv)->data(), g.tokens, 3 * g.h, grads + l.bqkv);
  Buffer dxn(mem, g.tokens, g.h);
  gemm(false, true, g.tokens, g.h, 3 * g.h, 1.0f, (*dqkv)->data(), 3 * g.h, params + l.wqkv, 3 * g.h, 0.0f,
       dxn.data(), g.h);
  auto dx = std::make_shared<Buffer>(mem, samples, stash.x->cols());
  layer_norm_backward(stash.x->data(), g.tokens, g.h, params + l.gamma, dxn.data(), dx->data(), grads + l.gamma,
                      grads + l.beta, mem);
  return dx;
}

void CudaDevice::attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                                           const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem) {
  const Dims g = dims(op, stash.x->rows());
  const Layout l = layout(g.h);
  gemm(true, false, g.h, g.h, g.tokens, 1.0f, stash.ctx->data(), g.h, dout.data(), g.h, 1.0f, grads + l.wo, g.h);
  Buffer xn(mem, g.tokens, g.h);
  layer_norm_forward(stream_, stash.x->data(), g.tokens, g.h, params + l.gamma, params + l.beta, xn.data());
  gemm(true, false, g.h, 3 * g.h, g.tokens, 1.0f, xn.data(), g.h, dqkv.data(), 3 * g.h, 1.0f, grads + l.wqkv,
       3 * g.h);
}

}  // namespace gppsim::exec::cuda
