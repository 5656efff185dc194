#pragma once
// Test helper: runs the gppsim executable as a user would and captures its output.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>

namespace gppsim::cli::testing {

/// Exit code and output of one run.
struct Result {
  int exit_code = -1;
  std::string out;  ///< stdout and stderr together
};

/// Runs `gppsim ARGS` (the binary under test) through the shell.
inline Result run(const std::string& args) {
  Result r;
  FILE* pipe = popen((std::string(GPPSIM_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) r.out += buf.data();
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The whole content of a file ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace gppsim::cli::testing
