// The flat model format: writer -> bytes -> verifier -> predictors, against plain references.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dpa/dpa.hpp"
#include "model/model_writer.hpp"
#include "model/tree_layout.hpp"
#include "predict/predictors.hpp"
#include "support/model_builders.hpp"
#include "support/reference_stats.hpp"

using dpa_test::AlignedBytes;

namespace {

std::vector<float> paper_features(const std::vector<float>& w) {
  dpa::FeatureExtractor fx;
  std::vector<float> f(56);
  REQUIRE(fx.compute(w.data(), w.size(), f.data(), f.size()) == DPA_OK);
  return f;
}

float predict(const dpa_model& m, const std::vector<float>& w) {
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  float p = -1.0f;
  REQUIRE(dpa_model_predict(&m, w.data(), w.size(), &p, scratch.data(), scratch.size()) == DPA_OK);
  return p;
}

double reference_linear(const dpa::tools::LinearModel& l, const std::vector<float>& x) {
  double sum = l.intercept;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sum += static_cast<double>(l.weight[i]) * ((static_cast<double>(x[i]) - l.mean[i]) * l.inv_scale[i]);
  }
  return sum;
}

double reference_mlp(const dpa::tools::MlpModel& m, const std::vector<float>& x) {
  std::vector<double> in(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) in[i] = (static_cast<double>(x[i]) - m.mean[i]) * m.inv_scale[i];
  for (const auto& layer : m.layers) {
    std::vector<double> out(layer.outputs);
    for (std::uint32_t o = 0; o < layer.outputs; ++o) {
      double acc = layer.bias[o];
      for (std::uint32_t i = 0; i < layer.inputs; ++i) acc += layer.weight[o * layer.inputs + i] * in[i];
      double v = static_cast<float>(acc);
      if (layer.activation == DPA_ACTIVATION_RELU) v = std::max(0.0, v);
      if (layer.activation == DPA_ACTIVATION_TANH) v = std::tanh(static_cast<float>(v));
      out[o] = static_cast<float>(v);
    }
    in = out;
  }
  return in[0];
}

float sigmoid(double s) { return 1.0f / (1.0f + std::exp(-static_cast<float>(s))); }

// The model's prediction from features f is the node-by-node reference's, bit for bit.
void check_matches_reference(const dpa_model& m, const dpa::tools::GbdtModel& g, const std::vector<float>& f) {
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  float got = 0;
  REQUIRE(dpa_model_predict_features(&m, f.data(), f.size(), &got, scratch.data(), scratch.size()) == DPA_OK);
  CHECK(dpa_test::bits_of(got) == dpa_test::bits_of(dpa::tools::reference_gbdt_score(g, f.data())));
}

}  // namespace

TEST_CASE("GBDT round trip: complete and sparse trees equal node-by-node traversal to the last bit") {
  std::mt19937 rng(11);
  const std::pair<dpa::tools::TreeLayout, std::uint32_t> layouts[] = {
      {dpa::tools::TreeLayout::complete, DPA_SECTION_GBDT}, {dpa::tools::TreeLayout::sparse, DPA_SECTION_SPARSE_GBDT}};
  for (const auto& [layout, section] : layouts) {
    for (std::uint32_t depth : {1u, 3u, 6u, 8u}) {
      for (std::size_t trees : {1ul, 3ul, 7ul, 64ul}) {
        dpa::tools::ModelSpec spec = dpa_test::with_tree_layout(dpa_test::random_gbdt_spec(rng, trees, depth), layout);
        spec.transform = DPA_OUTPUT_IDENTITY;
        AlignedBytes bytes(dpa::tools::write_model(spec));
        dpa_model m;
        REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
        CHECK(m.predictor == section);
        CHECK(m.num_features == 56);
        std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
        const auto& g = std::get<dpa::tools::GbdtModel>(spec.predictor);
        for (int row = 0; row < 50; ++row) {
          const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.3f);
          const std::vector<float> f = paper_features(w);
          const float want = dpa::tools::reference_gbdt_score(g, f.data());
          CHECK(dpa_test::bits_of(predict(m, w)) == dpa_test::bits_of(want));
          float from_features = 0;
          REQUIRE(dpa_model_predict_features(&m, f.data(), f.size(), &from_features, scratch.data(), scratch.size()) ==
                  DPA_OK);
          CHECK(dpa_test::bits_of(from_features) == dpa_test::bits_of(want));
        }
      }
    }
  }
}

