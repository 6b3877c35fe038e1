#include "model/c_export.hpp"

#include <cctype>
#include <cstdio>

namespace dpa::tools {
namespace {

// A name or path inside a C comment: no line ends or other control bytes, no end of comment.
std::string comment_safe(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    out += control || (c == '/' && !out.empty() && out.back() == '*') ? '?' : c;
  }
  return out;
}

// C's keywords up to C23 and C++'s, which a header included from either may not use as a name.
constexpr const char* kKeywords[] = {"alignas",
                                     "alignof",
                                     "and",
                                     "and_eq",
                                     "asm",
                                     "auto",
                                     "bitand",
                                     "bitor",
                                     "bool",
                                     "break",
                                     "case",
                                     "catch",
                                     "char",
                                     "char16_t",
                                     "char32_t",
                                     "char8_t",
                                     "class",
                                     "co_await",
                                     "co_return",
                                     "co_yield",
                                     "compl",
                                     "concept",
                                     "const",
                                     "const_cast",
                                     "consteval",
                                     "constexpr",
                                     "constinit",
                                     "continue",
                                     "decltype",
                                     "default",
                                     "delete",
                                     "do",
                                     "double",
                                     "dynamic_cast",
                                     "else",
                                     "enum",
                                     "explicit",
                                     "export",
                                     "extern",
                                     "false",
                                     "float",
                                     "for",
                                     "friend",
                                     "goto",
                                     "if",
                                     "inline",
                                     "int",
                                     "long",
                                     "mutable",
                                     "namespace",
                                     "new",
                                     "noexcept",
                                     "not",
                                     "not_eq",
                                     "nullptr",
                                     "operator",
                                     "or",
                                     "or_eq",
                                     "private",
                                     "protected",
                                     "public",
                                     "register",
                                     "reinterpret_cast",
                                     "requires",
                                     "restrict",
                                     "return",
                                     "short",
                                     "signed",
                                     "sizeof",
                                     "static",
                                     "static_assert",
                                     "static_cast",
                                     "struct",
                                     "switch",
                                     "template",
                                     "this",
                                     "thread_local",
                                     "throw",
                                     "true",
                                     "try",
                                     "typedef",
                                     "typeid",
                                     "typename",
                                     "typeof",
                                     "typeof_unqual",
                                     "union",
                                     "unsigned",
                                     "using",
                                     "virtual",
                                     "void",
                                     "volatile",
                                     "wchar_t",
                                     "while",
                                     "xor",
                                     "xor_eq"};

// How to call the model: with its context values in order when it reads any.
std::string predict_usage(const dpa_model& model) {
  const std::string weights = model.layout.num_segments ? "weights" : "NULL";
  if (model.num_context == 0) {
    return " *   dpa_model_predict(&model, " + weights + ", " + std::to_string(model.layout.total_length) +
           ", &accuracy, scratch, sizeof scratch);\n";
  }
  std::string s = " *   float context[" + std::to_string(model.num_context) + "];  // in this order:";
  for (std::uint32_t i = 0; i < model.num_context; ++i) {
    dpa_context_info info;
    dpa_model_context_info(&model, i, &info);
    s += std::string(i ? "," : "") + (i % 4 == 0 ? "\n *   //  " : " ") + comment_safe(info.name) +
         (info.kind == DPA_CONTEXT_CATEGORICAL ? " (code: dpa_model_context_code)" : "");
  }
  return s + "\n *   dpa_inputs in = {" + weights + ", " + std::to_string(model.layout.total_length) + ", context, " +
         std::to_string(model.num_context) +
         "};\n *   dpa_model_predict_inputs(&model, &in, &accuracy, scratch, sizeof scratch);\n";
}

}  // namespace

bool is_c_identifier(const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  // Keywords, and names reserved to the implementation (_Bool, __x).
  for (const char* keyword : kKeywords) ok &= name != keyword;
  return ok && name[0] != '_';
}

std::string model_c_header(const unsigned char* bytes, std::size_t size, const dpa_model& model,
                           const std::string& name, const std::string& header_file, const std::string& source) {
  std::string guard = name;
  for (char& c : guard) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string h;
  h += "/* Generated by dpa export-c from " + comment_safe(source) +
       ". Do not edit.\n"
       " *\n"
       " * Usage (no heap, no I/O):\n"
       " *   #include <dpa/dpa.h>\n"
       " *   #include \"" +
       comment_safe(header_file) +
       "\"\n"
       " *   static dpa_model model;\n"
       " *   static unsigned char scratch[" +
       std::to_string(dpa_model_scratch_size(&model)) +
       "];\n"
       " *   if (dpa_model_load(" +
       name + ", " + name +
       "_size, &model) != DPA_OK) { ... }\n"
       " *   float accuracy;\n" +
       predict_usage(model) +
       " */\n"
       "#ifndef " +
       guard + "_H\n#define " + guard +
       "_H\n\n#include <stddef.h>\n\n"
       "#if defined(__GNUC__) || defined(__clang__)\n#define " +
       guard +
       "_ALIGN __attribute__((aligned(16)))\n"
       "#else\n#define " +
       guard +
       "_ALIGN\n#endif\n\n"
       "static const size_t " +
       name + "_size = " + std::to_string(size) +
       "u;\n"
       "static const unsigned char " +
       name + "[" + std::to_string(size) + "] " + guard + "_ALIGN = {\n";
  char buf[8];
  for (std::size_t i = 0; i < size; ++i) {
    std::snprintf(buf, sizeof buf, "0x%02x,", bytes[i]);
    h += (i % 16 == 0 ? "  " : "") + std::string(buf) + (i % 16 == 15 || i + 1 == size ? "\n" : "");
  }
  return h + "};\n\n#endif\n";
}

}  // namespace dpa::tools
