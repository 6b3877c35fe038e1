#include "cnn/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {
namespace {

std::uint32_t big_endian(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// The first `bytes` bytes of a gzipped or plain file, read as they come (nothing reserved from a
// header's claim), or fewer when the file ends first.
std::vector<std::uint8_t> read_prefix(gzFile f, const std::string& path, std::uint64_t bytes) {
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  while (out.size() < bytes) {
    const auto want = static_cast<unsigned>(std::min<std::uint64_t>(sizeof buf, bytes - out.size()));
    const int n = gzread(f, buf, want);
    if (n < 0) {
      int code;
      const std::string message = gzerror(f, &code);
      throw ToolError(path + ": corrupt or unreadable: " + (code == Z_ERRNO ? std::strerror(errno) : message));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

// An IDX file: its header of `header_bytes` (magic, counts), then the payload the header
// implies, read up to that size only (a decompression bomb stops there).
class IdxFile {
 public:
  IdxFile(const std::string& path, std::uint32_t magic, std::size_t header_bytes, const char* what) : path_(path) {
    check_input_file(path);
    f_.reset(gzopen(path.c_str(), "rb"));
    if (!f_) throw ToolError(path + ": cannot open: " + std::strerror(errno));
    header_ = read_prefix(f_.get(), path, header_bytes);
    if (header_.size() < header_bytes || big_endian(header_, 0) != magic) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", magic);
      throw ToolError(path + ": not an IDX " + what + " file (magic " + hex + ")");
    }
  }
  std::uint32_t field(std::size_t i) const { return big_endian(header_, 4 * i); }
  std::vector<std::uint8_t> payload(std::uint64_t bytes, const std::string& claim) {
    std::vector<std::uint8_t> out = read_prefix(f_.get(), path_, bytes);
    if (out.size() < bytes) throw ToolError(path_ + ": truncated: header says " + claim);
    // Read on to the end: a gzip stream's checksum and length come after the last byte, so a
    // corrupt tail shows only there; bytes beyond the claim mean a header that undercounts.
    if (!read_prefix(f_.get(), path_, 1).empty())
      throw ToolError(path_ + ": longer than its header says (" + claim + ")");
    return out;
  }

 private:
  std::string path_;
  // Closed however the constructor or a read ends (a throwing constructor runs no destructor).
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f_{nullptr, gzclose};
  std::vector<std::uint8_t> header_;
};

std::string existing(const std::string& dir, const std::string& name) {
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (is_readable(candidate)) return candidate;
  }
  throw ToolError(dir + ": missing " + name + "[.gz]");
}

}  // namespace

// More images than any IDX dataset holds (2^24, 13 GB of 28 x 28 pixels): a corrupt header.
constexpr std::uint32_t kMaxImages = 1u << 24;

IdxImages read_idx_images(const std::string& path) {
  IdxFile f(path, 0x00000803u, 16, "image");
  IdxImages im;
  im.count = f.field(1);
  im.rows = f.field(2);
  im.cols = f.field(3);
  if (im.count == 0) throw ToolError(path + ": holds no images");
  if (im.count > kMaxImages)
    throw ToolError(path + ": header claims " + std::to_string(im.count) + " images, more than any dataset");
  if (im.rows != 28 || im.cols != 28) {
    throw ToolError(path + ": " + std::to_string(im.rows) + " x " + std::to_string(im.cols) +
                    " images; the zoo CNN takes 28 x 28 grey images");
  }
  im.pixels = f.payload(std::uint64_t{im.count} * im.rows * im.cols, std::to_string(im.count) + " images");
  return im;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  IdxFile f(path, 0x00000801u, 8, "label");
  const std::uint32_t count = f.field(1);
  if (count == 0) throw ToolError(path + ": holds no labels");
  if (count > kMaxImages)
    throw ToolError(path + ": header claims " + std::to_string(count) + " labels, more than any dataset");
  std::vector<std::uint8_t> labels = f.payload(count, std::to_string(count) + " labels");
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
  return d;
}

}  // namespace dpa::tools
