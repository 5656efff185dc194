#include "sim/exec/cpu_device.h"

#include <cstring>

#include "sim/exec/attention_kernels.h"
#include "sim/exec/op_kernels.h"

namespace gppsim::exec {

Device& cpu_device() {
  static CpuDevice device;
  return device;
}

float* CpuDevice::allocate(std::size_t floats) { return new float[floats](); }

void CpuDevice::release(float* p, std::size_t /*floats*/) noexcept { delete[] p; }

void CpuDevice::copy(float* dst, const float* src, std::size_t floats) {
  if (floats != 0) std::memcpy(dst, src, floats * sizeof(float));
}

void CpuDevice::copy_2d(float* dst, std::size_t dst_pitch, const float* src, std::size_t src_pitch,
                        std::size_t width, std::size_t rows) {
  for (std::size_t r = 0; r < rows; ++r) copy(dst + r * dst_pitch, src + r * src_pitch, width);
}

void CpuDevice::add_into(float* out, const float* in, std::size_t n) { exec::add_into(out, in, n); }

void CpuDevice::add_scaled(float* out, const float* in, float scale, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] += in[i] * scale;
}

double CpuDevice::sum_squares(const float* x, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

void CpuDevice::optimizer_step(kernels::OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1,
                               float* s2, std::size_t n) {
  kernels::optimizer_step(kind, step, w, g, s1, s2, n);
}

Tensor CpuDevice::linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) {
  return cpu::linear_forward(op, params, x, mem);
}

Tensor CpuDevice::linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y,
                                        Buffer& grad, float* grads, MemoryCounter& mem) {
  return cpu::linear_backward_input(op, params, x, y, grad, grads, mem);
}

void CpuDevice::linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz,
                                       float* grads, MemoryCounter& mem) {
  cpu::linear_backward_weight(op, params, x, dz, grads, mem);
}

Tensor CpuDevice::attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                                    MemoryCounter& mem) {
  return cpu::attention_forward(op, params, x, stash, mem);
}

Tensor CpuDevice::attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                           const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem) {
  return cpu::attention_backward_input(op, params, stash, dout, dqkv, grads, mem);
}

void CpuDevice::attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                                          const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem) {
  cpu::attention_backward_weight(op, params, stash, dout, dqkv, grads, mem);
}

Tensor CpuDevice::embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                                    std::size_t rows, MemoryCounter& mem) {
  return cpu::embedding_forward(op, table, index, rows, mem);
}

void CpuDevice::embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad,
                                   float* grads) {
  cpu::embedding_backward(op, index, grad, grads);
}

}  // namespace gppsim::exec
