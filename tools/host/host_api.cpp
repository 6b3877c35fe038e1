// The C ABI of libdpa_host.so over the host library: exceptions become a status and this
// thread's message.
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "dpa_host.h"
#include "sweep/live_sweep.hpp"
#include "zoo/zoo_writer.hpp"

using dpa::tools::LiveSweep;
using dpa::tools::ZooWriter;

struct dpa_host_zoo_writer {
  std::unique_ptr<ZooWriter> writer;
};

struct dpa_host_sweep {
  std::unique_ptr<LiveSweep> sweep;
};

namespace {

thread_local std::string last_error;

template <typename F>
int guarded(F&& f) {
  try {
    f();
    last_error.clear();
    return 0;
  } catch (const std::exception& e) { last_error = e.what(); } catch (...) {
    last_error = "unknown error";
  }
  return 1;
}

int null_argument(const char* which) {
  last_error = std::string(which) + " is NULL";
  return 1;
}

// Bytes out through a caller's buffer: *needed always set; a NULL buffer of size 0 asks the size.
void copy_out(const void* data, std::size_t bytes, void* buffer, std::size_t size, std::size_t* needed) {
  if (needed) *needed = bytes;
  if (buffer == nullptr && size == 0) return;
  if (buffer == nullptr) {
    throw dpa::tools::ToolError("the buffer is NULL but its size is " + std::to_string(size) +
                                "; pass NULL with size 0 to ask the size (" + std::to_string(bytes) + " bytes)");
  }
  if (size < bytes) {
    throw dpa::tools::ToolError("the buffer holds " + std::to_string(size) + " bytes; " + std::to_string(bytes) +
                                " are needed");
  }
  if (bytes) std::memcpy(buffer, data, bytes);
}

// A whole number in [0, limit] from an options object, or a UsageError naming it.
std::uint64_t whole_option(const nlohmann::json& j, const char* name, std::uint64_t limit, std::uint64_t fallback) {
  if (!j.contains(name)) return fallback;
  const nlohmann::json& v = j[name];
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= limit) return v.get<std::uint64_t>();
  throw dpa::tools::UsageError(std::string("sweep options: '") + name + "' must be a whole number from 0 to " +
                               std::to_string(limit) + ", got " + v.dump());
}

double fraction_option(const nlohmann::json& j, const char* name, double high, double fallback) {
  if (!j.contains(name)) return fallback;
  const nlohmann::json& v = j[name];
  if (v.is_number() && v.get<double>() >= 0 && v.get<double>() <= high) return v.get<double>();
  throw dpa::tools::UsageError(std::string("sweep options: '") + name + "' must be a number in [0, " +
                               nlohmann::json(high).dump() + "], got " + v.dump());
}

dpa::tools::SweepRefitPriority refit_priority_option(const nlohmann::json& j) {
  using dpa::tools::SweepRefitPriority;
  const std::pair<const char*, SweepRefitPriority> names[] = {
      {"idle", SweepRefitPriority::kIdle}, {"low", SweepRefitPriority::kLow}, {"normal", SweepRefitPriority::kNormal}};
  if (!j.contains("refit_priority")) return dpa::tools::SweepOptions{}.refit_priority;
  for (const auto& [name, priority] : names)
    if (j["refit_priority"] == name) return priority;
  throw dpa::tools::UsageError("sweep options: 'refit_priority' must be \"idle\", \"low\" or \"normal\", got " +
                               j["refit_priority"].dump());
}