TEST_CASE("sparse trees of any shape: deep, unbalanced, zero modes, infinite thresholds") {
  std::mt19937 rng(12);
  const std::uint32_t kFeatures = 56;
  for (std::uint32_t max_depth : {1u, 5u, 20u, DPA_MODEL_MAX_SPARSE_DEPTH}) {
    for (float leaf_chance : {0.05f, 0.3f}) {
      dpa::tools::ModelSpec spec = dpa_test::random_gbdt_spec(rng, 1, 1);
      auto& g = std::get<dpa::tools::GbdtModel>(spec.predictor);
      g.trees.clear();
      // Deep trees need a leaf chance above one half, or they grow without bound.
      for (int t = 0; t < 40; ++t) {
        g.trees.push_back(
            dpa_test::random_sparse_tree(rng, max_depth, kFeatures, max_depth > 10 ? 0.5f + leaf_chance : leaf_chance));
      }
      if (max_depth == DPA_MODEL_MAX_SPARSE_DEPTH) g.trees.push_back(dpa_test::chain_tree(DPA_MODEL_MAX_SPARSE_DEPTH));
      spec.transform = DPA_OUTPUT_IDENTITY;
      AlignedBytes bytes(dpa::tools::write_model(spec));  // automatic: only sparse can hold these
      dpa_model m;
      REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
      REQUIRE(m.predictor == DPA_SECTION_SPARSE_GBDT);
      std::uniform_int_distribution<int> pick(0, 5);
      const float kValues[] = {0.0f, -0.0f, 1e-36f, -1e-35f, 0.2f, -0.5f};
      for (int row = 0; row < 200; ++row) {
        // Values at, just beside and between the pool's thresholds, zeros that zero modes catch.
        std::vector<float> f = dpa_test::random_vector(rng, kFeatures, 0.4f);
        for (float& x : f) {
          if (pick(rng) < 2) x = kValues[pick(rng)];
          if (pick(rng) == 0) x = std::nextafter(x, pick(rng) < 3 ? -1.0f : 1.0f);
        }
        check_matches_reference(m, g, f);
      }
    }
  }
}

