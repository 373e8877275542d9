#include "server/fitting/fitter_manager.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "model/lexer.h"
#include "model/methods.h"
#include "server/fitting/fit_task.h"
#include "server/fitting/refine.h"
#include "server/optimize/make_optimizer.h"
#include "worker/jobs/metric_conversion.h"
#include "worker/jobs/spec_conversion.h"

namespace cellfit::fitting {
namespace {

// The caller is answered as if the fitter did not exist, so that ids cannot
// be probed; the operator still hears of the attempt.
void LogForeignFitter(const std::string& user, const std::string& id,
                      const std::string& owner) {
  LOG(WARNING) << "user '" << user << "' asked for fitter " << id
               << " of user '" << owner << "'; answered NOT_FOUND";
}

std::string JobIdOf(const std::string& fitter_id, int64_t run_index) {
  return absl::StrCat(fitter_id, "/run", run_index);
}

std::string GenerateJobIdOf(const std::string& fitter_id) {
  return absl::StrCat(fitter_id, "/generate");
}

v1::VariableKind WireVariableKind(model::SymbolKind kind) {
  switch (kind) {
    case model::SymbolKind::kState:
      return v1::VARIABLE_KIND_STATE;
    case model::SymbolKind::kSubexpression:
      return v1::VARIABLE_KIND_SUBEXPRESSION;
    case model::SymbolKind::kParameter:
      return v1::VARIABLE_KIND_PARAMETER;
    case model::SymbolKind::kInput:
      return v1::VARIABLE_KIND_INPUT;
    case model::SymbolKind::kTarget:
      return v1::VARIABLE_KIND_TARGET;
    default:
      return v1::VARIABLE_KIND_BUILTIN;
  }
}

// The record-only job data of a spec (generate, simulate).
std::shared_ptr<v1::JobData> RecordJob(
    const std::string& job_id, const v1::FitterSpec& spec,
    const std::vector<std::string>& parameters, v1::Backend backend) {
  auto job = std::make_shared<v1::JobData>();
  job->set_job_id(job_id);
  *job->mutable_spec() = spec;
  for (const std::string& p : parameters) job->add_parameters(p);
  job->set_backend(backend == v1::BACKEND_UNSPECIFIED ? spec.backend()
                                                      : backend);
  return job;
}

// A parameter table with one row, in the model's order.
absl::StatusOr<std::vector<double>> OneRow(const v1::ParameterTable& table,
                                           const FitterModel& model) {
  std::vector<double> row;
  for (size_t p = 0; p < model.parameters.size(); ++p) {
    const v1::Column* found = nullptr;
    for (const v1::Column& column : table.columns()) {
      if (column.name() == model.parameters[p]) found = &column;
    }
    if (found == nullptr || found->values_size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("params must give one value for every parameter; '",
                       model.parameters[p], "' is missing"));
    }
    if (found->has_dimension() && !(jobs::ToDimension(found->dimension()) ==
                                    model.parameter_dimensions[p])) {
      return absl::InvalidArgumentError(
          absl::StrCat("the value of '", model.parameters[p], "' has unit ",
                       jobs::ToDimension(found->dimension()).DisplayUnit(),
                       ", but '", model.parameters[p], "' has unit ",
                       model.parameter_dimensions[p].DisplayUnit()));
    }
    if (!std::isfinite(found->values(0))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the value of '", model.parameters[p], "' is not finite"));
    }
    row.push_back(found->values(0));
  }
  for (const v1::Column& column : table.columns()) {
    if (std::find(model.parameters.begin(), model.parameters.end(),
                  column.name()) == model.parameters.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", column.name(), "' is not a parameter of the model (parameters: ",
          absl::StrJoin(model.parameters, ", "), ")"));
    }
  }
  return row;
}

// What a Generate or Simulate records: the variables asked for (default:
// the outputs), each once, and few enough values that a worker's answer fits
// one message. Listing a variable twice would stream it twice for each
// listing, and an answer beyond the message limit would break the worker's
// stream and be sent again without end.
absl::StatusOr<std::vector<std::string>> RecordedVariables(
    const google::protobuf::RepeatedPtrField<std::string>& requested,
    const jobs::ConvertedSpec& converted, int64_t max_values) {
  constexpr size_t kMaxVariables = 64;
  std::vector<std::string> variables(requested.begin(), requested.end());
  if (variables.empty()) {
    for (const auto& output : converted.outputs)
      variables.push_back(output.variable);
  }
  if (variables.empty()) {
    return absl::InvalidArgumentError("name the variables to record");
  }
  if (variables.size() > kMaxVariables) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at most ", kMaxVariables, " variables can be recorded at once; ",
        variables.size(), " were asked for"));
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& variable : variables) {
    if (!seen.insert(variable).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the variable '", variable, "' is asked for twice; name it once"));
    }
  }
  const int64_t values = static_cast<int64_t>(variables.size()) *
                         converted.n_traces * converted.n_steps;
  if (values > max_values) {
    return absl::InvalidArgumentError(absl::StrCat(
        "recording ", variables.size(), " variable(s) of ", converted.n_traces,
        " trace(s) x ", converted.n_steps, " steps is ", values,
        " values; at most ", max_values,
        " can be recorded in one call: ask for fewer variables at a time"));
  }
  return variables;
}

}  // namespace

FitterManager::FitterManager(storage::Database* database,
                             dispatch::Dispatcher* dispatcher,
                             FitterManagerOptions options)
    : database_(database), dispatcher_(dispatcher), options_(options) {}

FitterManager::~FitterManager() { Shutdown(); }

void FitterManager::Shutdown() {
  std::vector<std::shared_ptr<FitTask>> tasks;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (auto& [id, entry] : entries_) {
      absl::MutexLock entry_lock(&entry->mu);
      if (entry->task) tasks.push_back(entry->task);
    }
  }
  for (auto& task : tasks) task->Interrupt();
  for (auto& task : tasks) task->AwaitFinished();
}

std::string FitterManager::NewId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("f%012x", rng() & 0xffffffffffffULL);
}

uint64_t FitterManager::NewSeed() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t seed = 0;
  while (seed == 0) seed = rng() >> 16;
  return seed;
}

