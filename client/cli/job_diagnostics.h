// The server reports problems by spec field ("model:3:15: error: ..."); a
// user wants them where they are in the job file ("job.toml:17:15: error:
// ..."), as a compiler would print them.
#ifndef CELLFIT_CLIENT_CLI_JOB_DIAGNOSTICS_H_
#define CELLFIT_CLIENT_CLI_JOB_DIAGNOSTICS_H_

#include <string>

#include "absl/status/status.h"
#include "cellfit/v1/fitting.pb.h"
#include "client/client.h"
#include "client/job_file.h"

namespace cellfit::client::cli {

// "FILE:LINE:COLUMN: error: MESSAGE" for one structured diagnostic.
std::string LocateDiagnostic(const Job& job,
                             const cellfit::v1::Diagnostic& diagnostic);

// Checks a job on the server before anything is created: its model, then,
// when the model is sound, its whole spec and the fit settings `fit` (whose
// bare-number bounds first get their parameters' units, see
// GiveNumericBoundsUnits). The model's description when all is well, else
// one INVALID_ARGUMENT with every problem located in the job file.
absl::StatusOr<cellfit::v1::CheckModelResponse> CheckJob(
    Client& client, const Job& job, cellfit::v1::FitRequest& fit);

// The same status with every line of the form "FIELD[:LINE:COLUMN]: error:
// MESSAGE" rewritten to its place in the job file; other lines unchanged.
absl::Status LocateErrors(const Job& job, const absl::Status& status);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_JOB_DIAGNOSTICS_H_
