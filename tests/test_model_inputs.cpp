// Format 2's inputs: weight statistics, raw weights and context values as blocks; the C API that
// predicts from them and resolves context names; format 1 files predicting as they always did.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dpa/dpa.h"
#include "dpa/model_format.h"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"
#include "support/reference_stats.hpp"
#include "zoo/npy_file.hpp"

using dpa_test::AlignedBytes;

namespace {

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// "row,prediction" lines written with %.9g: exact for float32.
std::vector<float> read_predictions(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  std::vector<float> out;
  while (std::getline(in, line)) out.push_back(std::strtof(line.substr(line.find(',') + 1).c_str(), nullptr));
  return out;
}

std::vector<float> paper_features(const std::vector<float>& w) {
  std::vector<float> f(56);
  unsigned char scratch[DPA_STATS_SCRATCH_MAX_BYTES];
  REQUIRE(dpa_stats_compute(dpa_zoo_layout(), DPA_STATS_PAPER, w.data(), w.size(), f.data(), f.size(), scratch,
                            sizeof scratch) == DPA_OK);
  return f;
}

struct Loaded {
  AlignedBytes bytes;
  dpa_model model{};
  explicit Loaded(const std::vector<unsigned char>& b) : bytes(b) {
    REQUIRE(dpa_model_load(bytes.data(), bytes.size, &model) == DPA_OK);
  }
};

dpa_status predict(const dpa_model& m, const float* w, std::size_t nw, const float* c, std::size_t nc, float* p) {
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  const dpa_inputs in{w, nw, c, nc};
  return dpa_model_predict_inputs(&m, &in, p, scratch.data(), scratch.size());
}

}  // namespace

TEST_CASE("format 1.0 files written by earlier versions load and predict bit-identically") {
  const std::string dir = DPA_SOURCE_DIR "/tests/data/format-v1/";
  const dpa::tools::NpyMatrix weights(DPA_SOURCE_DIR "/tools/data/mini-zoo/weights.npy");
  std::vector<float> converted(weights.cols());
  for (const char* name : {"gbdt-paper", "gbdt-extended-final", "linear-paper", "mlp-paper"}) {
    CAPTURE(name);
    const Loaded l(read_bytes(dir + name + ".dpa"));
    CHECK(l.model.version_major == 1);
    CHECK(l.model.num_context == 0);
    REQUIRE(l.model.num_input_blocks == 1);
    CHECK(l.model.input_blocks[0] == DPA_INPUT_STATISTICS);
    const std::vector<float> want = read_predictions(dir + name + ".predictions.csv");
    REQUIRE(want.size() == weights.rows());
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&l.model));
    int same = 0;
    for (std::uint64_t r = 0; r < weights.rows(); ++r) {
      float p = NAN;
      REQUIRE(dpa_model_predict(&l.model, weights.row(r, converted.data()), weights.cols(), &p, scratch.data(),
                                scratch.size()) == DPA_OK);
      same += dpa_test::bits_of(p) == dpa_test::bits_of(want[r]);
    }
    CHECK(same == static_cast<int>(weights.rows()));
  }
}

