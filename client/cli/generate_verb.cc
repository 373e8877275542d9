// cellfit generate ID and cellfit simulate JOB.toml: traces (or spikes) of a
// model for one parameter set, on the job's inputs, written as CSV files and
// optionally drawn against the recorded data as an SVG plot.
//
// generate uses a fitter (its best parameters unless --params is given);
// simulate needs no fitter, only a job file and every parameter's value.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/assignments.h"
#include "client/cli/job_diagnostics.h"
#include "client/cli/recording.h"
#include "client/cli/svg_plot.h"
#include "client/cli/verbs.h"
#include "client/cli/worker_wait_notice.h"
#include "client/job_file.h"

namespace cellfit::client::cli {
namespace {

// The options generate and simulate share.
struct TraceOptions {
  std::string params;
  std::string param_init;
  std::string vars;
  std::string backend;
  std::string iteration;
  std::string out;
  std::string unit;
  std::string plot;

  void Define(ArgParser& args, bool params_required) {
    args.AddString("params", &params, "NAME=QUANTITY,...",
                   params_required
                       ? "every parameter's value, e.g. gl=10*nS,Cm=0.2*nF"
                       : "parameters to use (default: the best of the "
                         "current run)");
    args.AddString("param_init", &param_init, "NAME=VALUE,...",
                   "initial values, e.g. v=-65*mV or v=VT (default: the "
                   "fitter's)");
    args.AddString("vars", &vars, "v,m|spikes",
                   "variables to record (default: the fitted outputs)");
    args.AddString("backend", &backend, "runtime|standalone",
                   "simulation backend (default: the fitter's or the job's)");
    args.AddString("iteration", &iteration, "X",
                   "value of the model's `iteration` variable");
    args.AddString("out", &out, "FILE.csv",
                   "where to write; several variables go to FILE_<var>.csv");
    args.AddString("unit", &unit, "UNIT",
                   "write values in this unit, e.g. mV (default: SI)");
    args.AddString("plot", &plot, "FILE.svg",
                   "also draw the traces (with the recorded data, when there "
                   "is any) as an SVG plot");
  }

  absl::StatusOr<cellfit::v1::Backend> ParsedBackend() const {
    if (backend.empty()) return cellfit::v1::BACKEND_UNSPECIFIED;
    if (backend == "runtime") return cellfit::v1::BACKEND_RUNTIME;
    if (backend == "standalone") return cellfit::v1::BACKEND_STANDALONE;
    return absl::InvalidArgumentError(
        absl::StrCat("--backend: '", backend,
                     "' is not a backend (expected runtime or standalone)"));
  }

