// Command-line options of one `cellfit` verb: `--name=value`, `--name value`,
// boolean `--name`, positionals, and `--` to end the options. Each verb
// declares its own, so verbs can differ without sharing a global flag set.
#ifndef CELLFIT_CLIENT_CLI_ARGS_H_
#define CELLFIT_CLIENT_CLI_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cellfit::client::cli {

class ArgParser {
 public:
  void AddString(std::string name, std::string* target, std::string value_name,
                 std::string help);
  void AddInt(std::string name, int* target, std::string value_name,
              std::string help);
  void AddFlag(std::string name, bool* target, std::string help);
  // Positionals are filled in order; a repeated one takes all the rest.
  void AddPositional(std::string name, std::string* target, std::string help,
                     bool required = true);
  void AddRepeatedPositional(std::string name, std::vector<std::string>* target,
                             std::string help, bool required = true);

  // INVALID_ARGUMENT naming the offending argument.
  absl::Status Parse(const std::vector<std::string>& args);

  // "JOB.toml [ID...]" and the list of options with their help.
  std::string PositionalUsage() const;
  std::string OptionsHelp() const;

 private:
  enum class Kind { kString, kInt, kFlag };
  struct Option {
    std::string name;
    Kind kind;
    void* target;
    std::string value_name;
    std::string help;
  };
  struct Positional {
    std::string name;
    std::string* target = nullptr;
    std::vector<std::string>* repeated = nullptr;
    std::string help;
    bool required = true;
  };

  const Option* Find(std::string_view name) const;
  absl::Status Set(const Option& option, const std::string& value);

  std::vector<Option> options_;
  std::vector<Positional> positionals_;
};

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_ARGS_H_
