#include "common/mapped_guard.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "common/atomic_file.hpp"

namespace dpa::tools {
namespace {

// Fixed slots of atomics: the handler may only read them and call async-signal-safe functions.
constexpr int kSlots = 64;
struct Mapping {
  std::atomic<std::uintptr_t> begin{0}, end{0};
  std::atomic<const char*> path{nullptr};
};
Mapping g_mappings[kSlots];

void say(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

void on_bus_error(int signal, siginfo_t* info, void*) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (const Mapping& m : g_mappings) {
    const char* path = m.path.load();
    if (path != nullptr && address >= m.begin.load() && address < m.end.load()) {
      // Threads reading the same file fault together: one reports and exits, the others wait for it.
      static std::atomic<bool> reporting{false};
      if (reporting.exchange(true)) {
        for (;;) ::pause();
      }
      say("dpa: ");
      say(path);
      say(": the file shrank or became unreadable while being read (changed by another process?)\n");
      remove_temporaries_in_flight();
      ::_exit(1);
    }
  }
  // Not one of our files: the default action, as if no handler were installed.
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

void install_once() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    return ::sigaction(SIGBUS, &action, nullptr) == 0;
  }();
  (void)installed;
}

}  // namespace

MappedGuard::MappedGuard(const void* begin, std::size_t size, const char* path) {
  install_once();
  static std::mutex registering;  // one registrant at a time; the handler only reads
  const std::lock_guard<std::mutex> lock(registering);
  for (int i = 0; i < kSlots; ++i) {
    if (g_mappings[i].path.load() != nullptr) continue;
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    g_mappings[i].begin.store(b);
    g_mappings[i].end.store(b + size);
    g_mappings[i].path.store(path);  // published last: a slot with a path is complete
    slot_ = i;
    return;
  }
  // More mappings than slots: such a file's SIGBUS takes the default action.
}

MappedGuard::~MappedGuard() {
  if (slot_ >= 0) g_mappings[slot_].path.store(nullptr);
}

}  // namespace dpa::tools
