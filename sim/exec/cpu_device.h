#pragma once
// The CPU device of the real backend: host memory, OpenBLAS GEMMs (one thread per rank, as the
// CPU calibration times them) and the loops of op_kernels.h and attention_kernels.h.

#include "sim/exec/device.h"

namespace gppsim::exec {

/// Host memory and CPU kernels; stateless, so one instance serves the whole process. A GPU's
/// staging device derives from it with page-locked allocations.
class CpuDevice : public Device {
 public:
  [[nodiscard]] std::string name() const override { return "cpu"; }
  [[nodiscard]] bool host_memory() const override { return true; }
  [[nodiscard]] Device& staging() override { return *this; }
  float* allocate(std::size_t floats) override;
  void release(float* p, std::size_t floats) noexcept override;
  void copy(float* dst, const float* src, std::size_t floats) override;
  void copy_2d(float* dst, std::size_t dst_pitch, const float* src, std::size_t src_pitch, std::size_t width,
               std::size_t rows) override;
  void upload(float* dst, const float* host, std::size_t floats) override { copy(dst, host, floats); }
  void download(float* host, const float* src, std::size_t floats) override { copy(host, src, floats); }
  void synchronize() override {}

  void add_into(float* out, const float* in, std::size_t n) override;
  void add_scaled(float* out, const float* in, float scale, std::size_t n) override;
  double sum_squares(const float* x, std::size_t n) override;
  void optimizer_step(kernels::OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1, float* s2,
                      std::size_t n) override;

  Tensor linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) override;
  Tensor linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y, Buffer& grad,
                               float* grads, MemoryCounter& mem) override;
  void linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz, float* grads,
                              MemoryCounter& mem) override;
  Tensor attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                           MemoryCounter& mem) override;
  Tensor attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                  const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem) override;
  void attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                                 const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem) override;
  Tensor embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                           std::size_t rows, MemoryCounter& mem) override;
  void embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad,
                          float* grads) override;
};

}  // namespace gppsim::exec
