#include "server/database_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace cellfit::server {
namespace {

// The pid the holder wrote into the lock file; only for the error message,
// so a missing or garbled one is not an error.
std::string HolderPid(int fd) {
  char buffer[32] = {};
  ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return "";
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(
                            absl::string_view(buffer, static_cast<size_t>(n))),
                        &pid) ||
      pid <= 0) {
    return "";
  }
  return std::to_string(pid);
}

}  // namespace

absl::StatusOr<DatabaseLock> DatabaseLock::Acquire(
    const std::string& database) {
  std::string path = absl::StrCat(database, ".lock");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the lock file ", path, " of the database ",
                     database, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string pid = HolderPid(fd);
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database ", database, " is in use by another cellfit-server",
          pid.empty() ? "" : absl::StrCat(" (pid ", pid, ")"),
          "; one database serves one server at a time (lock file ", path, ")"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", path, " for the database ", database, ": ",
                     std::strerror(error)));
  }
  // The pid is written only once the lock is ours, so a second server never
  // overwrites the holder's.
  std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) !=
                                   static_cast<ssize_t>(pid.size())) {
    LOG(WARNING) << "cannot write this server's pid into " << path << ": "
                 << std::strerror(errno);
  }
  return DatabaseLock(std::move(path), fd);
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

DatabaseLock& DatabaseLock::operator=(DatabaseLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DatabaseLock::~DatabaseLock() {
  // The lock file stays: removing it would race with a server that has just
  // opened it and is about to lock it.
  if (fd_ >= 0) close(fd_);
}

absl::Status CreatePrivateDatabaseFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return absl::OkStatus();
  }
  if (errno != EEXIST) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create the database ", path, ": ", std::strerror(errno)));
  }
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) {
    LOG(WARNING) << "the database " << path
                 << " is readable by other users; chmod 600 it (and its -wal "
                    "and -shm files)";
  }
  return absl::OkStatus();
}

}  // namespace cellfit::server