TEST_CASE("tree sections are exactly as long as their trees: two bytes more or less are refused") {
  std::mt19937 rng(14);
  const dpa::tools::ModelSpec spec = dpa_test::random_gbdt_spec(rng, 5, 4);
  const auto& g = std::get<dpa::tools::GbdtModel>(spec.predictor);
  dpa::tools::GbdtModel half = g;
  dpa::tools::round_leaves_to_half(half);
  using Verify = dpa_status (*)(const dpa::detail::Region&, dpa_model*);
  const std::pair<dpa::tools::EncodedTrees, Verify> sections[] = {
      {dpa::tools::encode_complete(g, 56), dpa::detail::verify_gbdt},
      {dpa::tools::encode_sparse(g, 56), dpa::detail::verify_sparse_gbdt},
      {dpa::tools::encode_sparse(half, 56), dpa::detail::verify_sparse_gbdt}};
  for (const auto& [encoded, verify] : sections) {
    REQUIRE(encoded.ok());
    std::vector<std::uint32_t> words(encoded.bytes.size() / 4 + 2, 0);  // aligned, with room to spare
    std::memcpy(words.data(), encoded.bytes.data(), encoded.bytes.size());
    const auto* data = reinterpret_cast<const unsigned char*>(words.data());
    const auto size = static_cast<std::uint32_t>(encoded.bytes.size());
    dpa_model m{};
    m.num_features = 56;
    CHECK(verify({data, size}, &m) == DPA_OK);
    CHECK(verify({data, size + 2}, &m) == DPA_ERR_MODEL_TREES);
    CHECK(verify({data, size - 2}, &m) == DPA_ERR_MODEL_TREES);
  }
  // Linear and MLP sections too, as the writer lays them out in a file.
  const std::pair<dpa::tools::ModelSpec, std::uint32_t> others[] = {
      {dpa_test::random_linear_spec(rng), DPA_SECTION_LINEAR}, {dpa_test::random_mlp_spec(rng, 4), DPA_SECTION_MLP}};
  for (const auto& [other, type] : others) {
    AlignedBytes file(dpa::tools::write_model(other));
    dpa_model m{};
    REQUIRE(dpa_model_load(file.data(), file.size, &m) == DPA_OK);
    dpa_model_header h;
    std::memcpy(&h, file.data(), sizeof h);
    const auto* entries = reinterpret_cast<const dpa_section_entry*>(file.data() + h.section_table_offset);
    for (std::uint32_t i = 0; i < h.section_count; ++i) {
      if (entries[i].type != type) continue;
      const dpa::detail::Region exact{file.data() + entries[i].offset, entries[i].size};
      const auto* kind = dpa::detail::find_predictor(type);
      CHECK(kind->verify(exact, &m) == DPA_OK);
      CHECK(kind->verify({exact.data, exact.size - 4}, &m) != DPA_OK);
      CHECK(kind->verify({exact.data, exact.size + 4}, &m) != DPA_OK);  // the padding after it
    }
  }
}

TEST_CASE("float16 leaves: exact decoding, rounding to nearest even, trees bit-identical to their reference") {
  // Every finite half survives a round trip; every midpoint between neighbours rounds to the even
  // one, and anything just past it to the farther one.
  for (std::uint32_t h = 0; h < 0x7C00u; ++h) {
    for (const std::uint32_t sign : {0u, 0x8000u}) {
      const auto half = static_cast<std::uint16_t>(h | sign);
      const float v = dpa_half_to_float(half);
      REQUIRE(dpa::tools::float_to_half(v) == half);
      if (h + 1 == 0x7C00u) continue;
      const float next = dpa_half_to_float(static_cast<std::uint16_t>((h + 1) | sign));
      const float mid = (v + next) / 2;  // exact: halves have 11 significant bits
      CHECK(dpa::tools::float_to_half(mid) == ((h & 1u) ? static_cast<std::uint16_t>((h + 1) | sign) : half));
      CHECK(dpa::tools::float_to_half(std::nextafter(mid, next)) == static_cast<std::uint16_t>((h + 1) | sign));
    }
  }
  CHECK(dpa::tools::float_to_half(65520.0f) == 0x7C00u);  // past the largest half: infinity
  CHECK(std::isinf(dpa_half_to_float(0x7C00u)));

  std::mt19937 rng(15);
  dpa::tools::ModelSpec spec = dpa_test::random_gbdt_spec(rng, 1, 1);
  auto& g = std::get<dpa::tools::GbdtModel>(spec.predictor);
  g.trees.clear();
  for (int t = 0; t < 30; ++t) g.trees.push_back(dpa_test::random_sparse_tree(rng, 12, 56, 0.3f));
  g.trees.push_back(dpa_test::chain_tree(DPA_MODEL_MAX_SPARSE_DEPTH));
  spec.transform = DPA_OUTPUT_IDENTITY;
  g.leaves = DPA_LEAF_FLOAT16;
  CHECK_THROWS_WITH_AS(dpa::tools::write_model(spec), doctest::Contains("rounded to float16"), dpa::tools::ToolError);
  const std::size_t f32_bytes = [&] {
    dpa::tools::ModelSpec f32 = spec;
    std::get<dpa::tools::GbdtModel>(f32.predictor).leaves = DPA_LEAF_FLOAT32;
    return dpa::tools::write_model(f32).size();
  }();
  dpa::tools::round_leaves_to_half(g);
  CHECK_THROWS_WITH_AS(dpa::tools::write_model(dpa_test::with_tree_layout(spec, dpa::tools::TreeLayout::complete)),
                       doctest::Contains("float32 leaves only"), dpa::tools::ToolError);
  AlignedBytes bytes(dpa::tools::write_model(spec));
  CHECK(bytes.size < f32_bytes);
  dpa_model m;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
  REQUIRE(m.predictor == DPA_SECTION_SPARSE_GBDT);
  CHECK(static_cast<const dpa_sparse_gbdt_section*>(m.predictor_section)->leaf_format == DPA_LEAF_FLOAT16);
  for (int row = 0; row < 300; ++row) check_matches_reference(m, g, dpa_test::random_vector(rng, 56, 0.4f));
}

