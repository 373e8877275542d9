#include "server/fitting/fit_settings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/optimize/make_optimizer.h"
#include "worker/jobs/metric_conversion.h"

namespace cellfit::fitting {
namespace {

std::string Deterministic(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// Adds the lines of `status` to `problems`. A line that names its field
// ("bounds.gl.lower:1:5: error: ...", as the quantity parser writes them)
// keeps it; so does one that starts with a field below `field`
// ("metric.t_start must be a time, ..."); the others go under `field`.
void AddProblem(model::Diagnostics& problems, const std::string& field,
                const absl::Status& status) {
  constexpr absl::string_view kMarker = ": error: ";
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    if (line.empty()) continue;
    const size_t marker = line.find(kMarker);
    if (marker != absl::string_view::npos) {
      std::vector<std::string> where =
          absl::StrSplit(line.substr(0, marker), ':');
      model::SourceLocation location;
      const bool located = where.size() == 3 &&
                           absl::SimpleAtoi(where[1], &location.line) &&
                           absl::SimpleAtoi(where[2], &location.column);
      if ((where.size() == 1 || located) && !where[0].empty() &&
          where[0].find(' ') == std::string::npos) {
        problems.Add(where[0], location,
                     std::string(line.substr(marker + kMarker.size())));
        continue;
      }
    }
    const absl::string_view first = line.substr(0, line.find(' '));
    if (absl::StartsWith(first, absl::StrCat(field, ".")) &&
        first.find(':') == absl::string_view::npos) {
      problems.Add(std::string(first), {}, std::string(line));
      continue;
    }
    problems.Add(field, {}, std::string(line));
  }
}

}  // namespace

absl::StatusOr<FitterModel> LoadFitterModel(const v1::FitterSpec& spec) {
  jobs::CheckedSpec checked = jobs::CheckSpec(spec);
  if (!checked.diagnostics.empty()) return checked.diagnostics.ToStatus();
  FitterModel model;
  model.kind = spec.kind();
  model.converted = std::move(checked.converted);
  const model::Model& m = *checked.check.model;
  for (int p : m.parameters) {
    model.parameters.push_back(m.NameOf(p));
    model.parameter_dimensions.push_back(m.symbol(p).dimension);
  }
  model.method = m.method;
  return model;
}

absl::StatusOr<FitSettings> MakeFitSettings(const FitterModel& model,
                                            const v1::FitRequest& request,
                                            uint64_t seed) {
  model::Diagnostics problems;
  return MakeFitSettings(model, request, seed, problems);
}

absl::StatusOr<FitSettings> MakeFitSettings(const FitterModel& model,
                                            const v1::FitRequest& request,
                                            uint64_t seed,
                                            model::Diagnostics& problems) {
  const size_t problems_before = problems.size();
  const auto found_problems = [&] { return problems.size() > problems_before; };
  FitSettings settings;
  const auto& ns = model.converted.model_spec.namespace_entries;
  // Optimizer.
  settings.optimizer.method = request.optimizer().method().empty()
                                  ? "DE"
                                  : request.optimizer().method();
  settings.optimizer.seed =
      request.optimizer().seed() != 0 ? request.optimizer().seed() : seed;
  for (const auto& [name, value] : request.optimizer().options()) {
    settings.optimizer.options[name] = value;
  }
  if (auto method = optimize::ResolveMethod(settings.optimizer.method);
      !method.ok()) {
    AddProblem(problems, "optimizer.method", method.status());
  }

  // Bounds, in the model's parameter order.
  const size_t before_bounds = problems.size();
  std::map<std::string, const v1::Bounds*> given;
  for (const v1::Bounds& bounds : request.bounds()) {
    const std::string field = absl::StrCat("bounds.", bounds.parameter());
    const auto it = std::find(model.parameters.begin(), model.parameters.end(),
                              bounds.parameter());
    if (it == model.parameters.end()) {
      problems.Add(
          field, {},
          absl::StrCat("bounds given for '", bounds.parameter(),
                       "', which is not a parameter of the model (parameters: ",
                       absl::StrJoin(model.parameters, ", "), ")"));
      continue;
    }
    if (!given.emplace(bounds.parameter(), &bounds).second) {
      problems.Add(field, {},
                   absl::StrCat("bounds for '", bounds.parameter(),
                                "' are given twice"));
    }
  }
  std::vector<std::string> missing;
  std::vector<optimize::ParameterBounds> space;
  for (size_t k = 0; k < model.parameters.size(); ++k) {
    const std::string& name = model.parameters[k];
    const model::Dimension& expected = model.parameter_dimensions[k];
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
      continue;
    }
    const std::string field = absl::StrCat("bounds.", name);
    optimize::ParameterBounds bounds;
    bounds.name = name;
    bounds.log_scale = it->second->log_scale();
    struct Side {
      const char* name;
      const v1::Quantity* quantity;
      double* target;
      std::optional<model::Dimension> wrong_dimension;
    };
    Side sides[] = {{"lower", &it->second->lower(), &bounds.lower, {}},
                    {"upper", &it->second->upper(), &bounds.upper, {}}};
    bool ok = true;
    for (Side& side : sides) {
      const std::string side_field = absl::StrCat(field, ".", side.name);
      auto value = jobs::ToQuantity(*side.quantity, side_field, ns);
      if (!value.ok()) {
        AddProblem(problems, side_field, value.status());
        ok = false;
      } else if (!(value->dimension == expected)) {
        side.wrong_dimension = value->dimension;
        ok = false;
      } else {
        *side.target = value->value;
      }
    }
    // A bare number on the wire is dimensionless (common.proto); clients that
    // take numbers in SI units of the parameter must send its dimension.
    const auto hint = [&](const Side& side) {
      return side.quantity->text().empty() && !side.quantity->has_dimension()
                 ? std::string(
                       " (a number without a dimension is dimensionless; "
                       "give the bound with its unit)")
                 : std::string();
    };
    if (sides[0].wrong_dimension && sides[1].wrong_dimension &&
        *sides[0].wrong_dimension == *sides[1].wrong_dimension) {
      problems.Add(
          field, {},
          absl::StrCat("the bounds of '", name, "' have unit ",
                       sides[0].wrong_dimension->DisplayUnit(), ", but '", name,
                       "' has unit ", expected.DisplayUnit(), hint(sides[0])));
    } else {
      for (const Side& side : sides) {
        if (!side.wrong_dimension) continue;
        problems.Add(
            absl::StrCat(field, ".", side.name), {},
            absl::StrCat("the ", side.name, " bound of '", name, "' has unit ",
                         side.wrong_dimension->DisplayUnit(), ", but '", name,
                         "' has unit ", expected.DisplayUnit(), hint(side)));
      }
    }
    if (!ok) continue;
    const std::string unit = expected.is_dimensionless()
                                 ? std::string()
                                 : absl::StrCat(" ", expected.DisplayUnit());
    if (!std::isfinite(bounds.lower) || !std::isfinite(bounds.upper)) {
      problems.Add(
          field, {},
          absl::StrCat("the bounds of '", name, "' are [", bounds.lower, ", ",
                       bounds.upper, "]", unit, "; both must be finite"));
      continue;
    }
    if (!(bounds.lower < bounds.upper)) {
      problems.Add(
          field, {},
          absl::StrCat("the lower bound of '", name, "' (", bounds.lower, unit,
                       ") must be below the upper bound (", bounds.upper, unit,
                       ")"));
      continue;
    }
    if (bounds.log_scale && !(bounds.lower > 0)) {
      problems.Add(field, {},
                   absl::StrCat("'", name,
                                "' is searched on a log scale, so both bounds "
                                "must be positive; the lower bound is ",
                                bounds.lower, unit));
      continue;
    }
    space.push_back(bounds);
  }
  if (!missing.empty()) {
    problems.Add("bounds", {},
                 absl::StrCat("bounds are needed for every fitted parameter; "
                              "missing: ",
                              absl::StrJoin(missing, ", ")));
  }
  if (problems.size() == before_bounds) {
    auto created = optimize::ParameterSpace::Create(std::move(space));
    if (created.ok()) {
      settings.space = std::move(*created);
    } else {
      AddProblem(problems, "bounds", created.status());
    }
  }

