#pragma once
// A GPU as the cost model sees it: datasheet peaks plus the few parameters of the achieved
// efficiency model (sim/cost/README.md gives the formulas).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/dtype.h"
#include "sim/core/units.h"

namespace gppsim::hw {

/// One accelerator type.
struct DeviceSpec {
  std::string name;                                  ///< e.g. "v100-sxm2-16gb"
  std::map<core::Dtype, core::FlopsPerSecond> peak;  ///< dense GEMM peak per supported dtype
  core::BytesPerSecond memory_bandwidth;             ///< HBM, read + write combined
  core::Bytes memory_capacity;
  core::Seconds launch_overhead;                     ///< per kernel
  int sm_count = 1;                                  ///< streaming multiprocessors (wave model)
  int gemm_tile = 128;                               ///< output tile edge of a GEMM kernel
  double max_gemm_efficiency = 0.8;                  ///< best fraction of peak a GEMM reaches

  /// Peak for a dtype; nullopt when the device has no such arithmetic.
  [[nodiscard]] std::optional<core::FlopsPerSecond> peak_for(core::Dtype d) const;
};

/// Built-in presets: v100-sxm2-16gb, a100-sxm4-40gb, a100-sxm4-80gb, h100-sxm5-80gb.
const std::vector<DeviceSpec>& device_presets();
/// The preset with this name, if any.
std::optional<DeviceSpec> find_device_preset(std::string_view name);

}  // namespace gppsim::hw
