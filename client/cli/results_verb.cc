// cellfit results ID: every evaluation recorded for a fitter, in the formats
// brian2modelfitting's Fitter.results() offers plus the file formats a lab
// feeds to its own tools:
//   list  a table, one row per evaluation, each column in a readable unit
//   dict  one line per column: NAME (UNIT): values...
//   csv   header of column names, then one row per evaluation, SI values
//   json  {"n_rows": N, "columns": [{"name", "unit", "dimension", "values"}]}
//         with SI values; the unit is the SI unit of the values, named as
//         the other outputs name it ("S", "V^2")
#include <cmath>
#include <fstream>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/format.h"
#include "client/cli/units.h"
#include "client/cli/verbs.h"
#include "nlohmann/json.hpp"

namespace cellfit::client::cli {
namespace {

class ResultsVerb final : public Verb {
 public:
  std::string_view name() const override { return "results"; }
  std::string_view summary() const override {
    return "every evaluated parameter set of a fitter with its errors";
  }
  void DefineArgs(ArgParser& args) override {
    args.AddPositional("ID", &fitter_, "the fitter");
    args.AddString("format", &format_, "list|dict|csv|json",
                   "output format (default list; csv and json hold SI "
                   "values)");
    args.AddFlag("all_runs", &all_runs_,
                 "every run of the fitter, not only the current one");
    args.AddString("out", &out_path_, "FILE",
                   "write to FILE instead of standard output");
  }

