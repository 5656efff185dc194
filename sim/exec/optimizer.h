#pragma once
// Optimizer updates of the real backend: SGD (lr 0.01), SGD with momentum (lr 0.01, 0.9) and
// Adam (lr 0.001, betas 0.9 / 0.999, eps 1e-8, bias-corrected), on flat float arrays. The CPU
// loops are kernels/cpu/optimizer_update.h, the ones the CPU calibration times; a GPU Device
// runs the same formulas.

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/optimizer_update.h"
#include "sim/model/summary.h"

namespace gppsim::exec {

/// Floats of optimizer state per parameter: 0 (SGD), 1 (momentum), 2 (Adam).
int optimizer_state_floats(model::Optimizer optimizer);

/// The kernels' name for an optimizer (the update every Device runs: kernels::optimizer_step).
kernels::OptimizerKind optimizer_kind(model::Optimizer optimizer);

}  // namespace gppsim::exec
