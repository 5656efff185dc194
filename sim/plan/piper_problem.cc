#include "sim/plan/piper_problem.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/plan/piper_downsets.h"
#include "sim/plan/piper_dp.h"

namespace gppsim::plan {

namespace {

void check_problem(const PiperProblem& problem) {
  GPPSIM_CHECK(!problem.options.empty(), "a Piper problem needs at least one node");
  GPPSIM_CHECK(problem.devices >= 1 && problem.micro_batches >= 1,
               fmt::format("Piper needs K >= 1 and N >= 1, got K = {}, N = {}", problem.devices,
                           problem.micro_batches));
  GPPSIM_CHECK(problem.bandwidth.value() > 0.0, "Piper needs a positive bandwidth");
}

}  // namespace

std::vector<int> allowed_data_degrees(const PiperProblem& problem) {
  std::vector<int> out;
  const int bound = std::min(problem.devices, problem.micro_batches);
  for (int d = 1; d <= bound; ++d) {
    if (problem.micro_batches % d != 0) continue;
    if (problem.data_degree_divisor > 0 && problem.data_degree_divisor % d != 0) continue;
    out.push_back(d);
  }
  return out;
}

PiperSolution solve_piper(const PiperProblem& problem) {
  check_problem(problem);
  const std::optional<DownsetSpace> space =
      DownsetSpace::enumerate(problem.options.size(), problem.edges, problem.max_downsets);
  if (!space) {
    PiperSolution gave_up;
    gave_up.status = PiperStatus::kTooManyDownsets;
    gave_up.num_downsets = problem.max_downsets + 1;
    return gave_up;
  }
  return solve_piper_on(problem, *space);
}

PiperSolution solve_piper_on(const PiperProblem& problem, const DownsetSpace& space) {
  check_problem(problem);
  GPPSIM_CHECK(space.size() >= 2 && space.set_size(space.size() - 1) == problem.options.size(),
               "the downset lattice does not belong to this problem");
  PiperSolution solution = problem.all_options ? solve_piper_general(problem, space)
                                               : solve_piper_vanilla(problem, space);
  solution.num_downsets = static_cast<std::int64_t>(space.size());
  return solution;
}

}  // namespace gppsim::plan