TEST_CASE("tree layouts: automatic takes the smaller, each says what it cannot hold") {
  std::mt19937 rng(13);
  const auto section_of = [](const dpa::tools::ModelSpec& spec) {
    AlignedBytes bytes(dpa::tools::write_model(spec));
    dpa_model m;
    REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
    return std::make_pair(m.predictor, bytes.size);
  };
  // Depth-6 trees with leaves at varying depths: sparse is smaller; full depth-2 trees: complete is.
  const dpa::tools::ModelSpec ragged = dpa_test::random_gbdt_spec(rng, 50, 6);
  const auto automatic = section_of(ragged);
  const auto complete = section_of(dpa_test::with_tree_layout(ragged, dpa::tools::TreeLayout::complete));
  CHECK(automatic.first == DPA_SECTION_SPARSE_GBDT);
  CHECK(automatic.second < complete.second);
  dpa::tools::ModelSpec full = dpa_test::random_gbdt_spec(rng, 1, 1);
  auto& g = std::get<dpa::tools::GbdtModel>(full.predictor);
  for (int t = 0; t < 20; ++t) g.trees.push_back(dpa_test::random_sparse_tree(rng, 2, 56, 0.0f));
  for (auto& tree : g.trees) {
    for (auto& n : tree.nodes) {
      n.zero_mode = DPA_ZERO_AS_IS;
      n.threshold =
          std::isfinite(n.threshold) ? n.threshold + 0.001f * static_cast<float>(&n - tree.nodes.data()) : 0.3f;
    }
  }
  CHECK(section_of(full).first == DPA_SECTION_GBDT);
  // What each layout cannot hold, named.
  dpa::tools::ModelSpec deep = dpa_test::random_gbdt_spec(rng, 1, 1);
  std::get<dpa::tools::GbdtModel>(deep.predictor).trees = {dpa_test::chain_tree(DPA_MODEL_MAX_SPARSE_DEPTH + 1)};
  CHECK_THROWS_WITH_AS(dpa::tools::write_model(deep), doctest::Contains("deeper than 64"), dpa::tools::ToolError);
  CHECK_THROWS_WITH_AS(dpa::tools::write_model(dpa_test::with_tree_layout(deep, dpa::tools::TreeLayout::complete)),
                       doctest::Contains("complete trees stop at 12"), dpa::tools::ToolError);
  // More trees than the format holds: the message says the limit (#28 item 16).
  dpa::tools::ModelSpec many = dpa_test::random_gbdt_spec(rng, 1, 1);
  auto& many_trees = std::get<dpa::tools::GbdtModel>(many.predictor).trees;
  many_trees.assign(DPA_MODEL_MAX_TREES + 1, many_trees.front());
  CHECK_THROWS_WITH_AS(dpa::tools::write_model(many),
                       doctest::Contains("1048577 trees, more than the format's limit of 1048576"),
                       dpa::tools::ToolError);
}