  absl::Status Run(Context& context) override {
    if (format_ != "list" && format_ != "dict" && format_ != "csv" &&
        format_ != "json") {
      return absl::InvalidArgumentError(
          absl::StrCat("--format: '", format_,
                       "' is not a format (expected list, dict, csv or json)"));
    }
    absl::StatusOr<Client*> client = context.client();
    if (!client.ok()) return client.status();
    cellfit::v1::ResultsRequest request;
    request.set_fitter_id(fitter_);
    request.set_all_runs(all_runs_);
    std::vector<cellfit::v1::Column> columns;
    absl::Status status = (*client)->Results(
        request, [&columns](const cellfit::v1::ResultsChunk& chunk) {
          if (columns.empty()) {
            for (const cellfit::v1::Column& column : chunk.columns()) {
              cellfit::v1::Column& kept = columns.emplace_back(column);
              kept.clear_values();
            }
          }
          for (int c = 0;
               c < chunk.columns_size() && c < static_cast<int>(columns.size());
               ++c) {
            columns[c].mutable_values()->MergeFrom(chunk.columns(c).values());
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;

    std::ofstream file;
    if (!out_path_.empty()) {
      file.open(out_path_);
      if (!file) {
        return absl::InvalidArgumentError(
            absl::StrCat("--out: cannot write '", out_path_, "'"));
      }
    }
    std::ostream& out = out_path_.empty() ? context.out() : file;
    if (format_ == "csv") {
      WriteCsv(columns, out);
    } else if (format_ == "json") {
      WriteJson(columns, out);
    } else if (format_ == "dict") {
      WriteDict(columns, out);
    } else {
      WriteList(columns, out);
    }
    out.flush();
    if (!out) {
      return absl::InternalError(
          absl::StrCat("writing the results to '", out_path_, "' failed"));
    }
    if (!out_path_.empty()) {
      context.out() << "wrote " << Rows(columns) << " evaluations to "
                    << out_path_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  static int Rows(const std::vector<cellfit::v1::Column>& columns) {
    return columns.empty() ? 0 : columns[0].values_size();
  }

  // The readable unit of a column: chosen from its largest magnitude.
  static DisplayUnit UnitOf(const cellfit::v1::Column& column) {
    double typical = 0;
    for (double value : column.values()) {
      if (std::isfinite(value)) typical = std::max(typical, std::abs(value));
    }
    return ChooseUnit(ExponentsOf(column.dimension()), typical);
  }

  // The server names units as Brian2 does ("S", "S/(m^2)") and writes the
  // others in base units, as the squared volts of an MSE error; those get
  // the name the list format and the other verbs show ("V^2"), without a
  // prefix since the values stay in SI.
  static std::string SiUnitOf(const std::string& server_unit,
                              const Exponents& exponents) {
    if (!server_unit.empty() && server_unit != BaseUnitSymbol(exponents)) {
      return server_unit;
    }
    const DisplayUnit si = ChooseUnit(exponents, 1);
    return std::abs(si.scale - 1) < 1e-12 ? si.symbol : server_unit;
  }

  static void WriteCsv(const std::vector<cellfit::v1::Column>& columns,
                       std::ostream& out) {
    for (size_t c = 0; c < columns.size(); ++c) {
      out << (c ? "," : "") << columns[c].name();
    }
    out << "\n";
    for (int row = 0; row < Rows(columns); ++row) {
      for (size_t c = 0; c < columns.size(); ++c) {
        out << (c ? "," : "") << ExactNumber(columns[c].values(row));
      }
      out << "\n";
    }
  }

  static void WriteJson(const std::vector<cellfit::v1::Column>& columns,
                        std::ostream& out) {
    nlohmann::ordered_json document;
    document["n_rows"] = Rows(columns);
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const cellfit::v1::Column& column : columns) {
      nlohmann::ordered_json entry;
      entry["name"] = column.name();
      const Exponents exponents = ExponentsOf(column.dimension());
      entry["unit"] = SiUnitOf(column.unit(), exponents);
      entry["dimension"] = {{"m", exponents[0]}, {"kg", exponents[1]},
                            {"s", exponents[2]}, {"A", exponents[3]},
                            {"K", exponents[4]}, {"mol", exponents[5]},
                            {"cd", exponents[6]}};
      nlohmann::ordered_json values = nlohmann::ordered_json::array();
      for (double value : column.values()) {
        // JSON has no NaN or infinity.
        values.push_back(std::isfinite(value) ? nlohmann::ordered_json(value)
                                              : nlohmann::ordered_json());
      }
      entry["values"] = std::move(values);
      list.push_back(std::move(entry));
    }
    document["columns"] = std::move(list);
    out << document.dump(1) << "\n";
  }

  static void WriteDict(const std::vector<cellfit::v1::Column>& columns,
                        std::ostream& out) {
    for (const cellfit::v1::Column& column : columns) {
      const DisplayUnit unit = UnitOf(column);
      out << column.name();
      if (!unit.symbol.empty()) out << " (" << unit.symbol << ")";
      out << ":";
      for (double value : column.values()) {
        out << " " << absl::StrFormat("%.6g", value / unit.scale);
      }
      out << "\n";
    }
  }

  static void WriteList(const std::vector<cellfit::v1::Column>& columns,
                        std::ostream& out) {
    if (Rows(columns) == 0) {
      out << "no evaluations recorded\n";
      return;
    }
    std::vector<std::vector<std::string>> rows(Rows(columns) + 1);
    for (const cellfit::v1::Column& column : columns) {
      const DisplayUnit unit = UnitOf(column);
      rows[0].push_back(unit.symbol.empty() ? column.name()
                                            : absl::StrCat(column.name(), " (",
                                                           unit.symbol, ")"));
      const bool integral = column.name() == "run" ||
                            column.name() == "round" ||
                            column.name() == "iteration";
      for (int row = 0; row < column.values_size(); ++row) {
        const double value = column.values(row) / unit.scale;
        rows[row + 1].push_back(integral ? absl::StrFormat("%.0f", value)
                                         : absl::StrFormat("%.6g", value));
      }
    }
    PrintTable(out, rows);
  }

  std::string fitter_;
  std::string format_ = "list";
  bool all_runs_ = false;
  std::string out_path_;
};

}  // namespace

std::unique_ptr<Verb> MakeResultsVerb() {
  return std::make_unique<ResultsVerb>();
}

}  // namespace cellfit::client::cli
