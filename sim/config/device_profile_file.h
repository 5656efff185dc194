#pragma once
// Device profile files (configs/devices/*.yaml): what `gppsim calibrate` writes and what
// `cluster.device: FILE.yaml` reads. Format and an example: configs/devices/README.md.

#include <filesystem>
#include <string>

#include "sim/hw/device_profile.h"

namespace gppsim::config {

/// The identifier on the first line of every profile file; a different one is rejected.
inline constexpr const char* kDeviceProfileFormat = "gppsim-device-profile/1";

/// Loads and validates a profile. Throws core::ConfigError naming the file, line, YAML path,
/// what was expected and what was found, for every problem at once (wrong format identifier,
/// unknown keys, missing sections, quantities without units, tables whose size does not match
/// their axes, non-increasing axes, non-positive rates, fits that do not start at 0 B).
hw::DeviceProfile load_device_profile(const std::filesystem::path& file);

/// The profile as YAML text that load_device_profile reads back to equal tables and fits (rates
/// and times with 7 significant digits). Deterministic: same profile, same bytes.
std::string device_profile_to_yaml(const hw::DeviceProfile& profile);

}  // namespace gppsim::config
