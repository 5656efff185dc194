#include "sim/core/time.h"

#include <cmath>

#include "sim/core/check.h"

namespace gppsim::core {

Time Time::from_seconds(Seconds s) {
  const double ps = std::round(s.value() * 1e12);
  GPPSIM_CHECK(std::isfinite(ps) && std::fabs(ps) < 9.2e18,
               "duration out of the representable range of int64 picoseconds");
  return Time(static_cast<std::int64_t>(ps));
}

}  // namespace gppsim::core
