// cellfit check JOB.toml: the server's check of a job file (so that every
// client gets the same answers), its model and its fit settings (bounds,
// optimizer, metric): every variable with its kind and unit, the integration
// method, the fitted parameters; or each problem as FILE:LINE:COLUMN: error:
// MESSAGE, at its place in the job file.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/format.h"
#include "client/cli/job_diagnostics.h"
#include "client/cli/verbs.h"
#include "client/job_file.h"

namespace cellfit::client::cli {
namespace {

std::string KindText(cellfit::v1::VariableKind kind) {
  switch (kind) {
    case cellfit::v1::VARIABLE_KIND_STATE:
      return "state";
    case cellfit::v1::VARIABLE_KIND_SUBEXPRESSION:
      return "subexpression";
    case cellfit::v1::VARIABLE_KIND_PARAMETER:
      return "parameter";
    case cellfit::v1::VARIABLE_KIND_INPUT:
      return "input";
    case cellfit::v1::VARIABLE_KIND_TARGET:
      return "target";
    case cellfit::v1::VARIABLE_KIND_CONSTANT:
      return "constant";
    case cellfit::v1::VARIABLE_KIND_BUILTIN:
      return "built-in";
    default:
      return "?";
  }
}

class CheckVerb final : public Verb {
 public:
  std::string_view name() const override { return "check"; }
  std::string_view summary() const override {
    return "check a job file's model: variables, units, method, parameters";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("JOB.toml", &path_, "the job file");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Job> job = ReadJobFile(path_);
    if (!job.ok()) return job.status();
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    cellfit::v1::FitRequest fit = job->fit;
    absl::StatusOr<cellfit::v1::CheckModelResponse> response =
        CheckJob(**client, *job, fit);
    if (!response.ok()) return response.status();
    std::ostream& out = context.out();
    out << path_ << ": ok\n"
        << "method: " << response->method() << "\n"
        << "variables:\n";
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "KIND", "UNIT", "FLAGS"}};
    for (const cellfit::v1::VariableInfo& variable : response->variables()) {
      rows.push_back({variable.name(), KindText(variable.kind()),
                      variable.unit().empty() ? "1" : variable.unit(),
                      absl::StrJoin(variable.flags(), ", ")});
    }
    PrintTable(out, rows, 2);
    out << "fitted parameters: "
        << (response->fitted_parameters().empty()
                ? std::string("(none)")
                : absl::StrJoin(response->fitted_parameters(), ", "))
        << "\n";
    if (!response->namespace_names().empty()) {
      out << "from the namespace: "
          << absl::StrJoin(response->namespace_names(), ", ") << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<Verb> MakeCheckVerb() { return std::make_unique<CheckVerb>(); }

}  // namespace cellfit::client::cli
