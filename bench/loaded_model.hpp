// A model file written from a host-side spec and loaded by the runtime, with its scratch: what
// the prediction benchmarks time.
#pragma once

#include <cstdlib>
#include <vector>

#include "dpa/dpa.h"
#include "model/model_writer.hpp"
#include "support/model_builders.hpp"

namespace dpa_bench {

struct Loaded {
  dpa_test::AlignedBytes bytes{{}};
  dpa_model model{};
  std::vector<unsigned char> scratch;

  explicit Loaded(const dpa::tools::ModelSpec& spec) : bytes(dpa::tools::write_model(spec)) {
    if (dpa_model_load(bytes.data(), bytes.size, &model) != DPA_OK) std::abort();
    scratch.resize(dpa_model_scratch_size(&model));
  }
};

}  // namespace dpa_bench
