// libFuzzer target for the model language: lexer, parser, checker, the
// integration methods' state update and the quantity parser. Any crash,
// sanitizer report, leak or timeout is a bug.
//
// The input is split at '\x1e' (ASCII record separator) into the fields of a
// ModelSpec: equations, threshold, reset, refractory, method, param_init
// ("name=text" lines), namespace ("name=text" lines) and inputs (one name per
// line, in amperes). Missing fields are empty.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/checker.h"
#include "model/methods.h"
#include "model/parser.h"

namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::pair<std::string, std::string>> Assignments(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view line : Split(text, '\n')) {
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    out.push_back(
        {std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cellfit::model;  // NOLINT: a fuzz target
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> fields = Split(input, '\x1e');
  auto field = [&](size_t k) {
    return k < fields.size() ? std::string(fields[k]) : std::string();
  };

  ModelSpec spec;
  spec.equations = field(0);
  spec.threshold = field(1);
  spec.reset = field(2);
  spec.refractory = field(3);
  spec.method = field(4);
  spec.param_init = Assignments(field(5));
  for (const auto& [name, text] : Assignments(field(6))) {
    spec.namespace_entries.push_back({name, text, std::nullopt});
  }
  const std::string inputs = field(7);
  for (std::string_view name : Split(inputs, '\n')) {
    if (!name.empty()) {
      spec.inputs.push_back({std::string(name), Dimension::Of(0, 0, 0, 1)});
    }
  }
  spec.outputs = {"v"};

  CheckResult result = CheckModel(spec);
  for (const Diagnostic& d : result.diagnostics.items()) {
    // Messages are built for every problem; make sure they can be rendered.
    (void)d.ToString();
  }
  if (result.model) {
    Model model = *result.model;
    (void)BuildStateUpdate(model);
  }

  // The other entry points on the raw text.
  Diagnostics diagnostics;
  (void)ParseExpression(input, "fuzz", diagnostics);
  (void)ParseStatements(input, "fuzz", diagnostics);
  (void)ParseQuantity(input, "fuzz", spec.namespace_entries);
  return 0;
}
