// Model texts shared by the model tests and the Brian2 comparison in
// tests/model_brian2: good models (from brian2modelfitting's examples and
// documentation and from Brian2's documentation) and bad models with the
// diagnostic each must produce.
#ifndef CELLFIT_MODEL_TESTDATA_MODELS_H_
#define CELLFIT_MODEL_TESTDATA_MODELS_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "model/checker.h"

namespace cellfit::model::testdata {

using NamedTexts = std::vector<std::pair<std::string, std::string>>;

struct GoodModel {
  std::string name;    // a C++ identifier, used as the test's name
  std::string source;  // where the text comes from
  std::string equations;
  std::string threshold;
  std::string reset;
  std::string refractory;
  std::string method;            // empty: the automatic choice
  NamedTexts namespace_entries;  // name -> value text ("-65*mV")
  NamedTexts inputs;             // name -> unit text ("amp", "1")
  std::vector<std::string> outputs;
  NamedTexts param_init;  // in the order they are applied
  NamedTexts params;      // parameter values for comparing initial values
};

// For test output: the model's name.
inline void PrintTo(const GoodModel& model, std::ostream* os) {
  *os << model.name;
}

// The good models; every one must check without diagnostics.
const std::vector<GoodModel>& GoodModels();

// The checker's input for a good model (input units evaluated with
// ParseQuantity).
ModelSpec ToSpec(const GoodModel& model);

struct BadModel {
  std::string name;  // a C++ identifier
  ModelSpec spec;
  // The expected diagnostic: its field, position (line 0 for the whole
  // field) and a stable part of its message.
  std::string field;
  int line = 0;
  int column = 0;
  std::string message;
  // When Brian2 rejects the same model: a phrase its message shares with
  // cellfit's (empty when Brian2 accepts the model or words it differently).
  std::string brian2_phrase;
};

inline void PrintTo(const BadModel& model, std::ostream* os) {
  *os << model.name;
}

// At least 60 models that must be rejected.
const std::vector<BadModel>& BadModels();

}  // namespace cellfit::model::testdata

#endif  // CELLFIT_MODEL_TESTDATA_MODELS_H_
