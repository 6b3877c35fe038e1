#include "sample_weights.hpp"

#include <cstdint>
#include <cstring>

namespace dpa::tools {
namespace {

const std::uint32_t kSampleBits[] = {
#include "sample_weights.inc"
};

}  // namespace

const SampleNetwork& sample_network() {
  static const SampleNetwork sample = [] {
    SampleNetwork s{DPA_SAMPLE_RUN, DPA_SAMPLE_TEST_ACCURACY, {}};
    s.weights.resize(sizeof kSampleBits / sizeof kSampleBits[0]);
    std::memcpy(s.weights.data(), kSampleBits, sizeof kSampleBits);
    return s;
  }();
  return sample;
}

}  // namespace dpa::tools
