// IDX files (MNIST / Fashion-MNIST), gzipped or not: images as uint8, labels as uint8.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpa::tools {

struct IdxImages {
  std::uint32_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols
};

IdxImages read_idx_images(const std::string& path);  // throws ToolError
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

// An image dataset directory: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz].
struct ImageDataset {
  IdxImages train_images, test_images;
  std::vector<std::uint8_t> train_labels, test_labels;
};
ImageDataset read_idx_dataset(const std::string& dir);

}  // namespace dpa::tools
