#pragma once
// Tensors of the real backend: float matrices in one device's memory (device.h) whose
// allocations are counted, so each rank reports its peak memory from its own allocator counters.

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <utility>

#include "sim/exec/device.h"

namespace gppsim::exec {

/// Live and peak bytes of the buffers one rank holds on one device.
class MemoryCounter {
 public:
  explicit MemoryCounter(Device& device = cpu_device()) : device_(&device) {}
  MemoryCounter(const MemoryCounter&) = delete;
  MemoryCounter& operator=(const MemoryCounter&) = delete;
  [[nodiscard]] Device& device() const { return *device_; }
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
  Device* device_;
  std::size_t live_ = 0;
  std::size_t peak_ = 0;
};

/// A zero-initialised row-major rows x cols float matrix in the memory of its counter's device,
/// counted while it lives. Move-only. One row per sample in activations (cols = elements per
/// sample). data() is a device pointer: host code reads it only where device().host_memory().
class Buffer {
 public:
  Buffer() = default;
  Buffer(MemoryCounter& counter, std::size_t rows, std::size_t cols)
      : counter_(&counter), data_(counter.device().allocate(rows * cols)), rows_(rows), cols_(cols) {
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
    if (counter_ == nullptr) return;
    counter_->device().release(data_, size());
    counter_->remove(bytes());
  }

  [[nodiscard]] float* data() { return data_; }
  [[nodiscard]] const float* data() const { return data_; }
  [[nodiscard]] float* row(std::size_t r) { return data_ + r * cols_; }
  [[nodiscard]] const float* row(std::size_t r) const { return data_ + r * cols_; }
  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t cols() const { return cols_; }
  [[nodiscard]] std::size_t size() const { return rows_ * cols_; }
  [[nodiscard]] std::size_t bytes() const { return size() * sizeof(float); }
  [[nodiscard]] bool empty() const { return counter_ == nullptr; }
  /// The device holding the data (that of the counter it was made with).
  [[nodiscard]] Device& device() const { return counter_->device(); }

 private:
  void swap(Buffer& o) noexcept {
    std::swap(counter_, o.counter_);
    std::swap(data_, o.data_);
    std::swap(rows_, o.rows_);
    std::swap(cols_, o.cols_);
  }

  MemoryCounter* counter_ = nullptr;
  float* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
};

/// A shared activation or gradient (an op's output can be stashed and sent at once).
using Tensor = std::shared_ptr<Buffer>;

/// Tensors keyed by op-edge index (model::OpGraph::edges() order): the values (forward) or
/// gradients (backward) crossing a stage boundary, one row per sample of a shard.
using EdgeTensors = std::map<std::size_t, Tensor>;

}  // namespace gppsim::exec
