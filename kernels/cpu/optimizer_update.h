#pragma once
// Optimizer steps on flat fp32 arrays, shared by the real backend (sim/exec runs them on its
// weights) and the CPU calibration (which times them), so the profile measures the very loop the
// backend runs: SGD (lr 0.01), SGD with momentum (lr 0.01, 0.9) and Adam (lr 0.001, betas
// 0.9 / 0.999, eps 1e-8, bias-corrected). A step also clears the gradients for the next step's
// accumulation, in the same pass (a separate clearing pass made the backend's step 30-65% slower
// than the update the profile had timed).

#include <cstddef>
#include <cstdint>
#include <string>

namespace gppsim::kernels {

/// The rules' constants (every device's update uses these).
inline constexpr float kSgdRate = 0.01f;
inline constexpr float kMomentumDecay = 0.9f;
inline constexpr float kAdamRate = 0.001f, kAdamBeta1 = 0.9f, kAdamBeta2 = 0.999f, kAdamEps = 1e-8f;

/// Which update rule.
enum class OptimizerKind { kSgd, kMomentum, kAdam };

/// Floats of optimizer state per parameter: 0 (SGD), 1 (momentum), 2 (Adam).
int optimizer_state_floats(OptimizerKind kind);

/// Bytes the update reads and writes per parameter byte, the cost model's count
/// (cost::OpCost::bytes_per_parameter_byte): SGD reads w and g and writes w (3); momentum also
/// reads and writes its velocity (5); Adam its two moments (7). The clearing store to g rides on
/// the read of g and is not counted: calibrated fits are indexed by these bytes and their times
/// include it.
int optimizer_bytes_per_parameter_byte(OptimizerKind kind);

/// "sgd", "momentum" or "adam" (the calibration's kernel names).
std::string to_string(OptimizerKind kind);

/// Step `step` (1-based) over n parameters: updates w (and the state arrays s1, s2 as the rule
/// needs them; unused ones may be null) from the gradients g, and sets g to zero.
void optimizer_step(OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1, float* s2, std::size_t n);

}  // namespace gppsim::kernels
