#include "kernels/cpu/gemm_operand_pool.h"

#include "kernels/cpu/bench_util.h"

namespace gppsim::kernels {
namespace {

constexpr std::uint64_t kSaltA = 1;
constexpr std::uint64_t kSaltB = 2;

/// Grows `v` to at least n elements, the new ones eighths_value(salt, index) (or 0 for salt 0).
template <typename T>
void grow(std::vector<T>* v, std::size_t n, std::uint64_t salt) {
  const std::size_t old = v->size();
  if (n <= old) return;
  v->resize(n);
  if (salt == 0) return;  // value-initialised: zeros
  for (std::size_t i = old; i < n; ++i) (*v)[i] = static_cast<T>(detail::eighths_value(salt, i));
}

template <typename T>
GemmOperandPool::Regions<T> regions(std::vector<T>* a, std::vector<T>* b, std::vector<T>* c, std::size_t a_len,
                                    std::size_t b_len, std::size_t c_len) {
  grow(a, a_len, kSaltA);
  grow(b, b_len, kSaltB);
  grow(c, c_len, 0);
  return {a->data(), b->data(), c->data()};
}

}  // namespace

GemmOperandPool::Regions<float> GemmOperandPool::floats(std::size_t a_len, std::size_t b_len, std::size_t c_len) {
  return regions(&a32_, &b32_, &c32_, a_len, b_len, c_len);
}

GemmOperandPool::Regions<double> GemmOperandPool::doubles(std::size_t a_len, std::size_t b_len, std::size_t c_len) {
  return regions(&a64_, &b64_, &c64_, a_len, b_len, c_len);
}

}  // namespace gppsim::kernels
