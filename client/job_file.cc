#include "client/job_file.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/fixed_units.h"
#include "client/trace_csv.h"
#include "toml++/toml.h"

namespace cellfit::client {
namespace {

using cellfit::v1::Quantity;

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    default:
      return "nothing";
  }
}

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  if (!absl::ascii_isalpha(name[0]) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// The shortest text that reads back as the same double.
std::string FormatNumber(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty()
             ? std::string(name)
             : absl::StrCat(std::string(prefix), ".", std::string(name));
}

// Reads typed values out of the parsed document; every error names the file,
// the line and column, and the key.
class Reader {
 public:
  Reader(std::string file, std::filesystem::path directory)
      : file_(std::move(file)), directory_(std::move(directory)) {}

  const std::filesystem::path& directory() const { return directory_; }

  absl::Status At(const toml::source_region& where, std::string_view key,
                  absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", where.begin.line, ":", where.begin.column,
                     ": error: key '", std::string(key), "': ", message));
  }

  absl::Status Missing(std::string_view key, std::string_view hint) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ": error: key '", std::string(key),
                     "' is required (", std::string(hint), ")"));
  }

  absl::Status WrongType(const toml::node& node, std::string_view key,
                         std::string_view expected) const {
    return At(node.source(), key,
              absl::StrCat("expected ", std::string(expected), ", got ",
                           TypeName(node)));
  }

  // Every key of `table` must be one of `allowed`.
  absl::Status CheckKeys(
      const toml::table& table, std::string_view prefix,
      std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, node] : table) {
      std::string_view name = key.str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
        continue;
      }
      std::string message = "unknown key";
      std::string_view best;
      size_t best_distance = 3;
      for (std::string_view candidate : allowed) {
        size_t distance = EditDistance(name, candidate);
        if (distance < best_distance) {
          best_distance = distance;
          best = candidate;
        }
      }
      if (!best.empty()) {
        absl::StrAppend(&message, "; did you mean '", Join(prefix, best), "'?");
      } else {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        absl::StrAppend(&message, "; expected one of ",
                        absl::StrJoin(names, ", "));
      }
      return At(key.source(), Join(prefix, name), message);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> String(
      const toml::table& table, std::string_view name,
      std::string_view key) const {
    const toml::node* node = table.get(name);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) return WrongType(*node, key, "a string");
    return std::optional<std::string>(node->as_string()->get());
  }

  absl::StatusOr<std::optional<int64_t>> Integer(const toml::table& table,
                                                 std::string_view name,
                                                 std::string_view key,
                                                 int64_t min,
                                                 int64_t max) const {
    const toml::node* node = table.get(name);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) return WrongType(*node, key, "an integer");
    int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return At(node->source(), key,
                absl::StrCat(value, " is out of range ", min, "..", max));
    }
    return std::optional<int64_t>(value);
  }

  absl::StatusOr<std::optional<double>> Number(const toml::table& table,
                                               std::string_view name,
                                               std::string_view key) const {
    const toml::node* node = table.get(name);
    if (node == nullptr) return std::nullopt;
    return NumberOf(*node, key);
  }

  absl::StatusOr<double> NumberOf(const toml::node& node,
                                  std::string_view key) const {
    double value;
    if (node.is_integer()) {
      value = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      value = node.as_floating_point()->get();
    } else {
      return WrongType(node, key, "a number");
    }
    if (!std::isfinite(value)) {
      return At(node.source(), key, "expected a finite number");
    }
    return value;
  }

  absl::StatusOr<std::optional<bool>> Bool(const toml::table& table,
                                           std::string_view name,
                                           std::string_view key) const {
    const toml::node* node = table.get(name);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) return WrongType(*node, key, "true or false");
    return std::optional<bool>(node->as_boolean()->get());
  }

  absl::StatusOr<const toml::table*> Table(const toml::table& table,
                                           std::string_view name,
                                           std::string_view key) const {
    const toml::node* node = table.get(name);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) return WrongType(*node, key, "a table");
    return node->as_table();
  }

  // A quantity: text as typed ("5*ms"), or a number, which is in SI base
  // units: seconds for a time, else dimensionless on the wire until
  // GiveNumericBoundsUnits gives a bound its parameter's dimension.
  absl::StatusOr<Quantity> QuantityOf(const toml::node& node,
                                      std::string_view key,
                                      bool is_time) const {
    Quantity quantity;
    if (node.is_string()) {
      std::string text = node.as_string()->get();
      if (absl::StripAsciiWhitespace(text).empty()) {
        return At(node.source(), key, "expected a quantity, got \"\"");
      }
      quantity.set_text(text);
      return quantity;
    }
    if (node.is_integer() || node.is_floating_point()) {
      absl::StatusOr<double> value = NumberOf(node, key);
      if (!value.ok()) return value.status();
      quantity.set_value(*value);
      if (is_time) quantity.mutable_dimension()->set_second(1);
      return quantity;
    }
    return WrongType(node, key,
                     is_time ? "a quantity such as \"5*ms\" (or seconds)"
                             : "a quantity such as \"10*nS\" (or a number)");
  }

  // A value given in one of the fixed units (fixed_units.h), in SI.
  absl::StatusOr<double> FixedOf(const toml::node& node, std::string_view key,
                                 FixedDimension kind) const {
    if (node.is_string()) {
      absl::StatusOr<double> value =
          ParseFixedQuantity(node.as_string()->get(), kind);
      if (!value.ok()) return At(node.source(), key, value.status().message());
      return *value;
    }
    return NumberOf(node, key);
  }

  std::filesystem::path Resolve(const std::string& relative) const {
    std::filesystem::path path(relative);
    return path.is_absolute() ? path : directory_ / path;
  }

 private:
  const std::string file_;
  const std::filesystem::path directory_;
};

