#include "cnn/idx_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/cli_args.hpp"
#include "common/files.hpp"

namespace dpa::tools {
namespace {

std::vector<std::uint8_t> read_all(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code;
      const std::string message = gzerror(f, &code);
      gzclose(f);
      throw ToolError(path + ": corrupt or unreadable: " + message);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  gzclose(f);
  return out;
}

std::uint32_t big_endian(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

std::string existing(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (is_readable(candidate)) return candidate;
  }
  throw ToolError(dir + ": missing " + name + "[.gz]");
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  const std::vector<std::uint8_t> b = read_all(path);
  if (b.size() < 16 || big_endian(b, 0) != 0x00000803u) throw ToolError(path + ": not an IDX image file (magic 0x00000803)");
  IdxImages im;
  im.count = big_endian(b, 4);
  im.rows = big_endian(b, 8);
  im.cols = big_endian(b, 12);
  const std::uint64_t size = std::uint64_t{im.count} * im.rows * im.cols;
  if (b.size() - 16 < size) throw ToolError(path + ": truncated: header says " + std::to_string(im.count) + " images");
  im.pixels.assign(b.begin() + 16, b.begin() + 16 + static_cast<long>(size));
  return im;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  const std::vector<std::uint8_t> b = read_all(path);
  if (b.size() < 8 || big_endian(b, 0) != 0x00000801u) throw ToolError(path + ": not an IDX label file (magic 0x00000801)");
  const std::uint32_t count = big_endian(b, 4);
  if (b.size() - 8 < count) throw ToolError(path + ": truncated: header says " + std::to_string(count) + " labels");
  std::vector<std::uint8_t> labels(b.begin() + 8, b.begin() + 8 + count);
  for (std::uint8_t l : labels) {
    if (l > 9) throw ToolError(path + ": label " + std::to_string(l) + " outside 0..9");
  }
  return labels;
}

ImageDataset read_idx_dataset(const std::string& dir) {
  ImageDataset d;
  d.train_images = read_idx_images(existing(dir, "train-images-idx3-ubyte"));
  d.train_labels = read_idx_labels(existing(dir, "train-labels-idx1-ubyte"));
  d.test_images = read_idx_images(existing(dir, "t10k-images-idx3-ubyte"));
  d.test_labels = read_idx_labels(existing(dir, "t10k-labels-idx1-ubyte"));
  if (d.train_images.count != d.train_labels.size() || d.test_images.count != d.test_labels.size()) {
    throw ToolError(dir + ": image and label counts differ");
  }
  if (d.train_images.rows != 28 || d.train_images.cols != 28 || d.test_images.rows != 28 || d.test_images.cols != 28) {
    throw ToolError(dir + ": the zoo CNN takes 28 x 28 grey images");
  }
  return d;
}

}  // namespace dpa::tools
