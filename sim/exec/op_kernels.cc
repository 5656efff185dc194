#include "sim/exec/op_kernels.h"

#include <cblas.h>

#include <cmath>
#include <cstring>

#include "sim/core/check.h"
#include "sim/exec/attention_kernels.h"

namespace gppsim::exec {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int to_int(std::size_t v) { return static_cast<int>(v); }
int to_int(std::int64_t v) { return static_cast<int>(v); }

// The pre-LayerNorm of a linear op (k scales and k shifts after W and the bias), into a new buffer.
Buffer normalized_input(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) {
  const float* scale = params + op.k * op.n + op.n;
  const std::size_t rows = x.size() / static_cast<std::size_t>(op.k);
  Buffer out(mem, rows, static_cast<std::size_t>(op.k));
  layer_norm_forward(x.data(), rows, static_cast<std::size_t>(op.k), scale, scale + op.k, out.data());
  return out;
}

// Column sums of a (rows x cols) matrix added into `out`.
void add_column_sums(const float* m, std::size_t rows, std::size_t cols, float* out) {
  for (std::size_t r = 0; r < rows; ++r) add_into(out, m + r * cols, cols);
}

}  // namespace

namespace {
// The table row of the j-th member of a sample's bag.
std::size_t bag_row(const ExecOp& op, std::uint64_t seed, std::uint64_t sample, std::int64_t j) {
  const float u = seeded_uniform(seed, 1 + op.id, sample, 1000000007ULL + static_cast<std::uint64_t>(j));
  return static_cast<std::size_t>((u + 1.0f) * 0.5f * static_cast<float>(op.table_rows)) %
         static_cast<std::size_t>(op.table_rows);
}
}  // namespace

float seeded_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  const std::uint64_t h = splitmix64(splitmix64(splitmix64(seed ^ 0x5851f42d4c957f2dULL) ^ a) ^ b) ^ c;
  // 24 random bits -> [0, 1) exactly representable in float, then [-1, 1).
  return static_cast<float>(splitmix64(h) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

void init_parameters(const ExecOp& op, std::uint64_t seed, float* params) {
  const auto n = static_cast<std::size_t>(op.parameters);
  const bool gemm = op.kind == ExecOpKind::kLinear || op.kind == ExecOpKind::kAttention;
  const float bound = gemm ? 1.0f / std::sqrt(static_cast<float>(op.k)) : 0.1f;
  for (std::size_t i = 0; i < n; ++i) params[i] = bound * seeded_uniform(seed, 1 + op.id, 7, i);
  // Attention's LayerNorm scales (its first h parameters) start near 1.
  for (std::int64_t j = 0; op.kind == ExecOpKind::kAttention && j < op.k; ++j) params[j] += 1.0f;
  if (op.kind != ExecOpKind::kLinear) return;
  float* bias = params + op.k * op.n;
  for (std::int64_t j = 0; op.bias && j < op.n; ++j) bias[j] = 0.1f * seeded_uniform(seed, 1 + op.id, 8, static_cast<std::uint64_t>(j));
  float* scale = bias + op.n;
  for (std::int64_t j = 0; op.scale && j < op.k; ++j) scale[j] = 1.0f + 0.1f * seeded_uniform(seed, 1 + op.id, 9, static_cast<std::uint64_t>(j));
}

Buffer make_dataset(const ExecOp& op, std::uint64_t seed, std::int64_t samples, MemoryCounter& mem) {
  Buffer out(mem, static_cast<std::size_t>(samples), static_cast<std::size_t>(op.out_width));
  std::vector<float> host(out.size());
  for (std::size_t r = 0; r < out.rows(); ++r) {
    for (std::size_t j = 0; j < out.cols(); ++j) host[r * out.cols() + j] = seeded_uniform(seed, 1 + op.id, r, j);
  }
  mem.device().upload(out.data(), host.data(), host.size());
  return out;
}

std::vector<std::int32_t> bag_indices(const ExecOp& op, std::uint64_t seed, std::int64_t first, std::size_t rows) {
  std::vector<std::int32_t> index;
  index.reserve(rows * static_cast<std::size_t>(op.bag));
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < op.bag; ++j) {
      index.push_back(static_cast<std::int32_t>(bag_row(op, seed, static_cast<std::uint64_t>(first) + r, j)));
    }
  }
  return index;
}

Tensor input_forward(const Buffer& dataset, std::int64_t first, std::size_t rows, MemoryCounter& mem) {
  auto out = std::make_shared<Buffer>(mem, rows, dataset.cols());
  mem.device().copy(out->data(), dataset.row(static_cast<std::size_t>(first)), out->size());
  return out;
}

Tensor concat(const std::vector<Tensor>& inputs, MemoryCounter& mem) {
  GPPSIM_CHECK(!inputs.empty(), "concat of nothing");
  std::size_t cols = 0;
  for (const auto& t : inputs) cols += t->cols();
  const std::size_t rows = inputs.front()->rows();
  auto out = std::make_shared<Buffer>(mem, rows, cols);
  std::size_t offset = 0;
  for (const auto& t : inputs) {
    mem.device().copy_2d(out->data() + offset, cols, t->data(), t->cols(), t->cols(), rows);
    offset += t->cols();
  }
  return out;
}

