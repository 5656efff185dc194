#include "kernels/common/measurement.h"

#include <algorithm>

namespace gppsim::kernels {

std::string gemm_kernel_name(const GemmPoint& point) {
  if (point.batch > 1) return "batched_gemm";
  return point.layout == "nn" ? "gemm" : "gemm_" + point.layout;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double Measurement::median_s() const { return median(times_s); }

double Measurement::flops_per_s() const {
  const double t = median_s();
  return t > 0.0 ? flops / t : 0.0;
}

double Measurement::bytes_per_s() const {
  const double t = median_s();
  return t > 0.0 ? bytes / t : 0.0;
}

nlohmann::json to_json(const Measurement& m) {
  return nlohmann::json{{"kernel", m.kernel},
                        {"dtype", m.dtype},
                        {"shape", m.shape},
                        {"flops", m.flops},
                        {"bytes", m.bytes},
                        {"times_s", m.times_s},
                        {"correct", m.correct},
                        {"max_relative_error", m.max_relative_error},
                        {"median_s", m.median_s()},
                        {"flops_per_s", m.flops_per_s()},
                        {"bytes_per_s", m.bytes_per_s()}};
}

Measurement measurement_from_json(const nlohmann::json& j) {
  Measurement m;
  m.kernel = j.at("kernel").get<std::string>();
  m.dtype = j.at("dtype").get<std::string>();
  m.shape = j.at("shape").get<std::vector<std::int64_t>>();
  m.flops = j.at("flops").get<double>();
  m.bytes = j.at("bytes").get<double>();
  m.times_s = j.at("times_s").get<std::vector<double>>();
  m.correct = j.at("correct").get<bool>();
  m.max_relative_error = j.at("max_relative_error").get<double>();
  return m;
}

}  // namespace gppsim::kernels
