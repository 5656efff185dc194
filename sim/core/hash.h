#pragma once
// A stable, dependency-free content hash for cache keys and file digests (not cryptographic).

#include <cstdint>
#include <string>
#include <string_view>

namespace gppsim::core {

/// 64-bit FNV-1a of `bytes`.
std::uint64_t fnv1a64(std::string_view bytes);
/// fnv1a64 as 16 lower-case hex digits.
std::string fnv1a64_hex(std::string_view bytes);

}  // namespace gppsim::core
