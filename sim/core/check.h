#pragma once
// GPPSIM_CHECK: an always-on invariant check (also in release builds). A failed check is a bug
// in gppsim, not bad input, and throws InternalError naming the condition and the source line.

#include "sim/core/errors.h"

#define GPPSIM_CHECK(cond, msg)                                                          \
  do {                                                                                   \
    if (!(cond)) ::gppsim::core::throw_internal_error(#cond, (msg), __FILE__, __LINE__); \
  } while (false)
