// Proves the runtime never touches the heap: this executable is linked with
// -Wl,--wrap=malloc,... so every allocation anywhere in the process passes through the counters
// below, and operator new/delete are replaced to count as well.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "dpa/dpa.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

extern "C" {
void* __real_malloc(std::size_t);
void* __real_calloc(std::size_t, std::size_t);
void* __real_realloc(void*, std::size_t);
void* __real_aligned_alloc(std::size_t, std::size_t);
void* __wrap_malloc(std::size_t n) {
  ++g_allocations;
  return __real_malloc(n);
}
void* __wrap_calloc(std::size_t a, std::size_t b) {
  ++g_allocations;
  return __real_calloc(a, b);
}
void* __wrap_realloc(void* p, std::size_t n) {
  ++g_allocations;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(std::size_t a, std::size_t n) {
  ++g_allocations;
  return __real_aligned_alloc(a, n);
}
void __real_free(void*);
void __wrap_free(void* p) { __real_free(p); }
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = __real_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { __real_free(p); }
void operator delete(void* p, std::size_t) noexcept { __real_free(p); }

TEST_CASE("the counters see allocations (the wrap is really in place)") {
  const long before = g_allocations.load();
  // Through volatile pointers, so the compiler cannot elide the pairs.
  void* (*volatile allocate)(std::size_t) = std::malloc;
  void (*volatile release)(void*) = std::free;
  release(allocate(16));
  std::vector<int> grown(100, 1);
  CHECK(grown[99] == 1);
  CHECK(g_allocations.load() - before == 2);
}

TEST_CASE("statistics: zero allocations in a call, every set and kernel") {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(4970);
  for (float& v : w) v = normal(rng);
  w[10] = std::numeric_limits<float>::quiet_NaN();  // the non-finite path too
  std::vector<float> out(112);
  for (std::uint32_t ki = 0; ki < dpa_kernel_count(); ++ki) {
    const dpa_kernel k = dpa_kernel_at(ki);
    if (!dpa_kernel_available(k)) continue;
    for (std::uint32_t si = 0; si < dpa_stats_set_count(); ++si) {
      const auto set = static_cast<dpa_stats_set>(dpa_stats_set_at(si));
      dpa::FeatureExtractor fx(dpa::zoo_layout(), set, k);
      const long before = g_allocations.load();
      for (int i = 0; i < 20; ++i) {
        w[10] = i % 2 ? 0.1f : std::numeric_limits<float>::quiet_NaN();
        fx.compute(w.data(), w.size(), out.data(), out.size());
      }
      CHECK(g_allocations.load() == before);
    }
  }
}

TEST_CASE("models: zero allocations in load, predict and early-stop checks, every predictor kind") {
  std::mt19937 rng(2);
  const dpa::tools::FeatureSpec with_context = dpa_test::zoo_with_context();
  std::vector<dpa::tools::ModelSpec> specs = {
      dpa_test::random_gbdt_spec(rng, 20, 6),
      dpa_test::random_linear_spec(rng),
      dpa_test::random_mlp_spec(rng),
      dpa_test::random_gbdt_spec(rng, 20, 6, DPA_STATS_PAPER, nullptr, &with_context),
      dpa_test::random_linear_spec(rng, with_context),
      dpa_test::random_mlp_spec(rng, 8, with_context)};
  const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.1f);
  const std::vector<float> context = dpa_test::sample_context();
  for (auto& spec : specs) {
    spec.target = DPA_TARGET_FINAL_TEST_ACCURACY;                 // early stopping takes no other
    dpa_test::AlignedBytes bytes(dpa::tools::write_model(spec));  // the host side may allocate
    static unsigned char scratch[1 << 16];
    const long before = g_allocations.load();
    dpa_model m;
    REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
    REQUIRE(dpa_model_scratch_size(&m) <= sizeof scratch);
    float p = 0;
    const dpa_inputs inputs{w.data(), w.size(), m.num_context ? context.data() : nullptr, m.num_context};
    for (int i = 0; i < 10; ++i) {
      CHECK(dpa_model_predict_inputs(&m, &inputs, &p, scratch, sizeof scratch) == DPA_OK);
    }
    float code = 0;
    if (m.num_context > 0) CHECK(dpa_model_context_code(&m, 2, "sgd", &code) == DPA_OK);
    dpa_early_stop state;
    dpa_early_stop_init(&state, 0.5f, 0.2f);
    dpa_decision decision;
    CHECK(dpa_early_stop_check_inputs(&m, &state, &inputs, scratch, sizeof scratch, &p, &decision) == DPA_OK);
    CHECK(g_allocations.load() == before);
  }
}
