#pragma once
// Multi-head self-attention and LayerNorm for the real backend (CPU kernels in exec::cpu). Per sample the input is
// s x h (s tokens). Attention: X' = LayerNorm(X) (gamma, beta), QKV = X' Wqkv + bqkv,
// per head P = softmax(Q K^T / sqrt(h / H)), C = P V, output C Wo + bo. Parameter layout:
// gamma h, beta h, Wqkv h x 3h, bqkv 3h, Wo h x h, bo h (4h^2 + 6h, as the zoo counts).

#include <cstddef>

#include "sim/exec/buffer.h"
#include "sim/exec/exec_model.h"

namespace gppsim::exec {

/// out = LayerNorm(x) * gamma + beta over each of `rows` rows of width k (eps 1e-5).
void layer_norm_forward(const float* x, std::size_t rows, std::size_t k, const float* gamma, const float* beta,
                        float* out);
/// Writes dx from dout; adds dgamma and dbeta.
void layer_norm_backward(const float* x, std::size_t rows, std::size_t k, const float* gamma, const float* dout,
                         float* dx, float* dgamma, float* dbeta);

/// What attention's backward needs from its forward.
struct AttentionStash {
  Tensor x, qkv, probs, ctx;
};

namespace cpu {

/// Attention forward over `x` (rows = samples); fills `stash` and returns the output.
Tensor attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                         MemoryCounter& mem);
/// Attention backward, input part: returns dX; keeps dQKV in `dqkv` for the weight part;
/// adds the bias and LayerNorm gradients.
Tensor attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem);
/// Attention backward, weight part: dWqkv += X'^T dQKV, dWo += C^T dOut.
void attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                               const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem);

}  // namespace cpu

}  // namespace gppsim::exec