  // Metrics: one per output (none for online fitters, which use their own
  // squared error).
  settings.penalty = request.penalty().empty()
                         ? model.converted.model_spec.penalty
                         : request.penalty();
  // Where the job file writes a metric: [metric] for the only output, or
  // [metric.<output>].
  const auto metric_field = [](const std::string& output) {
    return output.empty() ? std::string("metric")
                          : absl::StrCat("metric.", output);
  };
  if (model.kind == v1::FITTER_KIND_ONLINE_TRACE) {
    for (const v1::MetricSpec& metric : request.metrics()) {
      if (!metric.has_mse()) {
        problems.Add(metric_field(metric.output()), {},
                     "an online trace fitter accumulates the squared error "
                     "during the run; give no metric (or an mse metric to set "
                     "t_start)");
      }
    }
    for (const auto& output : model.converted.outputs) {
      OutputScoring scoring;
      scoring.output = output.variable;
      scoring.kind = metrics::MetricKind::kMse;
      scoring.dimension = output.dimension.Power(2);
      settings.outputs.push_back(scoring);
    }
  } else if (request.metrics().empty()) {
    problems.Add("metric", {},
                 "a metric is needed (e.g. mse for traces, gamma for spikes)");
  } else {
    // Each metric's own settings first, so that every one is reported at
    // its place; matching them to the outputs and the data needs them all.
    bool configs_ok = true;
    for (const v1::MetricSpec& metric : request.metrics()) {
      auto config = jobs::ToMetricConfig(metric, ns);
      if (!config.ok()) {
        AddProblem(problems, metric_field(metric.output()), config.status());
        configs_ok = false;
      }
    }
    std::vector<v1::MetricSpec> specs(request.metrics().begin(),
                                      request.metrics().end());
    // Builds (and so validates) every metric against the targets.
    absl::StatusOr<std::vector<jobs::OutputMetric>> built =
        absl::FailedPreconditionError("not built");
    if (configs_ok) built = jobs::BuildMetrics(specs, model.converted);
    if (!built.ok() && configs_ok) {
      std::string field = "metric";
      for (const v1::MetricSpec& metric : request.metrics()) {
        if (absl::StartsWith(
                built.status().message(),
                absl::StrCat("metric for '", metric.output(), "'")) ||
            request.metrics_size() == 1) {
          field = metric_field(metric.output());
        }
      }
      AddProblem(problems, field, built.status());
    }
    if (built.ok()) {
      for (const jobs::OutputMetric& metric : *built) {
        const auto& output = model.converted.outputs[metric.output_index];
        const std::string field = metric_field(metric.output);
        if (metric.metric->output_kind() == metrics::OutputKind::kTraces &&
            output.spikes) {
          problems.Add(field, {},
                       absl::StrCat("the ", std::string(metric.metric->name()),
                                    " metric needs traces, but the output "
                                    "'spikes' holds spike times"));
          continue;
        }
        if (metric.metric->output_kind() == metrics::OutputKind::kSpikes &&
            !output.spikes) {
          problems.Add(
              field, {},
              absl::StrCat("the GammaFactor metric needs spike times, but '",
                           output.variable, "' holds traces"));
          continue;
        }
        OutputScoring scoring;
        scoring.output = metric.output;
        scoring.kind = metric.metric->kind();
        scoring.normalization = metric.metric->normalization();
        scoring.dimension =
            output.spikes ? model::Dimension()
                          : output.dimension.Power(
                                metric.metric->error_dimension_exponent());
        settings.outputs.push_back(scoring);
      }
    }
  }
  if (found_problems()) {
    model::Diagnostics mine;
    for (size_t k = problems_before; k < problems.size(); ++k) {
      const model::Diagnostic& d = problems.items()[k];
      mine.Add(d.field, d.location, d.message);
    }
    return mine.ToStatus();
  }
  settings.error_dimension = settings.outputs.empty()
                                 ? model::Dimension()
                                 : settings.outputs[0].dimension;
  for (const OutputScoring& scoring : settings.outputs) {
    // Errors of different dimensions add up as plain numbers.
    if (!(scoring.dimension == settings.error_dimension)) {
      settings.error_dimension = model::Dimension();
    }
  }
  return settings;
}

