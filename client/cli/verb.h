// A `cellfit` subcommand. Each verb declares its options and runs with a
// Context that connects to the server on first use (--server, else
// CELLFIT_SERVER, else an embedded private server). Adding a verb is a new
// class and one line in verbs.cc.
#ifndef CELLFIT_CLIENT_CLI_VERB_H_
#define CELLFIT_CLIENT_CLI_VERB_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "client/cli/args.h"
#include "client/cli/context.h"

namespace cellfit::client::cli {

class Verb {
 public:
  virtual ~Verb() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  // False for verbs that work on local files only (no server is started).
  virtual bool uses_server() const { return true; }
  // The verb's own options and positionals (the common ones are added by the
  // dispatcher).
  virtual void DefineArgs(ArgParser& args) = 0;
  virtual absl::Status Run(Context& context) = 0;
};

// Every verb, in the order `cellfit help` lists them.
std::vector<std::unique_ptr<Verb>> MakeVerbs();

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_VERB_H_
