// Importers: hand-written XGBoost JSON and LightGBM text models with hand-derived outputs, and
// real files written by LightGBM 4.6 and XGBoost 2.1 / 3.4 with the libraries' own predictions.
// (Models trained by python3-xgboost are checked row by row in scripts/check-xgboost-import.py.)
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dpa/dpa.hpp"
#include "model/importers.hpp"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "zoo/npy_file.hpp"

using namespace dpa::tools;

namespace {

// A one-segment raw-features spec would not match the importers' zoo layouts: predict through
// dpa_model_predict_features on a 56-feature vector (paper statistics) instead.
float predict(const ModelSpec& spec, const std::vector<float>& features) {
  dpa_test::AlignedBytes bytes(write_model(spec));
  dpa_model m;
  REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
  float p = NAN;
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  REQUIRE(dpa_model_predict_features(&m, features.data(), features.size(), &p, scratch.data(), scratch.size()) ==
          DPA_OK);
  return p;
}

std::vector<float> features_with(std::initializer_list<std::pair<int, float>> set) {
  std::vector<float> f(56, 0.5f);
  for (auto [i, v] : set) f[static_cast<std::size_t>(i)] = v;
  return f;
}

std::string xgboost_json(const std::string& objective, const std::string& base_score) {
  // Tree 0: x[3] < 0.25 ? (x[10] < -1 ? 1.0 : 2.0) : 3.0. Tree 1: a single leaf 0.5.
  // Node ids deliberately not breadth-first (XGBoost may reuse ids).
  return R"({"learner": {"attributes": {}, "feature_names": [], "feature_types": [],
    "gradient_booster": {"model": {"gbtree_model_param": {"num_trees": "2"}, "tree_info": [0, 0],
      "trees": [
        {"id": 0, "left_children": [3, -1, -1, 1, -1], "right_children": [4, -1, -1, 2, -1],
         "split_conditions": [0.25, 1.0, 2.0, -1.0, 3.0], "split_indices": [3, 0, 0, 10, 0],
         "split_type": [0, 0, 0, 0, 0], "default_left": [1, 0, 0, 0, 0], "base_weights": [0, 1, 2, 0, 3],
         "tree_param": {"num_nodes": "5", "num_feature": "56"}},
        {"id": 1, "left_children": [-1], "right_children": [-1], "split_conditions": [0.5],
         "split_indices": [0], "split_type": [0], "default_left": [0], "tree_param": {"num_nodes": "1"}}
      ]}, "name": "gbtree"},
    "learner_model_param": {"base_score": ")" +
         base_score + R"(", "num_class": "0", "num_feature": "56", "num_target": "1"},
    "objective": {"name": ")" +
         objective + R"("}}, "version": [1, 7, 4]})";
}

}  // namespace

TEST_CASE("XGBoost JSON: x < threshold, renumbered trees, base score, logistic margin") {
  const FeatureSpec zoo = FeatureSpec::zoo(DPA_STATS_PAPER);
  const ImportResult r = import_xgboost(xgboost_json("reg:squarederror", "5E-1"), zoo);
  CHECK(r.summary.find("2 trees") != std::string::npos);
  // 0.5 + tree0 + 0.5
  CHECK(predict(r.spec, features_with({{3, 0.0f}, {10, -2.0f}})) == 2.0f);  // 1.0 leaf
  CHECK(predict(r.spec, features_with({{3, 0.0f}, {10, -1.0f}})) == 3.0f);  // x == t goes right: 2.0
  CHECK(predict(r.spec, features_with({{3, 0.25f}})) == 4.0f);              // 3.0 leaf
  const ImportResult logistic = import_xgboost(xgboost_json("reg:logistic", "0.25"), zoo);
  // margin = logit(0.25) + 1.0 + 0.5
  const double margin = std::log(0.25 / 0.75) + 1.5;
  CHECK(predict(logistic.spec, features_with({{3, 0.0f}, {10, -2.0f}})) ==
        doctest::Approx(1.0 / (1.0 + std::exp(-margin))).epsilon(1e-6));
  CHECK_THROWS_WITH_AS(import_xgboost(xgboost_json("multi:softmax", "0.5"), zoo), doctest::Contains("not supported"),
                       ToolError);
  CHECK_THROWS_WITH_AS(import_xgboost(xgboost_json("reg:squarederror", "0.5"), FeatureSpec::zoo(DPA_STATS_EXTENDED)),
                       doctest::Contains("56 features; the extended statistics give 112"), ToolError);
  std::string categorical = xgboost_json("reg:squarederror", "0.5");
  categorical.replace(categorical.find("\"split_type\": [0, 0, 0, 0, 0]"), 29, "\"split_type\": [1, 0, 0, 0, 0]");
  CHECK_THROWS_WITH_AS(import_xgboost(categorical, zoo), doctest::Contains("categorical"), ToolError);
  CHECK_THROWS_AS(import_xgboost("{\"learner\": ", zoo), ToolError);
}

