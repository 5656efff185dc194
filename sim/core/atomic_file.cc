#include "sim/core/atomic_file.h"

#include <atomic>
#include <cstdint>
#include <fstream>
#include <functional>
#include <thread>
#include <string>

#include <unistd.h>

#include "sim/core/errors.h"

namespace gppsim::core {

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const auto fail = [&](const std::string& what) {
    throw ConfigError(SourceLocation{path.string(), 0, 0, ""}, "cannot write the output: " + what);
  };
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) fail(ec.message());
  // Unique per process, thread and call: concurrent writers of one path each rename a whole file.
  static std::atomic<std::uint64_t> counter{0};
  const auto tmp = path.parent_path() /
                   (path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "." +
                    std::to_string(counter++));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create " + tmp.string());
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) fail("write failed (disk full?)");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    fail("cannot rename into place");
  }
}

}  // namespace gppsim::core
