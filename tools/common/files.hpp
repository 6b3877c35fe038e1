// Small file-system queries the readers and writers share.
#pragma once

#include <string>
#include <vector>

namespace dpa::tools {

// Whether path names something readable, without opening it (opening a FIFO would block).
bool is_readable(const std::string& path);

// Every reader calls this before opening an input: throws ToolError naming the file unless it is
// a regular file (a FIFO would block the open, /dev/zero never ends), and remembers the file as
// an input of this process.
void check_input_file(const std::string& path);

// Throws ToolError when an existing `output` is the same file as an input checked above (by
// device and inode, whatever the path's spelling): no command replaces its own input.
void check_not_an_input(const std::string& output);

// A whole (small) file's bytes; throws ToolError naming the file when it cannot be read.
std::string read_file(const std::string& path);
// The names in a directory, "." and ".." left out; throws ToolError naming it.
std::vector<std::string> directory_entries(const std::string& dir);

}  // namespace dpa::tools
