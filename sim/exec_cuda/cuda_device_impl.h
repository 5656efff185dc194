#pragma once
// Private to sim/exec_cuda: the CUDA Device. Memory comes from a caching allocator (freed blocks
// are kept per size and reused in stream order, as deep-learning frameworks do; the
// MemoryCounter counts the bytes buffers hold, not the cache), work runs on one stream, GEMMs
// are cuBLAS SGEMMs on that stream with the row-major operands of op_kernels.h.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/exec/buffer.h"
#include "sim/exec/cpu_device.h"
#include "sim/exec/exec_model.h"

namespace gppsim::exec::cuda {

/// Blocks of one allocator: those freed, kept per size for reuse, and every block it ever made
/// (which its owner frees at the end).
class BlockCache {
 public:
  /// A freed block of exactly `floats`, or null.
  float* take(std::size_t floats);
  void put(std::size_t floats, float* p) { free_.emplace(floats, p); }
  void adopt(float* p) { blocks_.push_back(p); }
  /// Forgets the freed blocks and returns them (for the owner to give back to the driver).
  std::vector<float*> drop_free();
  [[nodiscard]] const std::vector<float*>& blocks() const { return blocks_; }

 private:
  std::multimap<std::size_t, float*> free_;
  std::vector<float*> blocks_;
};

/// Page-locked host memory for a GPU's message and all-reduce staging (cached per size like the
/// GPU's own blocks); otherwise the CPU device.
class PinnedHostDevice final : public CpuDevice {
 public:
  PinnedHostDevice() = default;
  ~PinnedHostDevice() override;
  PinnedHostDevice(const PinnedHostDevice&) = delete;
  PinnedHostDevice& operator=(const PinnedHostDevice&) = delete;
  [[nodiscard]] std::string name() const override { return "pinned host"; }
  float* allocate(std::size_t floats) override;
  void release(float* p, std::size_t floats) noexcept override;

 private:
  BlockCache cache_;
};

class CudaDevice final : public Device {
 public:
  explicit CudaDevice(int ordinal);
  ~CudaDevice() override;
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] bool host_memory() const override { return false; }
  [[nodiscard]] Device& staging() override { return pinned_; }
  float* allocate(std::size_t floats) override;
  void release(float* p, std::size_t floats) noexcept override;
  void copy(float* dst, const float* src, std::size_t floats) override;
  void copy_2d(float* dst, std::size_t dst_pitch, const float* src, std::size_t src_pitch, std::size_t width,
               std::size_t rows) override;
  void upload(float* dst, const float* host, std::size_t floats) override;
  void download(float* host, const float* src, std::size_t floats) override;
  void synchronize() override;

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

 private:
  /// Row-major C (m x n) = alpha op(A) op(B) + beta C; lda, ldb, ldc are row pitches.
  void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
            std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);
  /// One operand of a batched GEMM over (sample, head) pairs: matrix (r, a) at
  /// base + r * sample_stride + a * head_stride, rows `ld` floats apart.
  struct HeadOperand {
    const float* base;
    std::size_t ld, sample_stride, head_stride;
  };
  /// Row-major C_ra = alpha op(A_ra) op(B_ra) + beta C_ra for every sample r and head a, in one
  /// cuBLAS call (its pointer arrays made on the device).
  void gemm_heads(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, HeadOperand a,
                  HeadOperand b, float beta, HeadOperand c, std::size_t samples, std::size_t heads);
  /// out[j] += sum over rows of m[r][j] (a GEMV with a vector of ones).
  void add_column_sums(const float* m, std::size_t rows, std::size_t cols, float* out);
  /// LayerNorm backward: dx, and dgamma, dbeta added.
  void layer_norm_backward(const float* x, std::size_t rows, std::size_t k, const float* gamma, const float* dout,
                           float* dx, float* dgamma, float* dbeta, MemoryCounter& mem);
  /// The pre-LayerNorm of a linear op's input, into a new buffer.
  Buffer normalized_input(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem);
  /// The per-head scores, softmax and context of attention's forward.
  void heads_forward(const ExecOp& op, std::size_t samples, const float* qkv, float* probs, float* ctx);
  /// Attention's backward through the heads: dQKV from dCtx.
  void heads_backward(const ExecOp& op, std::size_t samples, const float* qkv, const float* probs, const float* dctx,
                      float* dqkv, MemoryCounter& mem);
  /// Makes the scratch array *p hold at least `bytes` (it only grows; growing first waits for
  /// queued work that may still read it).
  void reserve_scratch(void** p, std::size_t* capacity, std::size_t bytes);
  /// The embedding indices on the device (a scratch array reused between calls).
  const std::int32_t* device_index(const std::vector<std::int32_t>& index);

  PinnedHostDevice pinned_;  // declared first: destroyed after every stream user below
  int ordinal_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  BlockCache cache_;
  // Scratch arrays and their capacities in bytes.
  void* ones_ = nullptr;  // floats of 1 (column sums)
  std::size_t ones_bytes_ = 0;
  void* pointers_ = nullptr;  // gemm_heads' operand pointer arrays
  std::size_t pointers_bytes_ = 0;
  void* index_ = nullptr;  // embedding indices
  std::size_t index_bytes_ = 0;
};

}  // namespace gppsim::exec::cuda
