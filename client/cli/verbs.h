// The verbs `cellfit` knows, one factory each (defined in <verb>_verb.cc; ls,
// cancel and rm in fitter_verbs.cc).
#ifndef CELLFIT_CLIENT_CLI_VERBS_H_
#define CELLFIT_CLIENT_CLI_VERBS_H_

#include <memory>

#include "client/cli/verb.h"

namespace cellfit::client::cli {

std::unique_ptr<Verb> MakeStatusVerb();
std::unique_ptr<Verb> MakeListVerb();
std::unique_ptr<Verb> MakeRemoveVerb();
std::unique_ptr<Verb> MakeParseVerb();
std::unique_ptr<Verb> MakeCheckVerb();
std::unique_ptr<Verb> MakeFitVerb();
std::unique_ptr<Verb> MakeWatchVerb();
std::unique_ptr<Verb> MakeResultsVerb();
std::unique_ptr<Verb> MakeGenerateVerb();
std::unique_ptr<Verb> MakeSimulateVerb();
std::unique_ptr<Verb> MakeRefineVerb();
std::unique_ptr<Verb> MakeCancelVerb();

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_VERBS_H_