TEST_CASE("linear and MLP round trips equal plain evaluations") {
  std::mt19937 rng(5);
  dpa::tools::ModelSpec lin = dpa_test::random_linear_spec(rng);
  dpa::tools::ModelSpec mlp = dpa_test::random_mlp_spec(rng);
  AlignedBytes lin_bytes(dpa::tools::write_model(lin)), mlp_bytes(dpa::tools::write_model(mlp));
  dpa_model lm, mm;
  REQUIRE(dpa_model_load(lin_bytes.data(), lin_bytes.size, &lm) == DPA_OK);
  REQUIRE(dpa_model_load(mlp_bytes.data(), mlp_bytes.size, &mm) == DPA_OK);
  CHECK(lm.target == DPA_TARGET_FINAL_TEST_ACCURACY);
  CHECK(mm.work_floats == 16);  // two halves of the widest layer
  for (int row = 0; row < 100; ++row) {
    const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
    const std::vector<float> f = paper_features(w);
    CHECK(predict(lm, w) ==
          sigmoid(static_cast<float>(reference_linear(std::get<dpa::tools::LinearModel>(lin.predictor), f))));
    CHECK(predict(mm, w) == sigmoid(reference_mlp(std::get<dpa::tools::MlpModel>(mlp.predictor), f)));
  }
}

TEST_CASE("raw-weight features, output transforms, metadata and unknown sections") {
  std::mt19937 rng(9);
  dpa::tools::ModelSpec spec;
  spec.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  spec.features.segments = {{0, 10, DPA_SEGMENT_KERNEL, 0}};
  spec.features.total_length = 10;
  dpa::tools::LinearModel l;
  l.intercept = 2.0f;
  l.mean.assign(10, 0.0f);
  l.inv_scale.assign(10, 1.0f);
  l.weight.assign(10, 1.0f);
  spec.predictor = l;
  spec.transform = DPA_OUTPUT_CLAMP01;
  dpa::tools::Provenance prov;
  prov.train_rows = 123;
  prov.test_r2 = 0.9f;
  prov.text = "zoo=unit\n";
  spec.provenance = prov;
  AlignedBytes bytes(dpa::tools::write_model(spec));
  dpa_model m;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
  REQUIRE(m.metadata != nullptr);
  CHECK(static_cast<const dpa_metadata_section*>(m.metadata)->train_rows == 123);
  CHECK(std::string(m.metadata_text, m.metadata_text_bytes) == "zoo=unit\n");
  std::vector<float> w(10, -1.0f);
  CHECK(predict(m, w) == 0.0f);  // 2 - 10 clamped
  w.assign(10, 0.5f);
  CHECK(predict(m, w) == 1.0f);  // 2 + 5 clamped
  w[3] = NAN;
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  float p = 0;
  CHECK(dpa_model_predict(&m, w.data(), 10, &p, scratch.data(), scratch.size()) == DPA_ERR_NON_FINITE);
  CHECK(std::isnan(p));
  CHECK(dpa_model_predict(&m, w.data(), 9, &p, scratch.data(), scratch.size()) == DPA_ERR_SIZE_MISMATCH);
  CHECK(dpa_model_predict(&m, w.data(), 10, &p, scratch.data(), 0) == DPA_ERR_SCRATCH_TOO_SMALL);

  // A later minor version may append section types this reader does not know: skipped.
  std::vector<unsigned char> raw(bytes.data(), bytes.data() + bytes.size);
  dpa_model_header h;
  std::memcpy(&h, raw.data(), sizeof h);
  auto* entries = reinterpret_cast<dpa_section_entry*>(raw.data() + h.section_table_offset);
  entries[h.section_count - 1].type = 999;  // the metadata section becomes unknown
  const std::uint32_t crc = dpa_crc32(raw.data() + 12, raw.size() - 12);
  std::memcpy(raw.data() + 8, &crc, 4);
  AlignedBytes patched(raw);
  REQUIRE(dpa_model_load(patched.data(), patched.size, &m) == DPA_OK);
  CHECK(m.metadata == nullptr);
}

