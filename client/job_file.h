// The job file: one TOML file that describes a whole fit (the model, its
// data, the optimizer and the metric), read into the messages the server
// takes: a FitterSpec for CreateFitter and a FitRequest for Fit. Trace and
// spike data come from CSV files named in it, relative to the job file.
// docs/job-file.md documents every key.
//
// Quantities stay text ("0.01*ms"): the server parses them with the model
// language, so the client does not duplicate the unit system.
//
// Errors name the file, the line and the key:
//   "job.toml:7:13: error: key 'n_samples': expected an integer, got a string"
#ifndef CELLFIT_CLIENT_JOB_FILE_H_
#define CELLFIT_CLIENT_JOB_FILE_H_

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cellfit/v1/fitting.pb.h"

namespace cellfit::client {

// Where a spec field's value starts in the job file (1-based): for text, the
// first character inside the quotes (the line after an opening ''' or """
// that ends its line); for tables such as [input.I], the header.
struct FieldOrigin {
  int line = 0;
  int column = 0;
};

struct Job {
  std::filesystem::path path;    // the job file
  cellfit::v1::FitterSpec spec;  // for CreateFitter
  // For Fit: n_rounds, optimizer, metrics and bounds; fitter_id is left
  // empty (the fitter does not exist yet).
  cellfit::v1::FitRequest fit;
  // By the field names the server's diagnostics use: "model" (the
  // equations), "threshold", "reset", "refractory", "penalty", "dt",
  // "method", "param_init.v", "namespace.El", "inputs.I", "outputs.v",
  // "bounds.gl" (and "bounds.gl.lower", ".upper"), "optimizer.method",
  // "metric", "metric.t_start", "metric.v.delta": every key of the file.
  std::map<std::string, FieldOrigin> origins;
};

absl::StatusOr<Job> ReadJobFile(const std::filesystem::path& path);

// Parses job text as if it were the file `path` (CSV paths are relative to
// its directory, and errors name it).
absl::StatusOr<Job> ParseJob(std::string_view toml_text,
                             const std::filesystem::path& path);

// Whether a bound in `fit` is a bare number (docs/job-file.md: in SI base
// units of its parameter), which only the model can give a dimension.
bool HasNumericBounds(const cellfit::v1::FitRequest& fit);

// Gives every bare-number bound in `fit` the dimension of its parameter, as
// `model` (the server's CheckModel answer for the job's spec) reports it, so
// that the wire carries one meaning for a number: its value in SI units of
// the dimension sent with it, as the Python client sends plain floats.
void GiveNumericBoundsUnits(const cellfit::v1::CheckModelResponse& model,
                            cellfit::v1::FitRequest& fit);

// "FILE:LINE:COLUMN" for a position the server reports within a spec field
// (`line` and `column` 1-based within the field's text; line 0: the field as
// a whole, shown at its start), or "FILE" when the field is not in the file.
std::string JobFilePosition(const Job& job, std::string_view field, int line,
                            int column);

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_JOB_FILE_H_
