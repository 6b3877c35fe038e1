// Writes the committed seed corpus of the fuzz targets: small valid inputs of every kind.
// Usage: make_fuzz_seeds CORPUS_DIR
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "model/model_writer.hpp"
#include "model/tree_layout.hpp"
#include "support/model_builders.hpp"
#include "zoo/npy_file.hpp"

namespace {

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string as_string(const std::vector<unsigned char>& v) { return std::string(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string dir = argv[1];
  std::mt19937 rng(1);
  // Format 2 models; the corpus also keeps format 1 files (gbdt.dpa, linear.dpa, mlp.dpa, raw.dpa)
  // written by the last 1.0 writer, which this program no longer regenerates.
  auto gbdt = dpa_test::random_gbdt_spec(rng, 2, 2);
  gbdt.provenance = dpa::tools::Provenance{};
  gbdt.provenance->text = "model=gbdt\n";
  write(dir + "/model/v2-gbdt.dpa",
        as_string(dpa::tools::write_model(dpa_test::with_tree_layout(gbdt, dpa::tools::TreeLayout::complete))));
  // Format 2.1 sparse trees: unbalanced, with zero modes and infinite thresholds.
  auto sparse = dpa_test::random_gbdt_spec(rng, 1, 1);
  std::get<dpa::tools::GbdtModel>(sparse.predictor).trees = {dpa_test::random_sparse_tree(rng, 4, 56, 0.3f),
                                                             dpa_test::random_sparse_tree(rng, 3, 56, 0.3f)};
  write(dir + "/model/v21-sparse-gbdt.dpa",
        as_string(dpa::tools::write_model(dpa_test::with_tree_layout(sparse, dpa::tools::TreeLayout::sparse))));
  dpa::tools::round_leaves_to_half(std::get<dpa::tools::GbdtModel>(sparse.predictor));
  write(dir + "/model/v21-sparse-gbdt-f16.dpa", as_string(dpa::tools::write_model(sparse)));
  write(dir + "/model/v2-linear.dpa", as_string(dpa::tools::write_model(dpa_test::random_linear_spec(rng))));
  write(dir + "/model/v2-mlp.dpa", as_string(dpa::tools::write_model(dpa_test::random_mlp_spec(rng, 2))));
  // Context values of every kind, with statistics and alone.
  const dpa::tools::FeatureSpec with_context = dpa_test::zoo_with_context();
  write(dir + "/model/v2-context-gbdt.dpa", as_string(dpa::tools::write_model(dpa_test::random_gbdt_spec(
                                                rng, 2, 2, DPA_STATS_PAPER, nullptr, &with_context))));
  write(dir + "/model/v2-context-mlp.dpa",
        as_string(dpa::tools::write_model(dpa_test::random_mlp_spec(rng, 2, with_context))));
  dpa::tools::FeatureSpec context_only = with_context;
  context_only.weights = false;
  write(dir + "/model/v2-context-only.dpa",
        as_string(dpa::tools::write_model(dpa_test::random_linear_spec(rng, context_only))));
  dpa::tools::ModelSpec raw;
  raw.features.kind = DPA_FEATURES_RAW_WEIGHTS;
  raw.features.segments = {{0, 4, DPA_SEGMENT_KERNEL, 0}};
  raw.features.total_length = 4;
  raw.predictor = dpa_test::random_gbdt_spec(rng, 1, 1).predictor;
  std::get<dpa::tools::GbdtModel>(raw.predictor).trees[0].nodes[0].feature %= 4;
  write(dir + "/model/v2-raw.dpa", as_string(dpa::tools::write_model(raw)));

  const float values[6] = {0.5f, -1.0f, 2.0f, 0.25f, 3.0f, -0.125f};
  dpa::tools::write_npy_f32(dir + "/npy/f4.npy", values, 2, 3);
  write(dir + "/npy/header_only.txt", "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }");

  const std::string metrics =
      ",modeldir,step,test_accuracy,config.epochs\n"
      "a,run0,0,0.1,1\n"
      "b,\"run,0\",1,\"0.5\",1\n";
  write(dir + "/csv/metrics.csv", metrics);
  write(dir + "/csv/layout.csv", "varname,start_idx,end_idx,shape\nx/bias:0,0,2,\"(2,)\"\nx/kernel:0,2,8,\"(3, 2)\"\n");
  gzFile gz = gzopen((dir + "/csv/metrics.csv.gz").c_str(), "wb");
  gzwrite(gz, metrics.data(), static_cast<unsigned>(metrics.size()));
  gzclose(gz);

  std::string stats(1 + 4 * 40, '\0');
  std::normal_distribution<float> normal(0, 1);
  stats[0] = 7;
  for (int i = 0; i < 40; ++i) {
    const float v = normal(rng);
    std::memcpy(&stats[1 + 4 * i], &v, 4);
  }
  write(dir + "/stats/normal40.bin", stats);
  return 0;
}
