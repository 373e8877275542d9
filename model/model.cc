#include "model/model.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cellfit::model {

int Model::Find(std::string_view name) const {
  for (size_t k = 0; k < symbols.size(); ++k) {
    if (symbols[k].name == name && symbols[k].offset == 0) {
      return static_cast<int>(k);
    }
  }
  return -1;
}

int Model::AddSymbol(Symbol s) {
  symbols.push_back(std::move(s));
  return static_cast<int>(symbols.size()) - 1;
}

ExprPtr Model::Inline(const ExprPtr& e) const {
  // Subexpressions are inlined bottom-up without recursion (a chain of them
  // would otherwise recurse once per link), each once however often it is
  // used, so that the result shares their trees.
  absl::flat_hash_map<int, const ExprPtr*> definition;
  for (const Subexpression& sub : subexpressions) {
    definition[sub.symbol] = &sub.value;
  }
  absl::flat_hash_map<int, ExprPtr> done;
  const auto replace = [&](int s) -> ExprPtr {
    auto it = done.find(s);
    return it == done.end() ? nullptr : it->second;
  };
  auto uses = [&](const ExprPtr& x) {
    std::vector<int> used, subs;
    CollectSymbols(x, used);
    for (int u : used) {
      if (definition.contains(u)) subs.push_back(u);
    }
    return subs;
  };
  absl::flat_hash_set<int> in_progress;
  std::vector<std::pair<int, bool>> stack;  // (symbol, dependencies pushed)
  for (int s : uses(e)) stack.push_back({s, false});
  while (!stack.empty()) {
    const auto [s, expanded] = stack.back();
    stack.pop_back();
    if (done.contains(s)) continue;
    if (expanded) {
      done[s] = Substitute(*definition.at(s), replace);
      in_progress.erase(s);
      continue;
    }
    if (!in_progress.insert(s).second) continue;  // a cycle: left as is
    stack.push_back({s, true});
    for (int dep : uses(*definition.at(s))) {
      if (!done.contains(dep) && !in_progress.contains(dep)) {
        stack.push_back({dep, false});
      }
    }
  }
  return Substitute(e, replace);
}

ExprPtr Model::InlinedRhs(int equation_index) const {
  return Inline(equations[equation_index].rhs);
}

int Model::ShiftedSymbol(int base, int offset) {
  if (offset == 0) return base;
  for (size_t k = 0; k < symbols.size(); ++k) {
    if (symbols[k].base_symbol == base && symbols[k].offset == offset) {
      return static_cast<int>(k);
    }
  }
  Symbol shifted = symbols[base];
  shifted.offset = offset;
  shifted.base_symbol = base;
  return AddSymbol(std::move(shifted));
}

std::string Model::Render(const ExprPtr& e) const {
  return ToString(e, [this](int s) {
    const Symbol& symbol = symbols[s];
    if (symbol.offset != 0) {
      return absl::StrCat(symbol.name, "[+", symbol.offset, "]");
    }
    return symbol.name;
  });
}

}  // namespace cellfit::model
