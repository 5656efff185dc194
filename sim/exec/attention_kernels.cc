#include "sim/exec/attention_kernels.h"

#include <cblas.h>

#include <cmath>

#include "sim/exec/op_kernels.h"

namespace gppsim::exec {
namespace {

constexpr float kEps = 1e-5f;

int I(std::size_t v) { return static_cast<int>(v); }

struct Dims {
  std::size_t s, h, heads, d, tokens;
};

Dims dims(const ExecOp& op, const Buffer& x) {
  const auto s = static_cast<std::size_t>(op.tokens);
  const auto h = static_cast<std::size_t>(op.k);
  const auto heads = static_cast<std::size_t>(op.heads);
  return {s, h, heads, h / heads, x.rows() * s};
}

// Offsets of the parameter blocks.
struct Layout {
  std::size_t gamma, beta, wqkv, bqkv, wo, bo;
};
Layout layout(std::size_t h) { return {0, h, 2 * h, 2 * h + 3 * h * h, 5 * h + 3 * h * h, 5 * h + 4 * h * h}; }

void add_bias(float* m, std::size_t rows, std::size_t cols, const float* bias) {
  for (std::size_t r = 0; r < rows; ++r) add_into(m + r * cols, bias, cols);
}

void softmax_rows(float* m, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = m + r * cols;
    float top = row[0];
    for (std::size_t j = 1; j < cols; ++j) top = std::max(top, row[j]);
    float sum = 0.0f;
    for (std::size_t j = 0; j < cols; ++j) sum += (row[j] = std::exp(row[j] - top));
    for (std::size_t j = 0; j < cols; ++j) row[j] /= sum;
  }
}

// Per sample and head: P = softmax(Q K^T / sqrt(d)) into probs, C = P V into ctx.
void heads_forward(const Dims& g, const float* qkv, float* probs, float* ctx, std::size_t samples) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(g.d));
  for (std::size_t r = 0; r < samples; ++r) {
    for (std::size_t a = 0; a < g.heads; ++a) {
      const float* q = qkv + r * g.s * 3 * g.h + a * g.d;
      float* p = probs + (r * g.heads + a) * g.s * g.s;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(g.s), I(g.s), I(g.d), scale, q, I(3 * g.h), q + g.h,
                  I(3 * g.h), 0.0f, p, I(g.s));
      softmax_rows(p, g.s, g.s);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(g.s), I(g.d), I(g.s), 1.0f, p, I(g.s), q + 2 * g.h,
                  I(3 * g.h), 0.0f, ctx + r * g.s * g.h + a * g.d, I(g.h));
    }
  }
}

// Softmax and score backward of one head: dq, dk, dv (strided in dqkv) from dctx.
void head_backward(const Dims& g, const float* q, const float* p, const float* dctx, float* dq, float* dp) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(g.d));
  const int ld3 = I(3 * g.h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(g.s), I(g.s), I(g.d), 1.0f, dctx, I(g.h), q + 2 * g.h, ld3,
              0.0f, dp, I(g.s));                                                      // dP = dC V^T
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I(g.s), I(g.d), I(g.s), 1.0f, p, I(g.s), dctx, I(g.h), 0.0f,
              dq + 2 * g.h, ld3);                                                     // dV = P^T dC
  for (std::size_t i = 0; i < g.s; ++i) {
    float* row = dp + i * g.s;
    const float* prow = p + i * g.s;
    float dot = 0.0f;
    for (std::size_t j = 0; j < g.s; ++j) dot += row[j] * prow[j];
    for (std::size_t j = 0; j < g.s; ++j) row[j] = prow[j] * (row[j] - dot) * scale;  // dS / sqrt(d)
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(g.s), I(g.d), I(g.s), 1.0f, dp, I(g.s), q + g.h, ld3, 0.0f,
              dq, ld3);                                                               // dQ = dS K
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I(g.s), I(g.d), I(g.s), 1.0f, dp, I(g.s), q, ld3, 0.0f,
              dq + g.h, ld3);                                                         // dK = dS^T Q
}

}  // namespace

void layer_norm_forward(const float* x, std::size_t rows, std::size_t k, const float* gamma, const float* beta,
                        float* out) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x + r * k;
    float mean = 0.0f, var = 0.0f;
    for (std::size_t j = 0; j < k; ++j) mean += in[j];
    mean /= static_cast<float>(k);
    for (std::size_t j = 0; j < k; ++j) var += (in[j] - mean) * (in[j] - mean);
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(k) + kEps);
    for (std::size_t j = 0; j < k; ++j) out[r * k + j] = (in[j] - mean) * inv * gamma[j] + beta[j];
  }
}