TEST_CASE("load reports precise errors") {
  std::mt19937 rng(3);
  const std::vector<unsigned char> good = dpa::tools::write_model(dpa_test::random_gbdt_spec(rng, 4, 3));
  dpa_model m;
  auto load = [&](std::vector<unsigned char> bytes, bool fix_crc = true) {
    if (fix_crc && bytes.size() >= 32) {
      const std::uint32_t crc = dpa_crc32(bytes.data() + 12, bytes.size() - 12);
      std::memcpy(bytes.data() + 8, &crc, 4);
    }
    AlignedBytes a(bytes);
    return dpa_model_load(a.data(), a.size, &m);
  };
  CHECK(load(good) == DPA_OK);
  CHECK(dpa_model_load(nullptr, 10, &m) == DPA_ERR_NULL_ARGUMENT);
  CHECK(load({good.begin(), good.begin() + 31}, false) == DPA_ERR_MODEL_TRUNCATED);
  CHECK(load({good.begin(), good.end() - 1}, false) == DPA_ERR_MODEL_TRUNCATED);
  auto bad = good;
  bad[0] = 'X';
  CHECK(load(bad, false) == DPA_ERR_MODEL_MAGIC);
  bad = good;
  bad[12] = 3;  // major version 3
  CHECK(load(bad) == DPA_ERR_MODEL_VERSION);
  bad[12] = 0;
  CHECK(load(bad) == DPA_ERR_MODEL_VERSION);
  bad = good;
  bad[100] ^= 1;
  CHECK(load(bad, false) == DPA_ERR_MODEL_CHECKSUM);
  {
    std::vector<unsigned char> shifted(1);
    shifted.insert(shifted.end(), good.begin(), good.end());
    AlignedBytes a(shifted);  // the model starts one byte past a 16-byte boundary
    CHECK(dpa_model_load(a.data() + 1, good.size(), &m) == DPA_ERR_MODEL_ALIGNMENT);
  }
  // Feature index out of range in the first tree node.
  dpa_model_header h;
  std::memcpy(&h, good.data(), sizeof h);
  const auto* entries = reinterpret_cast<const dpa_section_entry*>(good.data() + h.section_table_offset);
  std::uint32_t gbdt_offset = 0;
  for (std::uint32_t i = 0; i < h.section_count; ++i)
    if (entries[i].type == DPA_SECTION_GBDT) gbdt_offset = entries[i].offset;
  bad = good;
  const std::uint32_t big_feature = 56;
  std::memcpy(bad.data() + gbdt_offset + sizeof(dpa_gbdt_section) + 4, &big_feature, 4);
  CHECK(load(bad) == DPA_ERR_MODEL_TREES);
  bad = good;
  const float nan = NAN;
  std::memcpy(bad.data() + gbdt_offset + sizeof(dpa_gbdt_section), &nan, 4);
  CHECK(load(bad) == DPA_ERR_MODEL_NON_FINITE);
  bad = good;
  const std::uint32_t deep = 13;
  std::memcpy(bad.data() + gbdt_offset + 4, &deep, 4);
  CHECK(load(bad) == DPA_ERR_MODEL_TREES);
  // An unknown statistics-set id (found by fuzz_model: it must be rejected before it becomes an
  // enum value).
  std::uint32_t inputs_offset = 0;
  for (std::uint32_t i = 0; i < h.section_count; ++i)
    if (entries[i].type == DPA_SECTION_INPUTS) inputs_offset = entries[i].offset;
  bad = good;
  const std::uint32_t unknown_set = 99;  // the first block's stats_set
  std::memcpy(bad.data() + inputs_offset + sizeof(dpa_inputs_section) + 4, &unknown_set, 4);
  CHECK(load(bad) == DPA_ERR_MODEL_INPUTS);
  // Format 1's FEATURES section in a format 2 file is malformed, not a section to skip.
  bad = good;
  for (std::uint32_t i = 0; i < h.section_count; ++i) {
    if (entries[i].type == DPA_SECTION_METADATA || entries[i].type == DPA_SECTION_OUTPUT) {
      const std::uint32_t features = DPA_SECTION_FEATURES;
      std::memcpy(bad.data() + h.section_table_offset + i * sizeof(dpa_section_entry), &features, 4);
      break;
    }
  }
  CHECK(load(bad) == DPA_ERR_MODEL_MISSING);
  CHECK(std::string(dpa_status_string(DPA_ERR_MODEL_CHECKSUM)).find("checksum") != std::string::npos);
}

