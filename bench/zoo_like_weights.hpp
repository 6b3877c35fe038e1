// Synthetic weight vectors shaped like the Small CNN Zoo's: per segment a scale like He
// initialisation, and a mixture of shapes (normal, heavy-tailed, skewed, shrunk to zero) like
// trained networks. A pool of vectors keeps branch predictors from learning one input.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "dpa/dpa.h"

namespace dpa_bench {

inline std::vector<std::vector<float>> zoo_like_weights(std::size_t count, unsigned seed = 42) {
  const dpa_layout* zoo = dpa_zoo_layout();
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::exponential_distribution<float> expo(1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::vector<float>> pool(count, std::vector<float>(zoo->total_length));
  for (std::size_t r = 0; r < count; ++r) {
    const int shape = static_cast<int>(r % 4);
    for (std::uint32_t s = 0; s < zoo->num_segments; ++s) {
      const dpa_segment& seg = zoo->segments[s];
      const float scale = seg.kind == DPA_SEGMENT_BIAS ? 0.05f : std::sqrt(2.0f / (seg.length / 16.0f));
      const float offset = 0.02f * normal(rng);
      for (std::uint32_t i = 0; i < seg.length; ++i) {
        float v;
        switch (shape) {
          case 0: v = normal(rng); break;
          case 1: v = (unit(rng) < 0.5f ? -1.0f : 1.0f) * expo(rng); break;
          case 2: v = normal(rng) + 0.5f * expo(rng); break;
          default: v = unit(rng) < 0.4f ? normal(rng) * 0.01f : normal(rng); break;
        }
        pool[r][seg.offset + i] = offset + scale * v;
      }
    }
  }
  return pool;
}

// Real rows when DPA_BENCH_WEIGHTS names a float32 (N, 4970) npy file (e.g. rows of the
// reference zoo), else the synthetic pool: the benchmarks say which they used.
inline std::vector<std::vector<float>> bench_weights(std::size_t count) {
  const char* path = std::getenv("DPA_BENCH_WEIGHTS");
  if (path == nullptr || *path == 0) return zoo_like_weights(count);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 10) std::abort();
  const std::size_t header = 10 + (static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8));
  const std::size_t row_bytes = 4970 * sizeof(float);
  const std::size_t rows = (bytes.size() - header) / row_bytes;
  std::vector<std::vector<float>> pool;
  for (std::size_t r = 0; r < rows && r < count; ++r) {
    pool.emplace_back(4970);
    std::memcpy(pool.back().data(), bytes.data() + header + r * row_bytes, row_bytes);
  }
  return pool;
}

}  // namespace dpa_bench
