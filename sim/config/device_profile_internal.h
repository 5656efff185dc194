#pragma once
// Internal to sim/config: shared by the device profile reader and writer.

#include <filesystem>
#include <string>

namespace gppsim::config {

/// fnv1a64_hex of the file's bytes ("" content hashes like an empty file).
std::string file_digest(const std::filesystem::path& file);

}  // namespace gppsim::config
