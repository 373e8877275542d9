#include "model/methods.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cellfit::model {
namespace {

bool IsState(const Model& model, int symbol) {
  return model.symbol(symbol).kind == SymbolKind::kState;
}
bool IsNoise(const Model& model, int symbol) {
  return model.symbol(symbol).kind == SymbolKind::kNoise;
}

// A state's right-hand side split into its deterministic part f and one noise
// factor g per noise symbol: rhs = f + sum g_xi * xi.
struct SplitEquation {
  ExprPtr f;
  std::vector<std::pair<int, ExprPtr>> g;  // (noise symbol, factor)
};

// Splits every equation; nullopt (with `why`) when an equation is not linear
// in its noise terms.
std::optional<std::vector<SplitEquation>> SplitAll(const Model& model,
                                                   std::string* why) {
  std::vector<SplitEquation> split;
  for (size_t k = 0; k < model.equations.size(); ++k) {
    const ExprPtr rhs = model.InlinedRhs(static_cast<int>(k));
    SplitEquation s;
    s.f = Substitute(rhs, [&](int sym) -> ExprPtr {
      return IsNoise(model, sym) ? Const(0) : nullptr;
    });
    for (int noise : model.noises) {
      if (!DependsOn(rhs, noise)) continue;
      ExprPtr g = Differentiate(rhs, noise);
      if (DependsOnAny(g, [&](int sym) { return IsNoise(model, sym); })) {
        *why = absl::StrCat(
            "the equation for '", model.NameOf(model.equations[k].state),
            "' is not linear in its noise term '", model.NameOf(noise), "'");
        return std::nullopt;
      }
      s.g.push_back({noise, g});
    }
    split.push_back(std::move(s));
  }
  return split;
}

bool IsStochastic(const Model& model) { return !model.noises.empty(); }

// 'additive' when no noise factor depends on a state variable or on t.
bool IsAdditive(const Model& model, const std::vector<SplitEquation>& split) {
  for (const SplitEquation& s : split) {
    for (const auto& [noise, g] : s.g) {
      if (DependsOnAny(g, [&](int sym) {
            return IsState(model, sym) || sym == model.time;
          })) {
        return false;
      }
    }
  }
  return true;
}

// Brian2's "constant over a time step": no t, no randomness. Inputs read from
// traces sampled at dt are constant over a step, as TimedArrays are.
bool ConstantOverDt(const Model& model, const ExprPtr& e) {
  return !DependsOn(e, model.time) && !HasRandomCall(e);
}

// For 'exact': the system dx/dt = M x + B with M and B free of states and
// constant over dt. Returns nullopt with `why` otherwise.
struct LinearSystem {
  std::vector<std::vector<ExprPtr>> m;
  std::vector<ExprPtr> b;
  bool diagonal = true;
};

std::optional<LinearSystem> GetLinearSystem(const Model& model,
                                            std::string* why) {
  LinearSystem system;
  const size_t n = model.equations.size();
  const ExprPtr zero = Const(0);
  for (size_t i = 0; i < n; ++i) {
    const ExprPtr f = model.InlinedRhs(static_cast<int>(i));
    const std::string name = model.NameOf(model.equations[i].state);
    // Only the states f uses have non-zero coefficients (one shared zero:
    // the matrix has n*n entries).
    std::vector<int> used;
    CollectSymbols(f, used);
    const absl::flat_hash_set<int> uses(used.begin(), used.end());
    std::vector<ExprPtr> row;
    for (size_t j = 0; j < n; ++j) {
      if (!uses.contains(model.equations[j].state)) {
        row.push_back(zero);
        continue;
      }
      ExprPtr coefficient = Differentiate(f, model.equations[j].state);
      if (DependsOnAny(coefficient,
                       [&](int sym) { return IsState(model, sym); })) {
        *why = absl::StrCat("The expression '", model.Render(f),
                            "', defining the variable '", name,
                            "', could not be separated into linear "
                            "components.");
        return std::nullopt;
      }
      if (!ConstantOverDt(model, coefficient)) {
        *why = absl::StrCat("Expression '", model.Render(coefficient),
                            "' is not guaranteed to be constant over a time "
                            "step.");
        return std::nullopt;
      }
      if (i != j && !IsConst(coefficient, 0)) system.diagonal = false;
      row.push_back(coefficient);
    }
    ExprPtr constant = Substitute(f, [&](int sym) -> ExprPtr {
      return IsState(model, sym) ? Const(0) : nullptr;
    });
    if (!ConstantOverDt(model, constant)) {
      *why = absl::StrCat("Expression '", model.Render(constant),
                          "' is not guaranteed to be constant over a time "
                          "step.");
      return std::nullopt;
    }
    if (IsConst(row[i], 0)) {
      *why = absl::StrCat(
          "Cannot solve the given equations with this "
          "stateupdater: the equation for '",
          name, "' does not depend on '", name,
          "' itself (the linear system is singular).");
      return std::nullopt;
    }
    system.m.push_back(std::move(row));
    system.b.push_back(constant);
  }
  return system;
}

// Brian2's 'exact' solves coupled linear systems too (by a matrix
// exponential); cellfit's only uncoupled ones.
constexpr char kCoupledLinearSystem[] =
    "the equations form a coupled linear system; cellfit integrates "
    "linear equations exactly only when each depends on its own variable "
    "alone. Choose 'exponential_euler', 'rk4' or 'euler'.";

// The terms of an expression by their explicit power of a symbol x, as
// sympy's expand() followed by collect(expression, x) finds them (Brian2's
// exponential Euler decides with these): products and integer powers are
// expanded, a denominator that is a single power of x divides the power, and
// any other occurrence of x (inside a function, in a denominator that is a
// sum, ...) is part of the coefficient of x**0.
class PowerTerms {
 public:
  explicit PowerTerms(int x) : x_(x) {}

