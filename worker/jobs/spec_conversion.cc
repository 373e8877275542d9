#include "worker/jobs/spec_conversion.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cellfit::jobs {
namespace {

const model::Dimension kSecond = model::Dimension::Of(0, 0, 1, 0);

}  // namespace

model::Dimension ToDimension(const v1::Dimension& d) {
  const double e[model::kNumBaseDimensions] = {
      d.metre(),  d.kilogram(), d.second(), d.ampere(),
      d.kelvin(), d.mole(),     d.candela()};
  model::Dimension out;
  for (int k = 0; k < model::kNumBaseDimensions; ++k) {
    auto r = model::Rational::FromDouble(e[k]);
    out = out * model::Dimension::Base(static_cast<model::BaseDimension>(k),
                                       r.value_or(model::Rational(0)));
  }
  return out;
}

v1::Dimension FromDimension(const model::Dimension& d) {
  v1::Dimension out;
  const auto& e = d.exponents();
  out.set_metre(e[0].ToDouble());
  out.set_kilogram(e[1].ToDouble());
  out.set_second(e[2].ToDouble());
  out.set_ampere(e[3].ToDouble());
  out.set_kelvin(e[4].ToDouble());
  out.set_mole(e[5].ToDouble());
  out.set_candela(e[6].ToDouble());
  return out;
}

std::vector<model::NamespaceEntry> NamespaceEntries(
    const v1::FitterSpec& spec) {
  std::vector<model::NamespaceEntry> entries;
  for (const v1::NamedQuantity& named : spec.namespace_()) {
    model::NamespaceEntry entry;
    entry.name = named.name();
    if (!named.quantity().text().empty()) {
      entry.text = named.quantity().text();
    } else {
      entry.quantity = model::Quantity{
          named.quantity().value(), ToDimension(named.quantity().dimension())};
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<model::Quantity> ToQuantity(
    const v1::Quantity& quantity, const std::string& field,
    const std::vector<model::NamespaceEntry>& namespace_entries) {
  if (!quantity.text().empty()) {
    if (quantity.value() != 0 || quantity.has_dimension()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": error: give a quantity either as text or as "
                       "value and dimension, not both"));
    }
    return model::ParseQuantity(quantity.text(), field, namespace_entries);
  }
  if (!std::isfinite(quantity.value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": error: the value is not finite"));
  }
  return model::Quantity{quantity.value(), ToDimension(quantity.dimension())};
}

namespace {

// Converts one TraceSet to SI; `expected` is the variable's dimension when
// known (outputs), else the unit's dimension becomes the variable's.
bool ConvertTraces(const v1::TraceSet& traces, const std::string& field,
                   const std::vector<model::NamespaceEntry>& ns,
                   model::Diagnostics& diagnostics, runtime::TraceTable* table,
                   model::Dimension* dimension, bool* unit_given = nullptr) {
  const int64_t n_traces = traces.n_traces();
  const int64_t n_steps = traces.n_steps();
  bool ok = true;
  if (n_traces < 1 || n_traces > kMaxTraces) {
    diagnostics.Add(
        field, {},
        absl::StrCat("n_traces is ", n_traces, "; expected 1 to ", kMaxTraces));
    ok = false;
  }
  if (n_steps < 1 || n_steps > kMaxSteps) {
    diagnostics.Add(
        field, {},
        absl::StrCat("n_steps is ", n_steps, "; expected 1 to ", kMaxSteps));
    ok = false;
  }
  if (ok && n_traces * n_steps != traces.values_size()) {
    diagnostics.Add(field, {},
                    absl::StrCat("holds ", traces.values_size(),
                                 " values; n_traces x n_steps = ", n_traces,
                                 " x ", n_steps, " = ", n_traces * n_steps));
    ok = false;
  }
  double scale = 1.0;
  *dimension = model::Dimension();
  const v1::Quantity& unit = traces.unit();
  const bool has_unit =
      !unit.text().empty() || unit.has_dimension() || unit.value() != 0;
  if (unit_given != nullptr) *unit_given = has_unit;
  if (has_unit) {
    auto q = ToQuantity(unit, absl::StrCat(field, ".unit"), ns);
    if (!q.ok()) {
      diagnostics.Add(absl::StrCat(field, ".unit"), {},
                      std::string(q.status().message()));
      return false;
    }
    if (!(q->value > 0) || !std::isfinite(q->value)) {
      diagnostics.Add(absl::StrCat(field, ".unit"), {},
                      "the unit must be a positive finite quantity");
      return false;
    }
    scale = q->value;
    *dimension = q->dimension;
  }
  if (!ok) return false;
  table->n_traces = static_cast<int>(n_traces);
  table->n_steps = static_cast<int>(n_steps);
  table->values.resize(traces.values_size());
  for (int k = 0; k < traces.values_size(); ++k) {
    const double v = traces.values(k);
    if (!std::isfinite(v)) {
      diagnostics.Add(field, {},
                      absl::StrCat("value ", k % n_steps, " of trace ",
                                   k / n_steps, " is not finite (", v, ")"));
      return false;
    }
    table->values[k] = v * scale;
  }
  return true;
}

}  // namespace

