#include "server/fitting/fit_settings.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
    return method.status();
  }
  // Bounds, in the model's parameter order.
  std::map<std::string, const v1::Bounds*> given;
  for (const v1::Bounds& bounds : request.bounds()) {
    const auto it = std::find(model.parameters.begin(), model.parameters.end(),
                              bounds.parameter());
    if (it == model.parameters.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bounds given for '", bounds.parameter(),
                       "', which is not a parameter of the model (parameters: ",
                       absl::StrJoin(model.parameters, ", "), ")"));
    }
    if (!given.emplace(bounds.parameter(), &bounds).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bounds for '", bounds.parameter(), "' are given twice"));
    }
  }
  std::vector<std::string> missing;
  std::vector<optimize::ParameterBounds> space;
  for (size_t k = 0; k < model.parameters.size(); ++k) {
    const std::string& name = model.parameters[k];
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
      continue;
    }
    optimize::ParameterBounds bounds;
    bounds.name = name;
    bounds.log_scale = it->second->log_scale();
    for (const auto& [quantity, target] :
         {std::pair{&it->second->lower(), &bounds.lower},
          std::pair{&it->second->upper(), &bounds.upper}}) {
      auto value =
          jobs::ToQuantity(*quantity, absl::StrCat("bounds.", name), ns);
      if (!value.ok()) return value.status();
      if (!(value->dimension == model.parameter_dimensions[k])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the bounds of '", name, "' have unit ",
            value->dimension.DisplayUnit(), ", but '", name, "' has unit ",
            model.parameter_dimensions[k].DisplayUnit()));
      }
      *target = value->value;
    }
    space.push_back(bounds);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bounds are needed for every fitted parameter; missing: ",
                     absl::StrJoin(missing, ", ")));
  }
  auto created = optimize::ParameterSpace::Create(std::move(space));
  if (!created.ok()) return created.status();
  settings.space = std::move(*created);

  // Metrics: one per output (none for online fitters, which use their own
  // squared error).
  settings.penalty = request.penalty().empty()
                         ? model.converted.model_spec.penalty
                         : request.penalty();
  if (model.kind == v1::FITTER_KIND_ONLINE_TRACE) {
    for (const v1::MetricSpec& metric : request.metrics()) {
      if (!metric.has_mse()) {
        return absl::InvalidArgumentError(
            "an online trace fitter accumulates the squared error during the "
            "run; give no metric (or an mse metric to set t_start)");
      }
    }
    for (const auto& output : model.converted.outputs) {
      OutputScoring scoring;
      scoring.output = output.variable;
      scoring.kind = metrics::MetricKind::kMse;
      scoring.dimension = output.dimension.Power(2);
      settings.outputs.push_back(scoring);
    }
  } else {
    if (request.metrics().empty()) {
      return absl::InvalidArgumentError(
          "a metric is needed (e.g. mse for traces, gamma for spikes)");
    }
    std::vector<v1::MetricSpec> specs(request.metrics().begin(),
                                      request.metrics().end());
    // Builds (and so validates) every metric against the targets.
    auto built = jobs::BuildMetrics(specs, model.converted);
    if (!built.ok()) return built.status();
    for (const jobs::OutputMetric& metric : *built) {
      const auto& output = model.converted.outputs[metric.output_index];
      if (metric.metric->output_kind() == metrics::OutputKind::kTraces &&
          output.spikes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the ", std::string(metric.metric->name()),
            " metric needs traces, but the output 'spikes' holds spike times"));
      }
      if (metric.metric->output_kind() == metrics::OutputKind::kSpikes &&
          !output.spikes) {
        return absl::InvalidArgumentError(
            absl::StrCat("the GammaFactor metric needs spike times, but '",
                         output.variable, "' holds traces"));
      }
      OutputScoring scoring;
      scoring.output = metric.output;
      scoring.kind = metric.metric->kind();
      scoring.normalization = metric.metric->normalization();
      scoring.dimension = output.spikes
                              ? model::Dimension()
                              : output.dimension.Power(
                                    metric.metric->error_dimension_exponent());
      settings.outputs.push_back(scoring);
    }
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
