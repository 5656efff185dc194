#pragma once
// The gppsim verbs. Each returns the process exit code on success paths; errors propagate as
// typed exceptions to main(), the only place that catches them.

#include <filesystem>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace gppsim::cli {

/// Options of `gppsim inspect`.
struct InspectOptions {
  std::filesystem::path scenario;
  bool json = false;
};

/// Prints the model summary of a scenario (text table or JSON) to `out`.
int run_inspect(const InspectOptions& options, std::ostream& out);

/// Options of `gppsim simulate`.
struct SimulateOptions {
  std::filesystem::path scenario;
  std::filesystem::path strategy;  ///< empty: use the scenario's planner
  std::filesystem::path out;       ///< empty: out/<scenario name>
};

/// Simulates one iteration, writes summary.json and trace.json, prints a table. Returns 3 when
/// the plan does not fit in memory (the files are still written, with feasible: false).
int run_simulate(const SimulateOptions& options, std::ostream& out);

/// Options of `gppsim plan`.
struct PlanOptions {
  std::filesystem::path scenario;
  std::filesystem::path out;  ///< empty: out/<scenario name>
};

/// Runs the scenario's planner, writes plan.json and strategy.yaml. Returns 3 when no strategy
/// was found (plan.json says why).
int run_plan(const PlanOptions& options, std::ostream& out);

/// Options of `gppsim experiment`.
struct ExperimentOptions {
  std::filesystem::path experiment;
  std::filesystem::path out;  ///< empty: experiments/results/<name> (<name>-quick with --quick)
  bool quick = false;
  int threads = 0;            ///< 0: one per core
};

/// Runs an experiment's cells (cached, in parallel), writes its tables, plots and report, and
/// prints the speedup table. Returns 1 when a cell hit an internal error (recorded, others run).
int run_experiment(const ExperimentOptions& options, std::ostream& out);

/// Options of `gppsim calibrate`.
struct CalibrateOptions {
  std::string backend = "cpu";             ///< "cpu" or "cuda"
  bool quick = false;
  std::uint64_t seed = 1;
  std::filesystem::path out;               ///< PROFILE.yaml; raw measurements go to PROFILE.raw.json
  std::string name;                        ///< empty: the file name without extension
  std::filesystem::path pingpong_binary;   ///< gppsim_mpi_pingpong (default: beside gppsim)
  bool skip_mpi = false;
  int concurrent = 1;                      ///< cpu: processes running the sweep at once, times pooled
};

/// Runs the backend's microkernel sweep, writes the fitted profile and the raw measurements,
/// prints a summary. Returns 2 when the backend is not available in this build or machine.
int run_calibrate(const CalibrateOptions& options, std::ostream& out);

/// Options of `gppsim exec` (run under mpirun, one rank per device).
struct ExecOptions {
  std::filesystem::path scenario;
  std::filesystem::path strategy;
  std::filesystem::path out;       ///< empty: out/<scenario name>-exec
  int iterations = 3;              ///< measured iterations (the median one is reported)
  int warmup = 1;
  std::uint64_t seed = 1;
  double time_limit_s = 600.0;     ///< each rank ends the job past this
  bool dump_weights = false;       ///< also write weights.json (every stage's weights per device)
  std::string device = "cpu";      ///< cpu | cuda (each rank takes a GPU of its node, by local rank)
};

/// Runs the plan on the MPI ranks of the job (MPI is initialised and finalised here); rank 0
/// writes the outputs and prints the table. On a failure every rank of the job ends.
int run_exec(const ExecOptions& options, int* argc, char*** argv, std::ostream& out);

/// Options of `gppsim crosscheck`.
struct CrosscheckOptions {
  std::filesystem::path scenario;
  std::filesystem::path profile;    ///< empty: calibrate this machine's CPU into DIR/profile.yaml
  std::filesystem::path strategy;   ///< empty: run the scenario's planner (on the profile)
  std::filesystem::path out;        ///< empty: out/<scenario name>-crosscheck
  std::filesystem::path self;       ///< this gppsim executable (mpirun starts it)
  std::string mpirun = "mpirun";
  std::string mpirun_args;          ///< extra arguments, e.g. "--hostfile hosts"
  int iterations = 5;
  int warmup = 2;
  double time_limit_s = 600.0;
  bool quick_calibration = false;
  std::string device = "cpu";       ///< exec's --device; cuda also calibrates with the cuda backend
};

/// Calibrates (or reads a profile), plans, simulates on the profile, runs the plan under mpirun
/// (one rank per device of the scenario's cluster) and writes the comparison. Returns the real
/// run's exit code when it failed.
int run_crosscheck(const CrosscheckOptions& options, std::ostream& out);

}  // namespace gppsim::cli