ConvertedSpec ConvertSpec(const v1::FitterSpec& spec,
                          model::Diagnostics& diagnostics,
                          bool require_outputs) {
  ConvertedSpec out;
  const std::vector<model::NamespaceEntry> ns = NamespaceEntries(spec);
  model::ModelSpec& m = out.model_spec;
  m.equations = spec.model();
  m.threshold = spec.threshold();
  m.reset = spec.reset();
  m.refractory = spec.refractory();
  m.method = spec.method();
  m.penalty = spec.penalty();
  m.namespace_entries = ns;
  for (const auto& [name, value] : spec.param_init()) {
    m.param_init.push_back({name, value});
  }
  // Map order is not the user's; sort so that messages are deterministic.
  std::sort(m.param_init.begin(), m.param_init.end());

  if (spec.kind() == v1::FITTER_KIND_UNSPECIFIED) {
    diagnostics.Add("kind", {},
                    "the fitter kind is not set (trace, spike or "
                    "online_trace)");
  }
  if (spec.n_samples() < 1 || spec.n_samples() > kMaxSamples) {
    diagnostics.Add("n_samples", {},
                    absl::StrCat("n_samples is ", spec.n_samples(),
                                 "; expected 1 to ", kMaxSamples));
  }
  if (!spec.has_dt()) {
    diagnostics.Add("dt", {}, "dt is not set (e.g. '0.01*ms')");
  } else {
    auto dt = ToQuantity(spec.dt(), "dt", ns);
    if (!dt.ok()) {
      diagnostics.Add("dt", {}, std::string(dt.status().message()));
    } else if (!(dt->dimension == kSecond)) {
      diagnostics.Add("dt", {},
                      absl::StrCat("dt must be a time, but has unit ",
                                   dt->dimension.DisplayUnit()));
    } else if (!(dt->value > 0) || !std::isfinite(dt->value)) {
      diagnostics.Add("dt", {}, "dt must be positive");
    } else {
      out.dt = dt->value;
    }
  }
  out.data.dt = out.dt;

  int64_t total_values = 0;
  auto check_shape = [&](const std::string& field, int n_traces, int n_steps) {
    if (out.n_traces == 0) {
      out.n_traces = n_traces;
      out.n_steps = n_steps;
      return;
    }
    if (n_traces != out.n_traces || n_steps != out.n_steps) {
      diagnostics.Add(field, {},
                      absl::StrCat("has ", n_traces, " traces of ", n_steps,
                                   " steps, but the first input has ",
                                   out.n_traces, " traces of ", out.n_steps,
                                   " steps; inputs and outputs must match"));
    }
  };

  if (spec.inputs().empty()) {
    diagnostics.Add("inputs", {}, "the fitter needs at least one input");
  }
  const bool too_many_inputs = spec.inputs_size() > kMaxInputs;
  if (too_many_inputs) {
    diagnostics.Add(
        "inputs", {},
        absl::StrCat("the fitter has ", spec.inputs_size(), " inputs; at most ",
                     kMaxInputs, " are accepted"));
  }
  for (const v1::Input& input : spec.inputs()) {
    if (too_many_inputs) break;
    const std::string field = absl::StrCat("inputs.", input.variable());
    runtime::TraceTable table;
    model::Dimension dimension;
    total_values += input.traces().values_size();
    if (ConvertTraces(input.traces(), field, ns, diagnostics, &table,
                      &dimension)) {
      check_shape(field, table.n_traces, table.n_steps);
      out.data.inputs.push_back(std::move(table));
    }
    m.inputs.push_back({input.variable(), dimension});
  }

  if (spec.outputs().empty() && require_outputs) {
    diagnostics.Add("outputs", {}, "the fitter needs at least one output");
  }
  bool has_spikes = false;
  const bool too_many_outputs = spec.outputs_size() > kMaxOutputs;
  if (too_many_outputs) {
    diagnostics.Add(
        "outputs", {},
        absl::StrCat("the fitter has ", spec.outputs_size(),
                     " outputs; at most ", kMaxOutputs, " are accepted"));
  }
  for (const v1::Output& output : spec.outputs()) {
    if (too_many_outputs) break;
    const std::string field = absl::StrCat("outputs.", output.variable());
    ConvertedSpec::OutputInfo info;
    info.variable = output.variable();
    for (const auto& other : out.outputs) {
      if (other.variable == info.variable) {
        diagnostics.Add(field, {}, "the output is given twice");
      }
    }
    if (output.has_spikes()) {
      info.spikes = true;
      has_spikes = true;
      if (output.variable() != "spikes") {
        diagnostics.Add(field, {},
                        "spike times must be given for the output 'spikes'");
      }
      if (spec.kind() != v1::FITTER_KIND_SPIKE) {
        diagnostics.Add(field, {},
                        "spike outputs belong to spike fitters (kind 'spike')");
      }
      int64_t spikes = 0;
      for (const v1::SpikeTrain& train : output.spikes().trains()) {
        std::vector<double> times(train.times().begin(), train.times().end());
        spikes += train.times_size();
        for (size_t k = 0; k < times.size(); ++k) {
          if (!std::isfinite(times[k]) || times[k] < 0 ||
              (k > 0 && times[k] < times[k - 1])) {
            diagnostics.Add(
                field, {},
                absl::StrCat("spike train ", out.spike_trains.size(),
                             ": times must be finite, non-negative "
                             "and ascending (spike ",
                             k, " is ", times[k], ")"));
            break;
          }
        }
        out.spike_trains.push_back(std::move(times));
      }
      total_values += spikes;
      m.outputs.push_back("spikes");
    } else if (output.has_traces()) {
      if (spec.kind() == v1::FITTER_KIND_SPIKE) {
        diagnostics.Add(field, {},
                        "a spike fitter fits spike times, not traces");
      }
      runtime::TraceTable table;
      total_values += output.traces().values_size();
      if (ConvertTraces(output.traces(), field, ns, diagnostics, &table,
                        &info.dimension, &info.unit_given)) {
        check_shape(field, table.n_traces, table.n_steps);
        info.target_index = static_cast<int>(out.data.targets.size());
        out.data.targets.push_back(std::move(table));
      }
      m.outputs.push_back(output.variable());
    } else {
      diagnostics.Add(field, {}, "the output has neither traces nor spikes");
    }
    out.outputs.push_back(std::move(info));
  }
  if (spec.kind() == v1::FITTER_KIND_SPIKE && !has_spikes && require_outputs) {
    diagnostics.Add("outputs", {}, "a spike fitter needs a 'spikes' output");
  }
  if (has_spikes && !out.spike_trains.empty() && out.n_traces != 0 &&
      static_cast<int>(out.spike_trains.size()) != out.n_traces) {
    diagnostics.Add(
        "outputs.spikes", {},
        absl::StrCat("has ", out.spike_trains.size(),
                     " spike trains, but the inputs have ", out.n_traces,
                     " traces; give one train per input trace"));
  }
  if (total_values > kMaxValues) {
    diagnostics.Add(
        "inputs", {},
        absl::StrCat("the fitter holds ", total_values, " values; at most ",
                     kMaxValues, " are accepted"));
  }
  out.data.n_steps = out.n_steps;
  return out;
}