TEST_CASE("context values: features in block order, log and categorical codes, every predictor kind") {
  std::mt19937 rng(31);
  const dpa::tools::FeatureSpec features = dpa_test::zoo_with_context();
  const dpa::tools::ModelSpec gbdt = dpa_test::random_gbdt_spec(rng, 40, 5, DPA_STATS_PAPER, nullptr, &features);
  const Loaded g(dpa::tools::write_model(gbdt));
  const Loaded lin(dpa::tools::write_model(dpa_test::random_linear_spec(rng, features)));
  const Loaded mlp(dpa::tools::write_model(dpa_test::random_mlp_spec(rng, 6, features)));
  for (const Loaded* l : {&g, &lin, &mlp}) {
    const dpa_model& m = l->model;
    CHECK(m.version_major == DPA_MODEL_VERSION_MAJOR);
    CHECK(m.num_features == 59);
    CHECK(m.num_context == 3);
    REQUIRE(m.num_input_blocks == 2);
    CHECK(m.input_blocks[0] == DPA_INPUT_STATISTICS);
    CHECK(m.input_blocks[1] == DPA_INPUT_CONTEXT);
    const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
    const std::vector<float> context = dpa_test::sample_context();
    // The features: statistics, then step as it is, log(learning rate), the optimizer's code.
    std::vector<float> f(59);
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
    const dpa_inputs in{w.data(), w.size(), context.data(), context.size()};
    REQUIRE(dpa_model_features_inputs(&m, &in, f.data(), f.size(), scratch.data(), scratch.size()) == DPA_OK);
    std::vector<float> want = paper_features(w);
    want.push_back(3.0f);
    want.push_back(static_cast<float>(std::log(static_cast<double>(0.01f))));
    want.push_back(1.0f);
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(dpa_test::bits_of(f[i]) == dpa_test::bits_of(want[i]));
    // The whole path equals the predictor on those features.
    float from_inputs = NAN, from_features = NAN;
    REQUIRE(predict(m, w.data(), w.size(), context.data(), context.size(), &from_inputs) == DPA_OK);
    REQUIRE(dpa_model_predict_features(&m, f.data(), f.size(), &from_features, scratch.data(), scratch.size()) ==
            DPA_OK);
    CHECK(dpa_test::bits_of(from_inputs) == dpa_test::bits_of(from_features));
    // The context block alone, for trainers.
    float ctx[3];
    REQUIRE(dpa_model_context_features(&m, context.data(), 3, ctx, 3) == DPA_OK);
    CHECK(dpa_test::bits_of(ctx[1]) == dpa_test::bits_of(want[57]));
  }
  // GBDT: the runtime's score is the node-by-node reference on [statistics, context features].
  const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
  std::vector<float> x = paper_features(w);
  x.push_back(7.0f);
  x.push_back(static_cast<float>(std::log(0.5)));
  x.push_back(3.0f);  // an optimizer the model never saw
  const float context[3] = {7.0f, 0.5f, 3.0f};
  float p = NAN;
  REQUIRE(predict(g.model, w.data(), w.size(), context, 3, &p) == DPA_OK);
  const float want = dpa::tools::reference_gbdt_score(std::get<dpa::tools::GbdtModel>(gbdt.predictor), x.data());
  CHECK(dpa_test::bits_of(p) == dpa_test::bits_of(std::min(1.0f, std::max(0.0f, want))));
}

TEST_CASE("context values: a model that needs them never predicts without them") {
  std::mt19937 rng(32);
  const dpa::tools::FeatureSpec features = dpa_test::zoo_with_context();
  const Loaded l(dpa::tools::write_model(dpa_test::random_linear_spec(rng, features)));
  const dpa_model& m = l.model;
  const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m));
  float p = 0;
  CHECK(dpa_model_predict(&m, w.data(), w.size(), &p, scratch.data(), scratch.size()) == DPA_ERR_CONTEXT_MISSING);
  CHECK(std::isnan(p));
  const float two[2] = {1, 0.1f};
  CHECK(predict(m, w.data(), w.size(), two, 2, &p) == DPA_ERR_CONTEXT_MISSING);
  CHECK(predict(m, w.data(), w.size(), nullptr, 3, &p) == DPA_ERR_NULL_ARGUMENT);
  const float nan_loss[3] = {1, NAN, 0};
  CHECK(predict(m, w.data(), w.size(), nan_loss, 3, &p) == DPA_ERR_NON_FINITE);
  CHECK(std::isnan(p));
  const float zero_rate[3] = {1, 0.0f, 0};  // the log of a learning rate of 0
  CHECK(predict(m, w.data(), w.size(), zero_rate, 3, &p) == DPA_ERR_CONTEXT_VALUE);
  for (float code : {-1.0f, 0.5f, 4.0f}) {  // codes are 0..3 (3: unseen)
    const float bad_code[3] = {1, 0.1f, code};
    CHECK(predict(m, w.data(), w.size(), bad_code, 3, &p) == DPA_ERR_CONTEXT_VALUE);
  }
  const float unseen[3] = {1, 0.1f, 3.0f};
  CHECK(predict(m, w.data(), w.size(), unseen, 3, &p) == DPA_OK);
  CHECK(predict(m, w.data(), 4969, unseen, 3, &p) == DPA_ERR_SIZE_MISMATCH);
}

