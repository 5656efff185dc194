#pragma once
// Where one rank computes: its memory and its kernels. The real backend's stage runner, message
// packing and all-reduce staging go through this interface only, so the same plan runs on the
// CPU (cpu_device.h: OpenBLAS and the loops of op_kernels.h) or on a GPU (sim/exec_cuda:
// cuBLAS and our own CUDA kernels), with the semantics of exec_model.h either way.
//
// Pointers passed to the kernels and to copy/copy_2d live in the device's memory; upload and
// download move floats between it and host memory. Kernels may run asynchronously: a caller
// that reads the clock after device work calls synchronize() first. Output tensors are
// allocated against the MemoryCounter passed in (whose device is this one).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/optimizer_update.h"

namespace gppsim::exec {

class Buffer;
class MemoryCounter;
struct ExecOp;
struct AttentionStash;
using Tensor = std::shared_ptr<Buffer>;

/// One rank's compute device.
class Device {
 public:
  virtual ~Device() = default;

  /// "cpu" or "cuda:N (name)", for logs and summaries.
  [[nodiscard]] virtual std::string name() const = 0;
  /// Whether device pointers are host pointers (then messages need no staging copies).
  [[nodiscard]] virtual bool host_memory() const = 0;
  /// The host-memory device whose buffers stage this device's messages and all-reduces (a GPU's
  /// is page-locked host memory, which its copies reach at full speed). The CPU is its own.
  [[nodiscard]] virtual Device& staging() = 0;

  /// `floats` zeroed floats of device memory (null for 0 on devices that allow it).
  virtual float* allocate(std::size_t floats) = 0;
  virtual void release(float* p, std::size_t floats) noexcept = 0;
  /// dst[i] = src[i] for i < floats, both on the device.
  virtual void copy(float* dst, const float* src, std::size_t floats) = 0;
  /// `rows` rows of `width` floats, from rows `src_pitch` floats apart to rows `dst_pitch` apart.
  virtual void copy_2d(float* dst, std::size_t dst_pitch, const float* src, std::size_t src_pitch, std::size_t width,
                       std::size_t rows) = 0;
  virtual void upload(float* dst, const float* host, std::size_t floats) = 0;
  virtual void download(float* host, const float* src, std::size_t floats) = 0;
  /// Waits for all work queued on the device.
  virtual void synchronize() = 0;

  /// out[i] += in[i].
  virtual void add_into(float* out, const float* in, std::size_t n) = 0;
  /// out[i] += scale * in[i].
  virtual void add_scaled(float* out, const float* in, float scale, std::size_t n) = 0;
  /// sum of x[i]^2, in double.
  virtual double sum_squares(const float* x, std::size_t n) = 0;
  /// kernels::optimizer_step on device arrays.
  virtual void optimizer_step(kernels::OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1, float* s2,
                              std::size_t n) = 0;

  // The op kernels, with the semantics and parameter layouts of op_kernels.h and attention_kernels.h.
  virtual Tensor linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) = 0;
  virtual Tensor linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y,
                                       Buffer& grad, float* grads, MemoryCounter& mem) = 0;
  virtual void linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz,
                                      float* grads, MemoryCounter& mem) = 0;
  virtual Tensor attention_forward(const ExecOp& op, const float* params, const Tensor& x, AttentionStash* stash,
                                   MemoryCounter& mem) = 0;
  virtual Tensor attention_backward_input(const ExecOp& op, const float* params, const AttentionStash& stash,
                                          const Buffer& dout, Tensor* dqkv, float* grads, MemoryCounter& mem) = 0;
  virtual void attention_backward_weight(const ExecOp& op, const float* params, const AttentionStash& stash,
                                         const Buffer& dout, const Buffer& dqkv, float* grads, MemoryCounter& mem) = 0;
  /// out row r = sum over j < op.bag of table row index[r * bag + j]; `index` is host memory.
  virtual Tensor embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                                   std::size_t rows, MemoryCounter& mem) = 0;
  /// Adds grad row r into every table-gradient row index[r * bag + j].
  virtual void embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad,
                                  float* grads) = 0;
};

/// The process's CPU device (OpenBLAS, one thread).
Device& cpu_device();

}  // namespace gppsim::exec
