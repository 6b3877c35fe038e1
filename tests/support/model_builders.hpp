// Small random models of each kind, for round-trip, hostile-byte and allocation tests.
#pragma once

#include <cmath>
#include <cstring>
#include <random>

#include "common/errors.hpp"
#include "model/model_spec.hpp"

namespace dpa_test {

// A random tree with leaves at varying depths (up to max_depth), children after parents.
// With sample rows, thresholds are feature values of random rows, so splits divide real data
// the way trained trees do; without, they are uniform in [-0.5, 0.5].
inline dpa::tools::Tree random_tree(std::mt19937& rng, std::uint32_t max_depth, std::uint32_t num_features,
                                    const std::vector<std::vector<float>>* rows = nullptr) {
  dpa::tools::Tree t;
  std::uniform_real_distribution<float> threshold(-0.5f, 0.5f), leaf(-0.1f, 0.1f), coin(0, 1);
  std::uniform_int_distribution<std::uint32_t> feature(0, num_features - 1);
  struct Pending {
    std::int32_t index;
    std::uint32_t depth;
  };
  std::vector<Pending> queue{{0, 0}};
  t.nodes.emplace_back();
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const Pending p = queue[q];
    dpa::tools::TreeNode& n = t.nodes[static_cast<std::size_t>(p.index)];
    if (p.depth == max_depth || (p.depth > 0 && coin(rng) < 0.1f)) {
      n.is_leaf = true;
      n.value = leaf(rng);
      continue;
    }
    n.is_leaf = false;
    n.feature = feature(rng);
    n.threshold = threshold(rng);
    if (rows != nullptr && !rows->empty()) {
      n.threshold = (*rows)[std::uniform_int_distribution<std::size_t>(0, rows->size() - 1)(rng)][n.feature];
    }
    n.left = static_cast<std::int32_t>(t.nodes.size());
    n.right = n.left + 1;
    queue.push_back({n.left, p.depth + 1});
    queue.push_back({n.right, p.depth + 1});
    t.nodes.emplace_back();
    t.nodes.emplace_back();
  }
  return t;
}

// The zoo's paper statistics plus three context values of every kind: a number, a log-scaled
// number and a category.
inline dpa::tools::FeatureSpec zoo_with_context() {
  dpa::tools::FeatureSpec f = dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER);
  dpa::tools::ContextInput step{"step", DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS, {}};
  dpa::tools::ContextInput lr{"config.learning_rate", DPA_CONTEXT_NUMERIC, DPA_CONTEXT_LOG, {}};
  dpa::tools::ContextInput optimizer{
      "config.optimizer", DPA_CONTEXT_CATEGORICAL, DPA_CONTEXT_AS_IS, {"adam", "rmsprop", "sgd"}};
  f.context = {step, lr, optimizer};
  return f;
}

// Context values for zoo_with_context(): epoch 3, learning rate 0.01, rmsprop.
inline std::vector<float> sample_context() { return {3.0f, 0.01f, 1.0f}; }

// A tree of any shape for the sparse layout: a node becomes a leaf with probability leaf_chance
// (so leaves lie anywhere down to max_depth), thresholds come from a small pool shared across
// trees (or are +-inf), and some splits send |x| <= 1e-35 one way whatever the threshold.
inline dpa::tools::Tree random_sparse_tree(std::mt19937& rng, std::uint32_t max_depth, std::uint32_t num_features,
                                           float leaf_chance) {
  static const float kPool[] = {-INFINITY, -0.5f, -0.1f, -1e-36f, 0.0f, 1e-36f, 0.05f, 0.2f, 0.5f, INFINITY};
  std::uniform_real_distribution<float> coin(0.0f, 1.0f), leaf(-1.0f, 1.0f);
  std::uniform_int_distribution<std::uint32_t> feature(0, num_features - 1);
  std::uniform_int_distribution<std::size_t> pool(0, sizeof kPool / sizeof kPool[0] - 1);
  std::uniform_int_distribution<int> zero_mode(0, 5);
  dpa::tools::Tree t;
  struct Pending {
    std::int32_t index;
    std::uint32_t depth;
  };
  std::vector<Pending> stack{{0, 0}};
  t.nodes.emplace_back();
  while (!stack.empty()) {
    const Pending p = stack.back();
    stack.pop_back();
    if (p.depth == max_depth || (p.depth > 0 && coin(rng) < leaf_chance)) {
      t.nodes[static_cast<std::size_t>(p.index)].value = leaf(rng);
      continue;
    }
    const auto left = static_cast<std::int32_t>(t.nodes.size());
    dpa::tools::TreeNode& n = t.nodes[static_cast<std::size_t>(p.index)];
    n.is_leaf = false;
    n.feature = feature(rng);
    n.threshold = kPool[pool(rng)];
    const int mode = zero_mode(rng);
    n.zero_mode = mode == 1 ? DPA_ZERO_LEFT : mode == 2 ? DPA_ZERO_RIGHT : DPA_ZERO_AS_IS;
    n.left = left;
    n.right = left + 1;
    t.nodes.emplace_back();
    t.nodes.emplace_back();
    stack.push_back({left, p.depth + 1});
    stack.push_back({left + 1, p.depth + 1});
  }
  return t;
}

