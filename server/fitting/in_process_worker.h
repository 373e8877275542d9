// A worker inside the test process: prepares jobs and runs batches with the
// real simulation code, answering the dispatcher from its own thread as a
// worker process would over its stream.
#ifndef CELLFIT_SERVER_FITTING_IN_PROCESS_WORKER_H_
#define CELLFIT_SERVER_FITTING_IN_PROCESS_WORKER_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "server/dispatch/dispatcher.h"
#include "worker/jobs/job.h"

namespace cellfit::fitting {

class InProcessWorker : public dispatch::WorkerChannel {
 public:
  // `slowdown` > 1 makes a slower machine: after each batch the worker idles
  // (slowdown - 1) times as long as the batch took.
  InProcessWorker(dispatch::Dispatcher* dispatcher, std::string id,
                  double slowdown = 1.0);
  ~InProcessWorker() override;
  bool Send(const v1::ServerMessage& message) override;
  int batches_run() const;
  int samples_run() const;

 private:
  void Loop();
  dispatch::Dispatcher* dispatcher_;
  std::string id_;
  const double slowdown_;
  mutable absl::Mutex mu_;
  std::deque<v1::ServerMessage> inbox_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int batches_run_ ABSL_GUARDED_BY(mu_) = 0;
  int samples_run_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::unique_ptr<jobs::Job>> jobs_;
  std::thread thread_;
};

}  // namespace cellfit::fitting

#endif  // CELLFIT_SERVER_FITTING_IN_PROCESS_WORKER_H_
