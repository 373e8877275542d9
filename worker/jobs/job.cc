#include "worker/jobs/job.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/sensitivity.h"

namespace cellfit::jobs {

absl::StatusOr<std::unique_ptr<Job>> Job::Prepare(const v1::JobData& data,
                                                  const JobOptions& options) {
  std::unique_ptr<Job> job(new Job());
  job->id_ = data.job_id();
  job->kind_ = data.spec().kind();
  job->backend_ = data.backend() == v1::BACKEND_UNSPECIFIED
                      ? v1::BACKEND_RUNTIME
                      : data.backend();
  job->options_ = options;
  // Record-only jobs (simulate) may have no fitted outputs.
  CheckedSpec checked = CheckSpec(
      data.spec(), /*require_outputs=*/!data.metrics().empty() ||
                       data.spec().kind() == v1::FITTER_KIND_ONLINE_TRACE);
  if (!checked.diagnostics.empty()) return checked.diagnostics.ToStatus();
  job->converted_ = std::move(checked.converted);
  job->model_ = std::move(*checked.check.model);
  const model::Model& m = job->model_;

  // Parameter columns.
  if (data.parameters_size() != static_cast<int>(m.parameters.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the job lists ", data.parameters_size(),
                     " parameters; the model has ", m.parameters.size()));
  }
  for (int p : m.parameters) {
    int column = -1;
    for (int k = 0; k < data.parameters_size(); ++k) {
      if (data.parameters(k) == m.NameOf(p)) column = k;
    }
    if (column < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the job's parameters do not include '", m.NameOf(p), "'"));
    }
    job->param_columns_.push_back(column);
  }

  model::LoweringOptions lowering;
  std::string penalty =
      data.penalty().empty() ? data.spec().penalty() : data.penalty();
  if (!penalty.empty()) {
    if (m.Find(penalty) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the penalty '", penalty, "' is not a model variable"));
    }
    lowering.final_value = penalty;
    job->has_penalty_ = true;
  }
  if (job->kind_ == v1::FITTER_KIND_ONLINE_TRACE) {
    // OnlineTraceFitter: the squared error summed during the run, divided by
    // brian2modelfitting's int((duration - t_start)/dt).
    for (const auto& output : job->converted_.outputs) {
      lowering.online_error_outputs.push_back(output.variable);
    }
    for (const v1::MetricSpec& spec : data.metrics()) {
      if (spec.has_mse()) {
        auto config =
            ToMetricConfig(spec, job->converted_.model_spec.namespace_entries);
        if (!config.ok()) return config.status();
        job->online_t_start_ = std::get<metrics::MseConfig>(*config).t_start;
      }
    }
    lowering.online_t_start = job->online_t_start_;
    const double dt = job->converted_.dt;
    const double duration = job->converted_.n_steps * dt;
    job->online_divisor_ =
        std::max(1.0, std::trunc((duration - job->online_t_start_) / dt));
  } else if (data.metrics().empty()) {
    // A record-only job (generate): batches must ask for variables.
    job->record_only_ = true;
  } else {
    std::vector<v1::MetricSpec> specs(data.metrics().begin(),
                                      data.metrics().end());
    auto built = BuildMetrics(specs, job->converted_);
    if (!built.ok()) return built.status();
    job->metrics_ = std::move(*built);
    for (const OutputMetric& metric : job->metrics_) {
      if (metric.metric->output_kind() == metrics::OutputKind::kTraces) {
        if (job->converted_.outputs[metric.output_index].spikes) {
          return absl::InvalidArgumentError(
              absl::StrCat("the ", std::string(metric.metric->name()),
                           " metric needs traces, but '", metric.output,
                           "' holds spike times"));
        }
        job->output_recording_.push_back(
            static_cast<int>(lowering.record.size()));
        lowering.record.push_back(metric.output);
      } else {
        if (!job->converted_.outputs[metric.output_index].spikes) {
          return absl::InvalidArgumentError(
              absl::StrCat("the ", std::string(metric.metric->name()),
                           " metric needs spike times, but '", metric.output,
                           "' holds traces"));
        }
        job->output_recording_.push_back(-1);
      }
    }
  }
  auto program = model::LowerModel(m, lowering);
  if (!program.ok()) return program.status();
  job->program_ = std::move(*program);
  auto simulate = job->Simulator(job->program_);
  if (!simulate.ok()) return simulate.status();
  job->simulate_ = std::move(*simulate);
  return job;
}

