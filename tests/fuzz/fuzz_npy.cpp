// npy files from outside: the header parser and the memory-mapped reader.
#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "memory_file.hpp"
#include "zoo/npy_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    dpa::tools::parse_npy_header(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const dpa::tools::ToolError&) {}
  MemoryFile file(data, size);
  if (!file.ok()) return 0;
  try {
    const dpa::tools::NpyMatrix m(file.path());
    std::vector<float> row(m.cols() < (1u << 16) ? m.cols() : 0);
    if (!row.empty()) {
      for (std::uint64_t r = 0; r < m.rows() && r < 4; ++r) m.row(r, row.data());
    }
  } catch (const dpa::tools::ToolError&) {}
  return 0;
}