  using Terms = std::vector<std::pair<Rational, ExprPtr>>;

  // Nullopt when the expansion grows past kMaxTerms powers.
  std::optional<Terms> Collect(const ExprPtr& e) {
    if (!DependsOn(e, x_)) return Terms{{Rational(0), e}};
    switch (e->op) {
      case Op::kSymbol:
        return Terms{{Rational(1), Const(1)}};
      case Op::kNeg: {
        auto a = Collect(e->args[0]);
        if (!a) return std::nullopt;
        for (auto& [k, c] : *a) c = Neg(c);
        return a;
      }
      case Op::kAdd:
      case Op::kSub: {
        auto a = Collect(e->args[0]);
        auto b = Collect(e->args[1]);
        if (!a || !b) return std::nullopt;
        for (const auto& [k, c] : *b) {
          AddTerm(*a, k, e->op == Op::kAdd ? c : Neg(c));
        }
        return Limited(std::move(*a));
      }
      case Op::kMul: {
        auto a = Collect(e->args[0]);
        auto b = Collect(e->args[1]);
        if (!a || !b) return std::nullopt;
        return Product(*a, *b);
      }
      case Op::kDiv: {
        auto a = Collect(e->args[0]);
        auto b = Collect(e->args[1]);
        if (!a || !b) return std::nullopt;
        if (b->size() == 1) {
          const auto& [kb, cb] = b->front();
          Terms out;
          for (const auto& [k, c] : *a) AddTerm(out, k - kb, Div(c, cb));
          return out;
        }
        for (auto& [k, c] : *a) c = Div(c, e->args[1]);
        return a;
      }
      case Op::kPow: {
        const ExprPtr& exponent = e->args[1];
        if (!IsConst(exponent) || DependsOn(exponent, x_)) break;
        auto base = Collect(e->args[0]);
        if (!base) return std::nullopt;
        const double n = exponent->value;
        const bool integer = n == std::floor(n) && std::fabs(n) <= kMaxPower;
        if (base->size() == 1 && integer) {
          const auto& [k, c] = base->front();
          return Terms{{k * Rational(static_cast<int64_t>(n)),
                        Binary(Op::kPow, c, exponent)}};
        }
        if (base->size() == 1 && IsConst(base->front().second, 1)) {
          // x**0.5 is its own power of x.
          auto rational = Rational::FromDouble(n);
          if (rational)
            return Terms{{base->front().first * *rational, Const(1)}};
        }
        if (integer && n >= 1) {
          Terms out = *base;
          for (int k = 1; k < static_cast<int>(n); ++k) {
            auto next = Product(out, *base);
            if (!next) return std::nullopt;
            out = std::move(*next);
          }
          return out;
        }
        break;
      }
      default:
        break;
    }
    return Terms{{Rational(0), e}};
  }

 private:
  static constexpr int kMaxTerms = 64;
  static constexpr double kMaxPower = 16;

  static void AddTerm(Terms& terms, Rational k, const ExprPtr& c) {
    for (auto& [key, value] : terms) {
      if (key == k) {
        value = Add(value, c);
        return;
      }
    }
    terms.push_back({k, c});
  }

