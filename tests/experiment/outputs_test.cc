// write_outputs on a small hand-built experiment: every expected number below is computed by
// hand from the synthetic results in a comment, never copied from the implementation's output.

#include "sim/experiment/outputs.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace gppsim::experiment {
namespace {

namespace fs = std::filesystem;
using plan::PlannerKind;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr PlannerKind kGpp = PlannerKind::kGraphPipe;
constexpr PlannerKind kPd = PlannerKind::kPipeDream;
constexpr PlannerKind kPiper = PlannerKind::kPiper;

// A reason with a comma and quotes, to exercise CSV quoting.
const char* const kPiperReason = "Piper gave up: more than 40000 downsets (\"14 branches\", cap)";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("gppsim_outputs_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Cells and results built side by side, so cells[i] and results[i] correspond.
struct SyntheticRun {
  config::Experiment exp;
  std::vector<CellSpec> cells;
  std::vector<CellResult> results;

  void add(const std::string& part, const std::string& model, model::ZooArgs args, int gpus, PlannerKind p,
           const std::string& variant, const CellResult& r, std::int64_t branches = 0) {
    CellSpec c;
    c.part = part;
    c.model = model;
    c.args = std::move(args);
    c.gpus = gpus;
    c.mini_batch = 16L * gpus;
    c.planner = p;
    c.variant = variant;
    c.branches = branches;
    cells.push_back(std::move(c));
    results.push_back(r);
  }
};

CellResult ok(double throughput, int depth, std::int64_t micro_batch, double search_s) {
  CellResult r;
  r.feasible = true;
  r.throughput_samples_per_s = throughput;
  r.iteration_time_s = 1.0;
  r.search_time_s = search_s;
  r.num_stages = depth;
  r.pipeline_depth = depth;
  r.micro_batch_size = micro_batch;
  r.bubble_fraction = 0.1;
  r.partition = "a..b x2 | c..d x2";
  return r;
}

CellResult none(const std::string& reason, double search_s) {
  CellResult r;
  r.reason = reason;
  r.search_time_s = search_s;
  return r;
}

// Throughput (samples/s), search time GraphPipe 0.5 s, PipeDream 5 s, Piper 10 s everywhere:
//   mmt  4: gpp 150, pd 100, piper 125   -> 1.50x, 1.20x
//   mmt  8: gpp 320, pd 200, piper 250   -> 1.60x, 1.28x
//   dlrm 4: gpp  90, pd  60, piper none  -> 1.50x, n/a
//   dlrm 8: gpp 210, pd 120, piper none  -> 1.75x, n/a   (the largest speedup)
// Ablation mmt 8 GPUs: spp 200, parallel_only 240 (240/200 = 1.2), gpp 280 (280/200 = 1.4).
// Branch sweep candle 8 GPUs: 2 branches gpp 110 / pd 100 = 1.1; 4 branches 180 / 100 = 1.8.
SyntheticRun synthetic() {
  SyntheticRun run;
  run.exp.name = "synthetic";
  run.exp.file = "synthetic.yaml";
  run.exp.cluster.device.name = "v100-sxm2-16gb";
  run.exp.cluster.gpus_per_node = 4;
  run.exp.parts.throughput = config::ThroughputPart{{"mmt", "dlrm"}, {4, 8}, {kGpp, kPd, kPiper}};
  run.exp.parts.ablation = config::AblationPart{{"mmt"}, {8}};
  run.exp.parts.sequential = config::ComparisonPart{"seq", {8}, {kGpp, kPd}};  // defined, not run: quick subset
  const double thr[2][2][3] = {{{150, 100, 125}, {320, 200, 250}}, {{90, 60, 0}, {210, 120, 0}}};
  const char* const models[2] = {"mmt", "dlrm"};
  const model::ZooArgs args[2] = {model::MmtArgs{}, model::DlrmArgs{}};
  const PlannerKind planners[3] = {kGpp, kPd, kPiper};
  const double search[3] = {0.5, 5.0, 10.0};
  for (int m = 0; m < 2; ++m) {
    for (int g = 0; g < 2; ++g) {
      for (int p = 0; p < 3; ++p) {
        const double t = thr[m][g][p];
        run.add("throughput", models[m], args[m], 4 << g, planners[p], "best",
                t > 0 ? ok(t, 4, 2, search[p]) : none(kPiperReason, search[p]));
      }
    }
  }
  run.add("ablation", "mmt", model::MmtArgs{}, 8, kPd, "spp", ok(200, 8, 2, 5.0));
  run.add("ablation", "mmt", model::MmtArgs{}, 8, kGpp, "parallel_only", ok(240, 4, 2, 0.5));
  run.add("ablation", "mmt", model::MmtArgs{}, 8, kGpp, "gpp", ok(280, 4, 4, 0.5));
  run.exp.parts.branch_sweep = config::BranchSweepPart{"candle", {2, 4}, {8}, 16, {kGpp, kPd}};
  const double sweep[2][2] = {{110, 100}, {180, 100}};
  for (int b = 0; b < 2; ++b) {
    run.add("branch_sweep", "candle", model::CandleUnoArgs{}, 8, kGpp, "best", ok(sweep[b][0], 4, 4, 0.5), 2L << b);
    run.add("branch_sweep", "candle", model::CandleUnoArgs{}, 8, kPd, "best", ok(sweep[b][1], 8, 2, 5.0), 2L << b);
  }
  return run;
}

bool gnuplot_installed() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

/// Sets PATH for its lifetime, restoring the old value after.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    const char* old = std::getenv("PATH");
    saved_ = old == nullptr ? "" : old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() { ::setenv("PATH", saved_.c_str(), 1); }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;

 private:
  std::string saved_;
};

/// write_outputs with gnuplot hidden from PATH: the tests of tables and report need no rendering,
/// which is slow and tested on its own.
OutputSummary write_without_plots(const SyntheticRun& run, const fs::path& dir) {
  const ScopedPath path("/nonexistent-gppsim-test-path");
  return write_outputs(run.exp, run.cells, run.results, dir);
}

TEST(WriteOutputs, ThroughputCsvHasTheContractHeaderAndOneRowPerCell) {
  const SyntheticRun run = synthetic();
  const TempDir dir("throughput");
  write_without_plots(run, dir.path());
  const auto rows = lines(read(dir.path() / "throughput.csv"));
  ASSERT_EQ(rows.size(), 13u);  // header + 2 models x 2 GPU counts x 3 planners
  EXPECT_EQ(rows[0],
            "model,gpus,mini_batch,planner,feasible,throughput_samples_per_s,iteration_time_s,search_time_s,"
            "pipeline_depth,num_stages,micro_batch_size,peak_memory_bytes,bubble_fraction,reason");
  // Row 1 is mmt, 4 GPUs, graphpipe: mini-batch 16 x 4 = 64, the fields of ok(150, 4, 2, 0.5),
  // peak memory 0, bubble 0.1, no reason.
  EXPECT_EQ(rows[1], "mmt,4,64,graphpipe,true,150,1,0.5,4,4,2,0,0.1,");
  // Row 9 is dlrm 4 GPUs piper: the reason quoted, its inner quotes doubled.
  EXPECT_THAT(rows[9], HasSubstr("dlrm,4,64,piper,false,"));
  EXPECT_THAT(rows[9], HasSubstr(",\"Piper gave up: more than 40000 downsets (\"\"14 branches\"\", cap)\""));
}

TEST(WriteOutputs, SpeedupsAreThroughputRatiosAndPiperFailuresSayNoStrategy) {
  const SyntheticRun run = synthetic();
  const TempDir dir("speedup");
  const auto summary = write_without_plots(run, dir.path());
  const auto csv = read(dir.path() / "speedup.csv");
  // 150 / 100 = 1.5 and 150 / 125 = 1.2; 90 / 60 = 1.5 with Piper failed.
  EXPECT_THAT(csv, HasSubstr("\nmmt,4,150,100,125,1.5,1.2\n"));
  EXPECT_THAT(csv, HasSubstr("\ndlrm,4,90,60,no strategy,1.5,n/a\n"));
  EXPECT_THAT(summary.speedup_table,
              HasSubstr("| model | GPUs | GraphPipe | PipeDream | Piper | vs PipeDream | vs Piper |"));
  EXPECT_THAT(summary.speedup_table, HasSubstr("| mmt | 8 | 320.0 | 200.0 | 250.0 | 1.60x | 1.28x |"));
  EXPECT_THAT(summary.speedup_table, HasSubstr("| dlrm | 8 | 210.0 | 120.0 | no strategy | 1.75x | n/a |"));
  EXPECT_THAT(read(dir.path() / "throughput.md"), HasSubstr(summary.speedup_table));
  // Search ratios: 5 / 0.5 = 10 and 10 / 0.5 = 20.
  EXPECT_THAT(read(dir.path() / "search_time.csv"), HasSubstr("\nmmt,4,piper,true,10,20\n"));
}

TEST(WriteOutputs, AblationAndBranchSweepAreNormalised) {
  const SyntheticRun run = synthetic();
  const TempDir dir("normalised");
  write_without_plots(run, dir.path());
  const auto ablation = read(dir.path() / "ablation.csv");
  EXPECT_THAT(ablation, HasSubstr("\nmmt,8,parallel_only,true,240,2,4,1.2\n"));  // 240 / 200
  EXPECT_THAT(ablation, HasSubstr("\nmmt,8,gpp,true,280,4,4,1.4\n"));            // 280 / 200
  const auto sweep = read(dir.path() / "branch_sweep.csv");
  EXPECT_THAT(sweep, HasSubstr("\n4,8,graphpipe,true,180,1.8\n"));  // 180 / 100
  EXPECT_THAT(sweep, HasSubstr("\n2,8,pipedream,true,100,1\n"));
  EXPECT_FALSE(fs::exists(dir.path() / "case_study.md"));  // the part did not run
}

TEST(WriteOutputs, EqualInputsGiveByteIdenticalTextFiles) {
  const SyntheticRun run = synthetic();
  const TempDir a("det_a");
  const TempDir b("det_b");
  const auto sa = write_outputs(run.exp, run.cells, run.results, a.path());
  const auto sb = write_outputs(run.exp, run.cells, run.results, b.path());
  EXPECT_EQ(sa.speedup_table, sb.speedup_table);
  ASSERT_EQ(sa.files.size(), sb.files.size());
  int compared = 0;
  for (const auto& f : sa.files) {
    const auto ext = f.extension();
    if (ext != ".csv" && ext != ".md" && ext != ".gp") continue;
    EXPECT_EQ(read(f), read(b.path() / f.filename())) << f;
    ++compared;
  }
  // throughput, speedup, search_time (csv + md but speedup csv only), ablation, branch_sweep: 9 tables,
  // report.md, and 5 scripts (throughput_mmt, throughput_dlrm, speedup, ablation, branch_sweep).
  EXPECT_EQ(compared, 15);
}

TEST(WriteOutputs, ReportSetsEachClaimNextToOurNumbers) {
  const SyntheticRun run = synthetic();
  const TempDir dir("report");
  write_without_plots(run, dir.path());
  const auto report = read(dir.path() / "report.md");
  for (int claim = 1; claim <= 7; ++claim) EXPECT_THAT(report, HasSubstr(fmt::format("## Claim {}:", claim)));
  EXPECT_THAT(report, HasSubstr("search times are wall-clock measurements on this machine"));
  EXPECT_THAT(report, HasSubstr("synthetic"));
  EXPECT_THAT(report, HasSubstr("1.75x"));          // the largest speedup, dlrm on 8 GPUs
  EXPECT_THAT(report, HasSubstr("10.00x-20.00x"));  // the search-time ratios
  EXPECT_THAT(report, HasSubstr("Piper found no strategy in 2 of 4 cells"));
  EXPECT_THAT(report, HasSubstr("parallel only 1.20x and GPP 1.40x"));
  EXPECT_THAT(report, HasSubstr("reaches 1.80x"));
  EXPECT_THAT(report, HasSubstr("Not run (quick subset)."));  // sequential: defined, no cells
  EXPECT_THAT(report, HasSubstr("Not run (this experiment has no case_study part)."));
  EXPECT_THAT(report, HasSubstr("[throughput](throughput.md)"));
}

TEST(WriteOutputs, FilesAreSortedAndAreExactlyWhatIsInTheFolder) {
  const SyntheticRun run = synthetic();
  const TempDir dir("files");
  const auto summary = write_without_plots(run, dir.path());
  EXPECT_TRUE(std::is_sorted(summary.files.begin(), summary.files.end()));
  std::set<fs::path> listed(summary.files.begin(), summary.files.end());
  std::set<fs::path> present;
  for (const auto& e : fs::directory_iterator(dir.path())) present.insert(e.path());
  EXPECT_EQ(listed, present);  // no stray temporary or partial files
}

TEST(WriteOutputs, RendersPngAndSvgPlotsWhenGnuplotIsInstalled) {
  if (!gnuplot_installed()) GTEST_SKIP() << "gnuplot is not on PATH";
  const SyntheticRun run = synthetic();
  const TempDir dir("plots");
  const auto summary = write_outputs(run.exp, run.cells, run.results, dir.path());
  for (const std::string name : {"throughput_mmt", "throughput_dlrm", "speedup", "ablation", "branch_sweep"}) {
    const auto png = read(dir.path() / (name + ".png"));
    ASSERT_GE(png.size(), 8u) << name;
    EXPECT_EQ(png.substr(1, 3), "PNG") << name;
    EXPECT_THAT(read(dir.path() / (name + ".svg")), HasSubstr("<svg")) << name;
    EXPECT_NE(std::find(summary.files.begin(), summary.files.end(), dir.path() / (name + ".png")), summary.files.end());
  }
  EXPECT_THAT(read(dir.path() / "report.md"), HasSubstr("![speedup](speedup.png)"));
}

TEST(WriteOutputs, WithoutGnuplotPlotsAreSkippedAndTheReportSaysSo) {
  const SyntheticRun run = synthetic();
  const TempDir dir("noplots");
  write_without_plots(run, dir.path());
  EXPECT_FALSE(fs::exists(dir.path() / "speedup.png"));
  EXPECT_TRUE(fs::exists(dir.path() / "speedup.gp"));  // scripts are kept, to render later
  const auto report = read(dir.path() / "report.md");
  EXPECT_THAT(report, HasSubstr("gnuplot was not found on PATH: plots were skipped"));
  EXPECT_THAT(report, Not(HasSubstr("![speedup]")));
}

// Case study on 8 GPUs: SPP depth 8, micro-batch 2, 100 samples/s; GPP depth 4, micro-batch 4,
// 120 samples/s: 120 / 100 = 1.2, "+20%". Sequential: 100 / 98 = 1.0204, within 5%.
// Micro-batch sweep at mb=2: GraphPipe 120 samples/s, depth 4.
TEST(WriteOutputs, CaseStudySequentialAndMicroBatchSweep) {
  SyntheticRun run;
  run.exp.name = "small";
  run.exp.parts.case_study = config::ComparisonPart{"two", {8}, {kGpp, kPd}};
  run.exp.parts.sequential = config::ComparisonPart{"seq", {8}, {kGpp, kPd}};
  run.add("case_study", "two", model::TwoBranchArgs{}, 8, kPd, "best", ok(100, 8, 2, 1.0));
  run.add("case_study", "two", model::TwoBranchArgs{}, 8, kGpp, "best", ok(120, 4, 4, 0.1));
  run.add("sequential", "seq", model::TransformerArgs{}, 8, kGpp, "best", ok(100, 4, 2, 0.1));
  run.add("sequential", "seq", model::TransformerArgs{}, 8, kPd, "best", ok(98, 4, 2, 1.0));
  run.add("micro_batch_sweep", "two", model::TwoBranchArgs{}, 8, kGpp, "mb=2", ok(120, 4, 2, 0.1));
  const TempDir dir("comparison");
  write_without_plots(run, dir.path());
  // model,gpus,planner,feasible,throughput,stages,depth,micro-batch,gain (120 / 100),partition (no comma, so unquoted)
  EXPECT_THAT(read(dir.path() / "case_study.csv"),
              HasSubstr("\ntwo,8,pipedream,true,100,8,8,2,1.2,a..b x2 | c..d x2\n"));
  EXPECT_THAT(read(dir.path() / "case_study.md"), HasSubstr("a..b x2 \\| c..d x2"));  // '|' escaped in Markdown
  EXPECT_THAT(read(dir.path() / "micro_batch_sweep.csv"), HasSubstr("\n2,graphpipe,true,120,4,4,0.1\n"));
  const auto report = read(dir.path() / "report.md");
  EXPECT_THAT(report, HasSubstr("GPP is +20% faster"));
  EXPECT_THAT(report, HasSubstr("GPP's pipeline is shallower, its micro-batch larger, and its gain is close to the "
                                "paper's +20%: this agrees"));
  EXPECT_THAT(report, HasSubstr("1.02x at 8 GPUs"));
  EXPECT_THAT(report, HasSubstr("It is within 5% at 1 of 1 GPU counts: this agrees"));
  EXPECT_THAT(report, HasSubstr("Not run (this experiment has no throughput part)."));
}

TEST(WriteOutputs, AnEmptyRunWritesOnlyTheReport) {
  SyntheticRun run = synthetic();
  run.cells.clear();
  run.results.clear();
  const TempDir dir("empty");
  const auto summary = write_without_plots(run, dir.path());
  ASSERT_EQ(summary.files.size(), 1u);
  EXPECT_EQ(summary.files[0], dir.path() / "report.md");
  EXPECT_TRUE(summary.speedup_table.empty());
  EXPECT_THAT(read(summary.files[0]), HasSubstr("Not run (quick subset)."));
}

}  // namespace
}  // namespace gppsim::experiment
