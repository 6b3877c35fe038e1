// One real trained network embedded in the tool: the default input when no file is given.
#pragma once

#include <string>
#include <vector>

namespace dpa::tools {

struct SampleNetwork {
  std::string run;             // modeldir in the reference zoo
  double test_accuracy;        // its measured test accuracy
  std::vector<float> weights;  // 4970 floats in the zoo layout
};

const SampleNetwork& sample_network();

}  // namespace dpa::tools
