// dpa export-c: a model as a C header for firmware.
#include <string>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "model/c_export.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

int run_export_c(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "-o|--output= --name=");
  args.expect_positionals(1, "MODEL.dpa");
  const std::string out = args.required("-o", "model.h");
  const std::string name = args.value_or("--name", "dpa_model_data");
  if (!is_c_identifier(name))
    throw UsageError("--name must be a C identifier (not a keyword, not starting with '_'), got '" + name + "'");
  const ModelFile loaded(args.positionals()[0]);
  const std::size_t slash = out.find_last_of('/');
  const std::string h = model_c_header(loaded.bytes(), loaded.size(), loaded.model(), name,
                                       slash == std::string::npos ? out : out.substr(slash + 1), args.positionals()[0]);
  write_file_atomically(out, h.data(), h.size());
  return 0;
}

namespace {

const char* const kExportCUsage = R"(usage: dpa export-c MODEL.dpa -o model.h [--name NAME]

Writes the verified model bytes as `static const unsigned char NAME[]` (16-byte aligned, for
flash) with NAME_size, and a short comment showing how to load and call it. NAME defaults to
dpa_model_data and must be a C identifier.
)";

}  // namespace

const Command export_c_command = {"export-c", "write a model as a C header for firmware", kExportCUsage, run_export_c};

}  // namespace dpa::tools
