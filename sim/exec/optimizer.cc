#include "sim/exec/optimizer.h"

#include "kernels/cpu/optimizer_update.h"

namespace gppsim::exec {

kernels::OptimizerKind optimizer_kind(model::Optimizer optimizer) {
  switch (optimizer) {
    case model::Optimizer::kSgd: return kernels::OptimizerKind::kSgd;
    case model::Optimizer::kMomentum: return kernels::OptimizerKind::kMomentum;
    case model::Optimizer::kAdam: return kernels::OptimizerKind::kAdam;
  }
  return kernels::OptimizerKind::kSgd;
}

int optimizer_state_floats(model::Optimizer optimizer) { return kernels::optimizer_state_floats(optimizer_kind(optimizer)); }

}  // namespace gppsim::exec
