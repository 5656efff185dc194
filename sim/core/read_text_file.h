#pragma once
// Reading a whole input file, with the error a user can act on when it is not there.

#include <filesystem>
#include <string>
#include <string_view>

namespace gppsim::core {

/// The contents of a regular file; throws ConfigError naming `path` and what it holds
/// (`what`, e.g. "PipeDream profile") when it is missing, not a file, or unreadable.
std::string read_text_file(const std::filesystem::path& path, std::string_view what);

}  // namespace gppsim::core
