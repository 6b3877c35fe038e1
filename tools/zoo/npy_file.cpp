#include "zoo/npy_file.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/files.hpp"
#include "common/mapped_guard.hpp"

namespace dpa::tools {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw ToolError(path + ": " + what); }

// Position of the value that follows 'key': in the dict text.
std::size_t value_of(const std::string& text, const std::string& key) {
  const std::size_t k = text.find("'" + key + "'");
  if (k == std::string::npos) throw ToolError("npy header lacks '" + key + "'");
  // numpy reads a repeated key's last value, a first-match reader its first: refuse rather than
  // read a file differently from numpy.
  if (text.find("'" + key + "'", k + 1) != std::string::npos)
    throw ToolError("npy header: '" + key + "' appears twice");
  std::size_t i = text.find(':', k);
  if (i == std::string::npos) throw ToolError("npy header: no value for '" + key + "'");
  ++i;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

}  // namespace

NpyHeader parse_npy_header(const std::string& text) {
  NpyHeader h;
  std::size_t i = value_of(text, "descr");
  if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) {
    throw ToolError("npy header: 'descr' is not a string");
  }
  const std::size_t end = text.find(text[i], i + 1);
  if (end == std::string::npos) throw ToolError("npy header: unterminated 'descr'");
  h.descr = text.substr(i + 1, end - i - 1);
  i = value_of(text, "fortran_order");
  if (text.compare(i, 4, "True") == 0) h.fortran_order = true;
  else if (text.compare(i, 5, "False") == 0) h.fortran_order = false;
  else throw ToolError("npy header: 'fortran_order' is neither True nor False");
  i = value_of(text, "shape");
  if (i >= text.size() || text[i] != '(') throw ToolError("npy header: 'shape' is not a tuple");
  ++i;
  for (;;) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
    if (i >= text.size()) throw ToolError("npy header: unterminated 'shape'");
    if (text[i] == ')') break;
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) throw ToolError("npy header: bad 'shape'");
    std::uint64_t v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (v > (UINT64_MAX - 9) / 10) throw ToolError("npy header: 'shape' overflows");
      v = v * 10 + static_cast<std::uint64_t>(text[i++] - '0');
    }
    if (h.shape.size() == 32) throw ToolError("npy header: more than 31 dimensions");
    h.shape.push_back(v);
  }
  return h;
}

