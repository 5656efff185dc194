#pragma once
// Interchangeable subtrees of a series-parallel decomposition (sim/plan/graphpipe.md,
// "Symmetry"). Multi-branch models repeat the same branch (MMT's modality towers, DLRM's
// embedding bags and bottom MLPs); GraphPipe's DP then solves the same sub-problem once per copy.
// Two subtrees are interchangeable when matching their ops in ascending id order gives every
// op the same cost tables, parameter and stashed bytes, and the same edges (inside the subtree to
// the matched op, leaving it with the same bytes), recursively for their children. Every stage
// cut from one then has exactly the figures of the matching stage of the other, so the DP may
// answer both from one memo entry.

#include <vector>

#include "sim/plan/sp_decomposition.h"
#include "sim/plan/stage_estimator.h"

namespace gppsim::plan {

/// For each node of `tree`, the smallest index of a node interchangeable with it (itself when
/// none). Edge byte counts must be whole numbers for two subtrees to match, so that sums of
/// boundary bytes are exact in any order.
std::vector<int> interchangeable_nodes(const SpTree& tree, const StageEstimator& estimator);

}  // namespace gppsim::plan
