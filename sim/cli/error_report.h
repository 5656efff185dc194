#pragma once
// Turning an error into its message on stderr and its exit code: 0 success, 2 bad input,
// 3 infeasible, 1 internal error. main() and `gppsim exec` (which must end every MPI rank on a
// failure) share it.

#include <exception>
#include <iosfwd>
#include <string_view>

namespace gppsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInfeasible = 3;

/// Writes `error`'s message to `err` (prefixed by `who`, e.g. "gppsim" or "gppsim exec (rank 1)")
/// and returns its exit code.
int report_error(const std::exception_ptr& error, std::string_view who, std::ostream& err);

}  // namespace gppsim::cli