namespace {

// LightGBM text with one tree: node 0 splits feature 3 at `threshold` with `decision`;
// its left child is leaf 0 (value 1), its right child node 1 (feature 7 <= 2 ? leaf 1 (2) : leaf 2 (3)).
std::string lightgbm_text(const std::string& threshold, int decision, const std::string& objective = "regression") {
  return "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=55\n"
         "objective=" +
         objective +
         "\nfeature_names=f0\nfeature_infos=none\ntree_sizes=1 1\n\n"
         "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=3 7\nsplit_gain=1 1\nthreshold=" +
         threshold + " 2\ndecision_type=" + std::to_string(decision) +
         " 2\nleft_child=-1 -2\nright_child=1 -3\n"
         "leaf_value=1 2 3\nleaf_weight=1 1 1\nleaf_count=1 1 1\ninternal_value=0 0\ninternal_weight=0 0\n"
         "internal_count=2 1\nis_linear=0\nshrinkage=1\n\n\n"
         "Tree=1\nnum_leaves=1\nnum_cat=0\nsplit_feature=\nsplit_gain=\nthreshold=\ndecision_type=\nleft_child=\n"
         "right_child=\nleaf_value=0.25\nleaf_weight=\nleaf_count=\ninternal_value=\ninternal_weight=\n"
         "internal_count=\nis_linear=0\nshrinkage=1\n\n\nend of trees\n\nfeature_importances:\nf0=1\n";
}

}  // namespace

