// Argument checking, layouts and status strings of the C API.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "dpa/dpa.hpp"

TEST_CASE("zoo layout is the release's: bias before kernel, 4970 floats") {
  const dpa_layout* zoo = dpa_zoo_layout();
  REQUIRE(dpa_layout_check(zoo) == DPA_OK);
  const std::uint32_t expected[8][3] = {{0, 16, DPA_SEGMENT_BIAS},    {16, 144, DPA_SEGMENT_KERNEL},
                                        {160, 16, DPA_SEGMENT_BIAS},  {176, 2304, DPA_SEGMENT_KERNEL},
                                        {2480, 16, DPA_SEGMENT_BIAS}, {2496, 2304, DPA_SEGMENT_KERNEL},
                                        {4800, 10, DPA_SEGMENT_BIAS}, {4810, 160, DPA_SEGMENT_KERNEL}};
  for (int i = 0; i < 8; ++i) {
    CHECK(zoo->segments[i].offset == expected[i][0]);
    CHECK(zoo->segments[i].length == expected[i][1]);
    CHECK(zoo->segments[i].kind == expected[i][2]);
  }
  CHECK(std::string(dpa_zoo_segment_name(3)) == "sequential/conv2d_1/kernel:0");
  CHECK(dpa_zoo_segment_name(8) == nullptr);
}

TEST_CASE("the runtime lists its kernels and statistics sets, names resolve both ways") {
  REQUIRE(dpa_kernel_count() >= 2);
  bool scalar_listed = false, best_listed = false;
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) {
    const dpa_kernel k = dpa_kernel_at(i);
    CAPTURE(i);
    CHECK(k != DPA_KERNEL_AUTO);
    for (std::uint32_t j = 0; j < i; ++j) CHECK(std::string(dpa_kernel_name(dpa_kernel_at(j))) != dpa_kernel_name(k));
    scalar_listed |= k == DPA_KERNEL_SCALAR;
    best_listed |= k == dpa_kernel_best();
  }
  CHECK(scalar_listed);
  CHECK(best_listed);
  CHECK(dpa_kernel_available(DPA_KERNEL_SCALAR));
  CHECK(dpa_kernel_available(dpa_kernel_best()));
  CHECK(dpa_kernel_at(dpa_kernel_count()) == DPA_KERNEL_AUTO);
  CHECK(std::string(dpa_kernel_name(static_cast<dpa_kernel>(99))) == "unknown");
  REQUIRE(dpa_stats_set_count() >= 1);
  CHECK(dpa_stats_set_at(0) == DPA_STATS_PAPER);
  CHECK(dpa_stats_set_at(dpa_stats_set_count()) == 0);
  for (std::uint32_t i = 0; i < dpa_stats_set_count(); ++i) {
    const auto set = static_cast<dpa_stats_set>(dpa_stats_set_at(i));
    REQUIRE(dpa_stats_set_name(set) != nullptr);
    CHECK(dpa_stats_per_segment(set) > 0);
    CHECK(dpa_stats_scratch_size(set) <= DPA_STATS_SCRATCH_MAX_BYTES);
  }
  CHECK(dpa_stats_set_name(static_cast<dpa_stats_set>(7)) == nullptr);
}

TEST_CASE("layout check rejects every malformed layout") {
  dpa_segment s[2] = {{0, 10, DPA_SEGMENT_BIAS, 0}, {10, 10, DPA_SEGMENT_KERNEL, 0}};
  dpa_layout l{s, 2, 20};
  CHECK(dpa_layout_check(&l) == DPA_OK);
  CHECK(dpa_layout_check(nullptr) == DPA_ERR_NULL_ARGUMENT);
  struct Damage {
    const char* name;
    std::function<void(dpa_segment*, dpa_layout&)> apply;
    dpa_status expected;
  };
  const Damage damages[] = {
      {"overlap", [](dpa_segment* seg, dpa_layout&) { seg[1].offset = 9; }, DPA_ERR_BAD_LAYOUT},
      {"past the end", [](dpa_segment*, dpa_layout& lay) { lay.total_length = 19; }, DPA_ERR_BAD_LAYOUT},
      {"empty segment", [](dpa_segment* seg, dpa_layout&) { seg[0].length = 0; }, DPA_ERR_BAD_LAYOUT},
      {"offset + length overflows 32 bits",
       [](dpa_segment* seg, dpa_layout&) {
         seg[1] = {0xfffffff0u, 0x20u, DPA_SEGMENT_KERNEL, 0};
       },
       DPA_ERR_BAD_LAYOUT},
      {"unknown kind", [](dpa_segment* seg, dpa_layout&) { seg[0].kind = 9; }, DPA_ERR_BAD_LAYOUT},
      {"no segments", [](dpa_segment*, dpa_layout& lay) { lay.num_segments = 0; }, DPA_ERR_BAD_LAYOUT},
      {"too many segments", [](dpa_segment*, dpa_layout& lay) { lay.num_segments = DPA_MAX_SEGMENTS + 1; },
       DPA_ERR_BAD_LAYOUT},
      {"gaps are allowed",
       [](dpa_segment* seg, dpa_layout& lay) {
         seg[1].offset = 12;
         lay.total_length = 22;
       },
       DPA_OK},
  };
  for (const Damage& d : damages) {
    CAPTURE(std::string(d.name));
    dpa_segment copy[2] = {s[0], s[1]};
    dpa_layout damaged{copy, 2, 20};
    d.apply(copy, damaged);
    CHECK(dpa_layout_check(&damaged) == d.expected);
  }
}