namespace {

// The header of an open npy file: its dict parsed, and where the data starts. Throws ToolError
// naming the file.
NpyHeader read_header(int fd, const std::string& path, std::uint64_t file_size, std::uint64_t* data_offset) {
  unsigned char prefix[12] = {};
  const ssize_t got = ::pread(fd, prefix, sizeof prefix, 0);
  if (got < 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
  if (got < 10 || std::memcmp(prefix, "\x93NUMPY", 6) != 0) fail(path, "not an npy file (bad magic)");
  const unsigned major = prefix[6];
  if (major < 1 || major > 3) fail(path, "unsupported npy format version " + std::to_string(major));
  std::uint64_t header_len, header_start;
  if (major == 1) {
    header_len = prefix[8] | (prefix[9] << 8);
    header_start = 10;
  } else {
    if (got < 12) fail(path, "truncated npy header");
    header_len = prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (static_cast<std::uint64_t>(prefix[11]) << 24);
    header_start = 12;
  }
  if (header_start + header_len > file_size) fail(path, "truncated npy header");
  std::string text(header_len, '\0');
  if (::pread(fd, text.data(), header_len, static_cast<off_t>(header_start)) != static_cast<ssize_t>(header_len)) {
    fail(path, "cannot read npy header");
  }
  *data_offset = header_start + header_len;
  try {
    return parse_npy_header(text);
  } catch (const ToolError& e) { fail(path, e.what()); }
}

}  // namespace

NpyMatrix::NpyMatrix(const std::string& path) : path_(path) {
  check_input_file(path);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  // The destructor does not run when the constructor throws: close the file here then.
  try {
    open_checked();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

void NpyMatrix::open_checked() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail(path_, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path_, "not a regular file");
  file_size_ = static_cast<std::uint64_t>(st.st_size);
  const NpyHeader h = read_header(fd_, path_, file_size_, &data_offset_);
  if (h.descr == "<f4") item_size_ = 4;
  else if (h.descr == "<f8") item_size_ = 8;
  else if (h.descr == "<f2") item_size_ = 2;
  else fail(path_, "unsupported dtype '" + h.descr + "' (expected <f2, <f4 or <f8)");
  if (h.fortran_order) fail(path_, "Fortran-order arrays are not supported (save with C order)");
  if (h.shape.size() != 2)
    fail(path_, "expected a 2-D array (rows, weights), got " + std::to_string(h.shape.size()) + " dimensions");
  dtype_ = h.descr;
  rows_ = h.shape[0];
  cols_ = h.shape[1];
  std::uint64_t cells = 0, bytes = 0;
  if (__builtin_mul_overflow(rows_, cols_, &cells) || __builtin_mul_overflow(cells, item_size_, &bytes)) {
    fail(path_, "shape overflows 64 bits");
  }
  if (bytes > file_size_ - data_offset_) {
    fail(path_, "truncated: header says " + std::to_string(rows_) + " x " + std::to_string(cols_) + " (" +
                    std::to_string(bytes) + " bytes of data) but the file holds " +
                    std::to_string(file_size_ - data_offset_));
  }
  if (file_size_ > 0) {
    void* m = ::mmap(nullptr, file_size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) fail(path_, std::string("cannot map: ") + std::strerror(errno));
    map_ = static_cast<const unsigned char*>(m);
    guard_ = std::make_unique<MappedGuard>(map_, file_size_, path_.c_str());
  }
}

NpyMatrix::~NpyMatrix() {
  guard_.reset();
  if (map_ != nullptr) ::munmap(const_cast<unsigned char*>(map_), file_size_);
  if (fd_ >= 0) ::close(fd_);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu, bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal half: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

namespace {

// cols items of item_size bytes (<f2, <f4 or <f8) at p as float32 into out.
void convert_row(const unsigned char* p, std::uint64_t cols, unsigned item_size, float* out) {
  if (item_size == 4) {
    std::memcpy(out, p, cols * 4);
    return;
  }
  for (std::uint64_t c = 0; c < cols; ++c) {
    if (item_size == 8) {
      double d;
      std::memcpy(&d, p + c * 8, 8);
      out[c] = static_cast<float>(d);
    } else {
      std::uint16_t h;
      std::memcpy(&h, p + c * 2, 2);
      out[c] = half_to_float(h);
    }
  }
}

}  // namespace

const float* NpyMatrix::row(std::uint64_t r, float* out) const {
  const unsigned char* p = map_ + data_offset_ + r * cols_ * item_size_;
  if (rows_in_place()) { return reinterpret_cast<const float*>(p); }
  convert_row(p, cols_, item_size_, out);
  return out;
}

void NpyMatrix::read_row(std::uint64_t r, float* out) const {
  const std::size_t bytes = cols_ * item_size_;
  thread_local std::vector<unsigned char> buffer;
  unsigned char* into = reinterpret_cast<unsigned char*>(out);
  if (item_size_ != 4) {
    buffer.resize(bytes);
    into = buffer.data();
  }
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t got = ::pread(fd_, into + done, bytes - done, static_cast<off_t>(data_offset_ + r * bytes + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(path_, "reading row " + std::to_string(r) + ": " + std::strerror(errno));
    if (got == 0) fail(path_, "row " + std::to_string(r) + " is past the end of the file: it shrank while being read");
    done += static_cast<std::size_t>(got);
  }
  if (item_size_ != 4) convert_row(into, cols_, item_size_, out);
}

bool NpyMatrix::scattered(const std::uint64_t* rows, std::size_t count) {
  return count > 0 && (!std::is_sorted(rows, rows + count) || rows[count - 1] - rows[0] + 1 >= 2 * count);
}

void NpyMatrix::advise(std::uint64_t first, std::uint64_t last, bool will_need) const {
  if (map_ == nullptr || last <= first) return;
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::uint64_t begin = data_offset_ + first * cols_ * item_size_;
  const std::uint64_t end = data_offset_ + last * cols_ * item_size_;
  begin -= begin % page;
  ::madvise(const_cast<unsigned char*>(map_) + begin, end - begin, will_need ? MADV_WILLNEED : MADV_DONTNEED);
}

void NpyMatrix::advise_rows(const std::uint64_t* rows, std::size_t count, bool will_need) const {
  // Releasing: the whole span of ascending rows. Touching a row maps its neighbours' cached pages
  // too (the kernel's fault-around), and those count in our resident set until released.
  if (!will_need && count > 0 && std::is_sorted(rows, rows + count)) return advise(rows[0], rows[count - 1] + 1, false);
  std::size_t i = 0;
  while (i < count) {
    std::size_t j = i + 1;
    while (j < count && rows[j] == rows[j - 1] + 1) ++j;
    advise(rows[i], rows[j - 1] + 1, will_need);
    i = j;
  }
}

NpyRowChunk::NpyRowChunk(const NpyMatrix& matrix, const std::uint64_t* rows, std::uint64_t first, std::size_t count)
    : matrix_(matrix),
      rows_(rows),
      first_(first),
      count_(count),
      scattered_(rows != nullptr && NpyMatrix::scattered(rows, count)) {
  advise(true);
}

NpyRowChunk::~NpyRowChunk() { advise(false); }

void NpyRowChunk::advise(bool will_need) const {
  if (scattered_) return;
  if (rows_) matrix_.advise_rows(rows_, count_, will_need);
  else matrix_.advise(first_, first_ + count_, will_need);
}

const float* NpyRowChunk::row(std::size_t i, std::vector<float>& buffer) const {
  const bool in_place = !scattered_ && matrix_.rows_in_place();
  if (!in_place && buffer.size() < matrix_.cols()) buffer.resize(matrix_.cols());
  if (!scattered_) return matrix_.row(index(i), buffer.data());
  matrix_.read_row(index(i), buffer.data());
  return buffer.data();
}

std::string npy_f32_header(std::uint64_t rows, std::uint64_t cols, std::size_t total_bytes) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), }";
  // Version 1.0: magic(6) + version(2) + u16 length, the whole header padded to 64 bytes.
  const std::size_t total = std::max(total_bytes, (10 + dict.size() + 1 + 63) / 64 * 64);
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string header = std::string("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
}

void write_npy_f32(const std::string& path, const float* data, std::uint64_t rows, std::uint64_t cols) {
  NpyWriter w(path, rows, cols);
  w.append(data, rows);
  w.commit();
}

struct NpyWriter::Impl {
  AtomicFile file;
  std::uint64_t rows, cols, written = 0;
  Impl(const std::string& path, std::uint64_t r, std::uint64_t c) : file(path), rows(r), cols(c) {}
};

NpyWriter::NpyWriter(const std::string& path, std::uint64_t rows, std::uint64_t cols)
    : impl_(new Impl(path, rows, cols)) {
  const std::string header = npy_f32_header(rows, cols);
  impl_->file.write(header.data(), header.size());
}

NpyWriter::~NpyWriter() { delete impl_; }

void NpyWriter::append(const float* data, std::uint64_t num_rows) {
  impl_->file.write(data, num_rows * impl_->cols * sizeof(float));
  impl_->written += num_rows;
}

void NpyWriter::commit() {
  if (impl_->written != impl_->rows) {
    throw ToolError(impl_->file.path() + ": wrote " + std::to_string(impl_->written) + " of " +
                    std::to_string(impl_->rows) + " rows");
  }
  impl_->file.commit();
}

}  // namespace dpa::tools