namespace {

// Loads the bytes; if they load, predicting must work without fault on a few vectors.
void load_and_use(const std::vector<unsigned char>& bytes, const std::vector<std::vector<float>>& rows, int* loaded) {
  AlignedBytes a(bytes);
  dpa_model m;
  if (dpa_model_load(a.data(), a.size, &m) != DPA_OK) return;
  ++*loaded;
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  const std::vector<float> context(m.num_context, 1.0f);
  for (const auto& w : rows) {
    float p;
    const dpa_inputs in{w.data(), w.size(), context.data(), context.size()};
    const dpa_status s = dpa_model_predict_inputs(&m, &in, &p, scratch.data(), scratch.size());
    CHECK((s == DPA_OK || s == DPA_ERR_SIZE_MISMATCH || s == DPA_ERR_NON_FINITE || s == DPA_ERR_CONTEXT_VALUE ||
           s == DPA_ERR_NON_FINITE_PREDICTION));
    for (std::uint32_t i = 0; i < m.num_context; ++i) {
      dpa_context_info info;
      REQUIRE(dpa_model_context_info(&m, i, &info) == DPA_OK);
      CHECK(dpa_model_context_index(&m, info.name) == static_cast<std::int32_t>(i));
      for (std::uint32_t k = 0; k < info.num_categories; ++k) CHECK(dpa_model_context_category(&m, i, k) != nullptr);
    }
  }
}

}  // namespace

TEST_CASE("hostile bytes: every truncation and single-byte change loads safely or fails cleanly") {
  std::mt19937 rng(21);
  const dpa::tools::FeatureSpec with_context = dpa_test::zoo_with_context();
  dpa::tools::ModelSpec sparse = dpa_test::random_gbdt_spec(rng, 1, 1);
  std::get<dpa::tools::GbdtModel>(sparse.predictor).trees = {dpa_test::random_sparse_tree(rng, 4, 56, 0.2f),
                                                             dpa_test::random_sparse_tree(rng, 4, 56, 0.2f)};
  dpa::tools::ModelSpec half = sparse;
  dpa::tools::round_leaves_to_half(std::get<dpa::tools::GbdtModel>(half.predictor));
  std::vector<dpa::tools::ModelSpec> specs = {
      dpa_test::with_tree_layout(dpa_test::random_gbdt_spec(rng, 3, 3), dpa::tools::TreeLayout::complete),
      sparse,
      half,
      dpa_test::random_linear_spec(rng),
      dpa_test::random_mlp_spec(rng, 4),
      dpa_test::random_gbdt_spec(rng, 3, 3, DPA_STATS_PAPER, nullptr, &with_context)};
  specs[0].provenance = dpa::tools::Provenance{};
  specs[0].provenance->text = "k=v\n";
  const std::vector<std::vector<float>> rows = {dpa_test::random_vector(rng, 4970, 0.1f),
                                                std::vector<float>(4970, 0.0f)};
  for (const auto& spec : specs) {
    const std::vector<unsigned char> good = dpa::tools::write_model(spec);
    int loaded = 0;
    for (std::size_t len = 0; len < good.size(); ++len) {
      load_and_use({good.begin(), good.begin() + static_cast<long>(len)}, rows, &loaded);
    }
    CHECK(loaded == 0);  // every truncation is caught
    // Single-byte changes, once as they come (the checksum catches them) and once with the
    // checksum recomputed, so the structural checks behind it are exercised too.
    int structural_loads = 0;
    for (std::size_t pos = 0; pos < good.size(); ++pos) {
      for (unsigned char value : {0x00, 0xFF, 0x7F, 0x80}) {
        std::vector<unsigned char> bad = good;
        if (bad[pos] == value) continue;
        bad[pos] = value;
        int plain = 0;
        load_and_use(bad, rows, &plain);
        CHECK(plain == 0);  // the checksum (or the magic) catches every change
        if (pos >= 12) {
          const std::uint32_t crc = dpa_crc32(bad.data() + 12, bad.size() - 12);
          std::memcpy(bad.data() + 8, &crc, 4);
        }
        load_and_use(bad, rows, &structural_loads);
      }
    }
    CHECK(structural_loads > 0);  // many changes (values, padding) leave a valid model
  }
}

