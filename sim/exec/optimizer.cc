#include "sim/exec/optimizer.h"

#include <cmath>

namespace gppsim::exec {

int optimizer_state_floats(model::Optimizer optimizer) {
  switch (optimizer) {
    case model::Optimizer::kSgd: return 0;
    case model::Optimizer::kMomentum: return 1;
    case model::Optimizer::kAdam: return 2;
  }
  return 0;
}

void apply_optimizer(model::Optimizer optimizer, std::int64_t step, float* w, const float* g, float* s1, float* s2,
                     std::size_t n) {
  constexpr float kSgdRate = 0.01f;
  if (optimizer == model::Optimizer::kSgd) {
    for (std::size_t i = 0; i < n; ++i) w[i] -= kSgdRate * g[i];
    return;
  }
  if (optimizer == model::Optimizer::kMomentum) {
    for (std::size_t i = 0; i < n; ++i) {
      s1[i] = 0.9f * s1[i] + g[i];
      w[i] -= kSgdRate * s1[i];
    }
    return;
  }
  constexpr float kRate = 0.001f, kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-8f;
  const auto t = static_cast<float>(step);
  const float rate = kRate / (1.0f - std::pow(kBeta1, t));  // bias corrections folded in
  const float inv_c2 = 1.0f / (1.0f - std::pow(kBeta2, t));
  for (std::size_t i = 0; i < n; ++i) {
    const float m = kBeta1 * s1[i] + (1.0f - kBeta1) * g[i];
    const float v = kBeta2 * s2[i] + (1.0f - kBeta2) * g[i] * g[i];
    s1[i] = m;
    s2[i] = v;
    w[i] -= rate * m / (std::sqrt(v * inv_c2) + kEps);
  }
}

}  // namespace gppsim::exec