void layer_norm_backward(const float* x, std::size_t rows, std::size_t k, const float* gamma, const float* dout,
                         float* dx, float* dgamma, float* dbeta) {
  const auto kf = static_cast<float>(k);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x + r * k;
    const float* d = dout + r * k;
    float mean = 0.0f, var = 0.0f;
    for (std::size_t j = 0; j < k; ++j) mean += in[j];
    mean /= kf;
    for (std::size_t j = 0; j < k; ++j) var += (in[j] - mean) * (in[j] - mean);
    const float inv = 1.0f / std::sqrt(var / kf + kEps);
    float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
    for (std::size_t j = 0; j < k; ++j) {
      const float xhat = (in[j] - mean) * inv;
      dgamma[j] += d[j] * xhat;
      dbeta[j] += d[j];
      sum_dxhat += d[j] * gamma[j];
      sum_dxhat_xhat += d[j] * gamma[j] * xhat;
    }
    for (std::size_t j = 0; j < k; ++j) {
      const float xhat = (in[j] - mean) * inv;
      dx[r * k + j] = inv * (d[j] * gamma[j] - sum_dxhat / kf - xhat * sum_dxhat_xhat / kf);
    }
  }
}

namespace cpu {

Tensor attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                         MemoryCounter& mem) {
  const Dims g = dims(op, *x);
  const Layout l = layout(g.h);
  Buffer xn(mem, g.tokens, g.h);
  layer_norm_forward(x->data(), g.tokens, g.h, params + l.gamma, params + l.beta, xn.data());
  auto qkv = std::make_shared<Buffer>(mem, x->rows(), g.s * 3 * g.h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(g.tokens), I(3 * g.h), I(g.h), 1.0f, xn.data(), I(g.h),
              params + l.wqkv, I(3 * g.h), 0.0f, qkv->data(), I(3 * g.h));
  add_bias(qkv->data(), g.tokens, 3 * g.h, params + l.bqkv);
  auto probs = std::make_shared<Buffer>(mem, x->rows(), g.heads * g.s * g.s);
  auto ctx = std::make_shared<Buffer>(mem, x->rows(), g.s * g.h);
  heads_forward(g, qkv->data(), probs->data(), ctx->data(), x->rows());
  auto out = std::make_shared<Buffer>(mem, x->rows(), g.s * g.h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, I(g.tokens), I(g.h), I(g.h), 1.0f, ctx->data(), I(g.h),
              params + l.wo, I(g.h), 0.0f, out->data(), I(g.h));
  add_bias(out->data(), g.tokens, g.h, params + l.bo);
  *stash = {x, qkv, probs, ctx};
  return out;
}

Tensor attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem) {
  const Dims g = dims(op, *stash.x);
  const Layout l = layout(g.h);
  for (std::size_t t = 0; t < g.tokens; ++t) add_into(grads + l.bo, dout.data() + t * g.h, g.h);
  Buffer dctx(mem, g.tokens, g.h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(g.tokens), I(g.h), I(g.h), 1.0f, dout.data(), I(g.h),
              params + l.wo, I(g.h), 0.0f, dctx.data(), I(g.h));
  *dqkv = std::make_shared<Buffer>(mem, stash.x->rows(), g.s * 3 * g.h);
  Buffer dp(mem, g.s, g.s);
  for (std::size_t r = 0; r < stash.x->rows(); ++r) {
    for (std::size_t a = 0; a < g.heads; ++a) {
      const std::size_t off = r * g.s * 3 * g.h + a * g.d;
      head_backward(g, stash.qkv->data() + off, stash.probs->data() + (r * g.heads + a) * g.s * g.s,
                    dctx.data() + r * g.s * g.h + a * g.d, (*dqkv)->data() + off, dp.data());
    }
  }
  for (std::size_t t = 0; t < g.tokens; ++t) add_into(grads + l.bqkv, (*dqkv)->data() + t * 3 * g.h, 3 * g.h);
  Buffer dxn(mem, g.tokens, g.h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, I(g.tokens), I(g.h), I(3 * g.h), 1.0f, (*dqkv)->data(),
              I(3 * g.h), params + l.wqkv, I(3 * g.h), 0.0f, dxn.data(), I(g.h));
  auto dx = std::make_shared<Buffer>(mem, stash.x->rows(), stash.x->cols());
  layer_norm_backward(stash.x->data(), g.tokens, g.h, params + l.gamma, dxn.data(), dx->data(), grads + l.gamma,
                      grads + l.beta);
  return dx;
}

void attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                               const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem) {
  const Dims g = dims(op, *stash.x);
  const Layout l = layout(g.h);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I(g.h), I(g.h), I(g.tokens), 1.0f, stash.ctx->data(), I(g.h),
              dout.data(), I(g.h), 1.0f, grads + l.wo, I(g.h));
  Buffer xn(mem, g.tokens, g.h);
  layer_norm_forward(stash.x->data(), g.tokens, g.h, params + l.gamma, params + l.beta, xn.data());
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I(g.h), I(3 * g.h), I(g.tokens), 1.0f, xn.data(), I(g.h),
              dqkv.data(), I(3 * g.h), 1.0f, grads + l.wqkv, I(3 * g.h));
}

}  // namespace cpu
}  // namespace gppsim::exec