// The deepest tree of `splits` splits: split k (node 2k, threshold 0.01 k on feature k % 56) has a
// leaf on its left (node 2k + 1) and the next split on its right.
inline dpa::tools::Tree chain_tree(std::int32_t splits) {
  dpa::tools::Tree chain;
  for (std::int32_t k = 0; k < splits; ++k) {
    dpa::tools::TreeNode split;
    split.is_leaf = false;
    split.feature = static_cast<std::uint32_t>(k % 56);
    split.threshold = 0.01f * static_cast<float>(k);
    split.left = 2 * k + 1;
    split.right = 2 * k + 2;
    chain.nodes.push_back(split);
    dpa::tools::TreeNode leaf;
    leaf.value = static_cast<float>(k);
    chain.nodes.push_back(leaf);
  }
  chain.nodes.push_back(dpa::tools::TreeNode{});
  return chain;
}

inline dpa::tools::ModelSpec with_tree_layout(dpa::tools::ModelSpec spec, dpa::tools::TreeLayout layout) {
  std::get<dpa::tools::GbdtModel>(spec.predictor).layout = layout;
  return spec;
}

inline dpa::tools::ModelSpec random_gbdt_spec(std::mt19937& rng, std::size_t trees, std::uint32_t depth,
                                              dpa_stats_set set = DPA_STATS_PAPER,
                                              const std::vector<std::vector<float>>* rows = nullptr,
                                              const dpa::tools::FeatureSpec* features = nullptr) {
  dpa::tools::ModelSpec spec;
  spec.features = features ? *features : dpa::tools::FeatureSpec::zoo(set);
  dpa::tools::GbdtModel g;
  g.base_score = 0.5f;
  for (std::size_t i = 0; i < trees; ++i)
    g.trees.push_back(random_tree(rng, depth, spec.features.num_features(), rows));
  spec.predictor = g;
  spec.transform = DPA_OUTPUT_CLAMP01;
  return spec;
}

// A linear model of n raw weights: prediction = transform(sum of weight * inv_scale * w_i), so
// a test chooses the prediction through the weights it passes.
inline dpa::tools::ModelSpec raw_linear_spec(std::uint32_t n, float inv_scale, float weight,
                                             dpa_output_transform transform) {
  dpa::tools::ModelSpec spec;
  spec.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  spec.features.segments = {{0, n, DPA_SEGMENT_KERNEL, 0}};
  spec.features.total_length = n;
  dpa::tools::LinearModel l;
  l.mean.assign(n, 0.0f);
  l.inv_scale.assign(n, inv_scale);
  l.weight.assign(n, weight);
  spec.predictor = l;
  spec.transform = transform;
  return spec;
}

inline std::vector<float> random_vector(std::mt19937& rng, std::size_t n, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

inline dpa::tools::ModelSpec random_linear_spec(
    std::mt19937& rng, const dpa::tools::FeatureSpec& features = dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER)) {
  dpa::tools::ModelSpec spec;
  spec.features = features;
  const std::size_t n = features.num_features();
  dpa::tools::LinearModel l;
  l.intercept = 0.3f;
  l.mean = random_vector(rng, n, 0.1f);
  l.inv_scale = random_vector(rng, n, 1.0f);
  for (float& s : l.inv_scale) s = 1.0f + std::fabs(s);
  l.weight = random_vector(rng, n, 0.2f);
  spec.predictor = l;
  spec.transform = DPA_OUTPUT_SIGMOID;
  spec.target = DPA_TARGET_FINAL_TEST_ACCURACY;
  return spec;
}

inline dpa::tools::ModelSpec random_mlp_spec(
    std::mt19937& rng, std::uint32_t hidden = 8,
    const dpa::tools::FeatureSpec& features = dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER)) {
  dpa::tools::ModelSpec spec;
  spec.features = features;
  const std::uint32_t n = features.num_features();
  dpa::tools::MlpModel m;
  m.mean = random_vector(rng, n, 0.1f);
  m.inv_scale.assign(n, 2.0f);
  const std::uint32_t widths[] = {n, hidden, hidden, 1};
  const dpa_activation acts[] = {DPA_ACTIVATION_RELU, DPA_ACTIVATION_TANH, DPA_ACTIVATION_NONE};
  for (int k = 0; k < 3; ++k) {
    dpa::tools::MlpLayer layer;
    layer.inputs = widths[k];
    layer.outputs = widths[k + 1];
    layer.activation = acts[k];
    layer.weight = random_vector(rng, static_cast<std::size_t>(layer.inputs) * layer.outputs, 0.3f);
    layer.bias = random_vector(rng, layer.outputs, 0.1f);
    m.layers.push_back(layer);
  }
  spec.predictor = m;
  spec.transform = DPA_OUTPUT_SIGMOID;
  return spec;
}

// Model bytes in 16-byte aligned storage, as a file mapped in memory would be.
struct AlignedBytes {
  std::vector<std::uint64_t> storage;
  std::size_t size = 0;
  explicit AlignedBytes(const std::vector<unsigned char>& bytes)
      : storage((bytes.size() + 15) / 8 + 2), size(bytes.size()) {
    if (!bytes.empty()) std::memcpy(data(), bytes.data(), bytes.size());
  }
  unsigned char* data() {
    auto address = reinterpret_cast<std::uintptr_t>(storage.data());
    return reinterpret_cast<unsigned char*>((address + 15) / 16 * 16);
  }
};

}  // namespace dpa_test