  absl::StatusOr<std::optional<double>> ParsedIteration() const {
    if (iteration.empty()) return std::nullopt;
    double value = 0;
    if (!absl::SimpleAtod(iteration, &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--iteration: '", iteration, "' is not a number"));
    }
    return value;
  }

  // The fields GenerateRequest and SimulateRequest share; `asked` gets the
  // variables named with --vars.
  template <typename Request>
  absl::Status Fill(Request& request, std::vector<std::string>& asked) const {
    if (!params.empty()) {
      auto row = ParseParameterRow(params, "params");
      if (!row.ok()) return row.status();
      *request.mutable_params() = *row;
    }
    if (!param_init.empty()) {
      auto init = ParseParamInit(param_init, "param-init");
      if (!init.ok()) return init.status();
      request.mutable_param_init()->insert(init->begin(), init->end());
    }
    if (!vars.empty()) {
      auto names = ParseNameList(vars, "vars");
      if (!names.ok()) return names.status();
      asked = *names;
      for (const std::string& name : asked) request.add_variables(name);
    }
    auto parsed_backend = ParsedBackend();
    if (!parsed_backend.ok()) return parsed_backend.status();
    request.set_backend(*parsed_backend);
    return absl::OkStatus();
  }

  absl::Status CheckOut() const {
    if (out.empty() && plot.empty()) {
      return absl::InvalidArgumentError(
          "give --out FILE.csv (and/or --plot FILE.svg)");
    }
    return absl::OkStatus();
  }
};

// The unit a variable is written and drawn in: --unit when its dimension
// matches, else `fallback` (SI for files, a readable one for plots).
DisplayUnit UnitFor(const RecordedVariable& variable,
                    const std::optional<ParsedQuantity>& unit,
                    const DisplayUnit& fallback) {
  if (unit && SameDimension(unit->exponents, variable.exponents)) {
    return {"", unit->value};
  }
  return fallback;
}

DisplayUnit ReadableUnit(const std::vector<const RecordedVariable*>& variables,
                         const std::optional<ParsedQuantity>& unit,
                         const std::string& unit_text) {
  if (unit && SameDimension(unit->exponents, variables[0]->exponents)) {
    return {unit_text, unit->value};
  }
  double typical = 0;
  for (const RecordedVariable* variable : variables) {
    for (double value : variable->values) {
      if (std::isfinite(value)) typical = std::max(typical, std::abs(value));
    }
  }
  return ChooseUnit(variables[0]->exponents, typical);
}

absl::Status DrawPlot(const Recording& recording,
                      const std::vector<std::string>& generated,
                      const std::optional<ParsedQuantity>& unit,
                      const std::string& unit_text, const std::string& path,
                      const std::string& title, std::ostream& log) {
  const RecordedVariable* fitted = nullptr;
  const RecordedVariable* target = nullptr;
  for (const std::string& name : generated) {
    const RecordedVariable* variable = recording.Find(name);
    if (variable == nullptr || variable->spikes) continue;
    const RecordedVariable* data = nullptr;
    for (const RecordedVariable& candidate : recording.variables()) {
      if (candidate.target_of == name) data = &candidate;
    }
    if (fitted == nullptr || (target == nullptr && data != nullptr)) {
      fitted = variable;
      target = data;
    }
  }
  if (fitted == nullptr) {
    return absl::InternalError("no trace to plot");  // checked by the caller
  }
  std::vector<const RecordedVariable*> shown = {fitted};
  if (target != nullptr) shown.push_back(target);
  const DisplayUnit display = ReadableUnit(shown, unit, unit_text);
  std::vector<PlotPanel> panels;
  for (uint32_t trace = 0; trace < fitted->n_traces; ++trace) {
    PlotPanel& panel = panels.emplace_back();
    panel.title = absl::StrCat("trace ", trace);
    for (const RecordedVariable* variable : shown) {
      PlotSeries& series = panel.series.emplace_back();
      const bool is_target = variable == target;
      series.label = is_target ? "recorded" : "model";
      const double* row = variable->row(trace);
      series.values.reserve(variable->n_steps);
      for (uint32_t step = 0; step < variable->n_steps; ++step) {
        series.values.push_back(row[step] / display.scale);
      }
    }
    // The recorded data first, so that the model is drawn over it.
    std::reverse(panel.series.begin(), panel.series.end());
  }
  PlotOptions options;
  options.dt = fitted->dt * 1e3;
  options.x_label = "t (ms)";
  options.y_label = display.symbol.empty()
                        ? fitted->name
                        : absl::StrCat(fitted->name, " (", display.symbol, ")");
  options.title = title;
  std::ofstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("--plot: cannot write '", path, "'"));
  }
  file << RenderSvgPlot(panels, options);
  file.flush();
  if (!file) {
    return absl::InternalError(absl::StrCat("writing '", path, "' failed"));
  }
  log << "plotted " << fitted->name
      << (target != nullptr ? " against the recorded data" : "") << " in "
      << path << " (" << fitted->n_traces << " panels)\n";
  return absl::OkStatus();
}

// Writes the generated variables (not the targets fetched for the plot).
absl::Status WriteOutputs(const Recording& recording,
                          const std::vector<std::string>& generated,
                          const TraceOptions& options, const std::string& title,
                          std::ostream& log) {
  std::optional<ParsedQuantity> unit;
  if (!options.unit.empty()) {
    absl::StatusOr<ParsedQuantity> parsed = ParseUnitText(options.unit);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--unit: ", parsed.status().message()));
    }
    bool fits = false;
    for (const std::string& name : generated) {
      const RecordedVariable* variable = recording.Find(name);
      fits |= variable != nullptr && !variable->spikes &&
              SameDimension(parsed->exponents, variable->exponents);
    }
    if (!fits) {
      return absl::InvalidArgumentError(
          absl::StrCat("--unit ", options.unit,
                       " does not have the unit of any recorded variable"));
    }
    unit = *parsed;
  }
  if (!options.out.empty()) {
    for (const std::string& name : generated) {
      const RecordedVariable* variable = recording.Find(name);
      if (variable == nullptr) {
        return absl::InternalError(
            absl::StrCat("the server sent nothing for '", name, "'"));
      }
      const std::filesystem::path path =
          PathFor(options.out, name, generated.size() == 1);
      absl::Status written =
          variable->spikes
              ? WriteSpikeCsv(*variable, path)
              : WriteTraceCsv(*variable, path,
                              UnitFor(*variable, unit, DisplayUnit{}));
      if (!written.ok()) return written;
      if (variable->spikes) {
        size_t count = 0;
        for (const auto& train : variable->trains) count += train.size();
        log << "wrote " << count << " spikes of " << variable->n_traces
            << " traces to " << path.string() << "\n";
      } else {
        const bool in_unit =
            unit && SameDimension(unit->exponents, variable->exponents);
        log << "wrote " << name << " (" << variable->n_traces << " traces x "
            << variable->n_steps << " steps, "
            << (in_unit ? options.unit : std::string("SI")) << ") to "
            << path.string() << "\n";
      }
    }
  }
  if (options.plot.empty()) return absl::OkStatus();
  bool has_trace = false;
  for (const std::string& name : generated) {
    const RecordedVariable* variable = recording.Find(name);
    has_trace |= variable != nullptr && !variable->spikes;
  }
  if (!has_trace) {
    // Spikes alone (a spike fitter's output) have no trace to draw. When
    // the CSV was asked for too, the user has what the command can give,
    // so a note is enough; --plot alone would have produced nothing.
    constexpr char kTracesOnly[] =
        "--plot draws traces, and only spikes were recorded";
    if (options.out.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kTracesOnly,
                       ": use --out FILE.csv for the spike times, or --vars "
                       "to record a trace variable such as v"));
    }
    log.flush();
    std::cerr << "cellfit: note: " << kTracesOnly << "; no plot written to "
              << options.plot << "\n";
    return absl::OkStatus();
  }
  return DrawPlot(recording, generated, unit, options.unit, options.plot, title,
                  log);
}