  static std::optional<Terms> Limited(Terms terms) {
    if (terms.size() > kMaxTerms) return std::nullopt;
    return terms;
  }

  static std::optional<Terms> Product(const Terms& a, const Terms& b) {
    Terms out;
    for (const auto& [ka, ca] : a) {
      for (const auto& [kb, cb] : b) AddTerm(out, ka + kb, Mul(ca, cb));
      if (out.size() > kMaxTerms) return std::nullopt;
    }
    return out;
  }

  int x_;
};

// Exponential Euler's terms: each equation as A*x + B. When the derivative
// with respect to x is free of x, A is that derivative and B the equation at
// x = 0. Otherwise the split is Brian2's (sympy's collect): A is the
// coefficient of the explicit x, B the remaining terms, which may depend on x
// through functions such as exp(x) and are evaluated at the step's start (as
// in Brian2's exponential Euler for the exponential integrate-and-fire
// model); any other power of x is an error.
std::optional<std::vector<std::pair<ExprPtr, ExprPtr>>> ConditionallyLinear(
    const Model& model, std::string* why) {
  std::vector<std::pair<ExprPtr, ExprPtr>> terms;
  for (size_t k = 0; k < model.equations.size(); ++k) {
    const int x = model.equations[k].state;
    const ExprPtr f = model.InlinedRhs(static_cast<int>(k));
    ExprPtr a = Differentiate(f, x);
    if (!DependsOn(a, x)) {
      ExprPtr b = Substitute(
          f, [x](int sym) -> ExprPtr { return sym == x ? Const(0) : nullptr; });
      terms.push_back({a, b});
      continue;
    }
    auto collected = PowerTerms(x).Collect(f);
    ExprPtr linear, constant = Const(0);
    bool separable = collected.has_value();
    if (separable) {
      for (const auto& [power, coefficient] : *collected) {
        if (IsConst(coefficient, 0)) continue;
        if (power == Rational(1)) {
          linear = coefficient;
        } else if (power == Rational(0)) {
          constant = coefficient;
        } else {
          separable = false;
        }
      }
    }
    if (!separable || !linear) {
      *why = absl::StrCat("The expression '", model.Render(f),
                          "', defining the variable '", model.NameOf(x),
                          "', could not be separated into linear components.");
      return std::nullopt;
    }
    terms.push_back({linear, constant});
  }
  return terms;
}

// Why `method` cannot integrate `model`, or empty when it can.
// `coupled_linear`, when given, tells whether 'exact' fails only because the
// system is coupled (Brian2's 'exact' would integrate it).
std::string CannotIntegrate(const Model& model, const std::string& method,
                            bool* coupled_linear = nullptr) {
  std::string why;
  auto split = SplitAll(model, &why);
  if (!split) return why;
  const bool stochastic = IsStochastic(model);
  if (method == "exact" || method == "linear") {
    if (stochastic) {
      return "Cannot solve stochastic equations with this state updater.";
    }
    auto system = GetLinearSystem(model, &why);
    if (!system) return why;
    if (!system->diagonal) {
      if (coupled_linear != nullptr) *coupled_linear = true;
      return kCoupledLinearSystem;
    }
    return "";
  }
  if (method == "exponential_euler") {
    if (stochastic) {
      return "Cannot solve stochastic equations with this state updater.";
    }
    if (!ConditionallyLinear(model, &why)) {
      return absl::StrCat(
          "Can only solve conditionally linear systems with "
          "this state updater. ",
          why);
    }
    return "";
  }
  if (method == "euler") {
    if (stochastic && !IsAdditive(model, *split)) {
      return "Cannot integrate equations with multiplicative noise with this "
             "state updater ('euler' needs noise terms that do not depend on "
             "the state variables or t; use 'heun' or 'milstein').";
    }
    return "";
  }
  if (method == "rk2" || method == "rk4") {
    if (stochastic) {
      return absl::StrCat("Cannot integrate stochastic equations with '",
                          method, "'.");
    }
    return "";
  }
  if (method == "heun") return "";
  if (method == "milstein") {
    // Diagonal noise: each equation has at most one noise term and no noise
    // term is shared by two equations.
    std::map<int, int> uses;
    for (const SplitEquation& s : *split) {
      if (s.g.size() > 1) {
        return "Cannot integrate stochastic equations with non-diagonal noise "
               "with this state updater.";
      }
      for (const auto& [noise, g] : s.g) ++uses[noise];
    }
    for (const auto& [noise, count] : uses) {
      if (count > 1) {
        return "Cannot integrate stochastic equations with non-diagonal "
               "noise with this state updater.";
      }
    }
    return "";
  }
  return absl::StrCat("unknown integration method '", method, "'");
}

// Substitutes states (x -> replacement), t (-> t + c*dt) and inputs/targets
// (-> the symbol `step_offset` steps later) in `e`.
ExprPtr AtStage(Model& model, const ExprPtr& e,
                const std::map<int, ExprPtr>& state_values,
                double time_fraction) {
  // Brian2's TimedArray reads step floor((t + 0.5*dt)/dt) for t = t0 +
  // c*dt, i.e. the same sample for c < 0.5 + 1/16 and the next one for c = 1
  // (the 1/16 is its upsampling factor K = 8 applied to the rounding).
  const int step_offset = time_fraction >= 0.5 + 1.0 / 16 ? 1 : 0;
  return Substitute(e, [&](int sym) -> ExprPtr {
    if (auto it = state_values.find(sym); it != state_values.end()) {
      return it->second;
    }
    if (sym == model.time && time_fraction != 0) {
      return Add(Sym(model.time), Mul(Const(time_fraction), Sym(model.dt)));
    }
    const SymbolKind kind = model.symbol(sym).kind;
    if (step_offset != 0 &&
        (kind == SymbolKind::kInput || kind == SymbolKind::kTarget) &&
        model.symbol(sym).offset == 0) {
      return Sym(model.ShiftedSymbol(sym, step_offset));
    }
    return nullptr;
  });
}

int AddTemporary(Model& model, const std::string& name) {
  Symbol s;
  s.name = name;
  s.kind = SymbolKind::kTemporary;
  return model.AddSymbol(s);
}

}  // namespace

