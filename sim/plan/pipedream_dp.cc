#include "sim/plan/pipedream_dp.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "sim/core/check.h"

namespace gppsim::plan::pipedream_detail {
namespace {

/// Python's None in the published tables: no partition of this range on this many machines.
constexpr double kNone = std::numeric_limits<double>::infinity();
constexpr int kNoSplit = -1;

/// The A[i][.][.] row of one start state, structure of arrays indexed last * machines + m:
/// the best time and, when kept, the published metadata (optimal_split, optimal_num_machines).
struct Row {
  Row(int states, int machines_per_row, bool keep_splits)
      : machines(machines_per_row),
        time(static_cast<std::size_t>(states) * static_cast<std::size_t>(machines_per_row), kNone),
        split(keep_splits ? time.size() : 0, kNoSplit),
        split_machines(keep_splits ? time.size() : 0, 0),
        replication(keep_splits ? time.size() : 0, 0) {}

  [[nodiscard]] std::size_t index(int last, int m) const {
    return static_cast<std::size_t>(last) * static_cast<std::size_t>(machines) + static_cast<std::size_t>(m);
  }
  void record(std::size_t i, double t, int split_state, int split_m, int replicas) {
    time[i] = t;
    if (split.empty()) return;
    split[i] = split_state;
    split_machines[i] = split_m;
    replication[i] = replicas;
  }

  int machines;
  std::vector<double> time;
  std::vector<int> split;           ///< last state of the preceding part, kNoSplit for one stage
  std::vector<int> split_machines;  ///< m index (machines - 1) of the preceding part
  std::vector<int> replication;     ///< machines of the last stage
};

/// compute_times[after + 1][last] of one level: the cumulative difference at level 0, the
/// previous level's best times above it.
class RangeCompute {
 public:
  explicit RangeCompute(const std::vector<double>& cumulative) : cumulative_(&cumulative) {}
  RangeCompute(std::vector<double> table, int states) : table_(std::move(table)), states_(states) {}

  [[nodiscard]] double operator()(int after, int last) const {
    if (cumulative_ != nullptr) return (*cumulative_)[last] - (after >= 0 ? (*cumulative_)[after] : 0.0);
    return table_[static_cast<std::size_t>(after + 1) * static_cast<std::size_t>(states_) + last];
  }
  /// Level 0's cumulative compute per state, or nullptr above it.
  [[nodiscard]] const double* cumulative() const { return cumulative_ != nullptr ? cumulative_->data() : nullptr; }
  /// The table (row after + 1, column last), or nullptr at level 0.
  [[nodiscard]] const double* table() const { return table_.empty() ? nullptr : table_.data(); }

