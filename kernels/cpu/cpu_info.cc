#include <cblas.h>

#include <fstream>
#include <string>

#include "kernels/cpu/cpu_benchmarks.h"

namespace gppsim::kernels {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) break;
    const auto start = line.find_first_not_of(' ', colon + 1);
    return start == std::string::npos ? std::string("unknown") : line.substr(start);
  }
  return "unknown";
}

std::string openblas_config() {
  const char* config = openblas_get_config();
  return config != nullptr ? std::string(config) : std::string("unknown");
}

}  // namespace gppsim::kernels
