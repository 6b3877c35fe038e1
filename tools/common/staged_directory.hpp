// A directory of outputs that appears whole or not at all, and replaces only what its own kind of
// writer made. Files are written into NAME.tmp-PID beside the target, which holds a marker file
// from the start; commit() swaps it in. A target that exists must be empty or hold the marker (an
// earlier output of the same writer): anything else is refused, so `-o .` never replaces a
// project's README.md. A failure (a full disk) removes the staging directory and leaves the
// target as it was; staging directories of killed runs (their process is gone) are removed by the
// next run.
#pragma once

#include <string>

namespace dpa::tools {

class StagedDirectory {
 public:
  // `marker`: the file naming this writer's directories (".dpa-report"); `what`: the command's
  // name for its output in messages ("report"). Throws ToolError when the target is refused.
  StagedDirectory(std::string target, std::string marker, std::string what);
  ~StagedDirectory();  // removes the staging directory unless committed
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  // Writes `relative` (may contain '/') inside the staging directory; throws ToolError.
  void write(const std::string& relative, const std::string& text);
  // Replaces the target with the staging directory; throws ToolError and keeps the target.
  void commit();

 private:
  std::string target_, marker_, what_, staging_;
  bool committed_ = false;
};

}  // namespace dpa::tools
