// A 2-D npy array (N rows × D columns) read through a memory map: the file may be many
// gigabytes; only the rows touched are paged in. A file that shrinks while mapped gives a
// one-line error and exit 1 (common/mapped_guard), never a silent SIGBUS. Format versions 1-3; dtypes <f2, <f4, <f8;
// C order. Also the writer of float32 npy files (features, predictions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dpa::tools {

class MappedGuard;

class NpyMatrix {
 public:
  // Opens and validates; throws ToolError naming the file and the problem.
  explicit NpyMatrix(const std::string& path);
  ~NpyMatrix();
  NpyMatrix(const NpyMatrix&) = delete;
  NpyMatrix& operator=(const NpyMatrix&) = delete;

  std::uint64_t rows() const { return rows_; }
  std::uint64_t cols() const { return cols_; }
  const std::string& dtype() const { return dtype_; }  // "<f2", "<f4" or "<f8"
  const std::string& path() const { return path_; }

  // Row r converted to float32 into out (cols() floats). Returns a pointer to the row: into the
  // map itself when the file is float32 (no copy), else into out.
  const float* row(std::uint64_t r, float* out) const;
  // Does row() return rows without a copy (float32 data at an aligned offset)?
  bool rows_in_place() const { return item_size_ == 4 && data_offset_ % alignof(float) == 0; }
  // Row r read with pread into out: for rows scattered over the file, whose pages (and, as the
  // kernel maps them, their neighbours') would otherwise join the resident set. A file that
  // shrank since it was opened is a ToolError, not a SIGBUS.
  void read_row(std::uint64_t r, float* out) const;
  // Are these rows scattered (unsorted, or spanning at least twice their count)? Then read_row.
  static bool scattered(const std::uint64_t* rows, std::size_t count);

  // Tell the kernel rows [first, last) will be read soon / are no longer needed.
  void advise(std::uint64_t first, std::uint64_t last, bool will_need) const;
  // The same for a list of rows: read ahead as runs of consecutive rows (a sparse choice, final
  // checkpoints only, does not read the rows between); released as the whole span of ascending
  // rows (pages mapped around the rows read go too).
  void advise_rows(const std::uint64_t* rows, std::size_t count, bool will_need) const;

 private:
  void open_checked();  // the constructor's checks and map, with fd_ open

  std::string path_, dtype_;
  std::uint64_t rows_ = 0, cols_ = 0, data_offset_ = 0, file_size_ = 0;
  unsigned item_size_ = 0;
  const unsigned char* map_ = nullptr;
  std::unique_ptr<MappedGuard> guard_;  // a SIGBUS in the map (the file shrank) is a message, exit 1
  int fd_ = -1;                         // kept open for read_row
};

// A chunk of rows about to be computed on, read as suits them: runs of consecutive rows through
// the map, read ahead when the chunk starts and released when it ends; scattered rows (see
// NpyMatrix::scattered) with pread, so that their neighbours' pages never join the resident set.
class NpyRowChunk {
 public:
  // rows: the chunk's row indices (count of them), or nullptr for rows first .. first + count - 1.
  NpyRowChunk(const NpyMatrix& matrix, const std::uint64_t* rows, std::uint64_t first, std::size_t count);
  ~NpyRowChunk();
  NpyRowChunk(const NpyRowChunk&) = delete;
  NpyRowChunk& operator=(const NpyRowChunk&) = delete;

  std::uint64_t index(std::size_t i) const { return rows_ ? rows_[i] : first_ + i; }
  // Row i of the chunk as float32: into the map where it can (float32 rows read through the map),
  // else into buffer, sized to cols() floats on first use (so float32 files need no row buffer).
  const float* row(std::size_t i, std::vector<float>& buffer) const;

 private:
  void advise(bool will_need) const;

  const NpyMatrix& matrix_;
  const std::uint64_t* rows_;
  std::uint64_t first_;
  std::size_t count_;
  bool scattered_;
};

// Parses an npy header (the bytes after the magic and version). Exposed for tests and fuzzing.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};
NpyHeader parse_npy_header(const std::string& text);  // throws ToolError

// The header of a float32 C-order (rows × cols) npy file (version 1.0), padded to at least
// total_bytes (a multiple of 64): an appending writer rewrites it in place as rows are added.
std::string npy_f32_header(std::uint64_t rows, std::uint64_t cols, std::size_t total_bytes = 0);

// Writes a float32 C-order (rows × cols) npy file atomically.
void write_npy_f32(const std::string& path, const float* data, std::uint64_t rows, std::uint64_t cols);

// Streams a float32 (rows × cols) npy file row block by row block, atomically.
class NpyWriter {
 public:
  NpyWriter(const std::string& path, std::uint64_t rows, std::uint64_t cols);
  ~NpyWriter();
  void append(const float* data, std::uint64_t num_rows);
  void commit();  // throws ToolError unless exactly `rows` rows were appended

 private:
  struct Impl;
  Impl* impl_;
};

// IEEE half to float (npy <f2).
float half_to_float(std::uint16_t h);

}  // namespace dpa::tools