TEST_CASE("compute reports precise argument errors") {
  std::vector<float> w(4970, 0.5f), out(112);
  std::vector<unsigned char> scratch(dpa_stats_scratch_size(DPA_STATS_EXTENDED));
  const dpa_layout* zoo = dpa_zoo_layout();
  volatile int unknown = 99;  // not a constant: an id a corrupt caller could pass
  const auto bad_set = static_cast<dpa_stats_set>(unknown);
  auto call = [&](const dpa_layout* l, dpa_stats_set set, const float* weights, std::size_t n, float* o, std::size_t on,
                  void* sc, std::size_t sn) { return dpa_stats_compute(l, set, weights, n, o, on, sc, sn); };
  CHECK(call(zoo, DPA_STATS_PAPER, w.data(), 4970, out.data(), 56, scratch.data(), scratch.size()) == DPA_OK);
  CHECK(call(nullptr, DPA_STATS_PAPER, w.data(), 4970, out.data(), 56, scratch.data(), scratch.size()) ==
        DPA_ERR_NULL_ARGUMENT);
  CHECK(call(zoo, DPA_STATS_PAPER, nullptr, 4970, out.data(), 56, scratch.data(), scratch.size()) ==
        DPA_ERR_NULL_ARGUMENT);
  CHECK(call(zoo, DPA_STATS_PAPER, w.data(), 4969, out.data(), 56, scratch.data(), scratch.size()) ==
        DPA_ERR_SIZE_MISMATCH);
  CHECK(call(zoo, DPA_STATS_PAPER, w.data(), 4971, out.data(), 56, scratch.data(), scratch.size()) ==
        DPA_ERR_SIZE_MISMATCH);
  CHECK(call(zoo, DPA_STATS_PAPER, w.data(), 4970, out.data(), 55, scratch.data(), scratch.size()) ==
        DPA_ERR_OUTPUT_TOO_SMALL);
  CHECK(call(zoo, DPA_STATS_EXTENDED, w.data(), 4970, out.data(), 111, scratch.data(), scratch.size()) ==
        DPA_ERR_OUTPUT_TOO_SMALL);
  CHECK(call(zoo, DPA_STATS_EXTENDED, w.data(), 4970, out.data(), 112, scratch.data(), 100) ==
        DPA_ERR_SCRATCH_TOO_SMALL);
  CHECK(call(zoo, bad_set, w.data(), 4970, out.data(), 112, scratch.data(), scratch.size()) ==
        DPA_ERR_UNKNOWN_STATS_SET);
  CHECK(dpa_stats_scratch_size(bad_set) == 0);
  // Misaligned scratch works as long as it is big enough.
  std::vector<unsigned char> big(scratch.size() + 8);
  CHECK(call(zoo, DPA_STATS_EXTENDED, w.data(), 4970, out.data(), 112, big.data() + 1, big.size() - 1) == DPA_OK);
  CHECK(dpa_stats_scratch_size(DPA_STATS_EXTENDED) <= dpa::kMaxStatsScratchBytes);
  CHECK(dpa_stats_scratch_size(DPA_STATS_PAPER) <= dpa_stats_scratch_size(DPA_STATS_EXTENDED));
  CHECK(std::string(dpa_status_string(DPA_ERR_NON_FINITE)).find("NaN") != std::string::npos);
  CHECK(std::string(dpa_status_string(static_cast<dpa_status>(unknown + 1000))) == "unknown status");
  CHECK(dpa_kernel_available(DPA_KERNEL_SCALAR));
  CHECK(dpa_kernel_available(dpa_kernel_best()));
}

TEST_CASE("other architectures as data: 64 segments, and one segment of 16 M floats") {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<dpa_segment> segs;
  std::uint32_t offset = 0;
  for (std::uint32_t i = 0; i < 64; ++i) {
    const std::uint32_t len = 1 + (i * 37) % 300;
    segs.push_back({offset, len, i % 2 ? DPA_SEGMENT_KERNEL : DPA_SEGMENT_BIAS, 0});
    offset += len;
  }
  const dpa_layout many{segs.data(), 64, offset};
  std::vector<float> w(offset);
  for (float& v : w) v = normal(rng);
  std::vector<float> out(64 * 7);
  dpa::FeatureExtractor fx(many);
  REQUIRE(fx.compute(w.data(), w.size(), out.data(), out.size()) == DPA_OK);
  for (std::uint32_t i = 0; i < 64; ++i) {
    const float* s = &out[i * 7];
    CHECK(s[0] <= s[1]);
    CHECK(s[1] <= s[2]);
    CHECK(s[2] <= s[3]);
    CHECK(s[3] <= s[4]);
  }

  const std::uint32_t big_n = 16u << 20;
  std::vector<float> big(big_n);
  for (std::uint32_t i = 0; i < big_n; ++i) big[i] = static_cast<float>((i * 2654435761u) % big_n);
  const dpa_segment one{0, big_n, DPA_SEGMENT_KERNEL, 0};
  const dpa_layout huge{&one, 1, big_n};
  dpa::FeatureExtractor fh(huge);
  float hs[7];
  REQUIRE(fh.compute(big.data(), big.size(), hs, 7) == DPA_OK);
  // A permutation of 0..N-1: numpy's percentile is (N-1) * q exactly.
  CHECK(hs[0] == 0.0f);
  CHECK(hs[1] == static_cast<float>((big_n - 1) * 0.25));
  CHECK(hs[2] == static_cast<float>((big_n - 1) * 0.5));
  CHECK(hs[3] == static_cast<float>((big_n - 1) * 0.75));
  CHECK(hs[4] == static_cast<float>(big_n - 1));
}