struct Shape {
  uint32_t n_traces = 0;
  uint32_t n_steps = 0;
  std::string what;  // "input 'I'", for messages
};

class JobParser {
 public:
  JobParser(const Reader& reader, Job& job) : r_(reader), job_(job) {}

  absl::Status Parse(const toml::table& root) {
    if (auto s = r_.CheckKeys(
            root, "",
            {"kind",    "dt",        "n_samples", "n_rounds",  "method",
             "backend", "equations", "threshold", "reset",     "refractory",
             "penalty", "name",      "use_units", "namespace", "param_init",
             "input",   "output",    "bounds",    "optimizer", "metric"});
        !s.ok()) {
      return s;
    }
    cellfit::v1::FitterSpec& spec = job_.spec;

    // The values present are checked first, and only then are missing keys
    // reported: a user fixing a file sees the mistake they made before the
    // key they have not written yet.
    absl::StatusOr<std::optional<std::string>> equations =
        r_.String(root, "equations", "equations");
    if (!equations.ok()) return equations.status();

    const toml::node* dt = root.get("dt");
    absl::StatusOr<Quantity> dt_quantity = Quantity();
    if (dt != nullptr) {
      dt_quantity = r_.QuantityOf(*dt, "dt", true);
      if (!dt_quantity.ok()) return dt_quantity.status();
      if (dt_quantity->text().empty() && dt_quantity->value() <= 0) {
        return r_.At(dt->source(), "dt", "the time step must be positive");
      }
    }

    absl::StatusOr<std::optional<int64_t>> n_samples =
        r_.Integer(root, "n_samples", "n_samples", 1, 100000);
    if (!n_samples.ok()) return n_samples.status();
    absl::StatusOr<std::optional<int64_t>> n_rounds =
        r_.Integer(root, "n_rounds", "n_rounds", 1, 1000000);
    if (!n_rounds.ok()) return n_rounds.status();

    if (!equations->has_value() ||
        absl::StripAsciiWhitespace(**equations).empty()) {
      return r_.Missing("equations",
                        "the model, e.g. equations = '''dv/dt = ... : volt'''");
    }
    if (dt == nullptr) {
      return r_.Missing("dt", "the time step, e.g. dt = \"0.01*ms\"");
    }
    if (!n_samples->has_value()) {
      return r_.Missing("n_samples", "candidates per round, e.g. 20");
    }
    if (!n_rounds->has_value()) {
      return r_.Missing("n_rounds", "rounds to run, e.g. 10");
    }
    spec.set_model(**equations);
    *spec.mutable_dt() = *dt_quantity;
    spec.set_n_samples(static_cast<uint32_t>(**n_samples));
    job_.fit.set_n_rounds(static_cast<uint32_t>(**n_rounds));

    // Optional text fields, copied as they are.
    struct TextField {
      const char* key;
      void (cellfit::v1::FitterSpec::*set)(const std::string&);
    };
    for (const TextField& field :
         {TextField{"method", &cellfit::v1::FitterSpec::set_method},
          TextField{"threshold", &cellfit::v1::FitterSpec::set_threshold},
          TextField{"reset", &cellfit::v1::FitterSpec::set_reset},
          TextField{"refractory", &cellfit::v1::FitterSpec::set_refractory},
          TextField{"penalty", &cellfit::v1::FitterSpec::set_penalty},
          TextField{"name", &cellfit::v1::FitterSpec::set_name}}) {
      absl::StatusOr<std::optional<std::string>> text =
          r_.String(root, field.key, field.key);
      if (!text.ok()) return text.status();
      if (text->has_value()) (spec.*field.set)(**text);
    }

    absl::StatusOr<std::optional<std::string>> backend =
        r_.String(root, "backend", "backend");
    if (!backend.ok()) return backend.status();
    if (backend->has_value()) {
      if (**backend == "runtime") {
        spec.set_backend(cellfit::v1::BACKEND_RUNTIME);
      } else if (**backend == "standalone") {
        spec.set_backend(cellfit::v1::BACKEND_STANDALONE);
      } else {
        return r_.At(root.get("backend")->source(), "backend",
                     absl::StrCat("'", **backend,
                                  "' is not a backend: runtime or standalone"));
      }
    }

    absl::StatusOr<std::optional<bool>> use_units =
        r_.Bool(root, "use_units", "use_units");
    if (!use_units.ok()) return use_units.status();
    spec.set_use_units(use_units->value_or(true));

    if (auto s = ParseNamespace(root); !s.ok()) return s;
    if (auto s = ParseParamInit(root); !s.ok()) return s;
    if (auto s = ParseInputs(root); !s.ok()) return s;
    if (auto s = ParseOutputs(root); !s.ok()) return s;
    if (auto s = ParseKind(root); !s.ok()) return s;
    if (auto s = ParseBounds(root); !s.ok()) return s;
    if (auto s = ParseOptimizer(root); !s.ok()) return s;
    return ParseMetrics(root);
  }

