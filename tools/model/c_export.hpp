// A verified model as a C header: 16-byte aligned const array for flash, plus usage notes.
#pragma once

#include <cstddef>
#include <string>

#include "dpa/dpa.h"

namespace dpa::tools {

// name: a C identifier (checked by the caller); header_file: the name users #include.
std::string model_c_header(const unsigned char* bytes, std::size_t size, const dpa_model& model,
                           const std::string& name, const std::string& header_file, const std::string& source);

bool is_c_identifier(const std::string& name);

}  // namespace dpa::tools