TEST_CASE("C++ Model wrapper predicts what the C API predicts") {
  std::mt19937 rng(77);
  AlignedBytes bytes(dpa::tools::write_model(dpa_test::random_gbdt_spec(rng, 10, 4)));
  const dpa::Model model(bytes.data(), bytes.size);
  REQUIRE(model.ok());
  CHECK(model.num_features() == 56);
  std::vector<unsigned char> scratch(model.scratch_size());
  const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
  float a = 0, b = 0;
  REQUIRE(model.predict(w.data(), w.size(), &a, scratch.data(), scratch.size()) == DPA_OK);
  std::vector<float> f(56);
  REQUIRE(model.features(w.data(), w.size(), f.data(), f.size(), scratch.data(), scratch.size()) == DPA_OK);
  REQUIRE(model.predict_features(f.data(), f.size(), &b, scratch.data(), scratch.size()) == DPA_OK);
  CHECK(dpa_test::bits_of(a) == dpa_test::bits_of(b));
  const dpa::Model broken(bytes.data(), 10);
  CHECK(broken.status() == DPA_ERR_MODEL_TRUNCATED);
}

TEST_CASE("early stopping: absolute threshold, gap to the best so far, diverged runs") {
  // Raw-weight linear model: prediction = clamp(sum of the 4 weights) so tests choose it freely.
  dpa::tools::ModelSpec spec = dpa_test::raw_linear_spec(4, 1.0f, 1.0f, DPA_OUTPUT_CLAMP01);
  spec.target = DPA_TARGET_FINAL_TEST_ACCURACY;
  AlignedBytes bytes(dpa::tools::write_model(spec));
  dpa_model m;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
  unsigned char scratch[256];
  auto check = [&](dpa_early_stop& state, float total) {
    const float w[4] = {total / 4, total / 4, total / 4, total / 4};
    float predicted;
    dpa_decision d;
    REQUIRE(dpa_early_stop_check(&m, &state, w, 4, scratch, sizeof scratch, &predicted, &d) == DPA_OK);
    CHECK(predicted == doctest::Approx(total));
    return d;
  };
  dpa_early_stop absolute;
  dpa_early_stop_init(&absolute, 0.5f, 0.0f);
  CHECK(check(absolute, 0.4f) == DPA_STOP_BELOW_THRESHOLD);
  CHECK(check(absolute, 0.6f) == DPA_CONTINUE);
  CHECK(absolute.checks == 2);
  CHECK(absolute.stops == 1);
  dpa_early_stop gap;
  dpa_early_stop_init(&gap, NAN, 0.2f);
  CHECK(check(gap, 0.3f) == DPA_CONTINUE);   // the first run is the best so far
  CHECK(check(gap, 0.8f) == DPA_CONTINUE);   // new best
  CHECK(check(gap, 0.65f) == DPA_CONTINUE);  // 0.15 under the best
  CHECK(check(gap, 0.55f) == DPA_STOP_FAR_BELOW_BEST);
  CHECK(gap.best_predicted == doctest::Approx(0.8f));
  const float diverged[4] = {NAN, 0, 0, 0};
  float predicted;
  dpa_decision d;
  CHECK(dpa_early_stop_check(&m, &gap, diverged, 4, scratch, sizeof scratch, &predicted, &d) == DPA_ERR_NON_FINITE);
  CHECK(d == DPA_STOP_BELOW_THRESHOLD);
  CHECK(dpa_early_stop_check(&m, nullptr, diverged, 4, scratch, sizeof scratch, &predicted, &d) ==
        DPA_ERR_NULL_ARGUMENT);
}
