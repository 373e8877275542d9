#include "client/cli/verbs.h"

namespace cellfit::client::cli {

std::vector<std::unique_ptr<Verb>> MakeVerbs() {
  std::vector<std::unique_ptr<Verb>> verbs;
  verbs.push_back(MakeFitVerb());
  verbs.push_back(MakeWatchVerb());
  verbs.push_back(MakeResultsVerb());
  verbs.push_back(MakeGenerateVerb());
  verbs.push_back(MakeRefineVerb());
  verbs.push_back(MakeListVerb());
  verbs.push_back(MakeCancelVerb());
  verbs.push_back(MakeRemoveVerb());
  verbs.push_back(MakeCheckVerb());
  verbs.push_back(MakeSimulateVerb());
  verbs.push_back(MakeParseVerb());
  verbs.push_back(MakeStatusVerb());
  return verbs;
}

}  // namespace cellfit::client::cli
