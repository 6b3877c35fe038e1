// A small JSON reader (RFC 8259) for importing other libraries' models: objects, arrays,
// strings, numbers (as double), booleans, null. Errors name the byte offset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dpa::tools {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind() const { return kind_; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_array() const { return kind_ == Kind::kArray; }

  // Accessors throw ToolError naming `what` when the value has another kind or a key is missing.
  const JsonValue& at(const std::string& key) const;
  const JsonValue* find(const std::string& key) const;  // nullptr when absent
  const std::vector<JsonValue>& array() const;
  const std::string& string() const;
  double number() const;  // numbers, and strings holding numbers (XGBoost writes "5E-1")
  bool boolean() const;

  static JsonValue parse(const std::string& text);  // throws ToolError

 private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace dpa::tools
