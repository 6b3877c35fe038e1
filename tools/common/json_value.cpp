#include "common/json_value.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/cli_args.hpp"

namespace dpa::tools {

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ToolError("JSON: " + what + " at byte " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) == 0) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  JsonValue value(int depth) {
    if (depth > 256) fail("nesting too deep");
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end");
    JsonValue v;
    const char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v.kind_ = JsonValue::Kind::kObject;
      if (consume('}')) return v;
      do {
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a key");
        std::string key = string_literal();
        expect(':');
        v.object_[key] = value(depth + 1);
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      ++pos_;
      v.kind_ = JsonValue::Kind::kArray;
      if (consume(']')) return v;
      do {
        v.array_.push_back(value(depth + 1));
      } while (consume(','));
      expect(']');
    } else if (c == '"') {
      v.kind_ = JsonValue::Kind::kString;
      v.string_ = string_literal();
    } else if (literal("true")) {
      v.kind_ = JsonValue::Kind::kBool;
      v.bool_ = true;
    } else if (literal("false")) {
      v.kind_ = JsonValue::Kind::kBool;
    } else if (literal("null")) {
      v.kind_ = JsonValue::Kind::kNull;
    } else {
      v.kind_ = JsonValue::Kind::kNumber;
      const char* begin = s_.c_str() + pos_;
      char* end = nullptr;
      errno = 0;
      v.number_ = std::strtod(begin, &end);
      if (end == begin) fail("unexpected character");
      pos_ += static_cast<std::size_t>(end - begin);
    }
    return v;
  }

  std::string string_literal() {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) fail("unterminated escape");
        const char e = s_[pos_++];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'u': {
            if (pos_ + 4 > s_.size()) fail("bad \\u escape");
            const unsigned code = static_cast<unsigned>(std::strtoul(s_.substr(pos_, 4).c_str(), nullptr, 16));
            pos_ += 4;
            if (code < 0x80) {
              out += static_cast<char>(code);
            } else if (code < 0x800) {
              out += static_cast<char>(0xC0 | (code >> 6));
              out += static_cast<char>(0x80 | (code & 0x3F));
            } else {
              out += static_cast<char>(0xE0 | (code >> 12));
              out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
              out += static_cast<char>(0x80 | (code & 0x3F));
            }
            break;
          }
          default: out += e;
        }
      } else {
        out += c;
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

JsonValue JsonValue::parse(const std::string& text) { return JsonParser(text).document(); }

const JsonValue* JsonValue::find(const std::string& key) const {
  if (kind_ != Kind::kObject) return nullptr;
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &it->second;
}

const JsonValue& JsonValue::at(const std::string& key) const {
  if (kind_ != Kind::kObject) throw ToolError("JSON: expected an object holding '" + key + "'");
  const JsonValue* v = find(key);
  if (v == nullptr) throw ToolError("JSON: missing key '" + key + "'");
  return *v;
}

const std::vector<JsonValue>& JsonValue::array() const {
  if (kind_ != Kind::kArray) throw ToolError("JSON: expected an array");
  return array_;
}

const std::string& JsonValue::string() const {
  if (kind_ != Kind::kString) throw ToolError("JSON: expected a string");
  return string_;
}

double JsonValue::number() const {
  if (kind_ == Kind::kNumber) return number_;
  if (kind_ == Kind::kString) {
    char* end = nullptr;
    const double v = std::strtod(string_.c_str(), &end);
    if (!string_.empty() && *end == '\0') return v;
  }
  throw ToolError("JSON: expected a number");
}

bool JsonValue::boolean() const {
  if (kind_ != Kind::kBool) throw ToolError("JSON: expected true or false");
  return bool_;
}

}  // namespace dpa::tools