 private:
  absl::Status ParseNamespace(const toml::table& root) {
    absl::StatusOr<const toml::table*> table =
        r_.Table(root, "namespace", "namespace");
    if (!table.ok()) return table.status();
    if (*table == nullptr) return absl::OkStatus();
    for (auto&& [key, node] : **table) {
      std::string name(key.str());
      std::string full = Join("namespace", name);
      if (!IsIdentifier(name)) {
        return r_.At(key.source(), full, "not a valid name");
      }
      absl::StatusOr<Quantity> quantity = r_.QuantityOf(node, full, false);
      if (!quantity.ok()) return quantity.status();
      cellfit::v1::NamedQuantity* entry = job_.spec.add_namespace_();
      entry->set_name(name);
      *entry->mutable_quantity() = *quantity;
    }
    return absl::OkStatus();
  }

  absl::Status ParseParamInit(const toml::table& root) {
    absl::StatusOr<const toml::table*> table =
        r_.Table(root, "param_init", "param_init");
    if (!table.ok()) return table.status();
    if (*table == nullptr) return absl::OkStatus();
    for (auto&& [key, node] : **table) {
      std::string name(key.str());
      std::string full = Join("param_init", name);
      if (!IsIdentifier(name)) {
        return r_.At(key.source(), full, "not a valid variable name");
      }
      std::string expression;
      if (node.is_string()) {
        expression = node.as_string()->get();
      } else if (node.is_integer() || node.is_floating_point()) {
        absl::StatusOr<double> value = r_.NumberOf(node, full);
        if (!value.ok()) return value.status();
        expression = FormatNumber(*value);
      } else {
        return r_.WrongType(node, full,
                            "an expression such as \"VT\" or \"-65*mV\"");
      }
      (*job_.spec.mutable_param_init())[name] = expression;
    }
    return absl::OkStatus();
  }

  // The [input.X] / [output.X] tables, checked to be tables of tables.
  absl::StatusOr<const toml::table*> Group(const toml::table& root,
                                           std::string_view name,
                                           std::string_view hint) {
    absl::StatusOr<const toml::table*> table = r_.Table(root, name, name);
    if (!table.ok()) return table.status();
    if (*table == nullptr || (*table)->empty()) {
      return r_.Missing(absl::StrCat("[", std::string(name), ".NAME]"), hint);
    }
    for (auto&& [key, node] : **table) {
      std::string full = Join(name, key.str());
      if (!node.is_table()) {
        return r_.WrongType(node, full, "a table such as [" + full + "]");
      }
      if (!IsIdentifier(key.str())) {
        return r_.At(key.source(), full, "not a valid variable name");
      }
    }
    return table;
  }

  // The csv key of an input or output table, resolved against the job file.
  absl::StatusOr<std::pair<std::filesystem::path, const toml::node*>> CsvPath(
      const toml::table& table, const std::string& prefix) {
    std::string key = prefix + ".csv";
    absl::StatusOr<std::optional<std::string>> csv =
        r_.String(table, "csv", key);
    if (!csv.ok()) return csv.status();
    if (!csv->has_value()) {
      return r_.Missing(key, "the CSV file, relative to the job file");
    }
    return std::make_pair(r_.Resolve(**csv), table.get("csv"));
  }

