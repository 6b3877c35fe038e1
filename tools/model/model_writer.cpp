#include "model/model_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/errors.hpp"
#include "common/text_format.hpp"
#include "model/tree_layout.hpp"

namespace dpa::tools {
namespace {

constexpr std::uint32_t kAlign = DPA_MODEL_ALIGNMENT;

class ByteBuilder {
 public:
  std::size_t size() const { return bytes_.size(); }
  void pad_to(std::size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
  }
  template <class T>
  void put(const T& value) {
    const auto* p = reinterpret_cast<const unsigned char*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_floats(const std::vector<float>& v) {
    for (float f : v) put(f);
  }
  void put_bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    bytes_.insert(bytes_.end(), p, p + n);
  }
  std::vector<unsigned char>& bytes() { return bytes_; }

 private:
  std::vector<unsigned char> bytes_;
};

void require(bool ok, const std::string& what) {
  if (!ok) throw ToolError("cannot write model: " + what);
}

void require_finite(const std::vector<float>& v, const std::string& what) {
  for (float f : v) require(std::isfinite(f), what + " holds NaN or Inf");
}

// Names go to one string table; each is written once and found by offset.
class StringTable {
 public:
  std::uint32_t add(const std::string& name) {
    const std::string problem = model_name_problem(name);
    require(problem.empty(), "context name '" + printable(name) + "' " + problem);
    const auto offset = static_cast<std::uint32_t>(bytes_.size());
    bytes_ += name;
    bytes_ += '\0';
    return offset;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

void require_distinct(std::vector<std::string> names, const std::string& what) {
  std::sort(names.begin(), names.end());
  require(std::adjacent_find(names.begin(), names.end()) == names.end(), "two " + what + " share a name");
}

void write_inputs(ByteBuilder& b, const FeatureSpec& f) {
  require(f.weights || !f.context.empty(), "the model reads neither weights nor context values");
  require(f.context.size() <= DPA_MODEL_MAX_CONTEXT,
          "more than " + std::to_string(DPA_MODEL_MAX_CONTEXT) + " context values");
  std::vector<dpa_input_block> blocks;
  if (f.weights) {
    const dpa_layout layout = f.layout();
    require(dpa_layout_check(&layout) == DPA_OK, "invalid layout");
    require(f.kind == DPA_FEATURES_RAW_WEIGHTS || dpa_stats_per_segment(f.stats_set) > 0, "unknown statistics set");
    const bool statistics = f.kind == DPA_FEATURES_STATISTICS;
    blocks.push_back({statistics ? DPA_INPUT_STATISTICS : DPA_INPUT_RAW_WEIGHTS,
                      statistics ? static_cast<std::uint32_t>(f.stats_set) : 0u, f.weight_features(), 0u});
  }
  if (!f.context.empty()) blocks.push_back({DPA_INPUT_CONTEXT, 0u, static_cast<std::uint32_t>(f.context.size()), 0u});

  StringTable strings;
  std::vector<dpa_context_input> context;
  std::vector<std::uint32_t> categories;
  std::vector<std::string> names;
  for (const ContextInput& c : f.context) {
    names.push_back(c.name);
    dpa_context_input in{strings.add(c.name), static_cast<std::uint16_t>(c.kind),
                         static_cast<std::uint16_t>(c.transform), 0u, 0u};
    if (c.kind == DPA_CONTEXT_CATEGORICAL) {
      require(c.transform == DPA_CONTEXT_AS_IS, "categorical context '" + c.name + "' cannot be transformed");
      require(!c.categories.empty() && c.categories.size() <= DPA_MODEL_MAX_VALUE_CATEGORIES,
              "categorical context '" + c.name + "' needs 1 to " + std::to_string(DPA_MODEL_MAX_VALUE_CATEGORIES) +
                  " categories");
      require_distinct(c.categories, "categories of '" + c.name + "'");
      in.num_categories = static_cast<std::uint32_t>(c.categories.size());
      in.first_category = static_cast<std::uint32_t>(categories.size());
      for (const std::string& category : c.categories) categories.push_back(strings.add(category));
    } else {
      require(c.categories.empty(), "numeric context '" + c.name + "' has categories");
    }
    context.push_back(in);
  }
  require_distinct(names, "context values");
  require(categories.size() <= DPA_MODEL_MAX_CATEGORIES,
          "more than " + std::to_string(DPA_MODEL_MAX_CATEGORIES) + " categories");

  dpa_inputs_section s{};
  s.num_blocks = static_cast<std::uint32_t>(blocks.size());
  s.num_features = f.num_features();
  s.total_length = f.weights ? f.total_length : 0;
  s.num_segments = f.weights ? static_cast<std::uint32_t>(f.segments.size()) : 0;
  s.num_context = static_cast<std::uint32_t>(context.size());
  s.num_categories = static_cast<std::uint32_t>(categories.size());
  s.strings_bytes = static_cast<std::uint32_t>(strings.bytes().size());
  b.put(s);
  for (const dpa_input_block& block : blocks) b.put(block);
  if (f.weights) {
    for (const dpa_segment& seg : f.segments) b.put(seg);
  }
  for (const dpa_context_input& c : context) b.put(c);
  for (std::uint32_t offset : categories) b.put(offset);
  b.put_bytes(strings.bytes().data(), strings.bytes().size());
}

void write_linear(ByteBuilder& b, const LinearModel& l, std::uint32_t num_features) {
  require(l.mean.size() == num_features && l.inv_scale.size() == num_features && l.weight.size() == num_features,
          "linear model sizes differ from the feature count");
  require(std::isfinite(l.intercept), "intercept is NaN or Inf");
  require_finite(l.mean, "linear mean");
  require_finite(l.inv_scale, "linear scale");
  require_finite(l.weight, "linear weights");
  dpa_linear_section s{};
  s.num_features = num_features;
  s.intercept = l.intercept;
  b.put(s);
  b.put_floats(l.mean);
  b.put_floats(l.inv_scale);
  b.put_floats(l.weight);
}

void write_mlp(ByteBuilder& b, const MlpModel& m, std::uint32_t num_features) {
  require(!m.layers.empty() && m.layers.size() <= DPA_MODEL_MAX_MLP_LAYERS, "MLP layer count");
  require(m.mean.size() == num_features && m.inv_scale.size() == num_features,
          "MLP input standardisation sizes differ from the feature count");
  require_finite(m.mean, "MLP mean");
  require_finite(m.inv_scale, "MLP scale");
  dpa_mlp_section s{};
  s.num_layers = static_cast<std::uint32_t>(m.layers.size());
  s.num_inputs = num_features;
  b.put(s);
  b.put_floats(m.mean);
  b.put_floats(m.inv_scale);
  std::uint32_t inputs = num_features;
  for (std::size_t k = 0; k < m.layers.size(); ++k) {
    const MlpLayer& l = m.layers[k];
    require(l.inputs == inputs, "MLP layer " + std::to_string(k) + " input count");
    require(l.outputs >= 1 && l.outputs <= DPA_MODEL_MAX_MLP_WIDTH, "MLP layer width");
    require(k + 1 < m.layers.size() || l.outputs == 1, "the last MLP layer has one output");
    require(l.weight.size() == static_cast<std::size_t>(l.inputs) * l.outputs && l.bias.size() == l.outputs,
            "MLP layer " + std::to_string(k) + " parameter sizes");
    require_finite(l.weight, "MLP weights");
    require_finite(l.bias, "MLP biases");
    b.put(dpa_mlp_layer{l.inputs, l.outputs, static_cast<std::uint32_t>(l.activation), 0u});
    b.put_floats(l.weight);
    b.put_floats(l.bias);
    inputs = l.outputs;
  }
}

void write_metadata(ByteBuilder& b, const Provenance& p) {
  dpa_metadata_section s{};
  s.train_rows = p.train_rows;
  s.validation_rows = p.validation_rows;
  s.test_rows = p.test_rows;
  s.split_seed = p.split_seed;
  s.validation_r2 = p.validation_r2;
  s.validation_kendall_tau = p.validation_kendall_tau;
  s.test_r2 = p.test_r2;
  s.test_kendall_tau = p.test_kendall_tau;
  s.test_mae = p.test_mae;
  s.test_rmse = p.test_rmse;
  s.text_bytes = static_cast<std::uint32_t>(p.text.size());
  b.put(s);
  b.put_bytes(p.text.data(), p.text.size());
}

}  // namespace

std::vector<unsigned char> write_model(const ModelSpec& spec) {
  static_assert(DPA_MODEL_ALIGNMENT == 16, "writer assumes 16-byte sections");
  ByteBuilder b;
  b.put(dpa_model_header{});  // filled in at the end
  std::vector<dpa_section_entry> sections;
  auto section = [&](dpa_section_type type, auto&& write) {
    b.pad_to(kAlign);
    const std::size_t start = b.size();
    write();
    sections.push_back({static_cast<std::uint32_t>(type), static_cast<std::uint32_t>(start),
                        static_cast<std::uint32_t>(b.size() - start), 0u});
  };
  const std::uint32_t num_features = spec.features.num_features();
  section(DPA_SECTION_INPUTS, [&] { write_inputs(b, spec.features); });
  section(DPA_SECTION_OUTPUT, [&] {
    b.put(dpa_output_section{
        static_cast<std::uint32_t>(spec.transform), static_cast<std::uint32_t>(spec.target), {0u, 0u}});
  });
  if (const auto* g = std::get_if<GbdtModel>(&spec.predictor)) {
    const EncodedTrees trees = encode_trees(*g, num_features);
    section(trees.type, [&] { b.put_bytes(trees.bytes.data(), trees.bytes.size()); });
  } else if (const auto* l = std::get_if<LinearModel>(&spec.predictor)) {
    section(DPA_SECTION_LINEAR, [&] { write_linear(b, *l, num_features); });
  } else {
    section(DPA_SECTION_MLP, [&] { write_mlp(b, std::get<MlpModel>(spec.predictor), num_features); });
  }
  if (spec.provenance) section(DPA_SECTION_METADATA, [&] { write_metadata(b, *spec.provenance); });
  b.pad_to(kAlign);
  const std::size_t table = b.size();
  for (const dpa_section_entry& e : sections) b.put(e);
  require(b.size() < (1ull << 32), "model larger than 4 GB");

  dpa_model_header h{};
  std::memcpy(h.magic, DPA_MODEL_MAGIC, 8);
  h.version_major = DPA_MODEL_VERSION_MAJOR;
  h.version_minor = DPA_MODEL_VERSION_MINOR;
  h.total_bytes = static_cast<std::uint32_t>(b.size());
  h.section_count = static_cast<std::uint32_t>(sections.size());
  h.section_table_offset = static_cast<std::uint32_t>(table);
  std::vector<unsigned char>& bytes = b.bytes();
  std::memcpy(bytes.data(), &h, sizeof h);
  const std::uint32_t crc = dpa_crc32(bytes.data() + 12, bytes.size() - 12);
  std::memcpy(bytes.data() + 8, &crc, sizeof crc);
  return bytes;
}

}  // namespace dpa::tools
