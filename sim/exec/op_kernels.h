#pragma once
// The real backend's kernels. Device-independent parts (seeded values, initial parameters,
// datasets, embedding indices, concat and split through Device copies) in gppsim::exec; the CPU
// kernels, one forward and one backward per op kind, in gppsim::exec::cpu: GEMMs through
// OpenBLAS (single-threaded per rank), element-wise parts written here. Activations are
// Buffers with one row per sample; a linear op sees each row as `tokens` x k.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/exec/buffer.h"
#include "sim/exec/exec_model.h"

namespace gppsim::exec {

/// Uniform value in [-1, 1), a pure function of its four keys (splitmix64 of their mix).
float seeded_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c);

/// Initial values of an op's parameters (layout: W k x n, bias n, scale k, shift k for linear;
/// the table rows x dim for embedding_bag), from `seed` and the op id only; host memory.
void init_parameters(const ExecOp& op, std::uint64_t seed, float* params);

/// The input op's dataset: one row per sample of the mini-batch (made once, like a loaded
/// data set; the input's forward copies rows out of it), in mem's device.
Buffer make_dataset(const ExecOp& op, std::uint64_t seed, std::int64_t samples, MemoryCounter& mem);
/// The table rows of the bags of global samples [first, first + rows): rows x op.bag indices,
/// each a pure function of (seed, op, sample, member).
std::vector<std::int32_t> bag_indices(const ExecOp& op, std::uint64_t seed, std::int64_t first, std::size_t rows);
/// The input op's output for global samples [first, first + rows): rows of the dataset.
Tensor input_forward(const Buffer& dataset, std::int64_t first, std::size_t rows, MemoryCounter& mem);
/// Inputs side by side (predecessor order), one row per sample.
Tensor concat(const std::vector<Tensor>& inputs, MemoryCounter& mem);
/// Splits `grad` by columns into pieces as wide as `widths`.
std::vector<Tensor> split_columns(const Buffer& grad, const std::vector<std::int64_t>& widths, MemoryCounter& mem);

/// out[i] += in[i] over n floats of host memory.
void add_into(float* out, const float* in, std::size_t n);

namespace cpu {

/// Linear forward: ReLU(LN(x) W + bias), LN the optional pre-LayerNorm (scale and shift).
Tensor linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem);
/// Linear backward, input part: turns `grad` (dY) into dZ in place and returns dX; adds the
/// bias and LayerNorm gradients into `grads`.
Tensor linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y, Buffer& grad,
                             float* grads, MemoryCounter& mem);
/// Linear backward, weight part: dW += LN(x)^T dZ.
void linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz, float* grads,
                            MemoryCounter& mem);

/// Embedding bag forward of `rows` samples whose bags are `index` (bag_indices).
Tensor embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                         std::size_t rows, MemoryCounter& mem);
/// Embedding bag backward: scatter-adds dY into the table's gradient rows.
void embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad, float* grads);

}  // namespace cpu

}  // namespace gppsim::exec
