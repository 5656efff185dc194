#pragma once
// Transparent-huge-page advice for large per-task arrays (the lowering's TaskGraph, the engine's
// tables). A simulation of a million tasks touches hundreds of MB of fresh memory; with 4 KiB pages much of its time goes to page
// faults and TLB misses, and 2 MiB pages (where the kernel offers them on request) remove most
// of both. Advice only: where it is refused or unsupported nothing changes but the speed.

#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gppsim::core {

/// Asks the kernel to back the whole 2 MiB pages of `v`'s allocated capacity with huge pages.
/// Call it after reserving and before writing, so that the first touches fault huge pages in.
template <typename T, typename A>
void advise_huge_pages(const std::vector<T, A>& v) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto first = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t begin = (first + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t end = (first + v.capacity() * sizeof(T)) & ~(kHuge - 1);
  if (end > begin) static_cast<void>(madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE));
#else
  static_cast<void>(v);
#endif
}

/// Sets `v` to `n` copies of `value` in fresh memory advised as huge pages (see above).
template <typename T, typename A>
void assign_huge(std::vector<T, A>& v, std::size_t n, const T& value) {
  std::vector<T, A>().swap(v);
  v.reserve(n);
  advise_huge_pages(v);
  v.assign(n, value);
}

}  // namespace gppsim::core
