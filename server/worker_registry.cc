#include "server/worker_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace cellfit::server {
namespace {

constexpr size_t kMaxHostLength = 255;
constexpr size_t kMaxVersionLength = 64;
constexpr size_t kMaxIdLength = 64;
constexpr uint32_t kMaxCores = 65536;

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// Sorts "w2" before "w10".
bool IdLess(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string Describe(const std::string& id, const WorkerInfo& info) {
  return absl::StrCat(id, " (", info.host, " pid ", info.pid,
                      info.local ? ", local" : "", ")");
}

}  // namespace

WorkerRegistry::WorkerRegistry(WorkerRegistryOptions options)
    : options_(options), monitor_([this] { MonitorLoop(); }) {}

WorkerRegistry::~WorkerRegistry() {
  {
    absl::MutexLock lock(&mu_);
    stop_monitor_ = true;
  }
  monitor_.join();
}

absl::StatusOr<WorkerRegistry::Key> WorkerRegistry::Open(
    std::shared_ptr<WorkerConnection> connection, std::string peer) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) {
    return absl::UnavailableError("the server is shutting down");
  }
  Key key = next_key_++;
  absl::Time now = absl::Now();
  Entry& entry = entries_[key];
  entry.connection = std::move(connection);
  entry.opened = now;
  entry.last_seen = now;
  entry.info.peer = std::move(peer);
  return key;
}

bool WorkerRegistry::IdInUse(std::string_view id) const {
  for (const auto& [key, entry] : entries_) {
    if (entry.registered && entry.id == id) return true;
  }
  return false;
}

absl::StatusOr<std::string> WorkerRegistry::Register(
    Key key, WorkerInfo info, std::string_view requested_id) {
  if (info.cores == 0 || info.cores > kMaxCores) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Register.cores must be 1..", kMaxCores, ", not ", info.cores));
  }
  if (info.host.empty() || info.host.size() > kMaxHostLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("Register.host must be 1..", kMaxHostLength,
                     " characters, not ", info.host.size()));
  }
  if (info.version.size() > kMaxVersionLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Register.version is longer than ", kMaxVersionLength, " characters"));
  }
  if (!requested_id.empty() && !IsValidId(requested_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Register.requested_id must be 1..", kMaxIdLength,
                     " letters, digits, '-', '_' or '.'"));
  }
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return absl::CancelledError("the stream ended before registering");
  }
  if (it->second.registered) {
    return absl::FailedPreconditionError(
        absl::StrCat("this stream already registered as ", it->second.id));
  }
  std::string id;
  if (!requested_id.empty() && !IdInUse(requested_id)) {
    id = std::string(requested_id);
  } else {
    do {
      id = absl::StrCat("w", next_id_++);
    } while (IdInUse(id));
  }
  Entry& entry = it->second;
  entry.registered = true;
  entry.id = id;
  info.peer = std::move(entry.info.peer);
  entry.info = std::move(info);
  entry.last_seen = absl::Now();
  LOG(INFO) << "worker " << Describe(id, entry.info)
            << " registered: " << entry.info.cores << " cores, version "
            << entry.info.version
            << (entry.info.has_compiler ? ", has a C++ compiler" : "")
            << ", from " << entry.info.peer;
  return id;
}

void WorkerRegistry::Touch(Key key, std::optional<uint32_t> running_batches) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.last_seen = absl::Now();
  if (running_batches.has_value()) {
    it->second.running_batches = *running_batches;
  }
}

void WorkerRegistry::Close(Key key, std::string_view reason) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.registered) {
    if (shutting_down_) {
      LOG(INFO) << "worker " << Describe(it->second.id, it->second.info)
                << " left: " << reason;
    } else {
      LOG(WARNING) << "worker " << Describe(it->second.id, it->second.info)
                   << " is gone: " << reason;
    }
  } else {
    VLOG(1) << "an unregistered worker stream ended: " << reason;
  }
  entries_.erase(it);
}

std::vector<cellfit::v1::WorkerStatus> WorkerRegistry::Snapshot() const {
  std::vector<cellfit::v1::WorkerStatus> workers;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, entry] : entries_) {
    if (!entry.registered) continue;
    cellfit::v1::WorkerStatus& status = workers.emplace_back();
    status.set_id(entry.id);
    status.set_host(entry.info.host);
    status.set_cores(entry.info.cores);
    status.set_state(entry.running_batches > 0 ? "busy" : "idle");
    status.set_local(entry.info.local);
    status.set_has_compiler(entry.info.has_compiler);
  }
  std::sort(workers.begin(), workers.end(), [](const auto& a, const auto& b) {
    return IdLess(a.id(), b.id());
  });
  return workers;
}

size_t WorkerRegistry::registered_count() const {
  absl::MutexLock lock(&mu_);
  return std::count_if(entries_.begin(), entries_.end(),
                       [](const auto& kv) { return kv.second.registered; });
}

void WorkerRegistry::DropLocalPid(uint64_t pid) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, entry] : entries_) {
    if (entry.registered && entry.info.local && entry.info.pid == pid) {
      entry.connection->Cancel();
    }
  }
}

void WorkerRegistry::BeginShutdown(std::string_view reason) {
  std::vector<std::shared_ptr<WorkerConnection>> local, others;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (auto& [key, entry] : entries_) {
      (entry.registered && entry.info.local ? local : others)
          .push_back(entry.connection);
    }
  }
  // Outside the lock: Send blocks until the message is on its way.
  cellfit::v1::ServerMessage shutdown;
  shutdown.mutable_shutdown()->set_reason(std::string(reason));
  for (auto& connection : local) {
    if (!connection->Send(shutdown)) connection->Cancel();
  }
  for (auto& connection : others) connection->Cancel();
}

bool WorkerRegistry::WaitUntilEmpty(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto empty = [this]()
                   ABSL_SHARED_LOCKS_REQUIRED(mu_) { return entries_.empty(); };
  return mu_.AwaitWithDeadline(absl::Condition(&empty), deadline);
}

void WorkerRegistry::MonitorLoop() {
  // Check several times per heartbeat interval, so that a silent worker is
  // dropped close to its deadline.
  const absl::Duration period =
      std::max(absl::Milliseconds(10), options_.heartbeat_interval / 4);
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stop_monitor_), period)) {
    absl::Time now = absl::Now();
    for (auto& [key, entry] : entries_) {
      absl::Duration limit = entry.registered ? options_.heartbeat_timeout
                                              : options_.register_timeout;
      if (now - entry.last_seen > limit) {
        LOG(WARNING) << (entry.registered
                             ? absl::StrCat("worker ",
                                            Describe(entry.id, entry.info),
                                            " sent no heartbeat for ")
                             : absl::StrCat("a worker stream from ",
                                            entry.info.peer,
                                            " did not register within "))
                     << absl::FormatDuration(limit) << "; dropping it";
        entry.connection->Cancel();
        // Once only: the entry stays until its reader sees the end.
        entry.last_seen = absl::InfiniteFuture();
      }
    }
  }
}

}  // namespace cellfit::server