const std::vector<std::string>& IntegrationMethodNames() {
  static const auto* names = new std::vector<std::string>{
      "exact", "linear", "exponential_euler", "euler", "rk2",
      "rk4",   "heun",   "milstein"};
  return *names;
}

void SelectIntegrationMethod(Model& model, const std::string& requested,
                             Diagnostics& diagnostics) {
  if (requested.empty()) {
    // NeuronGroup's default: ('exact', 'euler', 'heun').
    std::vector<std::string> reasons;
    for (const char* method : {"exact", "euler", "heun"}) {
      bool coupled_linear = false;
      std::string why = CannotIntegrate(model, method, &coupled_linear);
      if (why.empty()) {
        model.method = method;
        return;
      }
      if (coupled_linear) {
        // Brian2 would choose 'exact'; taking the next method silently
        // would give other traces than Brian2's for the same model.
        diagnostics.Add(
            "method", {},
            "Brian2 integrates these equations with its default method "
            "'exact' (they form a coupled linear system), which cellfit "
            "cannot do: it integrates linear equations exactly only when "
            "each depends on its own variable alone. Rather than give other "
            "numbers than Brian2 without saying so, cellfit asks for a "
            "method: choose 'euler', 'rk4' or 'exponential_euler' (Brian2 "
            "gives the same traces with the same method).");
        return;
      }
      reasons.push_back(absl::StrCat(method, ": ", why));
    }
    diagnostics.Add("method", {},
                    absl::StrCat("No integration method can integrate the "
                                 "model (",
                                 absl::StrJoin(reasons, "; "), ")"));
    return;
  }
  std::string method = requested;
  for (char& c : method) c = static_cast<char>(std::tolower(c));
  bool known = false;
  for (const std::string& name : IntegrationMethodNames()) {
    known = known || name == method;
  }
  if (!known) {
    diagnostics.Add(
        "method", {},
        absl::StrCat("No state updater with the name '", requested,
                     "' found; cellfit knows: ",
                     absl::StrJoin(IntegrationMethodNames(), ", ")));
    return;
  }
  if (method == "linear") method = "exact";
  std::string why = CannotIntegrate(model, method);
  if (!why.empty()) {
    diagnostics.Add("method", {},
                    absl::StrCat("The integration method '", method,
                                 "' cannot integrate the model: ", why));
    return;
  }
  model.method = method;
}

