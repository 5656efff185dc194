#pragma once
// The memo table of GraphPipe's DP (graphpipe_search_impl.h): an open-addressing hash map from a
// packed state key to its entry. The DP touches a small fraction of its (range, devices,
// in-flight) grid, so a dense table per range spends most of its time on page faults and cache
// misses; this one holds only the states that were asked for.

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

namespace gppsim::plan::graphpipe_detail {

/// Hash map from a 64-bit key (any value but the all-ones pattern) to a default-constructible
/// entry. Linear probing, power-of-two capacity at most three quarters full, no erase. A reference
/// returned by at() stays valid until the next call of at().
template <typename E>
class MemoTable {
 public:
  /// The entry of `key`, default-constructed on first use.
  E& at(std::uint64_t key) {
    if (4 * (size_ + 1) > 3 * slots_.size()) grow();
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == key) return s.entry;
      if (s.key == kEmpty) {
        s.key = key;
        ++size_;
        return s.entry;
      }
    }
  }
  /// Number of keys stored.
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();
  struct Slot {
    std::uint64_t key = kEmpty;
    E entry;
  };

  [[nodiscard]] std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const std::size_t capacity = old.empty() ? std::size_t{1} << 8 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - std::countr_zero(capacity);
    size_ = 0;
    for (Slot& s : old) {
      if (s.key != kEmpty) at(s.key) = s.entry;
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace gppsim::plan::graphpipe_detail
