// gzip compression in memory, so compressed outputs go through AtomicFile like every other one.
#pragma once

#include <string>

namespace dpa::tools {

std::string gzip_compress(const std::string& data);  // throws ToolError

}  // namespace dpa::tools
