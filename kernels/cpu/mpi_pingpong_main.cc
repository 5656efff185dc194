// gppsim_mpi_pingpong: point-to-point latency and bandwidth between exactly two MPI ranks.
//
//   mpirun -np 2 gppsim_mpi_pingpong --sizes 1,1024,65536 [--warmup 3] [--iterations 10] --out FILE.json
//
// For each size, rank 0 sends a message (MPI_Send of MPI_BYTE) and rank 1 sends it back; rank 0
// times each round trip with MPI_Wtime and records one-way time = round trip / 2. Rank 1 checks
// the payload it received. Rank 0 writes a JSON array of Measurements (kernels/common/
// measurement.h; kernel "mpi_pingpong", shape {bytes}) to FILE.json via FILE.json.tmp and a
// rename. Exit codes: 0 success, 2 bad arguments, an unwritable --out or a rank count other
// than 2, 1 a failed payload check (the file is still written, with "correct": false).

// Only the C API is linked (MPI::MPI_C): keep mpi.h from pulling in the deprecated C++ bindings.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/common/measurement.h"

namespace {

using gppsim::kernels::BenchSettings;
using gppsim::kernels::Measurement;

constexpr int kTag = 17;
constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;
constexpr const char* kUsage =
    "usage: mpirun -np 2 gppsim_mpi_pingpong --sizes B1,B2,... [--warmup N] [--iterations N] --out FILE.json";

/// A command line that cannot be run; what() names the argument.
class ArgumentError : public std::runtime_error {
 public:
  explicit ArgumentError(const std::string& what) : std::runtime_error(what) {}
};

/// The parsed command line. warmup and iterations default to BenchSettings' defaults.
struct Options {
  std::vector<std::int64_t> sizes;  ///< message sizes in bytes, each in [1, INT_MAX]
  BenchSettings settings;
  std::string out;                  ///< JSON output path
};

/// The whole of `text` as an integer in [lo, hi]; throws ArgumentError naming `arg`.
std::int64_t parse_integer(const std::string& text, const std::string& arg, std::int64_t lo, std::int64_t hi) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || value < lo || value > hi) {
    throw ArgumentError(arg + ": expected an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "], got '" + text + "'");
  }
  return value;
}

/// "1,1024,65536" -> {1, 1024, 65536}.
std::vector<std::int64_t> parse_sizes(const std::string& text) {
  std::vector<std::int64_t> sizes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    sizes.push_back(parse_integer(text.substr(start, comma - start), "--sizes", 1, INT_MAX));
    if (comma == std::string::npos) return sizes;
    start = comma + 1;
  }
}

/// Stores one "--name value" pair into `opt`.
void apply_option(Options& opt, const std::string& name, const std::string& value) {
  if (name == "--sizes") {
    opt.sizes = parse_sizes(value);
  } else if (name == "--warmup") {
    opt.settings.warmup = static_cast<int>(parse_integer(value, name, 0, 1000000));
  } else if (name == "--iterations") {
    opt.settings.iterations = static_cast<int>(parse_integer(value, name, 1, 1000000));
  } else if (name == "--out") {
    if (value.empty()) throw ArgumentError("--out: expected a file path, got ''");
    opt.out = value;
  } else {
    throw ArgumentError(name + ": unknown argument");
  }
}

Options parse_arguments(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (i + 1 >= argc) throw ArgumentError(name + ": missing value");
    apply_option(opt, name, argv[i + 1]);
  }
  if (opt.sizes.empty()) throw ArgumentError("--sizes: required");
  if (opt.out.empty()) throw ArgumentError("--out: required");
  return opt;
}

/// Never zero, so a receive buffer left zero-filled fails the check; varies with the size.
unsigned char payload_byte(std::int64_t size, std::int64_t i) {
  return static_cast<unsigned char>((i * 7 + size) % 251 + 1);
}

