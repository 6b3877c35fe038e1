// Small file-system queries the readers share.
#pragma once

#include <string>

namespace dpa::tools {

// Whether path can be opened for reading (e.g. to prefer NAME.gz over NAME when both may exist).
bool is_readable(const std::string& path);

}  // namespace dpa::tools
