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
#include <string_view>

#include "absl/status/statusor.h"
#include "cellfit/v1/fitting.pb.h"

namespace cellfit::client {

struct Job {
  std::filesystem::path path;    // the job file
  cellfit::v1::FitterSpec spec;  // for CreateFitter
  // For Fit: n_rounds, optimizer, metrics and bounds; fitter_id is left
  // empty (the fitter does not exist yet).
  cellfit::v1::FitRequest fit;
};

absl::StatusOr<Job> ReadJobFile(const std::filesystem::path& path);

// Parses job text as if it were the file `path` (CSV paths are relative to
// its directory, and errors name it).
absl::StatusOr<Job> ParseJob(std::string_view toml_text,
                             const std::filesystem::path& path);

}  // namespace cellfit::client

#endif  // CELLFIT_CLIENT_JOB_FILE_H_
