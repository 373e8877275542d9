// A fit or simulation sent to a server that has no worker waits until one
// connects, and the server says nothing meanwhile: to the user the command
// looks hung. WorkerWaitNotice watches such a call from a second thread and,
// when nothing has arrived for a while and the server reports no connected
// worker, says so on standard error, once for each such silence (a fit whose
// last worker dies after some rounds gets the notice too). The call itself
// keeps waiting: it goes on when a worker joins.
//
//   WorkerWaitNotice notice(context, *client);
//   ... the streaming call, with notice.Progress() for each message ...
#ifndef CELLFIT_CLIENT_CLI_WORKER_WAIT_NOTICE_H_
#define CELLFIT_CLIENT_CLI_WORKER_WAIT_NOTICE_H_

#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "client/cli/context.h"
#include "client/client.h"

namespace cellfit::client::cli {

class WorkerWaitNotice {
 public:
  // Starts watching. `context` only says how the server was started, for
  // the hint on how to add a worker. `err` gets the notice (std::cerr when
  // null); `delay` is how long a call may be silent before the server is
  // asked about its workers (and again after each such delay while some are
  // connected but busy).
  WorkerWaitNotice(const Context& context, Client& client,
                   std::ostream* err = nullptr,
                   absl::Duration delay = absl::Seconds(2));
  // Stops watching; returns at once unless a status request is in flight.
  ~WorkerWaitNotice();

  WorkerWaitNotice(const WorkerWaitNotice&) = delete;
  WorkerWaitNotice& operator=(const WorkerWaitNotice&) = delete;

  // The call heard from the server (a round, a chunk): it is being served.
  void Progress();

 private:
  void Watch();

  Client& client_;
  std::ostream& err_;
  const absl::Duration delay_;
  const std::string hint_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;     // the call ended
  int64_t progress_ = 0;  // messages heard so far
  std::thread thread_;
};

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_WORKER_WAIT_NOTICE_H_