TEST_CASE("context names resolve once: index, kind, categories and codes") {
  std::mt19937 rng(33);
  const Loaded l(dpa::tools::write_model(dpa_test::random_linear_spec(rng, dpa_test::zoo_with_context())));
  const dpa_model& m = l.model;
  CHECK(dpa_model_context_index(&m, "config.optimizer") == 2);
  CHECK(dpa_model_context_index(&m, "step") == 0);
  CHECK(dpa_model_context_index(&m, "config.optimize") == -1);
  CHECK(dpa_model_context_index(&m, nullptr) == -1);
  dpa_context_info info;
  REQUIRE(dpa_model_context_info(&m, 1, &info) == DPA_OK);
  CHECK(std::string(info.name) == "config.learning_rate");
  CHECK(info.kind == DPA_CONTEXT_NUMERIC);
  CHECK(info.transform == DPA_CONTEXT_LOG);
  REQUIRE(dpa_model_context_info(&m, 2, &info) == DPA_OK);
  CHECK(info.kind == DPA_CONTEXT_CATEGORICAL);
  CHECK(info.num_categories == 3);
  CHECK(dpa_model_context_info(&m, 3, &info) == DPA_ERR_NOT_FOUND);
  CHECK(std::string(dpa_model_context_category(&m, 2, 2)) == "sgd");
  CHECK(dpa_model_context_category(&m, 2, 3) == nullptr);
  CHECK(dpa_model_context_category(&m, 0, 0) == nullptr);
  float code = -1;
  CHECK(dpa_model_context_code(&m, 2, "rmsprop", &code) == DPA_OK);
  CHECK(code == 1.0f);
  CHECK(dpa_model_context_code(&m, 2, "adagrad", &code) == DPA_OK);
  CHECK(code == 3.0f);                                                       // never seen: its own code, no neighbour's
  CHECK(dpa_model_context_code(&m, 0, "adam", &code) == DPA_ERR_NOT_FOUND);  // numeric
  CHECK(std::string(dpa_input_kind_name(DPA_INPUT_CONTEXT)) == "context");
  CHECK(dpa_input_kind_name(7) == nullptr);
  CHECK(std::string(dpa_predictor_name(m.predictor)) == "linear");
  CHECK(dpa_model_struct_size() == sizeof(dpa_model));
}

TEST_CASE("inputs without weights (hyperparameters alone) and raw weights with context") {
  dpa::tools::ModelSpec spec;
  spec.features.weights = false;
  spec.features.context = {{"config.l2reg", DPA_CONTEXT_NUMERIC, DPA_CONTEXT_AS_IS, {}},
                           {"config.activation", DPA_CONTEXT_CATEGORICAL, DPA_CONTEXT_AS_IS, {"relu", "tanh"}}};
  dpa::tools::LinearModel l;
  l.intercept = 0.25f;
  l.mean = {0, 0};
  l.inv_scale = {1, 1};
  l.weight = {2, 0.5f};
  spec.predictor = l;
  const Loaded hyper(dpa::tools::write_model(spec));
  CHECK(hyper.model.layout.num_segments == 0);
  CHECK(hyper.model.feature_kind == DPA_INPUT_CONTEXT);
  const float context[2] = {0.125f, 1.0f};
  float p = NAN;
  REQUIRE(predict(hyper.model, nullptr, 0, context, 2, &p) == DPA_OK);
  CHECK(p == 0.25f + 2 * 0.125f + 0.5f);

  spec.features.weights = true;
  spec.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  spec.features.segments = {{0, 3, DPA_SEGMENT_KERNEL, 0}};
  spec.features.total_length = 3;
  l.mean.assign(5, 0.0f);
  l.inv_scale.assign(5, 1.0f);
  l.weight = {1, 1, 1, 2, 0.5f};
  spec.predictor = l;
  const Loaded raw(dpa::tools::write_model(spec));
  const float w[3] = {0.5f, 0.25f, 0.125f};
  REQUIRE(predict(raw.model, w, 3, context, 2, &p) == DPA_OK);
  CHECK(p == 0.25f + 0.875f + 0.25f + 0.5f);
}