  absl::Status CheckShape(const Shape& shape, const toml::node& where,
                          const std::string& key) {
    if (!reference_.has_value()) {
      reference_ = shape;
      return absl::OkStatus();
    }
    if (shape.n_traces != reference_->n_traces ||
        shape.n_steps != reference_->n_steps) {
      return r_.At(where.source(), key,
                   absl::StrCat(shape.what, " has ", shape.n_traces,
                                " traces of ", shape.n_steps, " steps, but ",
                                reference_->what, " has ", reference_->n_traces,
                                " traces of ", reference_->n_steps, " steps"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseInputs(const toml::table& root) {
    absl::StatusOr<const toml::table*> inputs =
        Group(root, "input",
              "at least one input trace, e.g. [input.I] csv = \"input.csv\"");
    if (!inputs.ok()) return inputs.status();
    for (auto&& [key, node] : **inputs) {
      std::string name(key.str());
      std::string prefix = Join("input", name);
      const toml::table& table = *node.as_table();
      if (auto s = r_.CheckKeys(table, prefix, {"csv", "unit"}); !s.ok()) {
        return s;
      }
      auto csv = CsvPath(table, prefix);
      if (!csv.ok()) return csv.status();
      absl::StatusOr<TraceTable> traces = ReadTraceCsv(csv->first);
      if (!traces.ok()) {
        return r_.At(csv->second->source(), prefix + ".csv",
                     traces.status().message());
      }
      absl::StatusOr<std::optional<std::string>> unit =
          r_.String(table, "unit", prefix + ".unit");
      if (!unit.ok()) return unit.status();
      if (auto s = CheckShape(
              {traces->n_traces, traces->n_steps, "input '" + name + "'"},
              *csv->second, prefix + ".csv");
          !s.ok()) {
        return s;
      }
      cellfit::v1::Input* input = job_.spec.add_inputs();
      input->set_variable(name);
      FillTraceSet(*traces, *unit, input->mutable_traces());
    }
    return absl::OkStatus();
  }

  static void FillTraceSet(TraceTable& traces,
                           const std::optional<std::string>& unit,
                           cellfit::v1::TraceSet* out) {
    out->set_n_traces(traces.n_traces);
    out->set_n_steps(traces.n_steps);
    out->mutable_values()->Assign(traces.values.begin(), traces.values.end());
    if (unit.has_value()) out->mutable_unit()->set_text(*unit);
  }

  absl::Status ParseOutputs(const toml::table& root) {
    absl::StatusOr<const toml::table*> outputs = Group(
        root, "output",
        "at least one recorded output, e.g. [output.v] csv = \"v.csv\", or "
        "[output.spikes]");
    if (!outputs.ok()) return outputs.status();
    for (auto&& [key, node] : **outputs) {
      std::string name(key.str());
      std::string prefix = Join("output", name);
      const toml::table& table = *node.as_table();
      if (auto s = r_.CheckKeys(table, prefix, {"csv", "unit"}); !s.ok()) {
        return s;
      }
      auto csv = CsvPath(table, prefix);
      if (!csv.ok()) return csv.status();
      absl::StatusOr<std::optional<std::string>> unit =
          r_.String(table, "unit", prefix + ".unit");
      if (!unit.ok()) return unit.status();
      cellfit::v1::Output* output = job_.spec.add_outputs();
      output->set_variable(name);
      output_names_.push_back(name);
      if (name == "spikes") {
        has_spikes_ = true;
        double seconds_per_unit = 1;
        if (unit->has_value()) {
          absl::StatusOr<double> scale =
              SiPerUnit(**unit, FixedDimension::kTime);
          if (!scale.ok()) {
            return r_.At(table.get("unit")->source(), prefix + ".unit",
                         scale.status().message());
          }
          seconds_per_unit = *scale;
        }
        absl::StatusOr<std::vector<std::vector<double>>> trains =
            ReadSpikeCsv(csv->first, reference_->n_traces, seconds_per_unit);
        if (!trains.ok()) {
          return r_.At(csv->second->source(), prefix + ".csv",
                       trains.status().message());
        }
        for (const std::vector<double>& train : *trains) {
          output->mutable_spikes()->add_trains()->mutable_times()->Assign(
              train.begin(), train.end());
        }
        continue;
      }
      has_traces_ = true;
      absl::StatusOr<TraceTable> traces = ReadTraceCsv(csv->first);
      if (!traces.ok()) {
        return r_.At(csv->second->source(), prefix + ".csv",
                     traces.status().message());
      }
      if (auto s = CheckShape(
              {traces->n_traces, traces->n_steps, "output '" + name + "'"},
              *csv->second, prefix + ".csv");
          !s.ok()) {
        return s;
      }
      FillTraceSet(*traces, *unit, output->mutable_traces());
    }
    return absl::OkStatus();
  }

  absl::Status ParseKind(const toml::table& root) {
    absl::StatusOr<std::optional<std::string>> kind =
        r_.String(root, "kind", "kind");
    if (!kind.ok()) return kind.status();
    cellfit::v1::FitterKind value;
    if (!kind->has_value()) {
      value = has_spikes_ && !has_traces_ ? cellfit::v1::FITTER_KIND_SPIKE
                                          : cellfit::v1::FITTER_KIND_TRACE;
    } else if (**kind == "trace") {
      value = cellfit::v1::FITTER_KIND_TRACE;
    } else if (**kind == "spike") {
      value = cellfit::v1::FITTER_KIND_SPIKE;
    } else if (**kind == "online_trace") {
      value = cellfit::v1::FITTER_KIND_ONLINE_TRACE;
    } else {
      return r_.At(root.get("kind")->source(), "kind",
                   absl::StrCat("'", **kind,
                                "' is not a kind: trace, spike or "
                                "online_trace"));
    }
    const toml::source_region where = kind->has_value()
                                          ? root.get("kind")->source()
                                          : root.get("output")->source();
    if (value == cellfit::v1::FITTER_KIND_SPIKE && !has_spikes_) {
      return r_.At(where, "kind",
                   "a spike fitter needs recorded spike times: "
                   "[output.spikes] csv = \"spikes.csv\"");
    }
    if (value != cellfit::v1::FITTER_KIND_SPIKE && has_spikes_ &&
        !has_traces_) {
      return r_.At(where, "kind",
                   "the only output is [output.spikes]: use kind = \"spike\"");
    }
    if (value == cellfit::v1::FITTER_KIND_ONLINE_TRACE && has_spikes_) {
      return r_.At(where, "kind",
                   "an online_trace fitter fits traces, not [output.spikes]");
    }
    job_.spec.set_kind(value);
    return absl::OkStatus();
  }

  absl::Status ParseBounds(const toml::table& root) {
    absl::StatusOr<const toml::table*> table =
        r_.Table(root, "bounds", "bounds");
    if (!table.ok()) return table.status();
    if (*table == nullptr) return absl::OkStatus();
    static constexpr char kForms[] =
        "[lower, upper], [lower, upper, \"log\"] or { lower = ..., upper = "
        "..., log = true }";
    for (auto&& [key, node] : **table) {
      std::string name(key.str());
      std::string full = Join("bounds", name);
      if (!IsIdentifier(name)) {
        return r_.At(key.source(), full, "not a valid parameter name");
      }
      cellfit::v1::Bounds bounds;
      bounds.set_parameter(name);
      const toml::node* lower = nullptr;
      const toml::node* upper = nullptr;
      if (const toml::array* array = node.as_array()) {
        if (array->size() != 2 && array->size() != 3) {
          return r_.At(node.source(), full,
                       absl::StrCat("expected ", kForms, ", got an array of ",
                                    array->size()));
        }
        lower = array->get(0);
        upper = array->get(1);
        if (array->size() == 3) {
          const toml::node* scale = array->get(2);
          std::string text =
              scale->is_string() ? scale->as_string()->get() : std::string();
          if (text == "log") {
            bounds.set_log_scale(true);
          } else if (text != "linear") {
            return r_.At(scale->source(), full,
                         "the third element must be \"log\" or \"linear\"");
          }
        }
      } else if (const toml::table* form = node.as_table()) {
        if (auto s = r_.CheckKeys(*form, full, {"lower", "upper", "log"});
            !s.ok()) {
          return s;
        }
        lower = form->get("lower");
        upper = form->get("upper");
        if (lower == nullptr || upper == nullptr) {
          return r_.At(node.source(), full, "needs both lower and upper");
        }
        absl::StatusOr<std::optional<bool>> log =
            r_.Bool(*form, "log", full + ".log");
        if (!log.ok()) return log.status();
        bounds.set_log_scale(log->value_or(false));
      } else {
        return r_.WrongType(node, full, kForms);
      }
      absl::StatusOr<Quantity> low = r_.QuantityOf(*lower, full, false);
      if (!low.ok()) return low.status();
      absl::StatusOr<Quantity> high = r_.QuantityOf(*upper, full, false);
      if (!high.ok()) return high.status();
      if (low->text().empty() && high->text().empty()) {
        if (!(low->value() < high->value())) {
          return r_.At(node.source(), full,
                       "the lower bound must be below the upper bound");
        }
        if (bounds.log_scale() && low->value() <= 0) {
          return r_.At(node.source(), full,
                       "log-scaled bounds must both be positive");
        }
      }
      *bounds.mutable_lower() = *low;
      *bounds.mutable_upper() = *high;
      *job_.fit.add_bounds() = std::move(bounds);
    }
    return absl::OkStatus();
  }

  absl::Status ParseOptimizer(const toml::table& root) {
    absl::StatusOr<const toml::table*> table =
        r_.Table(root, "optimizer", "optimizer");
    if (!table.ok()) return table.status();
    if (*table == nullptr) return absl::OkStatus();
    if (auto s =
            r_.CheckKeys(**table, "optimizer", {"method", "seed", "options"});
        !s.ok()) {
      return s;
    }
    cellfit::v1::OptimizerSpec* optimizer = job_.fit.mutable_optimizer();
    absl::StatusOr<std::optional<std::string>> method =
        r_.String(**table, "method", "optimizer.method");
    if (!method.ok()) return method.status();
    if (method->has_value()) optimizer->set_method(**method);
    absl::StatusOr<std::optional<int64_t>> seed =
        r_.Integer(**table, "seed", "optimizer.seed", 0, INT64_MAX);
    if (!seed.ok()) return seed.status();
    if (seed->has_value()) optimizer->set_seed(static_cast<uint64_t>(**seed));
    absl::StatusOr<const toml::table*> options =
        r_.Table(**table, "options", "optimizer.options");
    if (!options.ok()) return options.status();
    if (*options != nullptr) {
      for (auto&& [key, node] : **options) {
        std::string name(key.str());
        absl::StatusOr<double> value =
            r_.NumberOf(node, Join("optimizer.options", name));
        if (!value.ok()) return value.status();
        (*optimizer->mutable_options())[name] = *value;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseMetrics(const toml::table& root) {
    absl::StatusOr<const toml::table*> table =
        r_.Table(root, "metric", "metric");
    if (!table.ok()) return table.status();
    if (*table == nullptr) return absl::OkStatus();
    if (job_.spec.kind() == cellfit::v1::FITTER_KIND_ONLINE_TRACE) {
      return r_.At((*table)->source(), "metric",
                   "an online_trace fitter computes its own error (the online "
                   "MSE); remove [metric]");
    }
    if ((*table)->contains("type")) {
      return ParseMetric(**table, "metric", "");
    }
    for (auto&& [key, node] : **table) {
      std::string output(key.str());
      std::string full = Join("metric", output);
      if (!node.is_table()) {
        return r_.At(node.source(), full,
                     "expected a table such as [metric.v], or a `type` key "
                     "directly in [metric]");
      }
      if (std::find(output_names_.begin(), output_names_.end(), output) ==
          output_names_.end()) {
        return r_.At(
            key.source(), full,
            absl::StrCat("there is no [output.", output,
                         "]; outputs: ", absl::StrJoin(output_names_, ", ")));
      }
      if (auto s = ParseMetric(*node.as_table(), full, output); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseMetric(const toml::table& table, const std::string& prefix,
                           const std::string& output) {
    cellfit::v1::MetricSpec metric;
    metric.set_output(output);
    absl::StatusOr<std::optional<std::string>> type =
        r_.String(table, "type", prefix + ".type");
    if (!type.ok()) return type.status();
    if (!type->has_value()) {
      return r_.At(table.source(), prefix + ".type",
                   "is required: \"mse\", \"gamma\" or \"features\"");
    }
    std::string kind = absl::AsciiStrToLower(**type);
    absl::StatusOr<std::optional<double>> normalization =
        r_.Number(table, "normalization", prefix + ".normalization");
    if (!normalization.ok()) return normalization.status();
    if (normalization->has_value() && **normalization <= 0) {
      return r_.At(table.get("normalization")->source(),
                   prefix + ".normalization", "must be positive");
    }
    double norm = normalization->value_or(0);

    if (kind == "mse" || kind == "msemetric") {
      if (auto s = r_.CheckKeys(
              table, prefix, {"type", "t_start", "t_weights", "normalization"});
          !s.ok()) {
        return s;
      }
      cellfit::v1::MSEMetric* mse = metric.mutable_mse();
      mse->set_normalization(norm);
      if (const toml::node* t_start = table.get("t_start")) {
        absl::StatusOr<Quantity> q =
            r_.QuantityOf(*t_start, prefix + ".t_start", true);
        if (!q.ok()) return q.status();
        *mse->mutable_t_start() = *q;
      }
      if (const toml::node* weights = table.get("t_weights")) {
        if (table.contains("t_start")) {
          return r_.At(weights->source(), prefix + ".t_weights",
                       "give t_start or t_weights, not both");
        }
        const toml::array* array = weights->as_array();
        if (array == nullptr) {
          return r_.WrongType(*weights, prefix + ".t_weights",
                              "an array of numbers, one per step");
        }
        for (const toml::node& weight : *array) {
          absl::StatusOr<double> value =
              r_.NumberOf(weight, prefix + ".t_weights");
          if (!value.ok()) return value.status();
          mse->add_t_weights(*value);
        }
      }
    } else if (kind == "gamma" || kind == "gammafactor") {
      if (auto s = r_.CheckKeys(
              table, prefix,
              {"type", "delta", "time", "rate_correction", "normalization"});
          !s.ok()) {
        return s;
      }
      cellfit::v1::GammaFactorMetric* gamma = metric.mutable_gamma();
      gamma->set_normalization(norm);
      for (const char* field : {"delta", "time"}) {
        const toml::node* node = table.get(field);
        std::string key = absl::StrCat(prefix, ".", field);
        if (node == nullptr) {
          return r_.At(table.source(), key,
                       "is required for the gamma factor (a duration, e.g. "
                       "\"10*ms\")");
        }
        absl::StatusOr<Quantity> q = r_.QuantityOf(*node, key, true);
        if (!q.ok()) return q.status();
        *(std::string_view(field) == "delta" ? gamma->mutable_delta()
                                             : gamma->mutable_time()) = *q;
      }
      absl::StatusOr<std::optional<bool>> rate =
          r_.Bool(table, "rate_correction", prefix + ".rate_correction");
      if (!rate.ok()) return rate.status();
      gamma->set_no_rate_correction(!rate->value_or(true));
    } else if (kind == "features" || kind == "feature" ||
               kind == "featuremetric") {
      if (auto s = r_.CheckKeys(
              table, prefix,
              {"type", "features", "weights", "stim_start", "stim_end",
               "combine", "threshold", "normalization"});
          !s.ok()) {
        return s;
      }
      cellfit::v1::FeatureMetric* features = metric.mutable_features();
      features->set_normalization(norm);
      const toml::node* list = table.get("features");
      const toml::array* names = list ? list->as_array() : nullptr;
      if (names == nullptr || names->empty()) {
        return r_.At(list ? list->source() : table.source(),
                     prefix + ".features",
                     "needs a list of eFEL feature names, e.g. "
                     "[\"Spikecount\", \"AP_amplitude\"]");
      }
      for (const toml::node& name : *names) {
        if (!name.is_string()) {
          return r_.WrongType(name, prefix + ".features", "a feature name");
        }
        features->add_features(name.as_string()->get());
      }
      absl::StatusOr<const toml::table*> weights =
          r_.Table(table, "weights", prefix + ".weights");
      if (!weights.ok()) return weights.status();
      if (*weights != nullptr) {
        for (auto&& [key, node] : **weights) {
          std::string name(key.str());
          absl::StatusOr<double> value =
              r_.NumberOf(node, Join(prefix + ".weights", name));
          if (!value.ok()) return value.status();
          (*features->mutable_weights())[name] = *value;
        }
      }
      for (const char* field : {"stim_start", "stim_end"}) {
        const toml::node* node = table.get(field);
        if (node == nullptr) continue;
        std::string key = absl::StrCat(prefix, ".", field);
        auto* out = std::string_view(field) == "stim_start"
                        ? features->mutable_stim_start()
                        : features->mutable_stim_end();
        std::vector<const toml::node*> items;
        if (const toml::array* array = node->as_array()) {
          for (const toml::node& item : *array) items.push_back(&item);
        } else {
          items.push_back(node);
        }
        for (const toml::node* item : items) {
          absl::StatusOr<double> seconds =
              r_.FixedOf(*item, key, FixedDimension::kTime);
          if (!seconds.ok()) return seconds.status();
          out->Add(*seconds);
        }
      }
      absl::StatusOr<std::optional<std::string>> combine =
          r_.String(table, "combine", prefix + ".combine");
      if (!combine.ok()) return combine.status();
      if (combine->has_value()) {
        if (**combine != "absolute_difference" &&
            **combine != "squared_difference") {
          return r_.At(table.get("combine")->source(), prefix + ".combine",
                       "must be \"absolute_difference\" or "
                       "\"squared_difference\"");
        }
        features->set_combine(**combine);
      }
      if (const toml::node* threshold = table.get("threshold")) {
        absl::StatusOr<double> volts = r_.FixedOf(
            *threshold, prefix + ".threshold", FixedDimension::kVoltage);
        if (!volts.ok()) return volts.status();
        features->set_threshold(*volts);
      }
    } else {
      return r_.At(table.get("type")->source(), prefix + ".type",
                   absl::StrCat("'", **type,
                                "' is not a metric: \"mse\", \"gamma\" or "
                                "\"features\""));
    }
    *job_.fit.add_metrics() = std::move(metric);
    return absl::OkStatus();
  }

  const Reader& r_;
  Job& job_;
  std::optional<Shape> reference_;
  std::vector<std::string> output_names_;
  bool has_spikes_ = false;
  bool has_traces_ = false;
};

// Where each spec field's value starts in the file (Job::origins). toml++
// places a string at its opening quote; the text itself starts after it, and
// a multi-line string drops the newline right after its opening delimiter.
class OriginRecorder {
 public:
  OriginRecorder(std::string_view text, Job& job) : job_(job) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  // Every key of the file, by its dotted path ("optimizer.method",
  // "metric.v.t_start", "bounds.gl"), with the top-level names the server
  // spells differently ("model", "inputs.I", "outputs.v"); the two elements
  // of a [lower, upper] bounds array as "bounds.NAME.lower" and ".upper", as
  // the table form spells them.
  void Record(const toml::table& root) { RecordTable(root, ""); }

 private:
  void RecordTable(const toml::table& table, const std::string& prefix) {
    for (auto&& [key, node] : table) {
      std::string name(key.str());
      if (prefix.empty()) {
        if (name == "equations") name = "model";
        if (name == "input") name = "inputs";
        if (name == "output") name = "outputs";
      }
      const std::string field = Join(prefix, name);
      Add(field, node);
      if (const toml::table* inner = node.as_table()) {
        RecordTable(*inner, field);
      } else if (const toml::array* array = node.as_array();
                 array != nullptr && prefix == "bounds" && array->size() >= 2) {
        Add(field + ".lower", *array->get(0));
        Add(field + ".upper", *array->get(1));
      }
    }
  }

  void Add(const std::string& field, const toml::node& node) {
    FieldOrigin origin{static_cast<int>(node.source().begin.line),
                       static_cast<int>(node.source().begin.column)};
    // toml++ gives implicit tables (the `input` of [input.I]) no place.
    if (origin.line < 1) return;
    if (node.is_string() && origin.line >= 1 &&
        origin.line <= static_cast<int>(lines_.size())) {
      std::string_view rest = lines_[origin.line - 1];
      rest.remove_prefix(
          std::min(rest.size(), static_cast<size_t>(origin.column - 1)));
      const bool triple =
          rest.substr(0, 3) == "'''" || rest.substr(0, 3) == "\"\"\"";
      const size_t delimiter = triple ? 3 : 1;
      rest.remove_prefix(std::min(rest.size(), delimiter));
      if (triple && (rest.empty() || rest == "\r")) {
        origin = {origin.line + 1, 1};
      } else {
        origin.column += static_cast<int>(delimiter);
      }
    }
    job_.origins[field] = origin;
  }

  Job& job_;
  std::vector<std::string_view> lines_;
};

}  // namespace

absl::StatusOr<Job> ParseJob(std::string_view toml_text,
                             const std::filesystem::path& path) {
  const std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse(toml_text, file);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ":", error.source().begin.line, ":", error.source().begin.column,
        ": error: ", std::string(error.description())));
  }
  Reader reader(file, path.parent_path());
  Job job;
  job.path = path;
  JobParser parser(reader, job);
  if (absl::Status status = parser.Parse(root); !status.ok()) return status;
  OriginRecorder(toml_text, job).Record(root);
  return job;
}

absl::StatusOr<Job> ReadJobFile(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseJob(*text, path);
}

std::string JobFilePosition(const Job& job, std::string_view field, int line,
                            int column) {
  const std::string file = job.path.string();
  auto found = job.origins.find(std::string(field));
  if (found == job.origins.end()) return file;
  const FieldOrigin& origin = found->second;
  if (line <= 0)
    return absl::StrCat(file, ":", origin.line, ":", origin.column);
  // Lines after the first start at column 1 of their line in the file.
  return absl::StrCat(file, ":", origin.line + line - 1, ":",
                      line == 1 ? origin.column + std::max(column, 1) - 1
                                : std::max(column, 1));
}

bool HasNumericBounds(const cellfit::v1::FitRequest& fit) {
  for (const cellfit::v1::Bounds& bounds : fit.bounds()) {
    for (const Quantity* q : {&bounds.lower(), &bounds.upper()}) {
      if (q->text().empty() && !q->has_dimension()) return true;
    }
  }
  return false;
}

void GiveNumericBoundsUnits(const cellfit::v1::CheckModelResponse& model,
                            cellfit::v1::FitRequest& fit) {
  for (cellfit::v1::Bounds& bounds : *fit.mutable_bounds()) {
    const cellfit::v1::VariableInfo* parameter = nullptr;
    for (const cellfit::v1::VariableInfo& variable : model.variables()) {
      if (variable.name() == bounds.parameter() &&
          variable.kind() == cellfit::v1::VARIABLE_KIND_PARAMETER) {
        parameter = &variable;
      }
    }
    // An unknown parameter keeps its numbers, for the server to name it.
    if (parameter == nullptr || !parameter->has_dimension()) continue;
    for (Quantity* q : {bounds.mutable_lower(), bounds.mutable_upper()}) {
      if (q->text().empty() && !q->has_dimension()) {
        *q->mutable_dimension() = parameter->dimension();
      }
    }
  }
}

}  // namespace cellfit::client
