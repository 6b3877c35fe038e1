#include "zoo/zoo_tail.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/errors.hpp"
#include "zoo/npy_file.hpp"

namespace dpa::tools {

namespace {

constexpr std::size_t kHeaderBytes = 128;  // the writer's fixed npy header

struct Fd {
  int fd;
  explicit Fd(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  }
  ~Fd() { ::close(fd); }
};

void read_at(int fd, void* out, std::size_t size, std::uint64_t offset, const std::string& path) {
  auto* bytes = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t got = ::pread(fd, bytes, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw ToolError(path + ": shorter than its committed rows");
    bytes += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

}  // namespace

ZooTail::ZooTail(const std::string& dir, const std::string& data_file, std::uint64_t row_floats)
    : data_path_(dir + "/" + data_file), metrics_path_(dir + "/metrics.jsonl"), row_floats_(row_floats) {}

std::uint64_t ZooTail::read_new(const std::function<void(std::uint64_t, const float*, const std::string&)>& row) {
  const Fd data(data_path_);
  char header[kHeaderBytes];
  read_at(data.fd, header, kHeaderBytes, 0, data_path_);
  const NpyHeader h = parse_npy_header(std::string(header + 10, kHeaderBytes - 10));
  if (h.shape.size() != 2 || h.shape[1] != row_floats_)
    throw ToolError(data_path_ + ": not rows of " + std::to_string(row_floats_) + " values");
  const std::uint64_t committed = h.shape[0];
  if (committed <= rows_) return 0;
  const Fd metrics(metrics_path_);
  std::vector<float> values(row_floats_);
  std::string pending;
  char buffer[1 << 16];
  const std::uint64_t first = rows_;
  while (rows_ < committed) {
    const std::size_t line_end = pending.find('\n');
    if (line_end == std::string::npos) {
      const ssize_t got =
          ::pread(metrics.fd, buffer, sizeof buffer, static_cast<off_t>(metrics_offset_ + pending.size()));
      if (got <= 0) throw ToolError(metrics_path_ + ": fewer lines than the committed rows");
      pending.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    read_at(data.fd, values.data(), row_floats_ * sizeof(float), kHeaderBytes + rows_ * row_floats_ * sizeof(float),
            data_path_);
    row(rows_, values.data(), pending.substr(0, line_end));
    metrics_offset_ += line_end + 1;
    pending.erase(0, line_end + 1);
    ++rows_;
  }
  return rows_ - first;
}

}  // namespace dpa::tools
