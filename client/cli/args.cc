#include "client/cli/args.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cellfit::client::cli {

void ArgParser::AddString(std::string name, std::string* target,
                          std::string value_name, std::string help) {
  options_.push_back({std::move(name), Kind::kString, target,
                      std::move(value_name), std::move(help)});
}

void ArgParser::AddInt(std::string name, int* target, std::string value_name,
                       std::string help) {
  options_.push_back({std::move(name), Kind::kInt, target,
                      std::move(value_name), std::move(help)});
}

void ArgParser::AddFlag(std::string name, bool* target, std::string help) {
  options_.push_back(
      {std::move(name), Kind::kFlag, target, "", std::move(help)});
}

void ArgParser::AddPositional(std::string name, std::string* target,
                              std::string help, bool required) {
  positionals_.push_back(
      {std::move(name), target, nullptr, std::move(help), required});
}

void ArgParser::AddRepeatedPositional(std::string name,
                                      std::vector<std::string>* target,
                                      std::string help, bool required) {
  positionals_.push_back(
      {std::move(name), nullptr, target, std::move(help), required});
}

namespace {

// Options are spelled with dashes or underscores alike (--param-init,
// --param_init), as users of both conventions will type them.
std::string Canonical(std::string_view name) {
  std::string canonical(name);
  std::replace(canonical.begin(), canonical.end(), '_', '-');
  return canonical;
}

}  // namespace

const ArgParser::Option* ArgParser::Find(std::string_view name) const {
  const std::string wanted = Canonical(name);
  for (const Option& option : options_) {
    if (Canonical(option.name) == wanted) return &option;
  }
  return nullptr;
}

absl::Status ArgParser::Set(const Option& option, const std::string& value) {
  switch (option.kind) {
    case Kind::kString:
      *static_cast<std::string*>(option.target) = value;
      return absl::OkStatus();
    case Kind::kInt: {
      int parsed = 0;
      auto [end, error] =
          std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (error != std::errc() || end != value.data() + value.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", option.name, " expects an integer, not '", value, "'"));
      }
      *static_cast<int*>(option.target) = parsed;
      return absl::OkStatus();
    }
    case Kind::kFlag:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(option.target) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(option.target) = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", option.name,
                         " takes no value or true/false, not '", value, "'"));
      }
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status ArgParser::Parse(const std::vector<std::string>& args) {
  size_t next_positional = 0;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg[0] == '-') {
      std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
      std::string name = body;
      std::optional<std::string> value;
      if (size_t equals = body.find('='); equals != std::string::npos) {
        name = body.substr(0, equals);
        value = body.substr(equals + 1);
      }
      const Option* option = Find(name);
      if (option == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown option '", arg, "'"));
      }
      if (!value.has_value()) {
        if (option->kind == Kind::kFlag) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              "--", name, " needs a value (", option->value_name, ")"));
        }
      }
      if (absl::Status status = Set(*option, *value); !status.ok()) {
        return status;
      }
      continue;
    }
    if (next_positional >= positionals_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    Positional& positional = positionals_[next_positional];
    if (positional.repeated != nullptr) {
      positional.repeated->push_back(arg);
    } else {
      *positional.target = arg;
      ++next_positional;
    }
  }
  for (size_t i = 0; i < positionals_.size(); ++i) {
    const Positional& positional = positionals_[i];
    bool given = positional.repeated != nullptr ? !positional.repeated->empty()
                                                : i < next_positional;
    if (positional.required && !given) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing ", positional.name));
    }
  }
  return absl::OkStatus();
}

std::string ArgParser::PositionalUsage() const {
  std::string usage;
  for (const Positional& positional : positionals_) {
    std::string name = positional.name;
    if (positional.repeated != nullptr) name += "...";
    if (!positional.required) name = "[" + name + "]";
    absl::StrAppend(&usage, usage.empty() ? "" : " ", name);
  }
  return usage;
}

std::string ArgParser::OptionsHelp() const {
  std::string help;
  for (const Positional& positional : positionals_) {
    absl::StrAppendFormat(&help, "  %-24s %s\n", positional.name,
                          positional.help);
  }
  for (const Option& option : options_) {
    std::string left = "--" + Canonical(option.name);
    if (option.kind != Kind::kFlag)
      absl::StrAppend(&left, " ", option.value_name);
    if (left.size() > 24) {
      // A long option gets its help on the next line, still aligned.
      absl::StrAppendFormat(&help, "  %s\n  %-24s %s\n", left, "", option.help);
    } else {
      absl::StrAppendFormat(&help, "  %-24s %s\n", left, option.help);
    }
  }
  return help;
}

}  // namespace cellfit::client::cli
