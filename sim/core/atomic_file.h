#pragma once
// Writing outputs so that nothing is ever half-written: content goes to a temporary file in the
// same folder, which is then renamed over the target (atomic on POSIX file systems).

#include <filesystem>
#include <string_view>

namespace gppsim::core {

/// Writes `content` to `path` atomically, creating missing parent folders. Throws ConfigError
/// (bad output location, exit 2) naming the path when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace gppsim::core
