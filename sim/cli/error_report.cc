#include "sim/cli/error_report.h"

#include <ostream>

#include "kernels/common/kernel_error.h"
#include "sim/core/errors.h"

namespace gppsim::cli {

int report_error(const std::exception_ptr& error, std::string_view who, std::ostream& err) {
  try {
    std::rethrow_exception(error);
  } catch (const core::ConfigError& e) {
    err << who << ": bad input:\n" << e.what() << '\n';
    return kExitBadInput;
  } catch (const core::PlanError& e) {
    err << who << ": infeasible: " << e.what() << '\n';
    return kExitInfeasible;
  } catch (const kernels::KernelError& e) {
    err << who << ": a benchmark failed: " << e.what() << '\n';
    return kExitInternal;
  } catch (const core::InternalError& e) {
    err << who << ": " << e.what() << "\nThis is a bug in gppsim; please report it.\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << who << ": internal error: " << e.what() << "\nThis is a bug in gppsim; please report it.\n";
    return kExitInternal;
  }
}

}  // namespace gppsim::cli
