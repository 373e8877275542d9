#include "client/cli/worker_wait_notice.h"

#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace cellfit::client::cli {
namespace {

// A status request answers at once; one that does not must not hold the
// command up when the call it watches ends.
constexpr absl::Duration kStatusTimeout = absl::Seconds(5);

std::string HintFor(const Context& context, const std::string& address) {
  if (context.embedded()) {
    return absl::StrCat("start cellfit-worker --server ", address,
                        ", or run cellfit with --workers N");
  }
  return absl::StrCat("start cellfit-worker --server ", address,
                      ", or the server with --local_workers N");
}

}  // namespace

WorkerWaitNotice::WorkerWaitNotice(const Context& context, Client& client,
                                   std::ostream* err, absl::Duration delay)
    : client_(client),
      err_(err != nullptr ? *err : std::cerr),
      delay_(delay),
      hint_(HintFor(context, client.address())),
      thread_([this] { Watch(); }) {}

WorkerWaitNotice::~WorkerWaitNotice() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WorkerWaitNotice::Progress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++progress_;
  }
  wake_.notify_all();
}

void WorkerWaitNotice::Watch() {
  const auto delay = absl::ToChronoMilliseconds(delay_);
  int64_t seen = 0;
  bool noticed = false;  // in the current silence
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Each message restarts the wait: only a silence of `delay` counts.
      if (wake_.wait_for(lock, delay,
                         [&] { return done_ || progress_ != seen; })) {
        if (done_) return;
        seen = progress_;
        noticed = false;
        continue;
      }
    }
    if (noticed) continue;
    auto context = client_.NewContext(kStatusTimeout);
    cellfit::v1::ServerStatus status;
    // An unreachable server fails the call itself, which reports that.
    if (!client_.stub().GetStatus(context.get(), {}, &status).ok()) return;
    int connected = 0;
    for (const cellfit::v1::WorkerStatus& worker : status.workers()) {
      if (worker.state() != "lost") ++connected;
    }
    if (connected > 0) continue;  // busy workers: the call is queued
    std::lock_guard<std::mutex> lock(mutex_);
    if (done_) return;
    if (progress_ != seen) continue;  // heard from the server meanwhile
    err_ << "cellfit: waiting for a worker: none is connected to the server "
            "at "
         << client_.address() << " (" << hint_ << ")\n";
    err_.flush();
    noticed = true;
  }
}

}  // namespace cellfit::client::cli
