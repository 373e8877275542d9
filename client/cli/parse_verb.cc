// cellfit parse JOB.toml: reads a job file and its CSVs and prints what a fit
// would send, without any server. A quick way to find a typo in a job file.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/verbs.h"
#include "client/job_file.h"

namespace cellfit::client::cli {
namespace {

std::string Text(const cellfit::v1::Quantity& quantity) {
  if (!quantity.text().empty()) return quantity.text();
  std::string text = absl::StrCat(quantity.value());
  if (quantity.dimension().second() == 1) absl::StrAppend(&text, " s");
  return text;
}

std::string Shape(const cellfit::v1::TraceSet& traces) {
  std::string shape =
      absl::StrCat(traces.n_traces(), " traces x ", traces.n_steps(), " steps");
  if (traces.has_unit()) absl::StrAppend(&shape, ", ", Text(traces.unit()));
  return shape;
}

class ParseVerb final : public Verb {
 public:
  std::string_view name() const override { return "parse"; }
  std::string_view summary() const override {
    return "read a job file and its CSVs and summarise them (no server)";
  }
  bool uses_server() const override { return false; }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("JOB.toml", &path_, "the job file");
  }

  absl::Status Run(Context& context) override {
    absl::StatusOr<Job> job = ReadJobFile(path_);
    if (!job.ok()) return job.status();
    const cellfit::v1::FitterSpec& spec = job->spec;
    std::ostream& out = context.out();
    out << "job: " << path_ << "\n"
        << "kind: " << cellfit::v1::FitterKind_Name(spec.kind()) << "\n"
        << "dt: " << Text(spec.dt()) << "\n"
        << "n_samples: " << spec.n_samples() << "\n"
        << "n_rounds: " << job->fit.n_rounds() << "\n"
        << "method: " << (spec.method().empty() ? "(automatic)" : spec.method())
        << "\n"
        << "backend: " << cellfit::v1::Backend_Name(spec.backend()) << "\n"
        << "equations: "
        << std::count(spec.model().begin(), spec.model().end(), '\n') + 1
        << " lines\n";
    for (const cellfit::v1::Input& input : spec.inputs()) {
      out << "input " << input.variable() << ": " << Shape(input.traces())
          << "\n";
    }
    for (const cellfit::v1::Output& output : spec.outputs()) {
      out << "output " << output.variable() << ": ";
      if (output.has_spikes()) {
        size_t spikes = 0;
        for (const auto& train : output.spikes().trains()) {
          spikes += train.times_size();
        }
        out << spikes << " spikes in " << output.spikes().trains_size()
            << " traces\n";
      } else {
        out << Shape(output.traces()) << "\n";
      }
    }
    for (const cellfit::v1::NamedQuantity& constant : spec.namespace_()) {
      out << "namespace " << constant.name() << " = "
          << Text(constant.quantity()) << "\n";
    }
    for (const auto& [name, value] : spec.param_init()) {
      out << "param_init " << name << " = " << value << "\n";
    }
    for (const cellfit::v1::Bounds& bounds : job->fit.bounds()) {
      out << "bounds " << bounds.parameter() << ": [" << Text(bounds.lower())
          << ", " << Text(bounds.upper()) << "]"
          << (bounds.log_scale() ? " log" : "") << "\n";
    }
    const cellfit::v1::OptimizerSpec& optimizer = job->fit.optimizer();
    out << "optimizer: "
        << (optimizer.method().empty() ? "(server default)"
                                       : optimizer.method())
        << ", seed " << optimizer.seed() << "\n";
    for (const cellfit::v1::MetricSpec& metric : job->fit.metrics()) {
      out << "metric" << (metric.output().empty() ? "" : " " + metric.output())
          << ": ";
      if (metric.has_mse()) {
        out << "mse";
        if (metric.mse().has_t_start()) {
          out << ", t_start " << Text(metric.mse().t_start());
        }
      } else if (metric.has_gamma()) {
        out << "gamma, delta " << Text(metric.gamma().delta());
      } else if (metric.has_features()) {
        out << "features " << absl::StrJoin(metric.features().features(), ", ");
      }
      out << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<Verb> MakeParseVerb() { return std::make_unique<ParseVerb>(); }

}  // namespace cellfit::client::cli
