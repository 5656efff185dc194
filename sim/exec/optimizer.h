#pragma once
// Optimizer updates of the real backend: SGD (lr 0.01), SGD with momentum (lr 0.01, 0.9) and
// Adam (lr 0.001, betas 0.9 / 0.999, eps 1e-8, bias-corrected), on flat float arrays. The loops
// are kernels/cpu/optimizer_update.h, the ones the CPU calibration times.

#include <cstddef>
#include <cstdint>

#include "sim/model/summary.h"

namespace gppsim::exec {

/// Floats of optimizer state per parameter: 0 (SGD), 1 (momentum), 2 (Adam).
int optimizer_state_floats(model::Optimizer optimizer);

/// Step number `step` (1-based) of `optimizer` over n parameters: updates w (and the state
/// arrays s1, s2 as the optimizer needs them) from the gradients g, and sets g to zero for the
/// next step's accumulation (kernels::optimizer_step).
void apply_optimizer(model::Optimizer optimizer, std::int64_t step, float* w, float* g, float* s1, float* s2,
                     std::size_t n);

}  // namespace gppsim::exec
