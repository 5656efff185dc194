#pragma once
// Host launchers of the device kernels of the CUDA benchmarks (bench_kernels.cu). Every launcher
// enqueues on `stream` and throws CudaError when the launch fails, except launch_empty, whose
// callers check once after a burst. Internal to kernels/cuda.

#include <cuda_runtime.h>

#include <cstdint>

namespace gppsim::kernels::cuda_detail {

/// Row width of layer_norm and softmax (fp32 elements).
inline constexpr std::int64_t kRowWidth = 1024;
/// Threads per block of the row kernels: each thread owns one float4 of the row.
inline constexpr int kRowThreads = static_cast<int>(kRowWidth / 4);
/// Width of one embedding row (fp32 elements).
inline constexpr std::int64_t kEmbeddingDim = 256;
/// Indices summed into one embedding-bag output row.
inline constexpr std::int64_t kBagSize = 8;
/// Threads per block of the grid-stride kernels.
inline constexpr int kBlockThreads = 256;

/// Element type of a filled GEMM operand.
enum class ElementKind { kF32, kF64, kF16, kBF16 };

/// Blocks for a grid-stride kernel over `items` work items: enough to fill `sm_count` SMs many
/// times over, at least 1, never more than needed.
int grid_for(std::int64_t items, int sm_count);

/// data[i] = grid_value(i, seed, levels) converted to `kind`, for i < count.
void launch_fill_grid(void* data, ElementKind kind, std::int64_t count, std::uint64_t seed,
                      std::uint32_t levels, cudaStream_t stream, int sm_count);
/// launch_fill_grid with levels = 8 (eighths_value).
void launch_fill_eighths(void* data, ElementKind kind, std::int64_t count, std::uint64_t seed,
                         cudaStream_t stream, int sm_count);
/// Byte i of data = pattern_byte(i, seed), for i < bytes (data 8-byte aligned).
void launch_fill_bytes(void* data, std::int64_t bytes, std::uint64_t seed, cudaStream_t stream,
                       int sm_count);
/// data[i] = value for i < count.
void launch_fill_constant(float* data, std::int64_t count, float value, cudaStream_t stream,
                          int sm_count);
/// idx[i] = pattern_index(i, modulus, seed) for i < count (modulus <= INT32_MAX).
void launch_fill_indices(int* idx, std::int64_t count, std::int64_t modulus, std::uint64_t seed,
                         cudaStream_t stream, int sm_count);

/// z = x + a * y over n elements (float4 body, scalar tail; pointers 16-byte aligned).
void launch_axpy(const float* x, const float* y, float* z, float a, std::int64_t n,
                 cudaStream_t stream, int sm_count);
/// Per row of kRowWidth: y = (x - mean) / sqrt(var + 1e-5), population variance, two passes
/// over registers; one block per row.
void launch_layer_norm(const float* x, float* y, std::int64_t rows, cudaStream_t stream);
/// Per row of kRowWidth: y = exp(x - max) / sum(exp(x - max)); one block per row.
void launch_softmax(const float* x, float* y, std::int64_t rows, cudaStream_t stream);
/// out[b] = sum over j < kBagSize of table[idx[b * kBagSize + j]], rows of kEmbeddingDim.
void launch_embedding_bag(const float* table, const int* idx, float* out, std::int64_t bags,
                          cudaStream_t stream, int sm_count);
/// An empty kernel <<<1, 1>>>; does not check the launch (callers call cudaGetLastError).
void launch_empty(cudaStream_t stream);

}  // namespace gppsim::kernels::cuda_detail