 private:
  const std::vector<double>* cumulative_ = nullptr;
  std::vector<double> table_;
  int states_ = 0;
};

/// Everything one level's DP reads.
struct LevelProblem {
  const StateSpace& space;
  const StateSums& sums;
  const RangeCompute& compute;
  Level level;
  int within = 1;  ///< machines per machine of this level (num_machines_within_machine)
  const DpConfig& config;
};

double range_sum(const std::vector<double>& cumulative, int after, int last) {
  return cumulative[last] - (after >= 0 ? cumulative[after] : 0.0);
}

/// Python 3's math.ceil((total - used) / replicas) * bytes, the published stash estimate.
double stashed_bytes(int total, int used, int replicas, double bytes) {
  return std::ceil(static_cast<double>(total - used) / static_cast<double>(replicas)) * bytes;
}

bool over_memory(const DpConfig& config, double stashed) {
  return config.memory.has_value() && stashed > config.memory->value();
}

/// The single-stage entries A[i][j][m]: the whole range replicated m + 1 ways.
/// Whether a stage may have `replicas` replicas under the config's divisibility restriction.
bool replication_allowed(const DpConfig& config, int replicas) {
  return config.replication_divides <= 0 || config.replication_divides % replicas == 0;
}

void fill_single_stage(const LevelProblem& p, int after, int last, Row& row) {
  const double compute = p.compute(after, last);
  if (compute == kNone) return;
  const double params = range_sum(p.sums.parameter_bytes, after, last);
  const double acts = range_sum(p.sums.activation_bytes, after, last);
  const int machines = p.level.machines;
  const double bandwidth = p.level.bandwidth.value();
  const int max_m = p.config.straight ? 1 : machines;
  for (int m = 0; m < max_m; ++m) {
    if (!replication_allowed(p.config, m + 1)) continue;
    if (over_memory(p.config, stashed_bytes(machines, m + 1, m + 1, acts + params))) continue;
    // m == 0 needs no gradient sync (and a one-machine level may have no bandwidth at all).
    double sync = m > 0 ? (4.0 * m * params) / (bandwidth * (m + 1)) : 0.0;
    sync /= p.within;
    row.record(row.index(last, m), (compute + sync) / (m + 1), kNoSplit, 0, m + 1);
  }
}

/// The published transfer bounds, only with an activation compression ratio.
double with_transfers(const LevelProblem& p, double time, int split, int last, int replicas) {
  const double bandwidth = p.level.bandwidth.value();
  const double ratio = *p.config.activation_compression_ratio;
  const auto& out = p.sums.output_activation_bytes;
  time = std::max(time, (2.0 * out[split]) / (bandwidth * replicas) / ratio);
  if (last < p.space.size() - 1) time = std::max(time, (2.0 * out[last]) / (bandwidth * replicas) / ratio);
  return time;
}

/// One split candidate k for every machine index: A[i][k][m - r] followed by the last stage
/// (k, last] on r machines, whose times are `lasts[r]`. Candidates are visited in ascending k,
/// then r; the first strict minimum wins, as in the published loop. This is the hot loop of
/// the cubic lower level, so it works on raw arrays (an infinite A[i][k] never wins).
void relax_split(const LevelProblem& p, int k, int last, const double* lasts, double stage_bytes, Row& row) {
  const int machines = p.level.machines;
  const int max_replicas = p.config.straight ? 1 : machines - 1;
  const bool limited = p.config.memory.has_value();
  const bool transfers = p.config.activation_compression_ratio.has_value();
  const double* before = row.time.data() + row.index(k, 0);
  const double* here = row.time.data() + row.index(last, 0);
  for (int m = 1; m < machines; ++m) {
    const int top = m < max_replicas ? m : max_replicas;
    for (int r = 1; r <= top; ++r) {
      if (!replication_allowed(p.config, r)) continue;
      if (limited && over_memory(p.config, stashed_bytes(machines, m + 1, r, stage_bytes))) continue;
      double time = before[m - r] > lasts[r] ? before[m - r] : lasts[r];
      if (transfers) time = with_transfers(p, time, k, last, r);
      if (time < here[m]) row.record(row.index(last, m), time, k, m - r, r);
    }
  }
}

/// True when a last stage of `compute` seconds cannot beat any current A[i][last][m]: its time
/// on r <= m machines is at least compute / r >= compute / m, and only strict improvements
/// count. Skips the divisions of candidates far from `last` once good splits are known.
bool cannot_improve(const Row& row, int last, double compute) {
  const double* here = row.time.data() + row.index(last, 0);
  for (int m = 1; m < row.machines; ++m) {
    if (compute < here[m] * m) return false;
  }
  return true;
}

/// Tries every split state k of the range (after, last]. The published code also tries splits
/// unrelated to the start state (i - 1); their cumulative differences are not the cost of any
/// op set, so only descendants of `after` are tried (sim/plan/pipedream.md).
void relax_splits(const LevelProblem& p, int after, int last, Row& row, std::vector<double>& lasts) {
  const double bandwidth = p.level.bandwidth.value();
  const int max_replicas = p.config.straight ? 1 : p.level.machines - 1;
  const double* cumulative = p.compute.cumulative();
  const double* table = p.compute.table();
  const auto n = static_cast<std::size_t>(p.space.size());
  const double* params = p.sums.parameter_bytes.data();
  const double* acts = p.sums.activation_bytes.data();
  const std::uint64_t* ancestors = p.space.ancestors[last].words();
  const std::uint64_t* descendants = after >= 0 ? p.space.descendants[after].words() : nullptr;
  for (std::size_t w = 0; w < p.space.ancestors[last].num_words(); ++w) {
    std::uint64_t bits = descendants != nullptr ? ancestors[w] & descendants[w] : ancestors[w];
    for (; bits != 0; bits &= bits - 1) {
      const int k = static_cast<int>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
      const double compute = cumulative != nullptr ? cumulative[last] - cumulative[k]
                                                   : table[(static_cast<std::size_t>(k) + 1) * n + last];
      if (!(compute < kNone) || cannot_improve(row, last, compute)) continue;
      const double stage_params = params[last] - params[k];
      for (int r = 1; r <= max_replicas; ++r) {
        lasts[r] = (compute + (4.0 * (r - 1) * stage_params) / (bandwidth * r)) / r;
      }
      relax_split(p, k, last, lasts.data(), acts[last] - acts[k] + stage_params, row);
    }
  }
}

/// The DP row of ranges starting after state `after` (-1: from the start).
Row solve_row(const LevelProblem& p, int after, bool keep_splits) {
  const int n = p.space.size();
  Row row(n, p.level.machines, keep_splits);
  std::vector<double> lasts(static_cast<std::size_t>(p.level.machines) + 1, 0.0);
  for (int last = 0; last < n; ++last) {
    if (after >= 0 && !p.space.descendants[after].test(last)) continue;
    fill_single_stage(p, after, last, row);
    if (p.level.machines > 1) relax_splits(p, after, last, row, lasts);
  }
  return row;
}

/// A[i][j][machines - 1] of every range: the next level's compute_times.
std::vector<double> level_table(const LevelProblem& p) {
  const int n = p.space.size();
  std::vector<double> table(static_cast<std::size_t>(n + 1) * static_cast<std::size_t>(n), kNone);
  for (int after = -1; after < n; ++after) {
    const Row row = solve_row(p, after, /*keep_splits=*/false);
    for (int last = after + 1; last < n; ++last) {
      table[static_cast<std::size_t>(after + 1) * static_cast<std::size_t>(n) + last] =
          row.time[row.index(last, p.level.machines - 1)];
    }
  }
  return table;
}

/// One stage found by analyze_partitioning: (after, last] on `replication` machines.
struct Piece {
  int after;
  int last;
  int replication;
};

/// analyze_partitioning: follows the splits back from A[after + 1][last][machines - 1].
std::vector<Piece> analyze(const Row& row, int after, int last, int machines) {
  std::size_t cell = row.index(last, machines - 1);
  GPPSIM_CHECK(row.time[cell] != kNone, fmt::format("no partition of states ({}, {}] to analyze", after, last));
  std::vector<Piece> pieces;
  int end = last;
  while (row.split[cell] != kNoSplit) {
    pieces.push_back(Piece{row.split[cell], end, row.replication[cell]});
    end = row.split[cell];
    cell = row.index(row.split[cell], row.split_machines[cell]);
  }
  pieces.push_back(Piece{after, end, row.replication[cell]});
  std::reverse(pieces.begin(), pieces.end());
  return pieces;
}

/// Splits every stage of the level above into the stages of `level`'s DP for its range.
std::vector<SolvedStage> refine(const std::vector<SolvedStage>& coarse, const LevelProblem& p) {
  std::vector<SolvedStage> fine;
  for (const SolvedStage& stage : coarse) {
    const Row row = solve_row(p, stage.after, /*keep_splits=*/true);
    for (const Piece& piece : analyze(row, stage.after, stage.last, p.level.machines)) {
      SolvedStage sub{piece.after, piece.last, {piece.replication}, stage.group};
      sub.replication.insert(sub.replication.end(), stage.replication.begin(), stage.replication.end());
      fine.push_back(std::move(sub));
    }
  }
  return fine;
}

}  // namespace

StateSums state_sums(const StateSpace& space, const OpWeights& weights) {
  StateSums sums;
  for (int j = 0; j < space.size(); ++j) {
    double compute = 0.0;
    double params = 0.0;
    double acts = 0.0;
    space.cover[j].for_each([&](std::size_t v) {
      compute += weights.compute_s[v];
      params += weights.parameter_bytes[v];
      acts += weights.activation_bytes[v];
    });
    double out = 0.0;
    for (const int v : space.boundary[j]) out += weights.activation_bytes[v];
    sums.compute_s.push_back(compute);
    sums.parameter_bytes.push_back(params);
    sums.activation_bytes.push_back(acts);
    sums.output_activation_bytes.push_back(out);
  }
  return sums;
}

std::optional<DpSolution> solve_pipedream(const StateSpace& space, const StateSums& sums,
                                          const std::vector<Level>& levels, const DpConfig& config) {
  GPPSIM_CHECK(!levels.empty() && space.size() > 0, "PipeDream DP needs a level and a state");
  const int n = space.size();
  std::vector<RangeCompute> computes;
  computes.reserve(levels.size());
  computes.emplace_back(sums.compute_s);
  std::vector<int> within{1};
  for (std::size_t l = 0; l + 1 < levels.size(); ++l) {
    const LevelProblem p{space, sums, computes[l], levels[l], within[l], config};
    computes.emplace_back(level_table(p), n);
    within.push_back(levels[l].machines);
  }
  const std::size_t top = levels.size() - 1;
  const LevelProblem top_problem{space, sums, computes[top], levels[top], within[top], config};
  const Row row = solve_row(top_problem, -1, /*keep_splits=*/true);
  const double best = row.time[row.index(n - 1, levels[top].machines - 1)];
  if (best == kNone) return std::nullopt;
  DpSolution solution{best, {}};
  const auto pieces = analyze(row, -1, n - 1, levels[top].machines);
  for (std::size_t g = 0; g < pieces.size(); ++g) {
    solution.stages.push_back(SolvedStage{pieces[g].after, pieces[g].last, {pieces[g].replication}, static_cast<int>(g)});
  }
  for (std::size_t l = top; l-- > 0;) {
    const LevelProblem p{space, sums, computes[l], levels[l], within[l], config};
    solution.stages = refine(solution.stages, p);
  }
  return solution;
}

}  // namespace gppsim::plan::pipedream_detail