absl::StatusOr<std::shared_ptr<FitterManager::Entry>> FitterManager::Find(
    const std::string& owner, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("fitter_id is empty");
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    if (it->second->owner != owner) {
      LogForeignFitter(owner, id, it->second->owner);
      return absl::NotFoundError(absl::StrCat("no fitter '", id, "'"));
    }
    return it->second;
  }
  auto record = database_->GetFitter(id);
  if (!record.ok() || record->owner != owner) {
    if (record.ok()) LogForeignFitter(owner, id, record->owner);
    return absl::NotFoundError(absl::StrCat("no fitter '", id, "'"));
  }
  auto entry = std::make_shared<Entry>();
  entry->id = id;
  entry->owner = owner;
  entries_[id] = entry;
  return entry;
}

absl::StatusOr<std::shared_ptr<const v1::FitterSpec>> FitterManager::SpecOf(
    Entry& entry) {
  absl::MutexLock lock(&entry.mu);
  if (entry.spec) return entry.spec;
  auto bytes = database_->LoadFitterSpec(entry.id);
  if (!bytes.ok()) return bytes.status();
  auto spec = std::make_shared<v1::FitterSpec>();
  if (!spec->ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("the stored spec of ", entry.id, " is corrupt"));
  }
  entry.spec = spec;
  return entry.spec;
}

absl::StatusOr<std::shared_ptr<const FitterModel>> FitterManager::ModelOf(
    Entry& entry) {
  auto spec = SpecOf(entry);
  if (!spec.ok()) return spec.status();
  absl::MutexLock lock(&entry.mu);
  if (entry.model) return entry.model;
  auto model = LoadFitterModel(**spec);
  if (!model.ok()) return model.status();
  entry.model = std::make_shared<const FitterModel>(std::move(*model));
  return entry.model;
}

absl::StatusOr<RunUnits> FitterManager::UnitsOf(Entry& entry,
                                                const storage::RunRecord& run) {
  auto model = ModelOf(entry);
  if (!model.ok()) return model.status();
  v1::FitRequest config;
  config.ParseFromString(run.config);
  auto settings = MakeFitSettings(**model, config, config.optimizer().seed());
  RunUnits units;
  units.parameters = (*model)->parameters;
  units.parameter_dimensions = (*model)->parameter_dimensions;
  if (settings.ok()) {
    for (const OutputScoring& output : settings->outputs) {
      units.outputs.push_back(output.output);
      units.output_dimensions.push_back(output.dimension);
    }
    units.error_dimension = settings->error_dimension;
  } else {
    units.outputs = run.output_names;
    units.output_dimensions.assign(run.output_names.size(), model::Dimension());
  }
  return units;
}

absl::StatusOr<v1::FitterInfo> FitterManager::Info(Entry& entry) {
  auto record = database_->GetFitter(entry.id);
  if (!record.ok()) return record.status();
  v1::FitterInfo info;
  info.set_id(record->id);
  info.set_name(record->name);
  info.set_kind(ToWireKind(record->kind));
  info.set_state(ToWireState(record->state));
  info.set_owner(record->owner);
  info.mutable_created()->set_seconds(absl::ToUnixSeconds(record->created));
  info.set_n_samples(record->n_samples);
  info.set_n_traces(record->n_traces);
  info.set_n_steps(record->n_steps);
  info.set_error(record->error);
  info.set_method(record->method);
  for (const std::string& p : record->parameter_names) info.add_parameters(p);
  if (record->current_run) {
    const storage::RunRecord& run = *record->current_run;
    info.set_run(run.index);
    info.set_rounds_done(run.rounds_done);
    info.set_evaluations(run.evaluations);
    info.set_optimizer(run.optimizer);
    auto units = UnitsOf(entry, run);
    if (units.ok()) {
      if (!run.best_params.empty()) {
        *info.mutable_best_params() = MakeParameterTable(
            units->parameters, units->parameter_dimensions, {run.best_params});
      }
      *info.mutable_error_dimension() =
          jobs::FromDimension(units->error_dimension);
    }
    if (run.best_error) info.set_best_error(*run.best_error);
  }
  return info;
}

namespace {

// brian2modelfitting refuses an input variable the model does not name
// ("... is not an identifier in the model"); the checker alone cannot see
// it, since an unused input is no error in the model text.
void AddUnknownInputs(const v1::FitterSpec& spec,
                      const model::CheckResult& check,
                      model::Diagnostics& diagnostics) {
  std::set<std::string, std::less<>> names;
  model::Diagnostics ignored;  // the checker reports lexical problems
  std::vector<std::string> texts = {spec.model(), spec.threshold(),
                                    spec.reset(), spec.refractory(),
                                    spec.penalty()};
  for (const auto& [variable, value] : spec.param_init()) {
    texts.push_back(value);
  }
  for (const std::string& text : texts) {
    for (const model::Token& token : model::Tokenize(text, "", ignored)) {
      if (token.kind == model::TokenKind::kName) {
        names.emplace(token.text);
      }
    }
  }
  for (const v1::Input& input : spec.inputs()) {
    if (names.count(input.variable()) > 0) continue;
    std::string message = absl::StrCat(
        "the model has no variable '", input.variable(),
        "' for this input: an input gives the values of a name the "
        "equations use but do not define");
    if (!check.unresolved_names.empty()) {
      absl::StrAppend(&message, " (undefined in the model: ",
                      absl::StrJoin(check.unresolved_names, ", "), ")");
    }
    diagnostics.Add(absl::StrCat("inputs.", input.variable()), {}, message);
  }
}

}  // namespace

