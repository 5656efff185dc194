#include "sim/plan/registry.h"

#include "sim/plan/exhaustive.h"
#include "sim/plan/graphpipe.h"
#include "sim/plan/pipedream.h"
#include "sim/plan/piper.h"

namespace gppsim::plan {

std::unique_ptr<Planner> make_planner(PlannerKind kind) {
  switch (kind) {
    case PlannerKind::kGraphPipe: return std::make_unique<GraphPipePlanner>();
    case PlannerKind::kPipeDream: return std::make_unique<PipeDreamPlanner>();
    case PlannerKind::kPiper: return std::make_unique<PiperPlanner>();
    case PlannerKind::kExhaustive: return std::make_unique<ExhaustivePlanner>();
    case PlannerKind::kManual: break;
  }
  return nullptr;
}

}  // namespace gppsim::plan