void CheckOutputUnits(ConvertedSpec& converted, const model::Model& model,
                      model::Diagnostics& diagnostics) {
  for (auto& output : converted.outputs) {
    if (output.spikes) continue;
    const int symbol = model.Find(output.variable);
    if (symbol < 0) continue;  // reported by the checker
    const model::Dimension& expected = model.symbol(symbol).dimension;
    if (!output.unit_given) {
      output.dimension = expected;
      continue;
    }
    if (!(output.dimension == expected)) {
      diagnostics.Add(
          absl::StrCat("outputs.", output.variable, ".unit"), {},
          absl::StrCat("The provided target values (\"output\") need to have "
                       "the same units as the variable ",
                       output.variable, ": they have unit ",
                       output.dimension.DisplayUnit(), ", '", output.variable,
                       "' has unit ", expected.DisplayUnit(),
                       " (set the output's unit, e.g. 'mV')"));
    }
  }
}

CheckedSpec CheckSpec(const v1::FitterSpec& spec, bool require_outputs) {
  CheckedSpec out;
  out.converted = ConvertSpec(spec, out.diagnostics, require_outputs);
  out.check = model::CheckModel(out.converted.model_spec);
  out.diagnostics.Append(out.check.diagnostics);
  if (out.check.model) {
    CheckOutputUnits(out.converted, *out.check.model, out.diagnostics);
  }
  return out;
}

}  // namespace cellfit::jobs
