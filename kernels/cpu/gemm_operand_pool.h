#pragma once
// Operand memory for cold-cache GEMM timing, shared by the points of a sweep: allocating and
// filling tens of MiB per point would cost more than timing it.

#include <cstddef>
#include <vector>

namespace gppsim::kernels {

/// A, B and C regions per element type, grown on demand and never shrunk. A and B hold
/// deterministic multiples of 1/8 in [-1, 1] (detail::eighths_value(1, i) and (2, i) at index
/// i), written once when the region grows and never written by a GEMM; C starts at zero and
/// holds whatever products last ran there (sums of products of A and B entries: finite, never
/// subnormal). Not thread-safe; one per sweep.
class GemmOperandPool {
 public:
  /// Regions of one element type, valid until the next call for that type.
  template <typename T>
  struct Regions {
    const T* a;
    const T* b;
    T* c;
  };

  /// Regions of at least a_len, b_len and c_len floats.
  Regions<float> floats(std::size_t a_len, std::size_t b_len, std::size_t c_len);
  /// Regions of at least a_len, b_len and c_len doubles.
  Regions<double> doubles(std::size_t a_len, std::size_t b_len, std::size_t c_len);

 private:
  std::vector<float> a32_, b32_, c32_;
  std::vector<double> a64_, b64_, c64_;
};

}  // namespace gppsim::kernels
