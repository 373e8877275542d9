#include "server/worker_registry.h"

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::server {
namespace {

class FakeConnection : public WorkerConnection {
 public:
  bool Send(const cellfit::v1::ServerMessage& message) override {
    if (message.has_shutdown()) ++shutdowns;
    return true;
  }
  void Cancel() override { ++cancels; }
  std::atomic<int> shutdowns{0};
  std::atomic<int> cancels{0};
};

WorkerInfo Info(bool local = false, uint64_t pid = 100) {
  WorkerInfo info;
  info.host = "node1";
  info.cores = 4;
  info.version = "0.1.0";
  info.pid = pid;
  info.local = local;
  return info;
}

TEST(WorkerRegistryTest, RegisteredWorkersAppearInTheSnapshot) {
  WorkerRegistry registry;
  auto connection = std::make_shared<FakeConnection>();
  WorkerRegistry::Key key = *registry.Open(connection, "ipv4:1.2.3.4:5");
  EXPECT_TRUE(registry.Snapshot().empty());  // not registered yet
  absl::StatusOr<std::string> id = registry.Register(key, Info(true), "");
  ASSERT_TRUE(id.ok()) << id.status();
  std::vector<cellfit::v1::WorkerStatus> workers = registry.Snapshot();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].id(), *id);
  EXPECT_EQ(workers[0].host(), "node1");
  EXPECT_EQ(workers[0].cores(), 4u);
  EXPECT_EQ(workers[0].state(), "idle");
  EXPECT_TRUE(workers[0].local());
  registry.Touch(key, 2);
  EXPECT_EQ(registry.Snapshot()[0].state(), "busy");
  registry.Close(key, "test");
  EXPECT_TRUE(registry.Snapshot().empty());
}

TEST(WorkerRegistryTest, AReconnectingWorkerKeepsItsIdUnlessTaken) {
  WorkerRegistry registry;
  auto a = *registry.Open(std::make_shared<FakeConnection>(), "a");
  auto b = *registry.Open(std::make_shared<FakeConnection>(), "b");
  auto c = *registry.Open(std::make_shared<FakeConnection>(), "c");
  EXPECT_EQ(*registry.Register(a, Info(), "w7"), "w7");
  std::string taken = *registry.Register(b, Info(), "w7");
  EXPECT_NE(taken, "w7");
  EXPECT_NE(*registry.Register(c, Info(), ""), taken);
  EXPECT_EQ(registry.registered_count(), 3u);
}

TEST(WorkerRegistryTest, RegistrationIsValidated) {
  WorkerRegistry registry;
  auto key = *registry.Open(std::make_shared<FakeConnection>(), "p");
  WorkerInfo no_cores = Info();
  no_cores.cores = 0;
  EXPECT_EQ(registry.Register(key, no_cores, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  WorkerInfo no_host = Info();
  no_host.host = "";
  EXPECT_EQ(registry.Register(key, no_host, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register(key, Info(), "bad id!").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(registry.Register(key, Info(), "").ok());
  EXPECT_EQ(registry.Register(key, Info(), "").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(WorkerRegistryTest, ASilentWorkerIsCancelled) {
  WorkerRegistryOptions options;
  options.heartbeat_interval = absl::Milliseconds(20);
  options.heartbeat_timeout = absl::Milliseconds(60);
  options.register_timeout = absl::Milliseconds(60);
  WorkerRegistry registry(options);
  auto silent = std::make_shared<FakeConnection>();
  auto never_registers = std::make_shared<FakeConnection>();
  ASSERT_TRUE(registry.Register(*registry.Open(silent, "s"), Info(), "").ok());
  registry.Open(never_registers, "n").IgnoreError();
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while ((silent->cancels == 0 || never_registers->cancels == 0) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(silent->cancels, 1);
  EXPECT_EQ(never_registers->cancels, 1);
}

TEST(WorkerRegistryTest, ShutdownAsksLocalWorkersAndCancelsOthers) {
  WorkerRegistry registry;
  auto local = std::make_shared<FakeConnection>();
  auto remote = std::make_shared<FakeConnection>();
  auto local_key = *registry.Open(local, "l");
  auto remote_key = *registry.Open(remote, "r");
  ASSERT_TRUE(registry.Register(local_key, Info(true), "").ok());
  ASSERT_TRUE(registry.Register(remote_key, Info(false), "").ok());
  registry.BeginShutdown("bye");
  EXPECT_EQ(local->shutdowns, 1);
  EXPECT_EQ(local->cancels, 0);
  EXPECT_EQ(remote->shutdowns, 0);
  EXPECT_EQ(remote->cancels, 1);
  EXPECT_EQ(
      registry.Open(std::make_shared<FakeConnection>(), "x").status().code(),
      absl::StatusCode::kUnavailable);
  EXPECT_FALSE(registry.WaitUntilEmpty(absl::Now() + absl::Milliseconds(10)));
  registry.Close(local_key, "left");
  registry.Close(remote_key, "left");
  EXPECT_TRUE(registry.WaitUntilEmpty(absl::Now()));
}

TEST(WorkerRegistryTest, ADeadLocalProcessIsCancelledByPid) {
  WorkerRegistry registry;
  auto local = std::make_shared<FakeConnection>();
  ASSERT_TRUE(
      registry.Register(*registry.Open(local, "l"), Info(true, 4242), "").ok());
  registry.DropLocalPid(1);
  EXPECT_EQ(local->cancels, 0);
  registry.DropLocalPid(4242);
  EXPECT_EQ(local->cancels, 1);
}

}  // namespace
}  // namespace cellfit::server
