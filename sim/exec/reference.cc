#include "sim/exec/run.h"

namespace gppsim::exec {

std::map<std::string, std::vector<float>> reference_weights(const model::Model& model, const TrainingSetup& setup,
                                                            int iterations, Device& device) {
  const ExecModel exec_model = build_exec_model(model);
  plan::Strategy one;
  plan::Stage stage;
  stage.id = 0;
  stage.ops = model.graph.topological_order();
  stage.devices = {0};
  stage.micro_batch_size = setup.mini_batch;
  one.stages.push_back(stage);
  const StageBoundary boundary = make_stage_boundary(one, exec_model);
  MemoryCounter mem(device);
  StageRunner runner(exec_model, one.stages[0], boundary, setup, mem);
  for (int i = 0; i < iterations; ++i) {
    runner.forward(0, 0, static_cast<std::size_t>(setup.mini_batch), {});
    runner.backward(0, {}, false);
    runner.optimizer_step();
  }
  std::map<std::string, std::vector<float>> out;
  for (const auto op : stage.ops) out[model.graph.op(op).name] = runner.op_weights(op);
  return out;
}

}  // namespace gppsim::exec