dpa::tools::LiveSweepOptions sweep_options(const char* options_json) {
  const nlohmann::json j = nlohmann::json::parse(options_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw dpa::tools::ToolError("sweep options: not a JSON object");
  for (const auto& [name, value] : j.items()) {
    if (name != "percentile" && name != "startup" && name != "audit" && name != "seed" && name != "history" &&
        name != "background" && name != "partial_curves" && name != "max_fit_rows" && name != "refit_priority")
      throw dpa::tools::UsageError("sweep options: unknown option '" + name + "'");
  }
  dpa::tools::LiveSweepOptions o;
  o.learner.background = true;
  o.learner.percentile = fraction_option(j, "percentile", 100, o.learner.percentile);
  o.learner.startup = static_cast<std::uint32_t>(whole_option(j, "startup", UINT32_MAX, o.learner.startup));
  o.learner.audit = fraction_option(j, "audit", 1, o.learner.audit);
  o.learner.seed = whole_option(j, "seed", UINT64_MAX, o.learner.seed);
  o.learner.max_fit_rows =
      static_cast<std::uint32_t>(whole_option(j, "max_fit_rows", UINT32_MAX, o.learner.max_fit_rows));
  o.learner.refit_priority = refit_priority_option(j);
  if (j.contains("background") && !j["background"].is_boolean())
    throw dpa::tools::UsageError("sweep options: 'background' must be true or false");
  o.learner.background = j.value("background", o.learner.background);
  if (j.contains("partial_curves") && !j["partial_curves"].is_boolean())
    throw dpa::tools::UsageError("sweep options: 'partial_curves' must be true or false");
  o.learner.partial_curves = j.value("partial_curves", o.learner.partial_curves);
  const nlohmann::json history = j.value("history", nlohmann::json::array());
  if (!history.is_array()) throw dpa::tools::UsageError("sweep options: 'history' must be a list of zoo directories");
  for (const nlohmann::json& dir : history) {
    if (!dir.is_string()) throw dpa::tools::UsageError("sweep options: 'history' must be a list of zoo directories");
    o.history.push_back(dir.get<std::string>());
  }
  return o;
}

}  // namespace