absl::StatusOr<SimulateFn> Job::Simulator(
    const model::StepProgram& program) const {
  if (backend_ == v1::BACKEND_RUNTIME || !options_.backend_factory) {
    if (backend_ == v1::BACKEND_STANDALONE) {
      return absl::FailedPreconditionError(
          "this worker cannot run the standalone backend");
    }
    return SimulateFn(runtime::RunBatch);
  }
  return options_.backend_factory(program, backend_);
}

absl::StatusOr<std::vector<runtime::Lane>> Job::Lanes(
    const v1::Batch& batch) const {
  const int n_traces = converted_.n_traces;
  std::vector<runtime::Lane> lanes;
  auto index = [&](int sample, int trace) {
    return (static_cast<int64_t>(batch.first_sample()) + sample) * n_traces +
           trace;
  };
  if (batch.neurons().empty()) {
    for (uint32_t s = 0; s < batch.n_samples(); ++s) {
      for (int t = 0; t < n_traces; ++t) {
        lanes.push_back({static_cast<int>(s), t, index(s, t)});
      }
    }
    return lanes;
  }
  for (const v1::Neuron& neuron : batch.neurons()) {
    if (neuron.sample() >= batch.n_samples() ||
        neuron.trace() >= static_cast<uint32_t>(n_traces)) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch neuron (sample ", neuron.sample(), ", trace ",
                       neuron.trace(), ") is outside ", batch.n_samples(),
                       " samples x ", n_traces, " traces"));
    }
    lanes.push_back({static_cast<int>(neuron.sample()),
                     static_cast<int>(neuron.trace()),
                     index(neuron.sample(), neuron.trace())});
  }
  return lanes;
}

absl::StatusOr<std::vector<double>> Job::ModelOrderParams(
    const v1::Batch& batch) const {
  const size_t n_columns = param_columns_.size();
  if (batch.n_samples() == 0 || static_cast<size_t>(batch.params_size()) !=
                                    batch.n_samples() * n_columns) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the batch has ", batch.params_size(), " parameter values for ",
        batch.n_samples(), " samples of ", n_columns, " parameters"));
  }
  std::vector<double> params(batch.params_size());
  for (uint32_t s = 0; s < batch.n_samples(); ++s) {
    for (size_t p = 0; p < n_columns; ++p) {
      const double v = batch.params(s * n_columns + param_columns_[p]);
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter '", model_.NameOf(model_.parameters[p]),
                         "' of sample ", s, " is not finite"));
      }
      params[s * n_columns + p] = v;
    }
  }
  return params;
}

absl::StatusOr<v1::BatchResult> Job::Run(const v1::Batch& batch,
                                         int threads) const {
  if (threads <= 0) threads = options_.threads;
  if (batch.record().empty()) {
    if (record_only_) {
      return absl::FailedPreconditionError(
          "the job has no metrics: a batch must name the variables to record");
    }
    return Evaluate(batch, threads);
  }
  return Record(batch, threads);
}

absl::StatusOr<v1::BatchResult> Job::Evaluate(const v1::Batch& batch,
                                              int threads) const {
  auto lanes = Lanes(batch);
  if (!lanes.ok()) return lanes.status();
  auto params = ModelOrderParams(batch);
  if (!params.ok()) return params.status();
  runtime::BatchRequest request;
  request.program = &program_;
  request.data = &converted_.data;
  request.params = params->data();
  request.n_samples = static_cast<int>(batch.n_samples());
  request.n_params = static_cast<int>(param_columns_.size());
  request.lanes = std::move(*lanes);
  request.iteration = batch.iteration();
  request.seed = batch.seed();
  request.threads = threads;
  for (const OutputMetric& metric : metrics_) {
    request.record_spikes =
        request.record_spikes ||
        metric.metric->output_kind() == metrics::OutputKind::kSpikes;
  }
  auto result = simulate_(request);
  if (!result.ok()) return result.status();

  v1::BatchResult out;
  out.set_job_id(id_);
  out.set_batch_id(batch.batch_id());
  out.set_ok(true);
  const size_t n_lanes = request.lanes.size();
  const size_t n_steps = converted_.n_steps;
  if (kind_ == v1::FITTER_KIND_ONLINE_TRACE) {
    for (size_t o = 0; o < converted_.outputs.size(); ++o) {
      v1::NeuronErrors* errors = out.add_output_errors();
      errors->set_output(converted_.outputs[o].variable);
      for (size_t l = 0; l < n_lanes; ++l) {
        errors->add_errors(result->online_errors[o][l] / online_divisor_);
      }
    }
  } else {
    for (size_t k = 0; k < metrics_.size(); ++k) {
      const OutputMetric& metric = metrics_[k];
      v1::NeuronErrors* errors = out.add_output_errors();
      errors->set_output(metric.output);
      for (size_t l = 0; l < n_lanes; ++l) {
        const int trace = request.lanes[l].trace;
        absl::StatusOr<double> value;
        if (output_recording_[k] >= 0) {
          std::span<const double> recorded(
              result->recordings[output_recording_[k]].data() + l * n_steps,
              n_steps);
          value = metric.metric->TraceValue(trace, recorded);
        } else {
          value = metric.metric->TraceValue(trace, result->spikes[l]);
        }
        if (!value.ok()) return value.status();
        errors->add_errors(*value);
      }
    }
  }
  if (has_penalty_) {
    for (size_t l = 0; l < n_lanes; ++l)
      out.add_penalties(result->final_values[l]);
  }
  return out;
}