std::vector<Tensor> split_columns(const Buffer& grad, const std::vector<std::int64_t>& widths, MemoryCounter& mem) {
  std::vector<Tensor> out;
  std::size_t offset = 0;
  for (const auto w : widths) {
    auto t = std::make_shared<Buffer>(mem, grad.rows(), static_cast<std::size_t>(w));
    mem.device().copy_2d(t->data(), t->cols(), grad.data() + offset, grad.cols(), t->cols(), grad.rows());
    offset += t->cols();
    out.push_back(std::move(t));
  }
  GPPSIM_CHECK(offset == grad.cols(), "split widths do not cover the gradient");
  return out;
}

void add_into(float* out, const float* in, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] += in[i];
}

namespace cpu {

Tensor linear_forward(const ExecOp& op, const float* params, const Buffer& x, MemoryCounter& mem) {
  const std::size_t tokens = x.size() / static_cast<std::size_t>(op.k);
  auto y = std::make_shared<Buffer>(mem, x.rows(), static_cast<std::size_t>(op.out_width));
  Buffer scaled;
  if (op.scale) scaled = normalized_input(op, params, x, mem);
  const float* a = op.scale ? scaled.data() : x.data();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, to_int(tokens), to_int(op.n), to_int(op.k), 1.0f, a,
              to_int(op.k), params, to_int(op.n), 0.0f, y->data(), to_int(op.n));
  const float* bias = params + op.k * op.n;
  const auto n = static_cast<std::size_t>(op.n);
  for (std::size_t t = 0; t < tokens; ++t) {
    float* row = y->data() + t * n;
    for (std::size_t j = 0; j < n; ++j) {
      const float z = row[j] + (op.bias ? bias[j] : 0.0f);
      row[j] = z > 0.0f ? z : 0.0f;
    }
  }
  return y;
}

Tensor linear_backward_input(const ExecOp& op, const float* params, const Buffer& x, const Buffer& y, Buffer& grad,
                             float* grads, MemoryCounter& mem) {
  const std::size_t tokens = x.size() / static_cast<std::size_t>(op.k);
  for (std::size_t i = 0; i < grad.size(); ++i) grad.data()[i] = y.data()[i] > 0.0f ? grad.data()[i] : 0.0f;
  auto dx = std::make_shared<Buffer>(mem, x.rows(), x.cols());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, to_int(tokens), to_int(op.k), to_int(op.n), 1.0f, grad.data(),
              to_int(op.n), params, to_int(op.n), 0.0f, dx->data(), to_int(op.k));
  float* dbias = grads + op.k * op.n;
  if (op.bias) add_column_sums(grad.data(), tokens, static_cast<std::size_t>(op.n), dbias);
  if (!op.scale) return dx;
  // dx holds d(normalised input); through the LayerNorm to the input.
  Buffer dxn = std::move(*dx);
  dx = std::make_shared<Buffer>(mem, x.rows(), x.cols());
  const float* scale = params + op.k * op.n + op.n;
  float* dscale = dbias + op.n;
  layer_norm_backward(x.data(), tokens, static_cast<std::size_t>(op.k), scale, dxn.data(), dx->data(), dscale,
                      dscale + op.k);
  return dx;
}

void linear_backward_weight(const ExecOp& op, const float* params, const Buffer& x, const Buffer& dz, float* grads,
                            MemoryCounter& mem) {
  const std::size_t tokens = x.size() / static_cast<std::size_t>(op.k);
  Buffer scaled;
  if (op.scale) scaled = normalized_input(op, params, x, mem);
  const float* a = op.scale ? scaled.data() : x.data();
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, to_int(op.k), to_int(op.n), to_int(tokens), 1.0f, a,
              to_int(op.k), dz.data(), to_int(op.n), 1.0f, grads, to_int(op.n));
}

Tensor embedding_forward(const ExecOp& op, const float* table, const std::vector<std::int32_t>& index,
                         std::size_t rows, MemoryCounter& mem) {
  auto out = std::make_shared<Buffer>(mem, rows, static_cast<std::size_t>(op.out_width));
  const auto dim = static_cast<std::size_t>(op.out_width);
  const auto bag = static_cast<std::size_t>(op.bag);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < bag; ++j) add_into(out->row(r), table + static_cast<std::size_t>(index[r * bag + j]) * dim, dim);
  }
  return out;
}

void embedding_backward(const ExecOp& op, const std::vector<std::int32_t>& index, const Buffer& grad, float* grads) {
  const auto dim = static_cast<std::size_t>(op.out_width);
  const auto bag = static_cast<std::size_t>(op.bag);
  for (std::size_t r = 0; r < grad.rows(); ++r) {
    for (std::size_t j = 0; j < bag; ++j) add_into(grads + static_cast<std::size_t>(index[r * bag + j]) * dim, grad.row(r), dim);
  }
}

}  // namespace cpu
}  // namespace gppsim::exec
