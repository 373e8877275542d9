// The verbs `cellfit` knows, one factory each (defined in <verb>_verb.cc).
#ifndef CELLFIT_CLIENT_CLI_VERBS_H_
#define CELLFIT_CLIENT_CLI_VERBS_H_

#include <memory>

#include "client/cli/verb.h"

namespace cellfit::client::cli {

std::unique_ptr<Verb> MakeStatusVerb();
std::unique_ptr<Verb> MakeListVerb();
std::unique_ptr<Verb> MakeRemoveVerb();
std::unique_ptr<Verb> MakeParseVerb();

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_VERBS_H_
