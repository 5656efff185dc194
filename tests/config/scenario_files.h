#pragma once
// Test helper: writes YAML text to a fresh temporary file and removes it afterwards.

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace gppsim::config::testing {

/// A temporary file holding `text`, deleted on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& text, const std::string& name = "scenario.yaml") {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("gppsim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    path_ = dir_ / name;
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace gppsim::config::testing