// The variables asked for, or those the server chose (all but the targets
// it was asked to add).
std::vector<std::string> Generated(const Recording& recording,
                                   const std::vector<std::string>& asked) {
  if (!asked.empty()) return asked;
  std::vector<std::string> names;
  for (const RecordedVariable& variable : recording.variables()) {
    if (!variable.target_of.empty()) continue;
    names.push_back(variable.name);
  }
  return names;
}

class GenerateVerb final : public Verb {
 public:
  std::string_view name() const override { return "generate"; }
  std::string_view summary() const override {
    return "traces or spikes of a fitted model (best or given parameters)";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("ID", &fitter_, "the fitter");
    options_.Define(args, /*params_required=*/false);
  }

  absl::Status Run(Context& context) override {
    if (absl::Status status = options_.CheckOut(); !status.ok()) return status;
    cellfit::v1::GenerateRequest request;
    request.set_fitter_id(fitter_);
    std::vector<std::string> asked;
    if (absl::Status filled = options_.Fill(request, asked); !filled.ok()) {
      return filled;
    }
    auto iteration = options_.ParsedIteration();
    if (!iteration.ok()) return iteration.status();
    if (iteration->has_value()) {
      request.set_iteration(**iteration);
      request.set_has_iteration(true);
    }
    request.set_include_targets(!options_.plot.empty());

    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    WorkerWaitNotice notice(context, **client);
    absl::StatusOr<Recording> recording =
        ReadRecording([&](const auto& on_chunk) {
          return (*client)->Generate(
              request, [&](const cellfit::v1::GenerateChunk& chunk) {
                notice.Progress();
                return on_chunk(chunk);
              });
        });
    if (!recording.ok()) return recording.status();
    return WriteOutputs(*recording, Generated(*recording, asked), options_,
                        absl::StrCat("fitter ", fitter_), context.out());
  }

 private:
  std::string fitter_;
  TraceOptions options_;
};

class SimulateVerb final : public Verb {
 public:
  std::string_view name() const override { return "simulate"; }
  std::string_view summary() const override {
    return "simulate a job file's model on its inputs for one parameter set";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("JOB.toml", &path_, "the job file");
    options_.Define(args, /*params_required=*/true);
  }

  absl::Status Run(Context& context) override {
    if (absl::Status status = options_.CheckOut(); !status.ok()) return status;
    absl::StatusOr<Job> job = ReadJobFile(path_);
    if (!job.ok()) return job.status();
    cellfit::v1::SimulateRequest request;
    *request.mutable_spec() = job->spec;
    if (options_.params.empty()) {
      return absl::InvalidArgumentError(
          "give every parameter's value with --params NAME=QUANTITY,...");
    }
    std::vector<std::string> asked;
    if (absl::Status filled = options_.Fill(request, asked); !filled.ok()) {
      return filled;
    }
    auto iteration = options_.ParsedIteration();
    if (!iteration.ok()) return iteration.status();
    request.set_iteration(iteration->value_or(0));

    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    WorkerWaitNotice notice(context, **client);
    absl::StatusOr<Recording> recording =
        ReadRecording([&](const auto& on_chunk) {
          return (*client)->Simulate(
              request, [&](const cellfit::v1::GenerateChunk& chunk) {
                notice.Progress();
                return on_chunk(chunk);
              });
        });
    if (!recording.ok()) return LocateErrors(*job, recording.status());
    return WriteOutputs(*recording, Generated(*recording, asked), options_,
                        path_, context.out());
  }

 private:
  std::string path_;
  TraceOptions options_;
};

}  // namespace

std::unique_ptr<Verb> MakeGenerateVerb() {
  return std::make_unique<GenerateVerb>();
}
std::unique_ptr<Verb> MakeSimulateVerb() {
  return std::make_unique<SimulateVerb>();
}

}  // namespace cellfit::client::cli
