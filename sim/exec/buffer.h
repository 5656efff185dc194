#pragma once
// Tensors of the real backend: float matrices whose allocations are counted, so each rank
// reports its peak memory from its own allocator counters.

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>

namespace gppsim::exec {

/// Live and peak bytes of the buffers one rank holds.
class MemoryCounter {
 public:
  void add(std::size_t bytes) {
    live_ += bytes;
    peak_ = std::max(peak_, live_);
  }
  void remove(std::size_t bytes) { live_ -= bytes; }
  [[nodiscard]] std::size_t live() const { return live_; }
  [[nodiscard]] std::size_t peak() const { return peak_; }
  /// Starts a new peak window at the current live level.
  void reset_peak() { peak_ = live_; }

 private:
  std::size_t live_ = 0;
  std::size_t peak_ = 0;
};

/// A zero-initialised row-major rows x cols float matrix, counted against a MemoryCounter while
/// it lives. Move-only. One row per sample in activations (cols = elements per sample).
class Buffer {
 public:
  Buffer() = default;
  Buffer(MemoryCounter& counter, std::size_t rows, std::size_t cols)
      : counter_(&counter), data_(new float[rows * cols]()), rows_(rows), cols_(cols) {
    counter_->add(bytes());
  }
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (counter_ != nullptr) counter_->remove(bytes());
  }

  [[nodiscard]] float* data() { return data_.get(); }
  [[nodiscard]] const float* data() const { return data_.get(); }
  [[nodiscard]] float* row(std::size_t r) { return data_.get() + r * cols_; }
  [[nodiscard]] const float* row(std::size_t r) const { return data_.get() + r * cols_; }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t cols() const { return cols_; }
  [[nodiscard]] std::size_t size() const { return rows_ * cols_; }
  [[nodiscard]] std::size_t bytes() const { return size() * sizeof(float); }
  [[nodiscard]] bool empty() const { return data_ == nullptr; }

 private:
  void swap(Buffer& o) noexcept {
    std::swap(counter_, o.counter_);
    std::swap(data_, o.data_);
    std::swap(rows_, o.rows_);
    std::swap(cols_, o.cols_);
  }

  MemoryCounter* counter_ = nullptr;
  std::unique_ptr<float[]> data_;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
};

/// A shared activation or gradient (an op's output can be stashed and sent at once).
using Tensor = std::shared_ptr<Buffer>;

/// Tensors keyed by op-edge index (model::OpGraph::edges() order): the values (forward) or
/// gradients (backward) crossing a stage boundary, one row per sample of a shard.
using EdgeTensors = std::map<std::size_t, Tensor>;

}  // namespace gppsim::exec
