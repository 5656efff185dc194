#include "sim/exec/optimizer.h"

#include "kernels/cpu/optimizer_update.h"

namespace gppsim::exec {
namespace {

kernels::OptimizerKind kind_of(model::Optimizer optimizer) {
  switch (optimizer) {
    case model::Optimizer::kSgd: return kernels::OptimizerKind::kSgd;
    case model::Optimizer::kMomentum: return kernels::OptimizerKind::kMomentum;
    case model::Optimizer::kAdam: return kernels::OptimizerKind::kAdam;
  }
  return kernels::OptimizerKind::kSgd;
}

}  // namespace

int optimizer_state_floats(model::Optimizer optimizer) { return kernels::optimizer_state_floats(kind_of(optimizer)); }

void apply_optimizer(model::Optimizer optimizer, std::int64_t step, float* w, float* g, float* s1, float* s2,
                     std::size_t n) {
  kernels::optimizer_step(kind_of(optimizer), step, w, g, s1, s2, n);
}

}  // namespace gppsim::exec
