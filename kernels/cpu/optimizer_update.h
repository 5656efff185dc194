#pragma once
// Optimizer updates on flat fp32 arrays, shared by the real backend (sim/exec runs them on its
// weights) and the CPU calibration (which times them), so the profile measures the very loop the
// backend runs: SGD (lr 0.01), SGD with momentum (lr 0.01, 0.9) and Adam (lr 0.001, betas
// 0.9 / 0.999, eps 1e-8, bias-corrected).

#include <cstddef>
#include <cstdint>
#include <string>

namespace gppsim::kernels {

/// Which update rule.
enum class OptimizerKind { kSgd, kMomentum, kAdam };

/// Floats of optimizer state per parameter: 0 (SGD), 1 (momentum), 2 (Adam).
int optimizer_state_floats(OptimizerKind kind);

/// Bytes one step reads and writes per parameter byte: SGD reads w and g and writes w (3);
/// momentum also reads and writes its velocity (5); Adam its two moments (7).
int optimizer_bytes_per_parameter_byte(OptimizerKind kind);

/// "sgd", "momentum" or "adam" (the calibration's kernel names).
std::string to_string(OptimizerKind kind);

/// Step `step` (1-based) over n parameters: updates w (and the state arrays s1, s2 as the rule
/// needs them; unused ones may be null) from the gradients g.
void optimizer_update(OptimizerKind kind, std::int64_t step, float* w, const float* g, float* s1, float* s2,
                      std::size_t n);

}  // namespace gppsim::kernels