absl::StatusOr<v1::CheckModelResponse> FitterManager::CheckModel(
    const v1::CheckModelRequest& request) {
  v1::CheckModelResponse response;
  jobs::CheckedSpec checked = jobs::CheckSpec(request.spec());
  // Without fit settings, CheckModel looks at the model only: data problems
  // (no traces yet) are not the question, except units and names the model
  // needs. With them, the client has the whole job and wants to hear of
  // everything that would stop CreateFitter or the first Fit.
  model::Diagnostics diagnostics =
      request.has_fit() ? checked.diagnostics : checked.check.diagnostics;
  AddUnknownInputs(request.spec(), checked.check, diagnostics);
  if (request.has_fit() && diagnostics.empty()) {
    auto model = LoadFitterModel(request.spec());
    if (model.ok()) {
      CheckFitRequest(*model, request.fit(),
                      static_cast<int>(request.spec().n_samples()),
                      diagnostics);
    } else {
      diagnostics.Add("", {}, std::string(model.status().message()));
    }
  }
  for (const model::Diagnostic& d : diagnostics.items()) {
    v1::Diagnostic* out = response.add_diagnostics();
    out->mutable_position()->set_field(d.field);
    out->mutable_position()->set_line(d.location.line);
    out->mutable_position()->set_column(d.location.column);
    out->set_message(d.message);
  }
  for (const std::string& name : checked.check.namespace_names_used) {
    response.add_namespace_names(name);
  }
  for (const std::string& name : checked.check.unresolved_names) {
    response.add_namespace_names(name);
  }
  response.set_ok(diagnostics.empty());
  if (checked.check.model) {
    const model::Model& m = *checked.check.model;
    response.set_method(m.method);
    for (int p : m.parameters) response.add_fitted_parameters(m.NameOf(p));
    for (size_t s = 0; s < m.symbols.size(); ++s) {
      const model::Symbol& symbol = m.symbols[s];
      if (symbol.offset != 0 || symbol.kind == model::SymbolKind::kTemporary ||
          symbol.kind == model::SymbolKind::kNoise) {
        continue;
      }
      v1::VariableInfo* variable = response.add_variables();
      variable->set_name(symbol.name);
      variable->set_kind(WireVariableKind(symbol.kind));
      *variable->mutable_dimension() = jobs::FromDimension(symbol.dimension);
      variable->set_unit(symbol.type == model::ValueType::kBoolean ? "boolean"
                         : symbol.type == model::ValueType::kInteger
                             ? "integer"
                             : symbol.dimension.DisplayUnit());
      if (symbol.kind == model::SymbolKind::kParameter)
        variable->add_flags("constant");
      for (const model::DifferentialEquation& eq : m.equations) {
        if (eq.state == static_cast<int>(s) && eq.unless_refractory) {
          variable->add_flags("unless refractory");
        }
      }
    }
  }
  return response;
}

absl::StatusOr<v1::FitterInfo> FitterManager::CreateFitter(
    const std::string& owner, const v1::CreateFitterRequest& request) {
  const v1::FitterSpec& spec = request.spec();
  jobs::CheckedSpec checked = jobs::CheckSpec(spec);
  model::Diagnostics diagnostics = checked.diagnostics;
  AddUnknownInputs(spec, checked.check, diagnostics);
  if (!diagnostics.empty()) return diagnostics.ToStatus();
  const model::Model& m = *checked.check.model;
  storage::NewFitter fitter;
  fitter.id = NewId();
  fitter.owner = owner;
  fitter.name = spec.name();
  fitter.kind = ToStorageKind(spec.kind());
  fitter.n_samples = spec.n_samples();
  fitter.n_traces = checked.converted.n_traces;
  fitter.n_steps = checked.converted.n_steps;
  fitter.method = m.method;
  for (int p : m.parameters) fitter.parameter_names.push_back(m.NameOf(p));
  fitter.spec = spec.SerializeAsString();
  auto created = database_->CreateFitter(fitter);
  if (!created.ok()) return created.status();
  auto entry = Find(owner, fitter.id);
  if (!entry.ok()) return entry.status();
  return Info(**entry);
}

absl::StatusOr<v1::FitterInfo> FitterManager::GetFitter(
    const std::string& owner, const std::string& id) {
  auto entry = Find(owner, id);
  if (!entry.ok()) return entry.status();
  return Info(**entry);
}

absl::StatusOr<std::vector<v1::FitterInfo>> FitterManager::ListFitters(
    const std::string& owner) {
  auto records = database_->ListFitters(owner);
  if (!records.ok()) return records.status();
  std::vector<v1::FitterInfo> out;
  for (const storage::FitterRecord& record : *records) {
    auto entry = Find(owner, record.id);
    if (!entry.ok()) continue;
    auto info = Info(**entry);
    if (info.ok()) out.push_back(std::move(*info));
  }
  return out;
}

absl::StatusOr<v1::FitterInfo> FitterManager::CancelFit(
    const std::string& owner, const std::string& id) {
  auto entry = Find(owner, id);
  if (!entry.ok()) return entry.status();
  std::shared_ptr<FitTask> task;
  {
    absl::MutexLock lock(&(*entry)->mu);
    task = (*entry)->task;
  }
  if (task == nullptr || task->finished()) {
    return absl::FailedPreconditionError(
        absl::StrCat("fitter '", id, "' is not running"));
  }
  task->Cancel();
  // Wait until its state is recorded, so that the answer shows it.
  task->AwaitFinished();
  return Info(**entry);
}

absl::Status FitterManager::DeleteFitter(const std::string& owner,
                                         const std::string& id) {
  auto entry = Find(owner, id);
  if (!entry.ok()) return entry.status();
  std::shared_ptr<FitTask> task;
  bool generate_job;
  {
    absl::MutexLock lock(&(*entry)->mu);
    task = (*entry)->task;
    (*entry)->task.reset();
    generate_job = (*entry)->generate_job;
  }
  if (task != nullptr) {
    task->Cancel();
    task->AwaitFinished();
  }
  if (generate_job) dispatcher_->RemoveJob(GenerateJobIdOf(id));
  if (auto runs = database_->ListRuns(id); runs.ok()) {
    for (const storage::RunRecord& run : *runs)
      dispatcher_->RemoveJob(JobIdOf(id, run.index));
  }
  absl::Status deleted = database_->DeleteFitter(id);
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
  return deleted;
}

