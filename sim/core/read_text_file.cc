#include "sim/core/read_text_file.h"

#include <fstream>
#include <sstream>

#include "sim/core/errors.h"

namespace gppsim::core {

std::string read_text_file(const std::filesystem::path& path, std::string_view what) {
  const SourceLocation where{path.string(), 0, 0, ""};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw ConfigError(where, "expected a " + std::string(what) + " file, found no file at this path");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ConfigError(where, "expected a " + std::string(what) + " file, found a directory or special file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw ConfigError(where, "cannot open the " + std::string(what) + " file for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ConfigError(where, "cannot read the " + std::string(what) + " file");
  return buffer.str();
}

}  // namespace gppsim::core