TEST_CASE("early stopping takes context and refuses a model of another target") {
  std::mt19937 rng(34);
  dpa::tools::ModelSpec spec = dpa_test::random_linear_spec(rng, dpa_test::zoo_with_context());
  spec.target = DPA_TARGET_TEST_ACCURACY;
  const Loaded wrong(dpa::tools::write_model(spec));
  spec.target = DPA_TARGET_FINAL_TEST_ACCURACY;
  const Loaded right(dpa::tools::write_model(spec));
  const std::vector<float> w = dpa_test::random_vector(rng, 4970, 0.2f);
  const std::vector<float> context = dpa_test::sample_context();
  const dpa_inputs in{w.data(), w.size(), context.data(), context.size()};
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&right.model));
  dpa_early_stop state;
  dpa_early_stop_init(&state, 0.5f, 0.0f);
  float p;
  dpa_decision d;
  CHECK(dpa_early_stop_check_inputs(&wrong.model, &state, &in, scratch.data(), scratch.size(), &p, &d) ==
        DPA_ERR_WRONG_TARGET);
  CHECK(state.checks == 0);
  REQUIRE(dpa_early_stop_check_inputs(&right.model, &state, &in, scratch.data(), scratch.size(), &p, &d) == DPA_OK);
  CHECK(state.checks == 1);
  CHECK(d == (p < 0.5f ? DPA_STOP_BELOW_THRESHOLD : DPA_CONTINUE));
  // Without its context the model says so, and the search's state is untouched.
  CHECK(dpa_early_stop_check(&right.model, &state, w.data(), w.size(), scratch.data(), scratch.size(), &p, &d) ==
        DPA_ERR_CONTEXT_MISSING);
  CHECK(state.checks == 1);
  // A diverged run: NaN training loss stops it.
  const float diverged[3] = {2, NAN, 0};
  const dpa_inputs nan_in{w.data(), w.size(), diverged, 3};
  CHECK(dpa_early_stop_check_inputs(&right.model, &state, &nan_in, scratch.data(), scratch.size(), &p, &d) ==
        DPA_ERR_NON_FINITE);
  CHECK(d == DPA_STOP_BELOW_THRESHOLD);
}

TEST_CASE("a predictor output that is not finite is a status, never a prediction") {
  const Loaded m(dpa::tools::write_model(dpa_test::raw_linear_spec(2, 1e30f, 1e30f, DPA_OUTPUT_IDENTITY)));
  const float w[2] = {1, 1};
  float p = 0;
  CHECK(predict(m.model, w, 2, nullptr, 0, &p) == DPA_ERR_NON_FINITE_PREDICTION);
  CHECK(std::isnan(p));
}

TEST_CASE("the writer refuses inputs the verifier would") {
  std::mt19937 rng(35);
  dpa::tools::FeatureSpec f = dpa_test::zoo_with_context();
  f.context[1].name = "step";  // two values, one name
  CHECK_THROWS(dpa::tools::write_model(dpa_test::random_linear_spec(rng, f)));
  f = dpa_test::zoo_with_context();
  f.context[2].categories = {"adam", "adam"};
  CHECK_THROWS(dpa::tools::write_model(dpa_test::random_linear_spec(rng, f)));
  f = dpa_test::zoo_with_context();
  f.context[0].name = "";
  CHECK_THROWS(dpa::tools::write_model(dpa_test::random_linear_spec(rng, f)));
  f = dpa_test::zoo_with_context();
  f.weights = false;
  f.context.clear();  // reads nothing
  dpa::tools::ModelSpec spec;
  spec.features = f;
  spec.predictor = dpa::tools::LinearModel{};
  CHECK_THROWS(dpa::tools::write_model(spec));
}

#include "predict/natural_log.hpp"

TEST_CASE("the runtime's own log: within 5e-16 of libm's, the same float after rounding") {
  std::mt19937 rng(36);
  std::uniform_int_distribution<std::uint32_t> positive_bits(1u, 0x7f7fffffu);  // every positive finite float
  int float_mismatches = 0;
  double worst = 0;
  for (int i = 0; i < 2000000; ++i) {
    std::uint32_t bits = i < 1000 ? 0x3f800000u + static_cast<std::uint32_t>(i) - 500u : positive_bits(rng);
    float v;
    std::memcpy(&v, &bits, 4);
    const double ours = dpa::detail::natural_log(v), libm = std::log(static_cast<double>(v));
    if (libm != 0) worst = std::max(worst, std::fabs(ours - libm) / std::fabs(libm));
    else CHECK(std::fabs(ours) < 1e-300);
    float_mismatches += static_cast<float>(ours) != static_cast<float>(libm);
  }
  CHECK(worst < 5e-16);
  CHECK(float_mismatches == 0);
  CHECK(dpa::detail::natural_log(1.0f) == 0.0);
  CHECK(dpa::detail::natural_log(2.0f) == doctest::Approx(0.6931471805599453).epsilon(1e-16));
}
