// cellfit: the command-line client of a cellfit-server.
//
//   cellfit VERB [options]        cellfit help [VERB]        cellfit --version
//
// Every verb that talks to a server takes --server HOST:PORT, else the
// environment variable CELLFIT_SERVER, else starts a private server for the
// length of the command (the embedded default). Exit codes: 0 success, 1 a
// user error, 2 no server reachable. Errors are printed as
// `cellfit: error: MESSAGE` on stderr.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/exit_codes.h"
#include "client/cli/verb.h"
#include "client/version.h"

namespace {

using cellfit::client::cli::ArgParser;
using cellfit::client::cli::CommonOptions;
using cellfit::client::cli::Context;
using cellfit::client::cli::Verb;

void AddCommonOptions(ArgParser& args, CommonOptions& options, bool* help) {
  args.AddString("server", &options.server, "HOST:PORT",
                 "the server to use (default: $CELLFIT_SERVER, else a private "
                 "server started for this command)");
  args.AddString("token_file", &options.token_file, "FILE",
                 "file whose first word is your token (default: "
                 "$CELLFIT_TOKEN)");
  args.AddInt("timeout", &options.timeout_seconds, "SECONDS",
              "deadline of each request-response call (default 60); "
              "streams (fit, watch, results, generate, simulate, refine) "
              "run until done");
  args.AddString("db", &options.db, "FILE",
                 "database of the private server (default ./cellfit.db)");
  args.AddInt("workers", &options.workers, "N",
              "local workers of the private server (default: one per core)");
  args.AddFlag("verbose", &options.verbose,
               "show the private server's log messages");
  args.AddFlag("help", help, "show this help");
}

void PrintUsage(std::ostream& out,
                const std::vector<std::unique_ptr<Verb>>& verbs) {
  out << "cellfit " << cellfit::client::CellfitVersion()
      << ": fit neuron models with a cellfit-server\n\n"
      << "usage: cellfit VERB [options]\n\nverbs:\n";
  for (const auto& verb : verbs) {
    out << "  " << verb->name()
        << std::string(10 - std::min<size_t>(9, verb->name().size()), ' ')
        << verb->summary() << "\n";
  }
  out << "\n`cellfit help VERB` shows a verb's options. Exit codes: 0 success, "
         "1 user error, 2 server unreachable.\n";
}

void PrintVerbHelp(std::ostream& out, Verb& verb) {
  ArgParser args;
  CommonOptions options;
  bool help = false;
  verb.DefineArgs(args);
  if (verb.uses_server()) {
    AddCommonOptions(args, options, &help);
  } else {
    args.AddFlag("help", &help, "show this help");
  }
  std::string positionals = args.PositionalUsage();
  out << "usage: cellfit " << verb.name() << " [options]"
      << (positionals.empty() ? "" : " " + positionals) << "\n\n"
      << verb.summary() << "\n\n"
      << args.OptionsHelp();
}

int Fail(const absl::Status& status) {
  // Problems already placed in a file ("job.toml:3:7: error: ...") are
  // printed as they are, one per line, as a compiler prints them.
  const std::string message(status.message());
  const size_t first_line_end = std::min(message.find('\n'), message.size());
  if (message.substr(0, first_line_end).find(": error: ") !=
      std::string::npos) {
    std::cerr << message << "\n";
  } else {
    std::cerr << "cellfit: error: " << message << "\n";
  }
  return cellfit::client::cli::ExitCodeFor(status);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::unique_ptr<Verb>> verbs = cellfit::client::cli::MakeVerbs();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    PrintUsage(args.empty() ? std::cerr : std::cout, verbs);
    return args.empty() ? cellfit::client::cli::kExitUserError : 0;
  }
  if (args[0] == "--version") {
    std::cout << "cellfit " << cellfit::client::CellfitVersion() << "\n";
    return 0;
  }
  auto find = [&verbs](const std::string& name) -> Verb* {
    for (auto& verb : verbs) {
      if (verb->name() == name) return verb.get();
    }
    return nullptr;
  };
  if (args[0] == "help") {
    if (args.size() == 1) {
      PrintUsage(std::cout, verbs);
      return 0;
    }
    Verb* verb = find(args[1]);
    if (verb == nullptr) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "unknown verb '", args[1], "'; `cellfit help` lists them")));
    }
    PrintVerbHelp(std::cout, *verb);
    return 0;
  }
  Verb* verb = find(args[0]);
  if (verb == nullptr) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "unknown verb '", args[0], "'; `cellfit help` lists them")));
  }

  ArgParser parser;
  CommonOptions options;
  bool help = false;
  verb->DefineArgs(parser);
  if (verb->uses_server()) {
    AddCommonOptions(parser, options, &help);
  } else {
    parser.AddFlag("help", &help, "show this help");
  }
  std::vector<std::string> verb_args(args.begin() + 1, args.end());
  // --help wins over a missing positional.
  for (const std::string& arg : verb_args) {
    if (arg == "--help" || arg == "-h") {
      PrintVerbHelp(std::cout, *verb);
      return 0;
    }
  }
  if (absl::Status parsed = parser.Parse(verb_args); !parsed.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(parsed.message(), " (see `cellfit help ",
                     std::string(verb->name()), "`)")));
  }
  if (options.timeout_seconds <= 0) {
    return Fail(absl::InvalidArgumentError("--timeout must be positive"));
  }

  Context context(options, std::cout);
  absl::Status status = verb->Run(context);
  std::cout.flush();
  absl::Status finished = context.Finish();
  if (!status.ok()) return Fail(status);
  if (!finished.ok()) {
    // The verb's work is done; a server that stopped badly is worth a word.
    std::cerr << "cellfit: warning: " << finished.message() << "\n";
  }
  return 0;
}
