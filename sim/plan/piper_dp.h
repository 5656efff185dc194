#pragma once
// The two Piper DP engines behind solve_piper (piper_problem.h). Both read a problem and its
// downset lattice and return a solution with status kOk or kInfeasible.

#include "sim/plan/piper_downsets.h"
#include "sim/plan/piper_problem.h"

namespace gppsim::plan {

/// solve_piper on an already enumerated lattice of the problem's DAG (saves the enumeration when
/// one graph is solved for several micro-batch sizes). Never returns kTooManyDownsets.
PiperSolution solve_piper_on(const PiperProblem& problem, const DownsetSpace& space);

/// Piper's planner-wide tolerance: a DP value counts as lower only when lower by more than this
/// (algo.cpp's 1e-9), also used to match values when rebuilding the plan.
inline constexpr double kPiperTolerance = 1e-9;
/// Piper's "infinity" for infeasible table entries.
inline constexpr double kPiperInfinity = 1e30;

/// Tensor degree 1, "vanilla" option only. With t = 1 the sum of data-parallel degrees is the
/// device count, so Piper's dp[D][k][s] equals g[D][min(k, s)] of a one-dimensional table
/// (proof in piper.md); solved with Piper's drop-point relaxation and exact bound-based pruning.
/// num_pairs counts the (D, D') pairs of every pass. Throws core::PlanError when a node has no
/// tensor-degree-1 "vanilla" option.
PiperSolution solve_piper_vanilla(const PiperProblem& problem, const DownsetSpace& space);

/// Every tensor degree and option: Piper's dp[D][k][s] with its knapsack heuristic per stage.
/// Slower (O(|stage|) work per downset pair); meant for small inputs and cross-checks.
PiperSolution solve_piper_general(const PiperProblem& problem, const DownsetSpace& space);

}  // namespace gppsim::plan
