#include "common/parallel.hpp"

#include <chrono>
#include <utility>

namespace dpa::tools {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls ready() for up to about 100 us; whether it became true. Long enough to bridge the gaps
// between a trainer's parallel_for calls, short enough not to hold a core when work stops.
template <class Ready>
bool spin_until(Ready ready) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(100)) return false;
  }
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_items() {
  for (;;) {
    std::size_t i;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= total_) return;
      i = next_++;
    }
    try {
      (*job_)(i);
    } catch (...) {
      // The failure of the lowest item wins (deterministic); items not yet started never start.
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_ || i < error_item_) {
        error_ = std::current_exception();
        error_item_ = i;
      }
      next_ = total_;
    }
  }
}

void ThreadPool::worker_loop() {
  unsigned long seen = 0;
  for (;;) {
    const auto has_work = [&] { return stop_ || generation_ != seen; };
    spin_until(has_work);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, has_work);
      if (stop_) return;
      seen = generation_;
      ++busy_;
    }
    run_items();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_all();
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
  if (workers_.empty() || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    next_ = 0;
    total_ = n;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  run_items();
  spin_until([&] { return busy_ == 0; });  // next_ >= total_ already: run_items returned
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return next_ >= total_ && busy_ == 0; });
  job_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace dpa::tools
