#include "tests/integration/server_harness.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/job_file.h"

namespace cellfit::testing {

absl::StatusOr<ServerHandle> StartServer(const std::string& dir,
                                         const std::string& db, int workers,
                                         std::vector<std::string> extra,
                                         std::string listen) {
  static int counter = 0;
  ++counter;
  ServerHandle server;
  std::string address_file = absl::StrCat(dir, "/address", counter);
  std::filesystem::remove(address_file);
  server.log = absl::StrCat(dir, "/server", counter, ".log");
  server.stdout_path = absl::StrCat(dir, "/server", counter, ".out");
  ProcessOptions options;
  options.argv = {kServerBinary, "--listen=" + listen,
                  "--address_file=" + address_file, "--db=" + db,
                  absl::StrCat("--local_workers=", workers)};
  options.argv.insert(options.argv.end(), extra.begin(), extra.end());
  options.stdout_path = server.stdout_path;
  options.stderr_path = server.log;
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  if (!process.ok()) return process.status();
  server.process = *std::move(process);
  bool listening = PollUntil(
      [&] {
        std::string text = ReadFile(address_file);
        if (text.empty()) return false;
        server.address = std::string(absl::StripAsciiWhitespace(text));
        return true;
      },
      absl::Seconds(60));
  if (!listening) {
    return absl::DeadlineExceededError(
        absl::StrCat("cellfit-server did not listen within 60 s; its log:\n",
                     ReadFile(server.log)));
  }
  return server;
}

RunResult Cli(std::vector<std::string> args, ProcessOptions options) {
  options.argv = {kCliBinary};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env.try_emplace("CELLFIT_SERVER", std::nullopt);
  options.env.try_emplace("CELLFIT_TOKEN", std::nullopt);
  return Run(options, absl::Seconds(120));
}

absl::StatusOr<std::unique_ptr<Process>> StartCli(
    const std::string& dir, std::vector<std::string> args) {
  ProcessOptions options;
  options.argv = {kCliBinary};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env["CELLFIT_SERVER"] = std::nullopt;
  options.env["CELLFIT_TOKEN"] = std::nullopt;
  options.stdout_path = dir + "/cli.out";
  options.stderr_path = dir + "/cli.err";
  return Process::Start(options);
}

absl::StatusOr<std::unique_ptr<Process>> StartWorker(const std::string& dir,
                                                     const std::string& address,
                                                     const std::string& log) {
  ProcessOptions options;
  options.argv = {kWorkerBinary, "--server=" + address, "--threads=1"};
  options.stderr_path = dir + "/" + log;
  return Process::Start(options);
}

std::optional<int> WorkersLine(const std::string& status_output) {
  for (absl::string_view line : absl::StrSplit(status_output, '\n')) {
    if (absl::ConsumePrefix(&line, "workers: ")) {
      int count = 0;
      if (absl::SimpleAtoi(line, &count)) return count;
    }
  }
  return std::nullopt;
}

std::optional<int> StatusWorkers(const std::string& address,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"status", "--server", address};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult result = Cli(args);
  if (result.exit_code != 0) return std::nullopt;
  return WorkersLine(result.out);
}

absl::StatusOr<storage::NewFitter> ExampleFitter(const std::string& id,
                                                 const std::string& owner) {
  const char* source = std::getenv("CELLFIT_SOURCE_DIR");
  absl::StatusOr<client::Job> job = client::ReadJobFile(
      std::string(source != nullptr ? source : ".") + "/examples/hh/job.toml");
  if (!job.ok()) return job.status();
  storage::NewFitter fitter;
  fitter.id = id;
  fitter.owner = owner;
  fitter.name = "hh";
  fitter.n_samples = job->spec.n_samples();
  fitter.n_traces = job->spec.inputs(0).traces().n_traces();
  fitter.n_steps = job->spec.inputs(0).traces().n_steps();
  fitter.method = job->spec.method();
  fitter.parameter_names = {"Cm", "g_kd", "g_na", "gl"};
  fitter.spec = job->spec.SerializeAsString();
  return fitter;
}

}  // namespace cellfit::testing