void CheckFitRequest(const FitterModel& model, const v1::FitRequest& request,
                     int n_samples, model::Diagnostics& problems) {
  // The seed does not matter for the check; any nonzero one will do.
  auto settings = MakeFitSettings(model, request, 1, problems);
  if (!settings.ok()) return;
  auto optimizer =
      optimize::MakeOptimizer(settings->optimizer, *settings->space, n_samples);
  if (!optimizer.ok()) {
    // "option 'F' of optimizer DE is 3; ..." is about that option.
    const absl::string_view message = optimizer.status().message();
    std::string field = absl::StartsWith(message, "unknown option")
                            ? "optimizer.options"
                            : "optimizer";
    if (absl::StartsWith(message, "option '")) {
      const absl::string_view name = message.substr(8);
      field =
          absl::StrCat("optimizer.options.", name.substr(0, name.find('\'')));
    }
    AddProblem(problems, field, optimizer.status());
  }
}

std::string OptimizerFingerprint(const v1::FitRequest& request) {
  v1::OptimizerSpec spec = request.optimizer();
  if (spec.method().empty()) spec.set_method("DE");
  return Deterministic(spec);
}

std::string MetricFingerprint(const v1::FitRequest& request) {
  std::string out;
  for (const v1::MetricSpec& metric : request.metrics()) {
    absl::StrAppend(&out, Deterministic(metric), "|");
  }
  absl::StrAppend(&out, "penalty=", request.penalty());
  return out;
}

std::string BoundsFingerprint(const v1::FitRequest& request) {
  std::vector<std::string> parts;
  for (const v1::Bounds& bounds : request.bounds())
    parts.push_back(Deterministic(bounds));
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, "|");
}

}  // namespace cellfit::fitting