absl::StatusOr<std::shared_ptr<FitTask>> FitterManager::StartTask(
    std::shared_ptr<Entry> entry, const v1::FitRequest& request, bool resume) {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_)
      return absl::UnavailableError("the server is shutting down");
  }
  auto model = ModelOf(*entry);
  if (!model.ok()) return model.status();
  auto spec = SpecOf(*entry);
  if (!spec.ok()) return spec.status();
  auto record = database_->GetFitter(entry->id);
  if (!record.ok()) return record.status();
  if (!resume) {
    absl::MutexLock lock(&entry->mu);
    if (entry->task && !entry->task->finished()) {
      return absl::FailedPreconditionError(
          absl::StrCat("fitter '", entry->id, "' is already running a fit"));
    }
  }
  if (request.n_rounds() < 1 || request.n_rounds() > 1000000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n_rounds is ", request.n_rounds(), "; expected 1 to 1000000"));
  }
  constexpr uint32_t kMaxRoundsAhead = 8;
  if (request.rounds_ahead() > kMaxRoundsAhead) {
    return absl::InvalidArgumentError(
        absl::StrCat("rounds_ahead is ", request.rounds_ahead(),
                     "; expected 0 to ", kMaxRoundsAhead));
  }
  std::optional<storage::RunRecord> run = record->current_run;
  v1::FitRequest config;  // the run's settings
  bool new_run = !run.has_value() || request.restart();
  if (!new_run) {
    v1::FitRequest previous;
    if (!previous.ParseFromString(run->config)) {
      return absl::DataLossError(
          "the stored settings of the current run are corrupt");
    }
    config = previous;
    if (!resume) {
      // brian2modelfitting: the optimizer and metric can only change with a
      // restart (which also resets the iteration counter).
      // A request without a seed means "the run's seed" (the server chose it).
      v1::FitRequest asked = request;
      if (asked.optimizer().seed() == 0) {
        asked.mutable_optimizer()->set_seed(previous.optimizer().seed());
      }
      if (request.has_optimizer() &&
          OptimizerFingerprint(asked) != OptimizerFingerprint(previous)) {
        return absl::FailedPreconditionError(
            "the optimizer cannot change between fits; fit with restart=true "
            "to "
            "start over with another optimizer");
      }
      if (!request.metrics().empty() &&
          MetricFingerprint(request) != MetricFingerprint(previous)) {
        return absl::FailedPreconditionError(
            "the metric cannot change between fits; fit with restart=true to "
            "change it");
      }
      if (!request.bounds().empty() &&
          BoundsFingerprint(request) != BoundsFingerprint(previous)) {
        return absl::FailedPreconditionError(
            "the bounds cannot change between fits; fit with restart=true to "
            "change them");
      }
      if (request.start_iteration() != 0) {
        return absl::FailedPreconditionError(
            "start_iteration applies to a new run; fit with restart=true");
      }
    }
    config.set_acknowledge_rounds(request.acknowledge_rounds());
  } else {
    config = request;
    config.clear_fitter_id();
    if (config.optimizer().seed() == 0)
      config.mutable_optimizer()->set_seed(NewSeed());
    if (config.optimizer().method().empty())
      config.mutable_optimizer()->set_method("DE");
  }
  auto settings = MakeFitSettings(**model, config, config.optimizer().seed());
  if (!settings.ok()) return settings.status();
  if (static_cast<int>(record->n_samples) < 1) {
    return absl::FailedPreconditionError("the fitter has no n_samples");
  }
  if (new_run) {
    if (run.has_value()) dispatcher_->RemoveJob(JobIdOf(entry->id, run->index));
    storage::NewRun fresh;
    auto method = optimize::ResolveMethod(settings->optimizer.method);
    fresh.optimizer =
        method.ok() ? method->canonical_name : settings->optimizer.method;
    fresh.parameter_names = (*model)->parameters;
    for (const OutputScoring& output : settings->outputs) {
      fresh.output_names.push_back(output.output);
    }
    fresh.start_iteration = static_cast<int64_t>(config.start_iteration());
    fresh.config = config.SerializeAsString();
    auto started = database_->StartRun(entry->id, fresh);
    if (!started.ok()) return started.status();
    run = *started;
  }
  // The call's target, kept with the run so that a restarted server knows
  // how far to go.
  const int64_t target = resume ? static_cast<int64_t>(config.n_rounds())
                                : run->rounds_done + request.n_rounds();
  config.set_n_rounds(static_cast<uint32_t>(target));
  if (absl::Status saved =
          database_->SetRunConfig(run->id, config.SerializeAsString());
      !saved.ok()) {
    return saved;
  }
  // The optimizer: fresh, or where the last recorded round left it.
  std::unique_ptr<optimize::Optimizer> optimizer;
  if (run->rounds_done > 0) {
    auto checkpoint = database_->LatestCheckpoint(run->id);
    if (!checkpoint.ok()) return checkpoint.status();
    auto restored = optimize::RestoreOptimizer(
        settings->optimizer, *settings->space,
        static_cast<int>(record->n_samples), checkpoint->state);
    if (!restored.ok()) return restored.status();
    optimizer = std::move(*restored);
  } else {
    auto made = optimize::MakeOptimizer(settings->optimizer, *settings->space,
                                        static_cast<int>(record->n_samples));
    if (!made.ok()) return made.status();
    optimizer = std::move(*made);
  }
  // The job the workers evaluate.
  auto job = std::make_shared<v1::JobData>();
  job->set_job_id(JobIdOf(entry->id, run->index));
  *job->mutable_spec() = **spec;
  for (const std::string& p : (*model)->parameters) job->add_parameters(p);
  for (const v1::MetricSpec& metric : config.metrics())
    *job->add_metrics() = metric;
  job->set_penalty(settings->penalty);
  job->set_backend((*spec)->backend() == v1::BACKEND_UNSPECIFIED
                       ? v1::BACKEND_RUNTIME
                       : (*spec)->backend());
  dispatcher_->AddJob(job);

  FitTaskSetup setup;
  setup.fitter_id = entry->id;
  setup.database = database_;
  setup.dispatcher = dispatcher_;
  setup.model = *model;
  setup.units = RunUnits{(*model)->parameters,
                         (*model)->parameter_dimensions,
                         {},
                         {},
                         settings->error_dimension};
  for (const OutputScoring& output : settings->outputs) {
    setup.units.outputs.push_back(output.output);
    setup.units.output_dimensions.push_back(output.dimension);
  }
  setup.settings = std::move(*settings);
  setup.run = *run;
  setup.optimizer = std::move(optimizer);
  setup.job_id = job->job_id();
  setup.target_rounds = target;
  setup.acknowledge = !resume && request.acknowledge_rounds();
  setup.rounds_ahead = static_cast<int>(request.rounds_ahead());
  auto task = std::make_shared<FitTask>(std::move(setup));
  if (absl::Status state =
          database_->SetFitterState(entry->id, storage::FitterState::kRunning);
      !state.ok()) {
    return state;
  }
  {
    absl::MutexLock lock(&entry->mu);
    entry->task = task;
  }
  task->Start();
  return task;
}

