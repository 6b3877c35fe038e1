#include "common/files.hpp"

#include <cstdio>

namespace dpa::tools {

bool is_readable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f) std::fclose(f);
  return f != nullptr;
}

}  // namespace dpa::tools