absl::StatusOr<v1::BatchResult> Job::Record(const v1::Batch& batch,
                                            int threads) const {
  auto lanes = Lanes(batch);
  if (!lanes.ok()) return lanes.status();
  auto params = ModelOrderParams(batch);
  if (!params.ok()) return params.status();
  // Initial values may be overridden per request: check them with the model.
  const model::Model* model = &model_;
  std::optional<model::Model> overridden;
  if (!batch.param_init().empty()) {
    model::ModelSpec spec = converted_.model_spec;
    for (const auto& [name, value] : batch.param_init()) {
      auto it =
          std::find_if(spec.param_init.begin(), spec.param_init.end(),
                       [&](const auto& entry) { return entry.first == name; });
      if (it != spec.param_init.end()) {
        it->second = value;
      } else {
        spec.param_init.push_back({name, value});
      }
    }
    auto checked = model::CheckModel(spec);
    if (!checked.model) return checked.diagnostics.ToStatus();
    overridden = std::move(*checked.model);
    model = &*overridden;
  }
  if (batch.sensitivities()) {
    if (!overridden) overridden = *model;
    if (absl::Status added = model::AddSensitivities(*overridden);
        !added.ok()) {
      return added;
    }
    model = &*overridden;
  }
  model::LoweringOptions lowering;
  bool spikes = false;
  for (const std::string& variable : batch.record()) {
    if (variable == "spikes") {
      if (!model->threshold) {
        return absl::InvalidArgumentError(
            "cannot record spikes: the model has no threshold");
      }
      spikes = true;
    } else {
      lowering.record.push_back(variable);
    }
  }
  auto program = model::LowerModel(*model, lowering);
  if (!program.ok()) return program.status();
  auto simulate = Simulator(*program);
  if (!simulate.ok()) return simulate.status();
  runtime::BatchRequest request;
  request.program = &*program;
  request.data = &converted_.data;
  request.params = params->data();
  request.n_samples = static_cast<int>(batch.n_samples());
  request.n_params = static_cast<int>(param_columns_.size());
  request.lanes = std::move(*lanes);
  request.iteration = batch.iteration();
  request.seed = batch.seed();
  request.record_spikes = spikes;
  request.threads = threads;
  auto result = (*simulate)(request);
  if (!result.ok()) return result.status();
  v1::BatchResult out;
  out.set_job_id(id_);
  out.set_batch_id(batch.batch_id());
  out.set_ok(true);
  const size_t n_steps = converted_.n_steps;
  for (size_t r = 0; r < lowering.record.size(); ++r) {
    for (size_t l = 0; l < request.lanes.size(); ++l) {
      v1::RecordedTrace* trace = out.add_traces();
      trace->set_variable(lowering.record[r]);
      trace->set_neuron(static_cast<uint32_t>(l));
      const double* begin = result->recordings[r].data() + l * n_steps;
      trace->mutable_values()->Add(begin, begin + n_steps);
    }
  }
  if (spikes) {
    for (const auto& train : result->spikes) {
      out.add_spikes()->mutable_times()->Add(train.begin(), train.end());
    }
  }
  return out;
}

}  // namespace cellfit::jobs