TEST_CASE("LightGBM text: x <= t in double, default-left, NaN and zero missing types") {
  const FeatureSpec zoo = FeatureSpec::zoo(DPA_STATS_PAPER);
  // Plain numerical split (decision_type 2 = default left, missing none): x <= t goes left.
  const ModelSpec plain = import_lightgbm_text(lightgbm_text("0.5", 2), zoo).spec;
  CHECK(predict(plain, features_with({{3, 0.5f}})) == 1.25f);  // equal: left leaf 1 (+0.25)
  CHECK(predict(plain, features_with({{3, std::nextafter(0.5f, 1.0f)}, {7, 2.0f}})) == 2.25f);  // right, then 7 <= 2
  CHECK(predict(plain, features_with({{3, 0.6f}, {7, 2.5f}})) == 3.25f);
  // Threshold 0.1 (double): the float 0.1f is 0.100000001... > 0.1, so it goes right.
  const ModelSpec tenth = import_lightgbm_text(lightgbm_text("0.10000000000000001", 0), zoo).spec;
  CHECK(predict(tenth, features_with({{3, 0.1f}, {7, 0.0f}})) == 2.25f);
  CHECK(predict(tenth, features_with({{3, std::nextafter(0.1f, 0.0f)}})) == 1.25f);
  // NaN missing type (8) with default left: finite features compare as usual.
  const ModelSpec nan_missing = import_lightgbm_text(lightgbm_text("0.5", 8 | 2), zoo).spec;
  CHECK(predict(nan_missing, features_with({{3, 0.7f}, {7, 5.0f}})) == 3.25f);
  CHECK(predict(nan_missing, features_with({{3, 0.0f}})) == 1.25f);
  // Zero missing type (4), default right (no bit 2): |x| <= 1e-35 goes right even though 0 <= 0.5.
  const ModelSpec zero_right = import_lightgbm_text(lightgbm_text("0.5", 4), zoo).spec;
  CHECK(predict(zero_right, features_with({{3, 0.0f}, {7, 0.0f}})) == 2.25f);     // zero -> right -> 7 <= 2
  CHECK(predict(zero_right, features_with({{3, -1e-36f}, {7, 9.0f}})) == 3.25f);  // still "zero"
  CHECK(predict(zero_right, features_with({{3, 1e-30f}})) == 1.25f);              // not zero: 1e-30 <= 0.5
  CHECK(predict(zero_right, features_with({{3, -0.3f}})) == 1.25f);               // negative: left
  CHECK(predict(zero_right, features_with({{3, 0.7f}, {7, 9.0f}})) == 3.25f);
  // Zero missing, default left, threshold below zero: zero goes left although 0 > -0.5.
  const ModelSpec zero_left = import_lightgbm_text(lightgbm_text("-0.5", 4 | 2), zoo).spec;
  CHECK(predict(zero_left, features_with({{3, 0.0f}})) == 1.25f);
  CHECK(predict(zero_left, features_with({{3, -0.25f}, {7, 0.0f}})) == 2.25f);  // -0.25 > -0.5: right
  CHECK(predict(zero_left, features_with({{3, -0.75f}})) == 1.25f);
  // Binary objective: sigmoid of the summed leaves.
  const ModelSpec binary = import_lightgbm_text(lightgbm_text("0.5", 2, "binary sigmoid:1"), zoo).spec;
  CHECK(predict(binary, features_with({{3, 0.0f}})) == doctest::Approx(1.0 / (1.0 + std::exp(-1.25))).epsilon(1e-6));
  // Rejected: categorical, multi-class, wrong feature count.
  CHECK_THROWS_WITH_AS(import_lightgbm_text(lightgbm_text("0.5", 1), zoo), doctest::Contains("categorical"), ToolError);
  std::string multi = lightgbm_text("0.5", 2);
  multi.replace(multi.find("num_class=1"), 11, "num_class=3");
  CHECK_THROWS_WITH_AS(import_lightgbm_text(multi, zoo), doctest::Contains("multi-class"), ToolError);
  CHECK_THROWS_WITH_AS(import_lightgbm_text(lightgbm_text("0.5", 2), FeatureSpec::zoo(DPA_STATS_EXTENDED)),
                       doctest::Contains("56 features"), ToolError);
  CHECK_THROWS_WITH_AS(import_lightgbm_text(lightgbm_text("0.5", 2, "lambdarank"), zoo),
                       doctest::Contains("not supported"), ToolError);
  CHECK_THROWS_AS(import_lightgbm_text("not a model", zoo), ToolError);
}