absl::StatusOr<StateUpdate> BuildStateUpdate(Model& model) {
  std::string why;
  auto split = SplitAll(model, &why);
  if (!split) return absl::InvalidArgumentError(why);
  const std::string& method = model.method;
  const size_t n = model.equations.size();
  StateUpdate update;
  const ExprPtr dt = Sym(model.dt);

  // One increment per noise symbol and step, shared by all equations.
  std::map<int, ExprPtr> dw;
  for (int noise : model.noises) {
    const int temp =
        AddTemporary(model, absl::StrCat("_dW_", model.NameOf(noise)));
    update.definitions.push_back(
        {temp, Mul(Binary(Op::kPow, dt, Const(0.5)), Call(Func::kRandn, {}))});
    dw[noise] = Sym(temp);
  }

  // Brian2 multiplies the right-hand side of 'unless refractory' equations by
  // int(not_refractory); a selection gives the same values without turning an
  // infinite derivative into NaN.
  auto gated = [&](size_t k, const ExprPtr& rhs) {
    if (!model.equations[k].unless_refractory) return rhs;
    return Select(Sym(model.not_refractory), rhs, Const(0));
  };
  auto f_at = [&](size_t k, const std::map<int, ExprPtr>& states,
                  double time_fraction) {
    return gated(k, AtStage(model, (*split)[k].f, states, time_fraction));
  };
  auto g_at = [&](size_t k, int noise, const std::map<int, ExprPtr>& states,
                  double time_fraction) -> ExprPtr {
    for (const auto& [xi, g] : (*split)[k].g) {
      if (xi == noise)
        return gated(k, AtStage(model, g, states, time_fraction));
    }
    return Const(0);
  };
  std::vector<ExprPtr> x(n);
  for (size_t k = 0; k < n; ++k) x[k] = Sym(model.equations[k].state);
  const std::map<int, ExprPtr> current;

  if (method == "exact" || method == "exponential_euler") {
    std::vector<std::pair<ExprPtr, ExprPtr>> terms;
    if (method == "exact") {
      auto system = GetLinearSystem(model, &why);
      if (!system) return absl::InvalidArgumentError(why);
      if (!system->diagonal) {
        return absl::InvalidArgumentError(kCoupledLinearSystem);
      }
      for (size_t k = 0; k < n; ++k)
        terms.push_back({system->m[k][k], system->b[k]});
    } else {
      auto linear = ConditionallyLinear(model, &why);
      if (!linear) return absl::InvalidArgumentError(why);
      terms = *linear;
    }
    for (size_t k = 0; k < n; ++k) {
      const auto& [a, b] = terms[k];
      ExprPtr next;
      if (IsConst(a, 0)) {
        next = Add(x[k], Mul(dt, b));
      } else if (IsConst(b, 0)) {
        next = Mul(x[k], Call(Func::kExp, {Mul(a, dt)}));
      } else {
        // Brian2: _BA = B/A; x_new = (x + _BA)*exp(A*dt) - _BA
        const ExprPtr ba = Div(b, a);
        next = Sub(Mul(Add(x[k], ba), Call(Func::kExp, {Mul(a, dt)})), ba);
      }
      if (model.equations[k].unless_refractory) {
        next = Select(Sym(model.not_refractory), next, x[k]);
      }
      update.new_values.push_back(next);
    }
    return update;
  }

  auto states_plus = [&](const std::vector<ExprPtr>& increments,
                         double factor) {
    std::map<int, ExprPtr> values;
    for (size_t k = 0; k < n; ++k) {
      values[model.equations[k].state] =
          Add(x[k], factor == 1 ? increments[k]
                                : Div(increments[k], Const(1 / factor)));
    }
    return values;
  };

  if (method == "euler") {
    for (size_t k = 0; k < n; ++k) {
      ExprPtr next = Add(x[k], Mul(dt, f_at(k, current, 0)));
      for (const auto& [noise, g] : (*split)[k].g) {
        next = Add(next, Mul(g_at(k, noise, current, 0), dw[noise]));
      }
      update.new_values.push_back(next);
    }
    return update;
  }
  if (method == "rk2") {
    std::vector<ExprPtr> k1(n);
    for (size_t k = 0; k < n; ++k) k1[k] = Mul(dt, f_at(k, current, 0));
    const auto mid = states_plus(k1, 0.5);
    for (size_t k = 0; k < n; ++k) {
      update.new_values.push_back(Add(x[k], Mul(dt, f_at(k, mid, 0.5))));
    }
    return update;
  }
  if (method == "rk4") {
    std::vector<ExprPtr> k1(n), k2(n), k3(n), k4(n);
    for (size_t k = 0; k < n; ++k) k1[k] = Mul(dt, f_at(k, current, 0));
    const auto s2 = states_plus(k1, 0.5);
    for (size_t k = 0; k < n; ++k) k2[k] = Mul(dt, f_at(k, s2, 0.5));
    const auto s3 = states_plus(k2, 0.5);
    for (size_t k = 0; k < n; ++k) k3[k] = Mul(dt, f_at(k, s3, 0.5));
    const auto s4 = states_plus(k3, 1.0);
    for (size_t k = 0; k < n; ++k) k4[k] = Mul(dt, f_at(k, s4, 1.0));
    for (size_t k = 0; k < n; ++k) {
      // x + (k1 + 2*k2 + 2*k3 + k4)/6
      const ExprPtr sum = Add(
          Add(Add(k1[k], Mul(Const(2), k2[k])), Mul(Const(2), k3[k])), k4[k]);
      update.new_values.push_back(Add(x[k], Div(sum, Const(6))));
    }
    return update;
  }
  if (method == "heun") {
    // x_support = x + g(x,t)*dW; g_support = g(x_support, t+dt);
    // x_new = x + dt*f(x,t) + .5*dW*(g(x,t) + g_support), per noise term.
    for (size_t k = 0; k < n; ++k) {
      ExprPtr next = Add(x[k], Mul(dt, f_at(k, current, 0)));
      update.new_values.push_back(next);
    }
    for (int noise : model.noises) {
      std::map<int, ExprPtr> support;
      for (size_t k = 0; k < n; ++k) {
        support[model.equations[k].state] =
            Add(x[k], Mul(g_at(k, noise, current, 0), dw[noise]));
      }
      for (size_t k = 0; k < n; ++k) {
        const ExprPtr g0 = g_at(k, noise, current, 0);
        if (IsConst(g0, 0) && IsConst(g_at(k, noise, support, 1.0), 0))
          continue;
        const ExprPtr g_support = g_at(k, noise, support, 1.0);
        update.new_values[k] =
            Add(update.new_values[k],
                Mul(Mul(Const(0.5), dw[noise]), Add(g0, g_support)));
      }
    }
    return update;
  }
  if (method == "milstein") {
    // x_support = x + dt*f(x,t) + dt**.5*g(x,t); g_support = g(x_support,t);
    // k = 1/(2*dt**.5)*(g_support - g(x,t))*(dW**2);
    // x_new = x + dt*f(x,t) + g(x,t)*dW + k
    const ExprPtr sqrt_dt = Binary(Op::kPow, dt, Const(0.5));
    for (size_t k = 0; k < n; ++k) {
      const ExprPtr drift = Mul(dt, f_at(k, current, 0));
      ExprPtr next = Add(x[k], drift);
      for (const auto& [noise, g] : (*split)[k].g) {
        const ExprPtr g0 = g_at(k, noise, current, 0);
        std::map<int, ExprPtr> support;
        support[model.equations[k].state] =
            Add(Add(x[k], drift), Mul(sqrt_dt, g0));
        const ExprPtr g_support = g_at(k, noise, support, 0);
        const ExprPtr correction =
            Mul(Mul(Div(Const(1), Mul(Const(2), sqrt_dt)), Sub(g_support, g0)),
                Binary(Op::kPow, dw[noise], Const(2)));
        next = Add(Add(next, Mul(g0, dw[noise])), correction);
      }
      update.new_values.push_back(next);
    }
    return update;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown integration method '", method, "'"));
}

SensitivitySystem BuildSensitivitySystem(Model& model) {
  SensitivitySystem system;
  const size_t n = model.equations.size();
  std::vector<ExprPtr> f(n);
  for (size_t k = 0; k < n; ++k) f[k] = model.InlinedRhs(static_cast<int>(k));
  for (int parameter : model.parameters) {
    std::vector<int> names;
    for (size_t k = 0; k < n; ++k) {
      Symbol s;
      s.name = absl::StrCat("S_", model.NameOf(model.equations[k].state), "_",
                            model.NameOf(parameter));
      s.kind = SymbolKind::kState;
      s.dimension = model.symbol(model.equations[k].state).dimension /
                    model.symbol(parameter).dimension;
      names.push_back(model.AddSymbol(s));
    }
    std::vector<ExprPtr> rhs;
    for (size_t i = 0; i < n; ++i) {
      ExprPtr sum = Differentiate(f[i], parameter);
      for (size_t j = 0; j < n; ++j) {
        const ExprPtr jacobian = Differentiate(f[i], model.equations[j].state);
        sum = Add(sum, Mul(jacobian, Sym(names[j])));
      }
      rhs.push_back(sum);
    }
    system.sensitivity.push_back(std::move(names));
    system.rhs.push_back(std::move(rhs));
  }
  return system;
}

}  // namespace cellfit::model
