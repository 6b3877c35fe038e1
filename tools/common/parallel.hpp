// A small persistent thread pool: parallel_for over an index range, the calling thread working
// too. Threads wait for work, and the caller for their end, by spinning briefly before sleeping:
// the trainers call parallel_for thousands of times a second, and on a virtual machine waking a
// sleeping thread cost more than the work of many calls. An item that throws stops the items not
// yet started; parallel_for rethrows, once every started item has returned, the exception of the
// lowest item that threw.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dpa::tools {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);  // threads >= 1, including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
  // Calls fn(i) for i in [0, n), items spread over the threads; returns when all are done.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn);

 private:
  void worker_loop();
  void run_items();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t next_ = 0, total_ = 0;
  std::atomic<std::size_t> busy_{0};  // changed under mutex_; read without it while spinning
  std::exception_ptr error_;
  std::size_t error_item_ = 0;
  std::atomic<unsigned long> generation_{0};  // the same
  std::atomic<bool> stop_{false};
};

}  // namespace dpa::tools
