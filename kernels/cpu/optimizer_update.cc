#include "kernels/cpu/optimizer_update.h"

#include <cmath>

namespace gppsim::kernels {
namespace {

constexpr float kBeta1 = kAdamBeta1, kBeta2 = kAdamBeta2, kEps = kAdamEps;

void adam(std::int64_t step, float* w, float* g, float* s1, float* s2, std::size_t n) {
  const auto t = static_cast<float>(step);
  const float rate = kAdamRate / (1.0f - std::pow(kBeta1, t));  // bias corrections folded in
  const float inv_c2 = 1.0f / (1.0f - std::pow(kBeta2, t));
  for (std::size_t i = 0; i < n; ++i) {
    const float m = kBeta1 * s1[i] + (1.0f - kBeta1) * g[i];
    const float v = kBeta2 * s2[i] + (1.0f - kBeta2) * g[i] * g[i];
    s1[i] = m;
    s2[i] = v;
    w[i] -= rate * m / (std::sqrt(v * inv_c2) + kEps);
    g[i] = 0.0f;
  }
}

}  // namespace

int optimizer_state_floats(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd: return 0;
    case OptimizerKind::kMomentum: return 1;
    case OptimizerKind::kAdam: return 2;
  }
  return 0;
}

int optimizer_bytes_per_parameter_byte(OptimizerKind kind) { return 3 + 2 * optimizer_state_floats(kind); }

std::string to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd: return "sgd";
    case OptimizerKind::kMomentum: return "momentum";
    case OptimizerKind::kAdam: return "adam";
  }
  return "sgd";
}

void optimizer_step(OptimizerKind kind, std::int64_t step, float* w, float* g, float* s1, float* s2, std::size_t n) {
  if (kind == OptimizerKind::kSgd) {
    for (std::size_t i = 0; i < n; ++i) {
      w[i] -= kSgdRate * g[i];
      g[i] = 0.0f;
    }
  } else if (kind == OptimizerKind::kMomentum) {
    for (std::size_t i = 0; i < n; ++i) {
      s1[i] = kMomentumDecay * s1[i] + g[i];
      w[i] -= kSgdRate * s1[i];
      g[i] = 0.0f;
    }
  } else {
    adam(step, w, g, s1, s2, n);
  }
}

}  // namespace gppsim::kernels
