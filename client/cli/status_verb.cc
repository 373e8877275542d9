// cellfit status: the server's version, uptime, database and workers.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "client/cli/format.h"
#include "client/cli/verbs.h"
#include "google/protobuf/util/json_util.h"

namespace cellfit::client::cli {
namespace {

class StatusVerb final : public Verb {
 public:
  std::string_view name() const override { return "status"; }
  std::string_view summary() const override {
    return "show the server's version, uptime and connected workers";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddFlag("json", &json_, "print the ServerStatus message as JSON");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    absl::StatusOr<cellfit::v1::ServerStatus> status = (*client)->GetStatus();
    if (!status.ok()) return status.status();
    std::ostream& out = context.out();
    if (json_) {
      std::string text;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      options.always_print_primitive_fields = true;
      (void)google::protobuf::util::MessageToJsonString(*status, &text,
                                                        options);
      out << text;
      return absl::OkStatus();
    }
    std::string where = (*client)->address();
    if (context.embedded()) {
      absl::StrAppend(&where,
                      " (embedded: started for this command, stopped after "
                      "it)");
    }
    out << "server: " << where << "\n"
        << "version: " << status->version() << "\n"
        << "uptime: " << HumanDuration(status->uptime_seconds()) << "\n"
        << "database: "
        << (status->database().empty()
                ? "(not shown to the users of a shared server)"
                : status->database())
        << "\n"
        << "running fits: " << status->running_fits() << "\n"
        << "workers: " << status->workers_size() << "\n";
    if (status->workers_size() > 0) {
      std::vector<std::vector<std::string>> rows = {
          {"ID", "HOST", "CORES", "STATE", "WHERE", "COMPILER"}};
      for (const cellfit::v1::WorkerStatus& worker : status->workers()) {
        rows.push_back({worker.id(), worker.host(),
                        std::to_string(worker.cores()), worker.state(),
                        worker.local() ? "local" : "remote",
                        worker.has_compiler() ? "yes" : "no"});
      }
      PrintTable(out, rows, 2);
    }
    return absl::OkStatus();
  }

 private:
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Verb> MakeStatusVerb() {
  return std::make_unique<StatusVerb>();
}

}  // namespace cellfit::client::cli
