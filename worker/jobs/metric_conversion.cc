#include "worker/jobs/metric_conversion.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cellfit::jobs {
namespace {

const model::Dimension kSecond = model::Dimension::Of(0, 0, 1, 0);

// A time from the wire; `required` makes an unset quantity an error.
absl::StatusOr<double> Time(const v1::Quantity& q, const std::string& field,
                            const std::vector<model::NamespaceEntry>& ns,
                            bool required) {
  const bool unset = q.text().empty() && q.value() == 0 && !q.has_dimension();
  if (unset) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
    }
    return 0.0;
  }
  auto value = ToQuantity(q, field, ns);
  if (!value.ok()) return value.status();
  if (!(value->dimension == kSecond)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a time, but has unit ",
                     value->dimension.DisplayUnit()));
  }
  return value->value;
}

}  // namespace

absl::StatusOr<metrics::MetricConfig> ToMetricConfig(
    const v1::MetricSpec& spec, const std::vector<model::NamespaceEntry>& ns) {
  const std::string where =
      spec.output().empty() ? "metric" : absl::StrCat("metric.", spec.output());
  switch (spec.kind_case()) {
    case v1::MetricSpec::kMse: {
      metrics::MseConfig config;
      auto t_start = Time(spec.mse().t_start(), where + ".t_start", ns, false);
      if (!t_start.ok()) return t_start.status();
      config.t_start = *t_start;
      config.t_weights.assign(spec.mse().t_weights().begin(),
                              spec.mse().t_weights().end());
      config.normalization = spec.mse().normalization();
      return config;
    }
    case v1::MetricSpec::kGamma: {
      metrics::GammaFactorConfig config;
      auto delta = Time(spec.gamma().delta(), where + ".delta", ns, true);
      if (!delta.ok()) return delta.status();
      auto time = Time(spec.gamma().time(), where + ".time", ns, true);
      if (!time.ok()) return time.status();
      config.delta = *delta;
      config.time = *time;
      config.rate_correction = !spec.gamma().no_rate_correction();
      config.normalization = spec.gamma().normalization();
      return config;
    }
    case v1::MetricSpec::kFeatures: {
      metrics::FeatureMetricConfig config;
      const v1::FeatureMetric& f = spec.features();
      config.features.assign(f.features().begin(), f.features().end());
      for (const auto& [name, weight] : f.weights())
        config.weights[name] = weight;
      config.stim_start.assign(f.stim_start().begin(), f.stim_start().end());
      config.stim_end.assign(f.stim_end().begin(), f.stim_end().end());
      config.combine = f.combine();
      if (f.threshold() != 0) config.settings.threshold = f.threshold();
      config.normalization = f.normalization();
      return config;
    }
    case v1::MetricSpec::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": no metric type (mse, gamma or features)"));
}

absl::StatusOr<std::vector<OutputMetric>> BuildMetrics(
    const std::vector<v1::MetricSpec>& specs, const ConvertedSpec& converted) {
  std::vector<OutputMetric> out;
  const auto ns = converted.model_spec.namespace_entries;
  std::vector<bool> covered(converted.outputs.size(), false);
  for (const v1::MetricSpec& spec : specs) {
    int index = -1;
    if (spec.output().empty()) {
      if (converted.outputs.size() != 1) {
        return absl::InvalidArgumentError(
            "the fitter has several outputs: give each metric its output "
            "([metric.<output>])");
      }
      index = 0;
    } else {
      for (size_t k = 0; k < converted.outputs.size(); ++k) {
        if (converted.outputs[k].variable == spec.output())
          index = static_cast<int>(k);
      }
      if (index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("the metric for '", spec.output(),
                         "' names no output of the fitter"));
      }
    }
    if (covered[index]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output '", converted.outputs[index].variable, "' has two metrics"));
    }
    covered[index] = true;
    auto config = ToMetricConfig(spec, ns);
    if (!config.ok()) return config.status();
    const auto& info = converted.outputs[index];
    metrics::TargetData targets;
    if (info.spikes) {
      metrics::TargetSpikes spikes;
      spikes.dt = converted.dt;
      spikes.trains = converted.spike_trains;
      targets = spikes;
    } else {
      const runtime::TraceTable& table =
          converted.data.targets[info.target_index];
      metrics::TargetTraces traces;
      traces.dt = converted.dt;
      traces.n_traces = table.n_traces;
      traces.n_steps = table.n_steps;
      traces.values = table.values;
      targets = traces;
    }
    auto metric = metrics::MakeMetric(*config, targets);
    if (!metric.ok()) {
      return absl::Status(metric.status().code(),
                          absl::StrCat("metric for '", info.variable,
                                       "': ", metric.status().message()));
    }
    out.push_back({info.variable, index, std::move(*metric)});
  }
  for (size_t k = 0; k < covered.size(); ++k) {
    if (!covered[k]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output '", converted.outputs[k].variable, "' has no metric"));
    }
  }
  return out;
}

}  // namespace cellfit::jobs