/// Rank 0: sends the payload and receives the echo, returning the round trip in seconds.
double round_trip(std::vector<unsigned char>& buf) {
  const int count = static_cast<int>(buf.size());
  const double start = MPI_Wtime();
  MPI_Send(buf.data(), count, MPI_BYTE, 1, kTag, MPI_COMM_WORLD);
  MPI_Recv(buf.data(), count, MPI_BYTE, 1, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return MPI_Wtime() - start;
}

/// Rank 1: receives the payload and sends it back.
void echo(std::vector<unsigned char>& buf) {
  const int count = static_cast<int>(buf.size());
  MPI_Recv(buf.data(), count, MPI_BYTE, 0, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Send(buf.data(), count, MPI_BYTE, 0, kTag, MPI_COMM_WORLD);
}

/// True when every byte of `buf` is the payload of its size.
bool payload_intact(const std::vector<unsigned char>& buf) {
  const auto size = static_cast<std::int64_t>(buf.size());
  for (std::int64_t i = 0; i < size; ++i) {
    if (buf[static_cast<std::size_t>(i)] != payload_byte(size, i)) return false;
  }
  return true;
}

/// One size on both ranks: warm-up, timed round trips (rank 0), then the payload check after
/// timing on both ranks, combined on rank 0. The result is meaningful on rank 0 only.
Measurement ping_pong(std::int64_t size, const BenchSettings& settings, int rank) {
  std::vector<unsigned char> buf(static_cast<std::size_t>(size), 0);
  if (rank == 0) {
    for (std::int64_t i = 0; i < size; ++i) buf[static_cast<std::size_t>(i)] = payload_byte(size, i);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  Measurement m;
  for (int i = 0; i < settings.warmup + settings.iterations; ++i) {
    if (rank == 1) {
      echo(buf);
      continue;
    }
    const double rtt = round_trip(buf);
    if (i >= settings.warmup) m.times_s.push_back(rtt / 2.0);
  }
  const int local_bad = payload_intact(buf) ? 0 : 1;
  int any_bad = 0;
  MPI_Reduce(&local_bad, &any_bad, 1, MPI_INT, MPI_MAX, 0, MPI_COMM_WORLD);
  m.kernel = "mpi_pingpong";
  m.dtype = "";
  m.shape = {size};
  m.bytes = static_cast<double>(size);
  m.flops = 0.0;
  m.correct = any_bad == 0;
  m.max_relative_error = m.correct ? 0.0 : 1.0;
  return m;
}

/// Writes `doc` to `path` via path + ".tmp" and a rename, so readers never see half a file.
bool write_atomically(const std::string& path, const nlohmann::json& doc) {
  const std::string tmp = path + ".tmp";
  bool written = false;
  {
    std::ofstream out(tmp);
    out << doc.dump(2) << '\n';
    written = static_cast<bool>(out.flush());
  }
  if (written && std::rename(tmp.c_str(), path.c_str()) == 0) return true;
  std::remove(tmp.c_str());
  return false;
}

/// Runs every size and, on rank 0, writes the file; returns the exit code.
int run(const Options& opt, int rank) {
  nlohmann::json doc = nlohmann::json::array();
  bool all_correct = true;
  for (const std::int64_t size : opt.sizes) {
    const Measurement m = ping_pong(size, opt.settings, rank);
    if (rank != 0) continue;
    all_correct = all_correct && m.correct;
    if (!m.correct) std::cerr << "gppsim_mpi_pingpong: payload of " << size << " bytes arrived corrupted\n";
    doc.push_back(gppsim::kernels::to_json(m));
  }
  if (rank != 0) return 0;
  if (!write_atomically(opt.out, doc)) {
    std::cerr << "gppsim_mpi_pingpong: --out: cannot write '" << opt.out << "'\n";
    return kExitBadInput;
  }
  return all_correct ? 0 : kExitFailure;
}

/// Everything between MPI_Init and MPI_Finalize; returns this rank's exit code.
int run_checked(int argc, char** argv) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks != 2) {
    if (rank == 0) {
      std::cerr << "gppsim_mpi_pingpong: needs exactly 2 MPI ranks, got " << ranks << "\n" << kUsage << "\n";
    }
    return kExitBadInput;
  }
  std::optional<Options> opt;
  try {
    opt = parse_arguments(argc, argv);
  } catch (const ArgumentError& e) {
    if (rank == 0) std::cerr << "gppsim_mpi_pingpong: " << e.what() << "\n" << kUsage << "\n";
    return kExitBadInput;
  }
  return run(*opt, rank);
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// Open MPI's dlopen'ed components leak at exit (unsymbolisable stacks, so no suppression list
// can name them); without this every sanitised run would exit nonzero.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int code = run_checked(argc, argv);
  // No MPI_Abort: every rank finalises and returns its own code; mpirun exits nonzero when any
  // rank does.
  MPI_Finalize();
  return code;
}