extern "C" {

const char* dpa_host_last_error(void) { return last_error.c_str(); }

int dpa_host_zoo_writer_open(const char* dir, const dpa_layout* layout, const char* store, dpa_host_zoo_writer** out) {
  if (dir == nullptr || layout == nullptr || store == nullptr || out == nullptr) return null_argument("an argument");
  *out = nullptr;
  return guarded([&] {
    auto handle = std::make_unique<dpa_host_zoo_writer>();
    handle->writer = std::make_unique<ZooWriter>(dir, *layout, dpa::tools::parse_zoo_store(store));
    *out = handle.release();
  });
}

int dpa_host_zoo_writer_add(dpa_host_zoo_writer* writer, const float* weights, size_t num_weights,
                            const char* metrics_json) {
  if (writer == nullptr || weights == nullptr || metrics_json == nullptr) return null_argument("an argument");
  return guarded([&] { writer->writer->add(weights, num_weights, metrics_json); });
}

int dpa_host_zoo_writer_add_row(dpa_host_zoo_writer* writer, const float* row, size_t count, const char* metrics_json) {
  if (writer == nullptr || row == nullptr || metrics_json == nullptr) return null_argument("an argument");
  return guarded([&] { writer->writer->add_row(row, count, metrics_json); });
}

uint64_t dpa_host_zoo_writer_rows(const dpa_host_zoo_writer* writer) {
  return writer == nullptr ? 0 : writer->writer->rows();
}

int dpa_host_zoo_writer_sync(dpa_host_zoo_writer* writer) {
  if (writer == nullptr) return null_argument("writer");
  return guarded([&] { writer->writer->sync(); });
}

int dpa_host_zoo_writer_release_metrics(dpa_host_zoo_writer* writer) {
  if (writer == nullptr) return null_argument("writer");
  return guarded([&] { writer->writer->write_release_metrics(); });
}

void dpa_host_zoo_writer_close(dpa_host_zoo_writer* writer) { delete writer; }

int dpa_host_sweep_open(const char* dir, const dpa_layout* layout, const char* options_json, dpa_host_sweep** out) {
  if (dir == nullptr || layout == nullptr || options_json == nullptr || out == nullptr)
    return null_argument("an argument");
  *out = nullptr;
  return guarded([&] {
    auto handle = std::make_unique<dpa_host_sweep>();
    handle->sweep = std::make_unique<LiveSweep>(dir, *layout, sweep_options(options_json));
    *out = handle.release();
  });
}

int dpa_host_sweep_report(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                          const float* weights, size_t num_weights, const char* metrics_json, const char* hyper_json,
                          int32_t decide, const dpa_layout* layout, dpa_host_sweep_decision* out) {
  if (sweep == nullptr || trial == nullptr || weights == nullptr || metrics_json == nullptr || hyper_json == nullptr ||
      out == nullptr)
    return null_argument("an argument");
  return guarded([&] {
    const dpa::tools::SweepDecision d =
        sweep->sweep->report(trial, step, epochs, weights, num_weights, metrics_json, hyper_json, decide != 0, layout);
    *out = {d.stop, d.decided, d.predicted, d.score, d.threshold, d.audit};
  });
}

int dpa_host_sweep_report_statistics(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                                     const float* statistics, size_t count, uint64_t num_weights,
                                     const char* metrics_json, const char* hyper_json, int32_t decide,
                                     dpa_host_sweep_decision* out) {
  if (sweep == nullptr || trial == nullptr || statistics == nullptr || metrics_json == nullptr ||
      hyper_json == nullptr || out == nullptr)
    return null_argument("an argument");
  return guarded([&] {
    const dpa::tools::SweepDecision d = sweep->sweep->report_statistics(
        trial, step, epochs, statistics, count, num_weights, metrics_json, hyper_json, decide != 0);
    *out = {d.stop, d.decided, d.predicted, d.score, d.threshold, d.audit};
  });
}

int dpa_host_sweep_observe_statistics(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                                      const float* statistics, size_t count, uint64_t num_weights,
                                      const char* metrics_json, const char* hyper_json, int32_t* fed) {
  if (sweep == nullptr || trial == nullptr || statistics == nullptr || metrics_json == nullptr ||
      hyper_json == nullptr || fed == nullptr)
    return null_argument("an argument");
  return guarded([&] {
    *fed =
        sweep->sweep->observe_statistics(trial, step, epochs, statistics, count, num_weights, metrics_json, hyper_json);
  });
}

int dpa_host_sweep_stopped(dpa_host_sweep* sweep, const char* trial) {
  if (sweep == nullptr || trial == nullptr) return null_argument("an argument");
  return guarded([&] { sweep->sweep->stopped(trial); });
}

int dpa_host_sweep_state(const dpa_host_sweep* sweep, char* buffer, size_t size, size_t* needed) {
  if (sweep == nullptr) return null_argument("sweep");
  return guarded([&] {
    const dpa::tools::SweepLearnerState s = sweep->sweep->state();
    nlohmann::json j = {
        {"fits", s.fits},       {"finished", s.finished},           {"fit_trials", s.fit_trials},
        {"fitting", s.fitting}, {"trusted_steps", s.trusted_steps}, {"refits", nlohmann::json::array()}};
    for (const dpa::tools::SweepRefit& r : s.refits) {
      j["refits"].push_back({{"fit", r.fit},
                             {"trials", r.trials},
                             {"rows", r.rows},
                             {"fit_rows", r.fit_rows},
                             {"wall_seconds", r.wall_seconds},
                             {"cpu_seconds", r.cpu_seconds},
                             {"late", r.late}});
    }
    for (const auto& [step, tau] : s.tau_model) j["tau_model"][std::to_string(step)] = tau;
    for (const auto& [step, tau] : s.tau_observed) j["tau_observed"][std::to_string(step)] = tau;
    for (const auto& [step, w] : s.blend) j["blend"][std::to_string(step)] = w;
    const std::string text = j.dump();
    copy_out(text.c_str(), text.size() + 1, buffer, size, needed);
  });
}

int dpa_host_sweep_score(const dpa_host_sweep* sweep, const char* trial, uint32_t step, float* score, uint32_t* fit) {
  if (sweep == nullptr || trial == nullptr || score == nullptr || fit == nullptr) return null_argument("an argument");
  return guarded([&] { *score = sweep->sweep->score_of(trial, step, fit); });
}

int dpa_host_sweep_scores(const dpa_host_sweep* sweep, uint32_t step, char* buffer, size_t size, size_t* needed) {
  if (sweep == nullptr) return null_argument("sweep");
  return guarded([&] {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [trial, score] : sweep->sweep->scores_at(step)) {
      if (std::isfinite(score)) {
        j[trial] = score;
      } else {
        j[trial] = nullptr;
      }
    }
    const std::string text = j.dump();
    copy_out(text.c_str(), text.size() + 1, buffer, size, needed);
  });
}

int dpa_host_sweep_model(const dpa_host_sweep* sweep, unsigned char* buffer, size_t size, size_t* needed) {
  if (sweep == nullptr) return null_argument("sweep");
  return guarded([&] {
    const std::vector<unsigned char> bytes = sweep->sweep->model_bytes();
    copy_out(bytes.data(), bytes.size(), buffer, size, needed);
  });
}

int dpa_host_sweep_wait(dpa_host_sweep* sweep) {
  if (sweep == nullptr) return null_argument("sweep");
  return guarded([&] { sweep->sweep->wait(); });
}

void dpa_host_sweep_close(dpa_host_sweep* sweep) { delete sweep; }

}  // extern "C"