TEST_CASE("importers: current formats, objectives and boosters, and files that must be refused") {
  const FeatureSpec zoo = FeatureSpec::zoo(DPA_STATS_PAPER);
  const std::vector<float> left_left = features_with({{3, 0.0f}, {10, -2.0f}});  // tree 0 gives 1.0
  // XGBoost 3.1 and later: base_score as a bracketed one-element vector.
  CHECK(predict(import_xgboost(xgboost_json("reg:squarederror", "[5E-1]"), zoo).spec, left_left) == 2.0f);
  CHECK_THROWS_WITH_AS(import_xgboost(xgboost_json("reg:squarederror", "[5E-1,1E-1]"), zoo),
                       doctest::Contains("multi-target"), ToolError);
  // Raw-score and log-link objectives: base_score is in the output's space.
  CHECK(predict(import_xgboost(xgboost_json("reg:absoluteerror", "0.5"), zoo).spec, left_left) == 2.0f);
  CHECK(predict(import_xgboost(xgboost_json("reg:gamma", "2"), zoo).spec, left_left) ==
        doctest::Approx(std::exp(std::log(2.0) + 1.5)).epsilon(1e-6));
  // DART as XGBoost before 3.3 saves it: booster "dart" around a gbtree, one weight per tree.
  std::string dart = xgboost_json("reg:squarederror", "0.5");
  const std::size_t booster = dart.find("\"gradient_booster\": {") + 21;
  dart.insert(booster, "\"name\": \"dart\", \"weight_drop\": [0.5, 2.0], \"gbtree\": {");
  dart.replace(dart.find(", \"name\": \"gbtree\"}"), 19, "}}");
  CHECK(predict(import_xgboost(dart, zoo).spec, left_left) == 0.5f + 0.5f * 1.0f + 2.0f * 0.5f);
  // Documents nested past any model's depth are refused before the parser recurses into them.
  CHECK_THROWS_WITH_AS(import_xgboost(std::string(100000, '['), zoo), doctest::Contains("nested deeper"), ToolError);
  std::string ubjson_bomb = "{";
  for (int i = 0; i < 100000; ++i) ubjson_bomb += std::string("i\x01") + "a{";  // key "a", an object
  CHECK_THROWS_WITH_AS(import_xgboost(ubjson_bomb, zoo), doctest::Contains("nested deeper"), ToolError);
  // A UBJSON object declaring 2^63 - 1 members (nlohmann's builder throws on it; found by fuzz_import).
  const std::string huge_count = std::string("{#L") + std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
  CHECK_THROWS_WITH_AS(import_xgboost(huge_count, zoo), doctest::Contains("declares"), ToolError);
  // A child pointing back at its parent is no tree.
  std::string cyclic = xgboost_json("reg:squarederror", "0.5");
  const std::string children = "\"left_children\": [3, -1, -1, 1, -1]";
  cyclic.replace(cyclic.find(children), children.size(), "\"left_children\": [3, -1, -1, 0, -1]");
  CHECK_THROWS_WITH_AS(import_xgboost(cyclic, zoo), doctest::Contains("do not form a tree"), ToolError);

  // LightGBM: a NaN threshold sends every row right (x <= NaN is false).
  CHECK(predict(import_lightgbm_text(lightgbm_text("nan", 2), zoo).spec, features_with({{3, -5.0f}, {7, 9.0f}})) ==
        3.25f);
  // Log link and reg_sqrt: exp and the signed square of the summed leaves.
  CHECK(predict(import_lightgbm_text(lightgbm_text("0.5", 2, "poisson"), zoo).spec, features_with({{3, 0.0f}})) ==
        doctest::Approx(std::exp(1.25)).epsilon(1e-6));
  CHECK(predict(import_lightgbm_text(lightgbm_text("0.5", 2, "regression sqrt"), zoo).spec,
                features_with({{3, 0.0f}})) == 1.25f * 1.25f);
  // Random forests average their trees: (1 + 0.25) / 2.
  std::string forest = lightgbm_text("0.5", 2);
  forest.insert(forest.find("feature_names="), "average_output\n");
  CHECK(predict(import_lightgbm_text(forest, zoo).spec, features_with({{3, 0.0f}})) == 0.625f);
  // Truncated or inconsistent files: never their first trees as a complete model.
  const std::string whole = lightgbm_text("0.5", 2);
  CHECK_THROWS_WITH_AS(import_lightgbm_text(whole.substr(0, whole.find("Tree=1")), zoo), doctest::Contains("truncated"),
                       ToolError);
  CHECK_THROWS_WITH_AS(import_lightgbm_text(whole.substr(0, whole.find("end of trees")), zoo),
                       doctest::Contains("truncated"), ToolError);
  std::string miscounted = whole;
  miscounted.replace(miscounted.find("tree_sizes=1 1"), 14, "tree_sizes=1 1 1");
  CHECK_THROWS_WITH_AS(import_lightgbm_text(miscounted, zoo), doctest::Contains("tree_sizes"), ToolError);
  CHECK_THROWS_WITH_AS(import_lightgbm_text(lightgbm_text("0.5", 2, "multiclass num_class:3"), zoo),
                       doctest::Contains("not supported"), ToolError);
}

TEST_CASE("float threshold for x <= t: exact for every float x") {
  for (double t : {0.1, -0.1, 0.5, 1e-40, -1e-40, 3.0e38, 123.456789, 0.0}) {
    float threshold;
    REQUIRE(float_threshold_for_less_equal(t, &threshold));
    const float below = std::nextafter(threshold, -INFINITY);
    CHECK(static_cast<double>(below) <= t);     // the largest float that goes left
    CHECK(static_cast<double>(threshold) > t);  // the smallest that goes right
  }
  float threshold;
  CHECK_FALSE(float_threshold_for_less_equal(1e39, &threshold));  // every float goes left
  CHECK(float_threshold_for_less_equal(-1e39, &threshold));       // every float goes right
  CHECK(threshold == -3.4028235e38f);
}

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A 1-D float64 npy file (the libraries' predictions), format version 1.
std::vector<double> read_f8_vector(const std::string& path) {
  const std::string bytes = file_text(path);
  REQUIRE(bytes.size() > 10);
  REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
  const std::size_t header =
      static_cast<unsigned char>(bytes[8]) | static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8;
  const NpyHeader h = parse_npy_header(bytes.substr(10, header));
  REQUIRE(h.descr == "<f8");
  REQUIRE(h.shape.size() == 1);
  REQUIRE(bytes.size() == 10 + header + 8 * h.shape[0]);
  std::vector<double> out(h.shape[0]);
  std::memcpy(out.data(), bytes.data() + 10 + header, 8 * out.size());
  return out;
}

}  // namespace

