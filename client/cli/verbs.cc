#include "client/cli/verbs.h"

namespace cellfit::client::cli {

std::vector<std::unique_ptr<Verb>> MakeVerbs() {
  // Later verbs (fit, watch, results, generate, cancel, check, simulate) go
  // here, one line each.
  std::vector<std::unique_ptr<Verb>> verbs;
  verbs.push_back(MakeStatusVerb());
  verbs.push_back(MakeListVerb());
  verbs.push_back(MakeRemoveVerb());
  verbs.push_back(MakeParseVerb());
  return verbs;
}

}  // namespace cellfit::client::cli