absl::Status FitterManager::ResumeInterruptedFits() {
  auto running = database_->ListRunningFitters();
  if (!running.ok()) return running.status();
  for (const storage::FitterRecord& listed : *running) {
    // The listing may leave out the current run; read the fitter whole.
    auto full = database_->GetFitter(listed.id);
    if (!full.ok()) continue;
    const storage::FitterRecord& record = *full;
    auto entry = Find(record.owner, record.id);
    if (!entry.ok()) continue;
    bool resumable = false;
    v1::FitRequest config;
    if (record.current_run &&
        config.ParseFromString(record.current_run->config)) {
      resumable = record.current_run->rounds_done <
                  static_cast<int64_t>(config.n_rounds());
    }
    if (!resumable) {
      (void)database_->SetFitterState(record.id, storage::FitterState::kIdle);
      continue;
    }
    auto task = StartTask(*entry, config, /*resume=*/true);
    if (task.ok()) {
      LOG(INFO) << "resumed the fit of " << record.id << " at round "
                << record.current_run->rounds_done << " of "
                << config.n_rounds();
    } else {
      LOG(WARNING) << "cannot resume the fit of " << record.id << ": "
                   << task.status();
      (void)database_->SetFitterState(record.id, storage::FitterState::kFailed,
                                      std::string(task.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status FitterManager::Fit(
    const std::string& owner, const v1::FitRequest& request,
    const Sink<v1::FitRound>& sink,
    const std::function<ClientControl()>& next_control,
    const std::function<bool()>& client_cancelled) {
  auto entry = Find(owner, request.fitter_id());
  if (!entry.ok()) return entry.status();
  auto task = StartTask(*entry, request, /*resume=*/false);
  if (!task.ok()) return task.status();
  int64_t next = (*task)->first_round();
  LOG(INFO) << "user '" << owner << "' started a fit of " << request.fitter_id()
            << ": " << request.n_rounds() << " rounds from round " << next
            << (request.restart() ? " (a new run)" : "");
  bool client_here = true;
  // After a stop the client sends nothing more, but with rounds_ahead the
  // round in progress still comes.
  bool stop_received = false;
  v1::FitRound round;
  while (true) {
    const FitTask::Wait wait =
        (*task)->NextRound(next, &round, absl::Milliseconds(200));
    if (wait == FitTask::Wait::kEnded) break;
    if (wait == FitTask::Wait::kTimeout) {
      if (client_here && client_cancelled && client_cancelled()) {
        client_here = false;
        (*task)->Stop(/*client_gone=*/true);
      }
      continue;
    }
    next = round.round() + 1;
    if (!client_here) continue;
    if (!sink(round)) {
      client_here = false;
      (*task)->Stop(/*client_gone=*/true);
      continue;
    }
    if (request.acknowledge_rounds() && !round.last() && !stop_received) {
      switch (next_control()) {
        case ClientControl::kProceed:
          (*task)->Ack(round.round());
          break;
        case ClientControl::kStop:
          stop_received = true;
          (*task)->Stop(/*client_gone=*/false);
          break;
        case ClientControl::kGone:
          client_here = false;
          (*task)->Stop(/*client_gone=*/true);
          break;
      }
    }
  }
  return (*task)->status();
}

absl::Status FitterManager::Watch(const std::string& owner,
                                  const v1::WatchRequest& request,
                                  const Sink<v1::FitRound>& sink) {
  auto entry = Find(owner, request.fitter_id());
  if (!entry.ok()) return entry.status();
  std::shared_ptr<FitTask> task;
  {
    absl::MutexLock lock(&(*entry)->mu);
    task = (*entry)->task;
  }
  auto record = database_->GetFitter(request.fitter_id());
  if (!record.ok()) return record.status();
  if (!record->current_run) return absl::OkStatus();
  const storage::RunRecord& run = *record->current_run;
  auto units = UnitsOf(**entry, run);
  if (!units.ok()) return units.status();
  int64_t next = static_cast<int64_t>(request.from_round());
  auto recorded = database_->ListRounds(run.id, next,
                                        storage::RoundDetail::kWithEvaluations);
  if (!recorded.ok()) return recorded.status();
  for (const storage::RoundRecord& r : *recorded) {
    v1::FitRound message = MakeFitRound(
        ViewOfRecord(request.fitter_id(), run.index, r, units->outputs.size()),
        *units);
    if (!sink(message)) return absl::CancelledError("the watcher went away");
    next = r.round + 1;
  }
  if (task == nullptr || task->run_id() != run.id) return absl::OkStatus();
  v1::FitRound round;
  while (task->NextRound(next, &round, absl::InfiniteDuration()) ==
         FitTask::Wait::kRound) {
    if (!sink(round)) return absl::CancelledError("the watcher went away");
    next = round.round() + 1;
  }
  absl::Status status = task->status();
  if (status.code() == absl::StatusCode::kCancelled &&
      !status.message().empty() &&
      status.message().find("client") != std::string::npos) {
    return absl::OkStatus();  // the Fit caller left; the watcher saw it all
  }
  return status;
}

std::string FitterManager::EnsureGenerateJob(Entry& entry,
                                             const v1::FitterSpec& spec,
                                             const FitterModel& model,
                                             v1::Backend backend) {
  const std::string job_id = GenerateJobIdOf(entry.id);
  absl::MutexLock lock(&entry.mu);
  if (!entry.generate_job) {
    dispatcher_->AddJob(RecordJob(job_id, spec, model.parameters, backend));
    entry.generate_job = true;
  }
  return job_id;
}

absl::StatusOr<v1::BatchResult> FitterManager::RecordOnWorkers(
    const std::string& job_id, const v1::Batch& batch,
    const ClientGone& client_gone) {
  auto results = dispatcher_->RunBatches(job_id, {batch}, [&] {
    return shutting_down_ || (client_gone && client_gone());
  });
  if (results.status().code() == absl::StatusCode::kCancelled) {
    if (shutting_down_) {
      return absl::UnavailableError(
          "the server is shutting down; send the request again when it is "
          "back");
    }
    return absl::CancelledError("the client went away");
  }
  if (!results.ok()) return results.status();
  return std::move((*results)[0]);
}

absl::Status FitterManager::StreamRecording(
    const v1::BatchResult& result, const std::vector<std::string>& variables,
    const jobs::ConvertedSpec& converted, const model::Model* model,
    const Sink<v1::GenerateChunk>& sink) {
  const int n_traces = converted.n_traces;
  const int n_steps = converted.n_steps;
  for (const std::string& variable : variables) {
    if (variable == "spikes") {
      for (int t = 0; t < result.spikes_size() && t < n_traces; ++t) {
        v1::GenerateChunk chunk;
        chunk.set_variable("spikes");
        *chunk.mutable_dimension() =
            jobs::FromDimension(model::Dimension::Of(0, 0, 1, 0));
        chunk.set_unit("s");
        chunk.set_n_traces(n_traces);
        chunk.set_dt(converted.dt);
        chunk.set_trace(t);
        *chunk.mutable_spikes() = result.spikes(t);
        if (!sink(chunk)) return absl::CancelledError("the client went away");
      }
      continue;
    }
    model::Dimension dimension;
    if (model != nullptr) {
      const int symbol = model->Find(variable);
      if (symbol >= 0) dimension = model->symbol(symbol).dimension;
    }
    for (const v1::RecordedTrace& trace : result.traces()) {
      if (trace.variable() != variable) continue;
      for (int offset = 0; offset < trace.values_size() || offset == 0;
           offset += options_.chunk_values) {
        v1::GenerateChunk chunk;
        chunk.set_variable(variable);
        *chunk.mutable_dimension() = jobs::FromDimension(dimension);
        chunk.set_unit(dimension.DisplayUnit());
        chunk.set_n_traces(n_traces);
        chunk.set_n_steps(n_steps);
        chunk.set_dt(converted.dt);
        chunk.set_trace(trace.neuron());
        chunk.set_step_offset(offset);
        const int end =
            std::min(trace.values_size(), offset + options_.chunk_values);
        chunk.mutable_values()->Add(trace.values().begin() + offset,
                                    trace.values().begin() + end);
        if (!sink(chunk)) return absl::CancelledError("the client went away");
        if (end >= trace.values_size()) break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status FitterManager::Generate(const std::string& owner,
                                     const v1::GenerateRequest& request,
                                     const Sink<v1::GenerateChunk>& sink,
                                     const ClientGone& client_gone) {
  auto entry = Find(owner, request.fitter_id());
  if (!entry.ok()) return entry.status();
  auto model = ModelOf(**entry);
  if (!model.ok()) return model.status();
  auto spec = SpecOf(**entry);
  if (!spec.ok()) return spec.status();
  std::vector<double> params;
  if (request.has_params() && request.params().columns_size() > 0) {
    auto row = OneRow(request.params(), **model);
    if (!row.ok()) return row.status();
    params = std::move(*row);
  } else {
    auto record = database_->GetFitter(request.fitter_id());
    if (!record.ok()) return record.status();
    if (!record->current_run || record->current_run->best_params.empty()) {
      return absl::FailedPreconditionError(
          "no parameters given and no fit has run yet: give params, or fit "
          "first");
    }
    params = record->current_run->best_params;
  }
  auto recorded = RecordedVariables(request.variables(), (*model)->converted,
                                    options_.max_recorded_values);
  if (!recorded.ok()) return recorded.status();
  const std::vector<std::string>& variables = *recorded;
  const std::string job_id =
      EnsureGenerateJob(**entry, **spec, **model, request.backend());
  v1::Batch batch;
  batch.set_n_samples(1);
  batch.mutable_params()->Add(params.begin(), params.end());
  batch.set_iteration(request.has_iteration() ? request.iteration() : 1e9);
  for (const std::string& v : variables) batch.add_record(v);
  for (const auto& [name, value] : request.param_init())
    (*batch.mutable_param_init())[name] = value;
  auto result = RecordOnWorkers(job_id, batch, client_gone);
  if (!result.ok()) return result.status();
  jobs::CheckedSpec checked = jobs::CheckSpec(**spec);
  absl::Status streamed = StreamRecording(
      *result, variables, (*model)->converted,
      checked.check.model ? &*checked.check.model : nullptr, sink);
  if (!streamed.ok() || !request.include_targets()) return streamed;
  return StreamTargets((*model)->converted, sink);
}

absl::Status FitterManager::StreamTargets(const jobs::ConvertedSpec& converted,
                                          const Sink<v1::GenerateChunk>& sink) {
  for (const jobs::ConvertedSpec::OutputInfo& output : converted.outputs) {
    v1::GenerateChunk header;
    header.set_variable(absl::StrCat(output.variable, "_target"));
    header.set_target_of(output.variable);
    header.set_n_traces(converted.n_traces);
    header.set_dt(converted.dt);
    if (output.spikes) {
      *header.mutable_dimension() =
          jobs::FromDimension(model::Dimension::Of(0, 0, 1, 0));
      header.set_unit("s");
      for (int t = 0; t < converted.n_traces &&
                      t < static_cast<int>(converted.spike_trains.size());
           ++t) {
        v1::GenerateChunk chunk = header;
        chunk.set_trace(t);
        chunk.mutable_spikes()->mutable_times()->Add(
            converted.spike_trains[t].begin(), converted.spike_trains[t].end());
        if (!sink(chunk)) return absl::CancelledError("the client went away");
      }
      continue;
    }
    const runtime::TraceTable& table =
        converted.data.targets[output.target_index];
    *header.mutable_dimension() = jobs::FromDimension(output.dimension);
    header.set_unit(output.dimension.DisplayUnit());
    header.set_n_steps(table.n_steps);
    for (int t = 0; t < table.n_traces; ++t) {
      const double* row = table.row(t);
      for (int offset = 0; offset < table.n_steps;
           offset += options_.chunk_values) {
        v1::GenerateChunk chunk = header;
        chunk.set_trace(t);
        chunk.set_step_offset(offset);
        const int end = std::min(table.n_steps, offset + options_.chunk_values);
        chunk.mutable_values()->Add(row + offset, row + end);
        if (!sink(chunk)) return absl::CancelledError("the client went away");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status FitterManager::Simulate(const std::string& owner,
                                     const v1::SimulateRequest& request,
                                     const Sink<v1::GenerateChunk>& sink,
                                     const ClientGone& client_gone) {
  v1::FitterSpec spec = request.spec();
  if (spec.kind() == v1::FITTER_KIND_UNSPECIFIED)
    spec.set_kind(v1::FITTER_KIND_TRACE);
  if (spec.n_samples() == 0) spec.set_n_samples(1);
  jobs::CheckedSpec checked = jobs::CheckSpec(spec, /*require_outputs=*/false);
  if (!checked.diagnostics.empty()) return checked.diagnostics.ToStatus();
  FitterModel model;
  model.converted = checked.converted;
  for (int p : checked.check.model->parameters) {
    model.parameters.push_back(checked.check.model->NameOf(p));
    model.parameter_dimensions.push_back(
        checked.check.model->symbol(p).dimension);
  }
  auto row = OneRow(request.params(), model);
  if (!row.ok()) return row.status();
  auto recorded = RecordedVariables(request.variables(), model.converted,
                                    options_.max_recorded_values);
  if (!recorded.ok()) return recorded.status();
  const std::vector<std::string>& variables = *recorded;
  const std::string job_id = absl::StrCat("simulate/", NewId());
  dispatcher_->AddJob(
      RecordJob(job_id, spec, model.parameters, request.backend()));
  v1::Batch batch;
  batch.set_n_samples(1);
  batch.mutable_params()->Add(row->begin(), row->end());
  batch.set_iteration(request.iteration());
  for (const std::string& v : variables) batch.add_record(v);
  for (const auto& [name, value] : request.param_init())
    (*batch.mutable_param_init())[name] = value;
  auto result = RecordOnWorkers(job_id, batch, client_gone);
  dispatcher_->RemoveJob(job_id);
  if (!result.ok()) return result.status();
  (void)owner;
  return StreamRecording(*result, variables, model.converted,
                         &*checked.check.model, sink);
}

absl::Status FitterManager::Results(const std::string& owner,
                                    const v1::ResultsRequest& request,
                                    const Sink<v1::ResultsChunk>& sink) {
  auto entry = Find(owner, request.fitter_id());
  if (!entry.ok()) return entry.status();
  auto record = database_->GetFitter(request.fitter_id());
  if (!record.ok()) return record.status();
  if (!record->current_run) {
    v1::ResultsChunk empty;
    sink(empty);
    return absl::OkStatus();
  }
  auto units = UnitsOf(**entry, *record->current_run);
  if (!units.ok()) return units.status();
  storage::EvaluationQuery query;
  query.fitter_id = request.fitter_id();
  if (!request.all_runs()) query.run_id = record->current_run->id;
  query.limit = 10000;
  auto total = database_->CountEvaluations(request.fitter_id(), query.run_id);
  if (!total.ok()) return total.status();
  uint64_t offset = 0;
  while (true) {
    auto page = database_->ReadEvaluations(query);
    if (!page.ok()) return page.status();
    v1::ResultsChunk chunk;
    chunk.set_row_offset(offset);
    chunk.set_total_rows(*total);
    auto as_doubles = [](const std::vector<int64_t>& v) {
      return std::vector<double>(v.begin(), v.end());
    };
    *chunk.add_columns() =
        MakeColumn("run", model::Dimension(), as_doubles(page->run_index));
    *chunk.add_columns() =
        MakeColumn("round", model::Dimension(), as_doubles(page->round));
    *chunk.add_columns() = MakeColumn("iteration", model::Dimension(),
                                      as_doubles(page->iteration));
    for (size_t p = 0; p < page->parameter_names.size(); ++p) {
      model::Dimension dimension;
      for (size_t k = 0; k < units->parameters.size(); ++k) {
        if (units->parameters[k] == page->parameter_names[p]) {
          dimension = units->parameter_dimensions[k];
        }
      }
      *chunk.add_columns() =
          MakeColumn(page->parameter_names[p], dimension, page->params[p]);
    }
    *chunk.add_columns() =
        MakeColumn("error", units->error_dimension, page->error);
    for (size_t o = 0; o < page->output_names.size(); ++o) {
      model::Dimension dimension;
      for (size_t k = 0; k < units->outputs.size(); ++k) {
        if (units->outputs[k] == page->output_names[o])
          dimension = units->output_dimensions[k];
      }
      *chunk.add_columns() =
          MakeColumn(absl::StrCat("error_", page->output_names[o]), dimension,
                     page->objectives[o]);
    }
    offset += page->size();
    if (!sink(chunk)) return absl::CancelledError("the client went away");
    if (!page->next) break;
    query.after = page->next;
  }
  return absl::OkStatus();
}

absl::Status FitterManager::Refine(const std::string& owner,
                                   const v1::RefineRequest& request,
                                   const Sink<v1::RefineUpdate>& sink,
                                   const ClientGone& client_gone) {
  auto entry = Find(owner, request.fitter_id());
  if (!entry.ok()) return entry.status();
  auto model = ModelOf(**entry);
  if (!model.ok()) return model.status();
  auto spec = SpecOf(**entry);
  if (!spec.ok()) return spec.status();
  const FitterModel& m = **model;
  if (m.kind != v1::FITTER_KIND_TRACE || m.converted.outputs.size() != 1) {
    return absl::FailedPreconditionError(
        "refine works on trace fitters with one output (as "
        "TraceFitter.refine)");
  }
  auto record = database_->GetFitter(request.fitter_id());
  if (!record.ok()) return record.status();
  v1::FitRequest run_config;
  if (record->current_run)
    run_config.ParseFromString(record->current_run->config);
  // Start point.
  std::vector<double> start;
  if (request.has_params() && request.params().columns_size() > 0) {
    auto row = OneRow(request.params(), m);
    if (!row.ok()) return row.status();
    start = std::move(*row);
  } else if (record->current_run && !record->current_run->best_params.empty()) {
    start = record->current_run->best_params;
  } else {
    return absl::FailedPreconditionError(
        "no parameters given and no fit has run yet: give params, or fit "
        "first");
  }
  // Bounds: the request's, else the fit's.
  v1::FitRequest bounds_request;
  bounds_request.mutable_bounds()->CopyFrom(
      request.bounds().empty() ? run_config.bounds() : request.bounds());
  if (bounds_request.bounds().empty()) {
    return absl::FailedPreconditionError(
        "no bounds given and no fit has run yet: give bounds for every "
        "parameter");
  }
  *bounds_request.add_metrics() =
      run_config.metrics().empty() ? v1::MetricSpec() : run_config.metrics(0);
  // The metric's t_start / t_weights / normalization.
  v1::MetricSpec metric;
  if (!request.metrics().empty()) {
    metric = request.metrics(0);
  } else if (!run_config.metrics().empty()) {
    metric = run_config.metrics(0);
  } else {
    metric.mutable_mse();
  }
  if (!metric.has_mse()) {
    return absl::InvalidArgumentError(
        "refine minimizes squared residuals: give an mse metric");
  }
  auto config =
      jobs::ToMetricConfig(metric, m.converted.model_spec.namespace_entries);
  if (!config.ok()) return config.status();
  const auto& mse = std::get<metrics::MseConfig>(*config);
  const int n_steps = m.converted.n_steps;
  const int n_traces = m.converted.n_traces;
  const double dt = m.converted.dt;
  const int first_step = static_cast<int>(std::nearbyint(mse.t_start / dt));
  if (first_step >= n_steps) {
    return absl::InvalidArgumentError(
        "t_start lies beyond the end of the traces");
  }
  std::vector<double> weights;
  if (!mse.t_weights.empty()) {
    if (static_cast<int>(mse.t_weights.size()) != n_steps) {
      return absl::InvalidArgumentError(
          absl::StrCat("t_weights has ", mse.t_weights.size(),
                       " values; the traces have ", n_steps, " steps"));
    }
    double mean = 0;
    for (double w : mse.t_weights) mean += w / n_steps;
    for (double w : mse.t_weights) weights.push_back(std::sqrt(w / mean));
  }
  const double scale = 1.0 / (mse.normalization == 0 ? 1.0 : mse.normalization);
  std::vector<double> lower, upper;
  for (size_t p = 0; p < m.parameters.size(); ++p) {
    const v1::Bounds* found = nullptr;
    for (const v1::Bounds& b : bounds_request.bounds()) {
      if (b.parameter() == m.parameters[p]) found = &b;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no bounds for '", m.parameters[p], "'"));
    }
    auto lo = jobs::ToQuantity(found->lower(), "bounds",
                               m.converted.model_spec.namespace_entries);
    auto hi = jobs::ToQuantity(found->upper(), "bounds",
                               m.converted.model_spec.namespace_entries);
    if (!lo.ok()) return lo.status();
    if (!hi.ok()) return hi.status();
    if (!(lo->dimension == m.parameter_dimensions[p]) ||
        !(hi->dimension == m.parameter_dimensions[p])) {
      return absl::InvalidArgumentError(
          absl::StrCat("the bounds of '", m.parameters[p], "' must have unit ",
                       m.parameter_dimensions[p].DisplayUnit()));
    }
    lower.push_back(lo->value);
    upper.push_back(hi->value);
  }
  const auto& output = m.converted.outputs[0];
  const runtime::TraceTable& target =
      m.converted.data.targets[output.target_index];
  const std::string job_id =
      EnsureGenerateJob(**entry, **spec, m, v1::BACKEND_UNSPECIFIED);
  // brian2modelfitting's default switches off coupling to the target.
  const double iteration = request.has_iteration() ? request.iteration() : 1e9;
  RefineProblem problem;
  problem.start = start;
  problem.lower = lower;
  problem.upper = upper;
  // More than any refinement runs; also keeps the counts within int.
  constexpr uint32_t kNoLimit = 1u << 30;
  if (request.max_iterations() > 0) {
    problem.max_iterations =
        static_cast<int>(std::min(request.max_iterations(), kNoLimit));
  } else if (request.max_evaluations() > 0) {
    // max_nfev alone bounds the simulations, not the iterations.
    problem.max_iterations = static_cast<int>(kNoLimit);
  } else {
    problem.max_iterations = 100;
  }
  problem.max_evaluations =
      static_cast<int>(std::min(request.max_evaluations(), kNoLimit));
  problem.residuals =
      [&](const Eigen::MatrixXd& points) -> absl::StatusOr<Eigen::MatrixXd> {
    v1::Batch batch;
    batch.set_n_samples(static_cast<uint32_t>(points.rows()));
    batch.set_iteration(iteration);
    batch.add_record(output.variable);
    for (int k = 0; k < points.rows(); ++k) {
      for (int p = 0; p < points.cols(); ++p) batch.add_params(points(k, p));
    }
    auto result = RecordOnWorkers(job_id, batch, client_gone);
    if (!result.ok()) return result.status();
    const int kept = weights.empty() ? n_steps - first_step : n_steps;
    Eigen::MatrixXd residuals(static_cast<Eigen::Index>(kept) * n_traces,
                              points.rows());
    for (const v1::RecordedTrace& trace : result->traces()) {
      const int sample = static_cast<int>(trace.neuron()) / n_traces;
      const int t = static_cast<int>(trace.neuron()) % n_traces;
      const double* want = target.row(t);
      for (int k = weights.empty() ? first_step : 0, row = 0; k < n_steps;
           ++k, ++row) {
        double r = (trace.values(k) - want[k]) * scale;
        if (!weights.empty()) r *= weights[k];
        residuals(static_cast<Eigen::Index>(t) * kept + row, sample) = r;
      }
    }
    return residuals;
  };
  if (request.calc_gradient()) {
    // One simulation gives the trace and its sensitivity to every parameter
    // (the variables S_<output>_<parameter>), as brian2modelfitting's
    // calc_gradient does.
    problem.residuals_and_gradient = [&](const std::vector<double>& point)
        -> absl::StatusOr<std::pair<Eigen::VectorXd, Eigen::MatrixXd>> {
      v1::Batch batch;
      batch.set_n_samples(1);
      batch.set_iteration(iteration);
      batch.set_sensitivities(true);
      batch.add_record(output.variable);
      for (const std::string& p : m.parameters) {
        batch.add_record(absl::StrCat("S_", output.variable, "_", p));
      }
      batch.mutable_params()->Add(point.begin(), point.end());
      auto result = RecordOnWorkers(job_id, batch, client_gone);
      if (!result.ok()) return result.status();
      const int kept = weights.empty() ? n_steps - first_step : n_steps;
      const int n_params = static_cast<int>(m.parameters.size());
      Eigen::VectorXd residuals(static_cast<Eigen::Index>(kept) * n_traces);
      Eigen::MatrixXd jacobian(residuals.size(), n_params);
      for (const v1::RecordedTrace& trace : result->traces()) {
        const int t = static_cast<int>(trace.neuron());
        int column = -1;  // -1: the output itself
        for (int p = 0; p < n_params; ++p) {
          if (trace.variable() ==
              absl::StrCat("S_", output.variable, "_", m.parameters[p])) {
            column = p;
          }
        }
        const double* want = target.row(t);
        for (int k = weights.empty() ? first_step : 0, row = 0; k < n_steps;
             ++k, ++row) {
          double value =
              column < 0 ? trace.values(k) - want[k] : trace.values(k);
          value *= scale;
          if (!weights.empty()) value *= weights[k];
          const Eigen::Index index = static_cast<Eigen::Index>(t) * kept + row;
          if (column < 0) {
            residuals(index) = value;
          } else {
            jacobian(index, column) = value;
          }
        }
      }
      return std::make_pair(residuals, jacobian);
    };
  }
  bool client_here = true;
  auto send = [&](int step, const std::vector<double>& point, double error) {
    v1::RefineUpdate update;
    update.set_iteration(step);
    *update.mutable_params() =
        MakeParameterTable(m.parameters, m.parameter_dimensions, {point});
    update.set_error(error);
    client_here = sink(update);
    return client_here;
  };
  if (request.every_evaluation()) {
    problem.evaluated = send;
  } else {
    problem.progress = send;
  }
  auto refined = fitting::Refine(problem);
  if (!refined.ok()) return refined.status();
  if (!client_here) return absl::CancelledError("the client went away");
  v1::RefineUpdate last;
  last.set_iteration(refined->iterations);
  *last.mutable_params() = MakeParameterTable(
      m.parameters, m.parameter_dimensions, {refined->params});
  last.set_error(refined->error);
  last.set_done(true);
  last.set_message(absl::StrCat(refined->message, " (", refined->evaluations,
                                " simulations)"));
  sink(last);
  return absl::OkStatus();
}

}  // namespace cellfit::fitting