TEST_CASE("real LightGBM 4.6 and XGBoost 2.1 / 3.4 models: each imports exactly or is refused by name") {
  // tests/data/importers: files the libraries wrote, trained on the mini zoo's paper statistics, with
  // the libraries' own predictions for its 400 rows (README there).
  const std::string dir = DPA_SOURCE_DIR "/tests/data/importers/";
  const NpyMatrix weights(DPA_SOURCE_DIR "/tools/data/mini-zoo/weights.npy");
  std::vector<float> row(weights.cols());
  struct Fixture {
    const char* file;
    const char* refusal;  // nullptr: must import and match
    std::uint32_t predictor;
  };
  const Fixture fixtures[] = {
      {"lgbm46-default.txt", nullptr, DPA_SECTION_SPARSE_GBDT},  // depth 14 and more: sparse only
      {"lgbm46-huber-d6.txt", nullptr, 0},
      {"lgbm46-reg-sqrt-d6.txt", nullptr, 0},
      {"lgbm46-xentlambda-d6.txt", nullptr, 0},
      {"lgbm46-xentropy.txt", nullptr, DPA_SECTION_SPARSE_GBDT},
      {"lgbm46-zero-as-missing.txt", nullptr, DPA_SECTION_SPARSE_GBDT},  // zero modes: sparse only
      {"lgbm46-linear-tree-d6.txt", "linear trees", 0},
      {"xgb21-logistic-d6.json", nullptr, 0},
      {"xgb21-sqerr-d6.json", nullptr, 0},
      {"xgb34-absoluteerror-d6.json", nullptr, 0},
      {"xgb34-dart-drop0.1-d6.json", nullptr, 0},
      {"xgb34-logistic-d6.json", nullptr, 0},
      {"xgb34-lossguide-l31.json", nullptr, DPA_SECTION_SPARSE_GBDT},
      {"xgb34-sqerr-d6.json", nullptr, 0},
      {"xgb34-sqerr-d6.ubj", nullptr, 0},
  };
  const FeatureSpec zoo = FeatureSpec::zoo(DPA_STATS_PAPER);
  for (const Fixture& f : fixtures) {
    CAPTURE(f.file);
    const std::string name = f.file;
    const std::string text = file_text(dir + name);
    const bool lightgbm = name.size() > 4 && name.compare(name.size() - 4, 4, ".txt") == 0;
    if (f.refusal != nullptr) {
      CHECK_THROWS_WITH_AS(lightgbm ? import_lightgbm_text(text, zoo) : import_xgboost(text, zoo),
                           doctest::Contains(f.refusal), ToolError);
      continue;
    }
    const ImportResult r = lightgbm ? import_lightgbm_text(text, zoo) : import_xgboost(text, zoo);
    dpa_test::AlignedBytes bytes(write_model(r.spec));
    dpa_model m;
    REQUIRE(dpa_model_load(bytes.data(), bytes.size, &m) == DPA_OK);
    if (f.predictor != 0) CHECK(m.predictor == f.predictor);
    CHECK(bytes.size < text.size());  // smaller than the library's own file, whatever the shape
    const std::vector<double> want = read_f8_vector(dir + name.substr(0, name.rfind('.')) + ".pred.npy");
    REQUIRE(want.size() == weights.rows());
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
    double worst = 0;
    for (std::uint64_t i = 0; i < weights.rows(); ++i) {
      float p = NAN;
      REQUIRE(dpa_model_predict(&m, weights.row(i, row.data()), weights.cols(), &p, scratch.data(), scratch.size()) ==
              DPA_OK);
      worst = std::max(worst, std::fabs(p - want[i]));
    }
    CHECK(worst <= 2e-6);  // float32 accumulation against the library's double
  }
}
