#include "model/model.h"

#include <utility>

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
  // Subexpressions are in dependency order, so inlining from the last one
  // backwards would re-expose earlier ones; recurse instead.
  return Substitute(e, [this](int s) -> ExprPtr {
    if (symbols[s].kind != SymbolKind::kSubexpression) return nullptr;
    for (const Subexpression& sub : subexpressions) {
      if (sub.symbol == s) return Inline(sub.value);
    }
    return nullptr;
  });
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
