#pragma once
// Test helper: runs `gppsim exec` under mpirun as a user would, in a fresh folder, and reads back
// what it wrote. Ranks beyond this machine's cores run oversubscribed (numerics only).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

namespace gppsim::exec::testing {

/// Exit code and output of one run.
struct Result {
  int exit_code = -1;
  std::string out;
};

/// A fresh folder for one test.
inline std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("gppsim-exec-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// Writes `text` to `path`.
inline void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

/// The whole content of a file ("" when it cannot be read).
inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs `mpirun -np RANKS <mpirun_tail>` where the tail names the programs (e.g.
/// "gppsim exec ..."); use `binary()` for the gppsim path. Open MPI's exit-time leaks are not
/// ours: ranks run with the leak check off under ASan. Each test process keeps Open MPI's session
/// files in a folder of its own: mpiruns that start together (ctest -j) otherwise race to create
/// the shared /tmp/ompi.HOST.UID, and the loser fails ("File exists").
inline Result mpirun(int ranks, const std::string& tail) {
  const bool over = ranks > static_cast<int>(std::thread::hardware_concurrency());
  const auto session = std::filesystem::temp_directory_path() / fmt::format("gppsim-ompi-{}", getpid());
  const std::string cmd = fmt::format(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMPI_MCA_orte_tmpdir_base='{}' "
      "ASAN_OPTIONS=\"${{ASAN_OPTIONS}}:detect_leaks=0\" timeout 120 mpirun -np {} {} {} 2>&1",
      session.string(), ranks, over ? "--oversubscribe" : "", tail);
  Result r;
  if (FILE* pipe = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) r.out += buf;
    const int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::remove_all(session);
  return r;
}

/// The gppsim executable under test: $GPPSIM_TEST_BINARY when set (tests run on a machine where
/// the build folder is not), else the one built beside the tests.
inline std::string binary() {
  const char* env = std::getenv("GPPSIM_TEST_BINARY");
  return env != nullptr && *env != '\0' ? env : GPPSIM_BINARY;
}

}  // namespace gppsim::exec::testing
