#include "kernels/calibrate/sweep_plan.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace gppsim::calibrate {
namespace {

std::vector<std::int64_t> powers_of_two(int lo_exp, int hi_exp, int step = 1) {
  std::vector<std::int64_t> out;
  for (int e = lo_exp; e <= hi_exp; e += step) out.push_back(std::int64_t{1} << e);
  return out;
}

bool is_power_of_two(std::int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

/// Not a held-out GEMM dimension: 2^e (a knot) or 3 x 2^e (where cuBLAS also behaves like at a knot).
bool is_knot(std::int64_t x) { return is_power_of_two(x) || (x % 3 == 0 && is_power_of_two(x / 3)); }

/// Uniform in [0, 1) from 53 random bits (the same on every standard library).
double unit_draw(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::size_t product_of_sizes(const std::vector<std::vector<std::int64_t>>& axes) {
  std::size_t n = axes.empty() ? 0 : 1;
  for (const auto& a : axes) n *= a.size();
  return n;
}

void set_cpu_grids(SweepPlan* p) {
  p->dtypes = {core::Dtype::kFp32};
  // A layer's backward runs dX = dY W^T (nt) and dW += X^T dY (tn), which OpenBLAS runs at rates
  // of their own (for 8 x 1024 x 1024 here: nt 1.6x and tn 0.8x the time of nn).
  p->gemm_layouts = {"nn", "nt", "tn"};
  // m (rows: tokens or samples) reaches down to 1 for MLPs at micro-batch 1; n and k are layer widths.
  const auto dims = powers_of_two(4, p->quick ? 8 : 10);  // 16 .. 256 (quick) or 1024
  const auto rows = powers_of_two(0, p->quick ? 8 : 10);  // 1 .. 256 (quick) or 1024
  p->gemm_axes = {rows, dims, dims};
  // tn is dW += X^T dY: m and n are the layer's widths and k the rows. On the shared axes its k
  // started at 16 and the table's clamp priced a (1024 x 1024, k = 8) weight gradient at half its
  // measured time: writing the 4 MiB dW dominates it at any small k.
  p->gemm_tn_axes = {dims, dims, rows};
  p->batched_axes = {powers_of_two(4, 8, 2), powers_of_two(4, 8, 2), powers_of_two(4, 6, 2), powers_of_two(1, 5, 2)};
  p->memory_kernels = {"elementwise", "copy", "sgd", "momentum", "adam"};
  p->memory_bytes = powers_of_two(12, p->quick ? 24 : 28);  // 4 KiB .. 16 MiB or 256 MiB
  p->link_kinds = {"mpi_pingpong"};
  p->link_bytes = powers_of_two(0, p->quick ? 20 : 24);     // 1 B .. 1 MiB or 16 MiB
  p->settings = kernels::BenchSettings{p->quick ? 1 : 2, p->quick ? 3 : 7};
}

void set_cuda_grids(SweepPlan* p) {
  p->dtypes = {core::Dtype::kFp32, core::Dtype::kTf32, core::Dtype::kFp16, core::Dtype::kBf16};
  // The backward's layouts too: cuBLAS picks other kernels for transposed operands, and the
  // weight gradient (tn) reduces over the rows, so its k runs down to 1 (m, n are layer widths).
  p->gemm_layouts = {"nn", "nt", "tn"};
  // A denser grid (1.5 x 2^e between the powers) was tried on an H100: 4x the points, and a
  // held-out median error of 13.8% against 11.3%, so the powers of two stay.
  const auto m = powers_of_two(0, p->quick ? 11 : 14);   // 1 .. 2048 or 16384
  const auto nk = powers_of_two(6, p->quick ? 11 : 13);  // 64 .. 2048 or 8192
  p->gemm_axes = {m, nk, nk};
  p->gemm_tn_axes = {nk, nk, m};
  p->batched_axes = {powers_of_two(6, 10), powers_of_two(6, 10), powers_of_two(5, 7), powers_of_two(3, 9, 2)};
  p->memory_kernels = {"elementwise", "layer_norm", "softmax", "embedding_bag", "copy"};
  p->memory_bytes = powers_of_two(16, p->quick ? 26 : 31);  // 64 KiB .. 64 MiB or 2 GiB
  p->link_kinds = {"copy_h2d", "copy_d2h"};
  p->link_bytes = powers_of_two(10, p->quick ? 24 : 30);    // 1 KiB .. 16 MiB or 1 GiB
  p->settings = kernels::BenchSettings{p->quick ? 1 : 3, p->quick ? 3 : 10};
}

std::vector<std::int64_t> axis_holdouts(const std::vector<std::int64_t>& axis, std::size_t count, std::int64_t align,
                                        std::uint64_t seed) {
  return holdout_sizes(axis.front(), axis.back(), count, align, seed);
}

/// A GEMM dimension as models run them: from 16 up a multiple of 8 (tensor-core alignment), never
/// a grid knot (2^e or 3 x 2^e), and never above the axis' last knot `hi` (a held-out point
/// outside the grid would judge the clamp, not the interpolation); below 16 any number that is
/// not a knot.
std::int64_t model_like(std::int64_t v, std::int64_t hi) {
  if (v < 16) {
    while (is_knot(v) && v > 1) --v;
    return is_knot(v) ? 5 : v;
  }
  v = (v + 4) / 8 * 8;
  while (is_knot(v)) v += 8;
  if (v > hi) {
    v = hi / 8 * 8;
    while (is_knot(v) && v > 16) v -= 8;
  }
  return v;
}

std::vector<kernels::GemmPoint> gemm_holdouts(const std::vector<std::vector<std::int64_t>>& axes, std::size_t count,
                                              core::Dtype dtype, std::uint64_t seed, const std::string& layout) {
  std::vector<std::vector<std::int64_t>> draws;
  for (std::size_t a = 0; a < axes.size(); ++a) draws.push_back(axis_holdouts(axes[a], count, 1, seed * 31 + a));
  std::vector<kernels::GemmPoint> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t batch = axes.size() > 3 ? std::max<std::int64_t>(2, draws[3][i]) : 1;
    out.push_back(kernels::GemmPoint{model_like(draws[0][i], axes[0].back()), model_like(draws[1][i], axes[1].back()),
                                     model_like(draws[2][i], axes[2].back()), batch,
                                     std::string(core::to_string(dtype)), layout});
  }
  return out;
}

void add_holdouts(SweepPlan* p) {
  const double f = p->holdout_fraction;
  for (std::size_t d = 0; d < p->dtypes.size(); ++d) {
    const std::uint64_t s = p->seed * 1000 + d * 10;
    for (std::size_t l = 0; l < p->gemm_layouts.size(); ++l) {
      // nn keeps the seed it always had, so its held-out shapes stay the same.
      const auto& axes = p->gemm_axes_of(p->gemm_layouts[l]);
      const auto plain = gemm_holdouts(axes, holdout_count(product_of_sizes(axes), f), p->dtypes[d],
                                       l == 0 ? s : s + 100 * l, p->gemm_layouts[l]);
      p->holdout_gemms.insert(p->holdout_gemms.end(), plain.begin(), plain.end());
    }
    const auto batched =
        gemm_holdouts(p->batched_axes, holdout_count(product_of_sizes(p->batched_axes), f), p->dtypes[d], s + 1, "nn");
    p->holdout_gemms.insert(p->holdout_gemms.end(), batched.begin(), batched.end());
  }
  p->holdout_memory_bytes = holdout_sizes(p->memory_bytes.front(), p->memory_bytes.back(),
                                          holdout_count(p->memory_bytes.size(), f), 64, p->seed * 1000 + 500);
  p->holdout_link_bytes = holdout_sizes(p->link_bytes.front(), p->link_bytes.back(),
                                        holdout_count(p->link_bytes.size(), f), 1, p->seed * 1000 + 600);
}

}  // namespace

std::string to_string(Backend backend) { return backend == Backend::kCuda ? "cuda" : "cpu"; }

std::string measured_kernel(const std::string& memory_kernel, Backend backend) {
  return memory_kernel == "copy" && backend == Backend::kCuda ? "copy_d2d" : memory_kernel;
}

std::size_t holdout_count(std::size_t fit_points, double fraction) {
  if (fit_points == 0 || fraction <= 0.0) return 0;
  return static_cast<std::size_t>(std::ceil(static_cast<double>(fit_points) * fraction / (1.0 - fraction)));
}

std::vector<std::int64_t> holdout_sizes(std::int64_t lo, std::int64_t hi, std::size_t count, std::int64_t align,
                                        std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> out;
  const double log_lo = std::log(static_cast<double>(lo));
  const double log_hi = std::log(static_cast<double>(hi));
  for (std::size_t i = 0; i < count; ++i) {
    const double x = std::exp(log_lo + (log_hi - log_lo) * unit_draw(rng));
    std::int64_t v = std::max(align, static_cast<std::int64_t>(std::llround(x / static_cast<double>(align))) * align);
    while (is_power_of_two(v) || v < lo) v += align;
    if (v > hi) v -= align;
    while (is_power_of_two(v) && v - align >= 1) v -= align;
    out.push_back(v);
  }
  return out;
}

std::vector<kernels::GemmPoint> SweepPlan::grid_gemms(core::Dtype dtype) const {
  std::vector<kernels::GemmPoint> out;
  const std::string name(core::to_string(dtype));
  for (const auto& layout : gemm_layouts) {
    const auto& axes = gemm_axes_of(layout);
    for (const auto m : axes[0])
      for (const auto n : axes[1])
        for (const auto k : axes[2]) out.push_back(kernels::GemmPoint{m, n, k, 1, name, layout});
  }
  for (const auto m : batched_axes[0])
    for (const auto n : batched_axes[1])
      for (const auto k : batched_axes[2])
        for (const auto b : batched_axes[3]) out.push_back(kernels::GemmPoint{m, n, k, b, name});
  return out;
}

std::size_t SweepPlan::total_points() const {
  std::size_t per_dtype = product_of_sizes(batched_axes);
  for (const auto& layout : gemm_layouts) per_dtype += product_of_sizes(gemm_axes_of(layout));
  const std::size_t gemms = dtypes.size() * per_dtype;
  const std::size_t memory = memory_kernels.size() * (memory_bytes.size() + holdout_memory_bytes.size());
  const std::size_t links = link_kinds.size() * (link_bytes.size() + holdout_link_bytes.size());
  return gemms + holdout_gemms.size() + memory + links + 1;  // + the launch-overhead run
}

SweepPlan make_sweep_plan(Backend backend, bool quick, std::uint64_t seed) {
  SweepPlan p;
  p.backend = backend;
  p.quick = quick;
  p.seed = seed;
  if (backend == Backend::kCuda) set_cuda_grids(&p); else set_cpu_grids(&p);
  add_holdouts(&p);
  return p;
}

}  // namespace gppsim::calibrate
