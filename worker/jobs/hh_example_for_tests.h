// The HH example of examples/hh as wire messages, for tests: the fitter spec
// (model, namespace, param_init, inputs and recorded outputs), its MSE and
// the fit settings of its job file.
#ifndef CELLFIT_WORKER_JOBS_HH_EXAMPLE_FOR_TESTS_H_
#define CELLFIT_WORKER_JOBS_HH_EXAMPLE_FOR_TESTS_H_

#include <string>

#include "cellfit/v1/common.pb.h"
#include "cellfit/v1/fitting.pb.h"

namespace cellfit::jobs {

// $CELLFIT_SOURCE_DIR, else the current directory.
std::string SourceDirForTests();

// A trace CSV in the layout of examples/hh as a TraceSet in `unit`.
v1::TraceSet ReadTraceCsvForTests(const std::string& path,
                                  const std::string& unit);

// brian2modelfitting's HH example: exponential Euler, v starting at `v_init`.
v1::FitterSpec HhExampleSpec(const std::string& v_init = "VT");

// Its metric: MSE from t = 5 ms.
v1::MetricSpec HhExampleMetric();

// The example job's fit settings: DE with seed 1, that metric, and the
// bounds of examples/hh/job.toml, searched on a log scale as it does.
v1::FitRequest HhExampleFit(const std::string& fitter_id = "",
                            int n_rounds = 1);

}  // namespace cellfit::jobs

#endif  // CELLFIT_WORKER_JOBS_HH_EXAMPLE_FOR_TESTS_H_
