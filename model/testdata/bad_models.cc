// Bad models: each must be rejected with a diagnostic at a given field and
// position whose message contains a given phrase. Where Brian2 rejects the
// same model, `brian2_phrase` is a phrase both messages contain (checked
// against Brian2 by tests/model_brian2).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/testdata/models.h"

namespace cellfit::model::testdata {
namespace {

// Builds one bad model fluently.
class Case {
 public:
  Case(std::string name, std::string equations) {
    model_.name = std::move(name);
    model_.spec.equations = std::move(equations);
  }
  Case& Threshold(std::string text) {
    model_.spec.threshold = std::move(text);
    return *this;
  }
  Case& Reset(std::string text) {
    model_.spec.reset = std::move(text);
    return *this;
  }
  Case& Refractory(std::string text) {
    model_.spec.refractory = std::move(text);
    return *this;
  }
  Case& Method(std::string name) {
    model_.spec.method = std::move(name);
    return *this;
  }
  Case& Init(std::string name, std::string text) {
    model_.spec.param_init.push_back({std::move(name), std::move(text)});
    return *this;
  }
  Case& Constant(std::string name, std::string text) {
    model_.spec.namespace_entries.push_back(
        {std::move(name), std::move(text), std::nullopt});
    return *this;
  }
  Case& Input(std::string name, Dimension dimension) {
    model_.spec.inputs.push_back({std::move(name), dimension});
    return *this;
  }
  Case& Output(std::string name) {
    model_.spec.outputs.push_back(std::move(name));
    return *this;
  }
  Case& Penalty(std::string name) {
    model_.spec.penalty = std::move(name);
    return *this;
  }
  Case& Expect(std::string field, int line, int column, std::string message) {
    model_.field = std::move(field);
    model_.line = line;
    model_.column = column;
    model_.message = std::move(message);
    return *this;
  }
  Case& Brian2(std::string phrase) {
    model_.brian2_phrase = std::move(phrase);
    return *this;
  }
  const BadModel& model() const { return model_; }

 private:
  BadModel model_;
};

const Dimension kVolt = Dimension::Of(2, 1, -3, -1);
const Dimension kAmp = Dimension::Of(0, 0, 0, 1);

// A valid first line most cases build on.
constexpr char kLeak[] = "dv/dt = -v/(10*ms) : volt";

std::string Repeat(std::string_view text, int times) {
  std::string out;
  out.reserve(text.size() * times);
  for (int k = 0; k < times; ++k) out.append(text);
  return out;
}

std::vector<BadModel> BuildBadModels() {
  std::vector<Case> cases;
  auto add = [&](Case c) { cases.push_back(std::move(c)); };
  const std::string leak = kLeak;

  // ---- names and units ----
  add(Case("unknown_name", "dv/dt = -v/tau : volt")
          .Expect("model", 1, 12, "The identifier 'tau' could not be resolved")
          .Brian2("could not be resolved"));
  add(Case("unknown_name_on_third_line",
           leak + "\ndw/dt = -w/(10*ms) : 1\nx = w*gain : 1")
          .Expect("model", 3, 7, "The identifier 'gain' could not be resolved")
          .Brian2("could not be resolved"));
  add(Case("unknown_unit_in_expression", "dv/dt = -v/(10*msec) : volt")
          .Expect("model", 1, 16, "The identifier 'msec' could not be resolved")
          .Brian2("could not be resolved"));
  add(Case("unknown_unit_specification", "dv/dt = -v/(10*ms) : foo")
          .Expect("model", 1, 22,
                  "Unit specification refers to 'foo', but this is not a base "
                  "unit")
          .Brian2("Unit specification refers to 'foo', but this is not a "
                  "base unit"));
  add(Case("scaled_unit_specification", "dv/dt = -v/(10*ms) : mV")
          .Expect("model", 1, 22,
                  "Unit specification refers to 'mV', but this is not a base "
                  "unit. Use 'volt' instead.")
          .Brian2("but this is not a base unit. Use 'volt' instead."));
  add(Case("power_form_unit_specification", leak + "\narea : metre2 (constant)")
          .Expect("model", 2, 8,
                  "Unit specification refers to 'metre2', but this is not a "
                  "base unit. Use 'metre**2' instead.")
          .Brian2("Unit specification refers to 'metre2', but this is not a "
                  "base unit"));
  add(Case("quantity_as_unit_specification", "dv/dt = -v/(10*ms) : 2*volt")
          .Expect("model", 1, 22,
                  "'2*volt' does not evaluate to a unit but to a quantity")
          .Brian2("does not evaluate to a unit but to a quantity"));
  add(Case("one_times_unit_specification", "dv/dt = -v/(10*ms) : 1*volt")
          .Expect("model", 1, 22,
                  "'1*volt' does not evaluate to a unit but to a quantity")
          .Brian2("does not evaluate to a unit but to a quantity"));
  add(Case("unknown_unit_in_compound_specification",
           leak + "\ng : siemens/metre**2/foo (constant)")
          .Expect("model", 2, 22, "Unit specification refers to 'foo'")
          .Brian2("Unit specification refers to 'foo'"));
  add(Case("name_as_unit_exponent", leak + "\ng : siemens*metre**k")
          .Expect("model", 2, 20,
                  "the exponent of a unit must be a number, not 'k'"));
  add(Case("function_used_as_value", leak + "\nx = exp : 1")
          .Expect("model", 2, 5,
                  "'exp' was used like a variable/constant, but it is a "
                  "function.")
          .Brian2("was used like a variable/constant, but it is a "
                  "function."));
  add(Case("unknown_function", "dv/dt = foo(v)/(10*ms) : volt")
          .Expect("model", 1, 9, "Unknown function 'foo'."));
  add(Case("wrong_number_of_arguments", "dv/dt = exp(v, v)/(10*ms) : 1")
          .Expect("model", 1, 9,
                  "Function 'exp' was called with 2 parameters, "
                  "needs 1."));
  add(Case("timestep_with_one_argument", leak + "\nk = timestep(t) : 1")
          .Expect("model", 2, 5,
                  "Function 'timestep' was called with 1 parameters, needs 2.")
          .Brian2("Function 'timestep' was called with 1 parameters, "
                  "needs 2."));
  add(Case("unsupported_poisson", leak + "\nk = poisson(1) : 1")
          .Expect("model", 2, 5, "Function 'poisson' is not supported"));

  // ---- dimensions ----
  add(Case("sum_of_volt_and_amp", "dv/dt = (-v + 1*mV + 2*mA)/(10*ms) : volt")
          .Expect("model", 1, 20,
                  "Inconsistent units in differential equation defining "
                  "variable 'v': Expression '(-v + (1*mV)) + (2*mA)' uses "
                  "inconsistent units ('(-v + (1*mV))' has unit V; '(2*mA)' "
                  "has unit A).")
          .Brian2("uses inconsistent units"));
  add(Case("difference_with_dimensionless", leak + "\nv2 = v - 1 : volt")
          .Expect("model", 2, 8,
                  "Expression 'v - 1' uses inconsistent units ('v' has unit "
                  "V; '1' has unit 1)")
          .Brian2("uses inconsistent units ('v' has unit V; '1' has unit 1)"));
  add(Case("modulo_with_mismatched_units", leak + "\nx = v % 1 : volt")
          .Expect("model", 2, 7, "Expression 'v % 1' uses inconsistent units")
          .Brian2("uses inconsistent units"));
  add(Case("mismatch_inside_continued_expression",
           leak + "\ndw/dt = (w +\n    v\n    )/(10*ms) : 1")
          .Expect("model", 2, 12, "'w' has unit 1; 'v' has unit V")
          .Brian2("uses inconsistent units"));
  add(Case("wrong_derivative_unit", "dv/dt = -v : volt")
          .Expect("model", 1, 9,
                  "Inconsistent units in differential equation defining "
                  "variable 'v': Expression '-v' has unit V, expected V/s.")
          .Brian2("Inconsistent units in differential equation defining "
                  "variable 'v'"));
  add(Case("wrong_derivative_unit_on_continued_line",
           leak + "\ndw/dt = (v -\n   v) : volt")
          .Expect("model", 2, 9,
                  "Inconsistent units in differential equation defining "
                  "variable 'w'")
          .Brian2("Inconsistent units in differential equation defining "
                  "variable 'w'"));
  add(Case("wrong_subexpression_unit", leak + "\nI = v/(10*ms) : amp")
          .Expect("model", 2, 5,
                  "Inconsistent units in subexpression I: Expression "
                  "'(v/(10*ms))' has unit V/s, but the declared unit is A.")
          .Brian2("Inconsistent units in subexpression I"));
  add(Case("exponent_with_units", "dv/dt = -v**(1*mV)/(10*ms) : volt")
          .Expect("model", 1, 13,
                  "The exponent '(1*mV)' must be dimensionless, but it has "
                  "unit V."));
  add(Case("variable_exponent_of_quantity",
           leak + "\ndw/dt = -w/(10*ms) : 1\nx = v**w : volt")
          .Expect("model", 3, 8,
                  "The exponent 'w' of a quantity with units (V) must be a "
                  "constant number."));
  add(Case("exp_of_voltage", leak + "\nx = exp(v) : 1")
          .Expect("model", 2, 9,
                  "Inconsistent units in subexpression x: Argument number 1 "
                  "for function exp does not have the correct units. "
                  "Expression 'v' has units (V), but should be (1).")
          .Brian2("Argument number 1 for function exp does not have the "
                  "correct units"));
  add(Case("sin_of_voltage", "dv/dt = sin(v)/(10*ms) : volt")
          .Expect("model", 1, 13,
                  "Argument number 1 for function sin does not have the "
                  "correct units")
          .Brian2("Argument number 1 for function sin does not have the "
                  "correct units"));
  add(Case("log_of_time_in_threshold", leak)
          .Threshold("log(t) > 0")
          .Expect("threshold", 1, 5,
                  "Argument number 1 for function log does not have the "
                  "correct units")
          .Brian2("Argument number 1 for function log does not have the "
                  "correct units"));
  add(Case("int_of_voltage", leak + "\nk = int(v) : 1")
          .Expect("model", 2, 9,
                  "Argument number 1 for function int does not have the "
                  "correct units")
          .Brian2("Argument number 1 for function int does not have the "
                  "correct units"));
  add(Case("clip_bounds_without_units", "dv/dt = clip(v, 0, 1)/(10*ms) : volt")
          .Expect(
              "model", 1, 17,
              "Argument number 2 for function clip was supposed to have the "
              "same units as argument number 1")
          .Brian2("Argument number 2 for function clip was supposed to have "
                  "the same units as argument number 1"));
  add(Case("floor_division_with_units", leak + "\nk = v // (1*mV) : 1")
          .Expect("model", 2, 7,
                  "Floor division can only be used on dimensionless values.")
          .Brian2("Floor division can only be used on dimensionless values."));

  // ---- threshold, reset, refractory ----
  add(Case("threshold_not_boolean", leak)
          .Threshold("v + 1*mV")
          .Expect("threshold", 1, 1,
                  "Threshold condition '(v + (1*mV))' is not a boolean "
                  "expression")
          .Brian2("is not a boolean expression"));
  add(Case("threshold_compares_volt_with_number", leak)
          .Threshold("v > 1")
          .Expect("threshold", 1, 3,
                  "Comparison of expressions with different units. Expression "
                  "'v' has unit (V), while expression '1' has units (1).")
          .Brian2("Comparison of expressions with different units"));
  add(Case("threshold_and_with_non_boolean", leak)
          .Threshold("v > 0*mV and v")
          .Expect("threshold", 1, 14,
                  "'and' needs boolean operands, but 'v' is not a boolean "
                  "expression."));
  add(Case("threshold_chained_comparison", leak)
          .Threshold("0*mV < v < 1*mV")
          .Expect("threshold", 1, 10, "chained comparisons"));
  add(Case("threshold_assignment", leak)
          .Threshold("v = 1*mV")
          .Expect("threshold", 1, 3,
                  "unexpected '=' after the end of the "
                  "expression"));
  add(Case("threshold_unbalanced", leak)
          .Threshold("(v > 1*mV")
          .Expect("threshold", 1, 10,
                  "expected ')' to close the '(' at line 1, column 1, found "
                  "end of text"));
  add(Case("noise_in_threshold", leak)
          .Threshold("v > xi*mV")
          .Expect("threshold", 1, 5,
                  "the noise term 'xi' can only be used in differential "
                  "equations"));
  add(Case("reset_of_undefined_variable", leak)
          .Threshold("v > 10*mV")
          .Reset("x = 0*mV")
          .Expect("reset", 1, 1,
                  "The reset assigns to 'x', which is not a variable of the "
                  "model."));
  add(Case("reset_of_constant_parameter", leak + "\nx : volt (constant)")
          .Threshold("v > 10*mV")
          .Reset("v = 0*mV\nx = 0*mV")
          .Expect("reset", 2, 1,
                  "The reset assigns to 'x', which is a constant parameter."));
  add(Case("reset_of_subexpression", leak + "\nI = v/ohm : amp")
          .Threshold("v > 10*mV")
          .Reset("I = 0*amp")
          .Expect("reset", 1, 1,
                  "The reset assigns to 'I', which is read-only"));
  add(Case("reset_of_time", leak)
          .Threshold("v > 10*mV")
          .Reset("t = 0*ms")
          .Expect("reset", 1, 1,
                  "The reset assigns to 't', which is "
                  "read-only"));
  add(Case("reset_with_wrong_unit", leak)
          .Threshold("v > 10*mV")
          .Reset("v = 1")
          .Expect("reset", 1, 5,
                  "The right-hand side of 'v = 1' does not have the expected "
                  "unit V (unit is 1).")
          .Brian2("does not have the expected unit"));
  add(Case("reset_multiplies_by_voltage", leak)
          .Threshold("v > 10*mV")
          .Reset("v *= 2*mV")
          .Expect("reset", 1, 6, "'*=' needs a dimensionless value.")
          .Brian2("does not have the expected unit"));
  add(Case("reset_second_statement_undefined", leak)
          .Threshold("v > 10*mV")
          .Reset("v = 0*mV; w += 1*mV")
          .Expect("reset", 1, 11,
                  "The reset assigns to 'w', which is not a variable of the "
                  "model."));
  add(Case("reset_comparison_instead_of_assignment", leak)
          .Threshold("v > 10*mV")
          .Reset("v == 0*mV")
          .Expect("reset", 1, 3,
                  "expected '=', '+=', '-=', '*=' or '/=' after 'v', found "
                  "'=='"));
  add(Case("reset_without_threshold", leak)
          .Reset("v = 0*mV")
          .Expect("reset", 0, 0, "a reset needs a threshold condition"));
  add(Case("refractory_with_voltage_unit", leak)
          .Threshold("v > 10*mV")
          .Refractory("5*mV")
          .Expect("refractory", 1, 1,
                  "Refractory expression has to evaluate to a timespan or a "
                  "boolean value")
          .Brian2("Refractory expression has to evaluate to a timespan or a "
                  "boolean value"));
  add(Case("refractory_dimensionless_number", leak)
          .Threshold("v > 10*mV")
          .Refractory("5")
          .Expect("refractory", 1, 1,
                  "Refractory expression is dimensionless but not a boolean "
                  "value.")
          .Brian2("Refractory expression is dimensionless but not a boolean "
                  "value."));
  add(Case("refractory_unknown_name", leak)
          .Threshold("v > 10*mV")
          .Refractory("tau_ref")
          .Expect("refractory", 1, 1,
                  "The identifier 'tau_ref' could not be resolved")
          .Brian2("could not be resolved"));
  add(Case("refractory_without_threshold", leak)
          .Refractory("2*ms")
          .Expect("refractory", 0, 0, "a refractory period needs a threshold"));
  add(Case("unless_refractory_without_refractory",
           "dv/dt = -v/(10*ms) : volt (unless refractory)")
          .Threshold("v > 10*mV")
          .Expect("model", 1, 28,
                  "uses the flag 'unless refractory', but no refractory period "
                  "was given."));
  add(Case("lastspike_without_refractory",
           "dv/dt = (t - lastspike)/ms*mV/ms : volt")
          .Expect("model", 1, 14,
                  "'lastspike' is only defined when the model has a refractory "
                  "period")
          .Brian2("could not be resolved"));

  // ---- equations: structure, flags, names ----
  add(Case("redefinition", leak + "\nv : volt")
          .Expect("model", 2, 1, "Duplicate definition of variable 'v'")
          .Brian2("Duplicate definition of variable 'v'"));
  add(Case("redefinition_as_subexpression",
           leak + "\ndw/dt = -w/(10*ms) : 1\nw = 2 : 1")
          .Expect("model", 3, 1, "Duplicate definition of variable 'w'")
          .Brian2("Duplicate definition of variable 'w'"));
  add(Case("unknown_flag", "dv/dt = -v/(10*ms) : volt (foo)")
          .Expect("model", 1, 28,
                  "Equations of type 'differential equation' cannot have a "
                  "flag 'foo'")
          .Brian2("Equations of type 'differential equation' cannot have a "
                  "flag 'foo'"));
  add(Case("second_flag_unknown", leak + "\ng : siemens (constant, fixed)")
          .Expect("model", 2, 24,
                  "Equations of type 'parameter' cannot have a flag 'fixed'")
          .Brian2("Equations of type 'parameter' cannot have a flag 'fixed'"));
  add(Case("constant_flag_on_subexpression", leak + "\nx = v : volt (constant)")
          .Expect("model", 2, 15,
                  "Equations of type 'subexpression' cannot have")
          .Brian2("Equations of type 'subexpression' cannot have"));
  add(Case("shared_flag_unsupported",
           leak + "\nI_inj = int(t >= 5*ms)*nA : amp (shared)")
          .Expect("model", 2, 34,
                  "The flag 'shared' of 'I_inj' is not supported by cellfit"));
  add(Case("constant_over_dt_flag",
           "dv/dt = (s - v)/(10*ms) : volt\ns = -70*mV : volt "
           "(constant over dt)")
          .Expect("model", 2, 20,
                  "with the methods 'euler' and 'exponential_euler' that is "
                  "once per step, so the traces are the same"));
  add(Case("boolean_differential_equation", "dv/dt = -v/(10*ms) : boolean")
          .Expect("model", 1, 22,
                  "Differential equations can only define floating point "
                  "variables")
          .Brian2("Differential equations can only define floating point "
                  "variables"));
  add(Case("boolean_subexpression_not_boolean", leak + "\nb = v : boolean")
          .Expect("model", 2, 5,
                  "The subexpression 'b' is declared boolean, but 'v' is not a "
                  "boolean expression"));
  add(Case("integer_parameter", leak + "\nn : integer")
          .Expect("model", 2, 5, "is fitted and must be a real number"));
  add(Case("noise_in_subexpression", leak + "\nx = xi*sqrt(ms) : 1")
          .Expect("model", 2, 5,
                  "The equation defining 'x' contains the symbol 'xi' but is "
                  "not a differential equation.")
          .Brian2("The equation defining 'x' contains the symbol 'xi' but is "
                  "not a differential equation."));
  add(Case("reserved_name_t", leak + "\nt : second")
          .Expect("model", 2, 1,
                  "'t' has a special meaning in equations and cannot be used "
                  "as a variable name.")
          .Brian2("'t' has a special meaning in equations and cannot be used "
                  "as a variable name."));
  add(Case("unit_name_as_variable", leak + "\nmV : volt")
          .Expect("model", 2, 1,
                  "'mV' is the name of a unit, cannot be used as a variable "
                  "name.")
          .Brian2("'mV' is the name of a unit, cannot be used as a variable "
                  "name."));
  add(Case("function_name_as_variable", leak + "\nexp : volt")
          .Expect("model", 2, 1,
                  "'exp' is the name of a function, cannot be used as a "
                  "variable name.")
          .Brian2("'exp' is the name of a function, cannot be used as a "
                  "variable name."));
  add(Case("keyword_as_variable", leak + "\nlambda : 1")
          .Expect("model", 2, 1,
                  "'lambda' is a Python keyword and cannot be used as a "
                  "variable.")
          .Brian2("'lambda' is a Python keyword and cannot be used as a "
                  "variable."));
  add(Case("underscore_variable", leak + "\n_x : 1")
          .Expect("model", 2, 1,
                  "Variable '_x' starts with an underscore, this is only "
                  "allowed for variables used internally")
          .Brian2("Variable '_x' starts with an underscore, this is only "
                  "allowed for variables used internally"));
  add(Case("cyclic_subexpressions",
           "dv/dt = -v/(10*ms) + a/ms : 1\na = b : 1\nb = a : 1")
          .Expect("model", 2, 1,
                  "Cannot resolve dependencies between static equations, "
                  "dependencies contain a cycle: a -> b -> a")
          .Brian2("Cannot resolve dependencies between static equations, "
                  "dependencies contain a cycle"));
  add(Case("self_referencing_subexpression",
           "dv/dt = (a - v)/(10*ms) : 1\na = 2*a : 1")
          .Expect("model", 2, 1, "dependencies contain a cycle: a -> a")
          .Brian2("dependencies contain a cycle"));

  // ---- syntax ----
  add(Case("empty_model", "")
          .Expect("model", 0, 0, "the model has no equations"));
  add(Case("blank_model", "  \n\t\n   ")
          .Expect("model", 0, 0, "the model has no equations"));
  add(Case("comment_only_model", "# dv/dt = -v/tau : volt\n")
          .Expect("model", 0, 0, "the model has no equations"));
  add(Case("unbalanced_open_parenthesis", "dv/dt = -v/(10*ms : volt")
          .Expect("model", 1, 19,
                  "expected ')' to close the '(' at line 1, column 12, found "
                  "':'"));
  add(Case("unbalanced_close_parenthesis", "dv/dt = -v/(10*ms)) : volt")
          .Expect("model", 1, 19, "unbalanced ')': no '(' to close"));
  add(Case("unbalanced_close_in_reset", leak)
          .Threshold("v > 10*mV")
          .Reset("v = 0*mV)")
          .Expect("reset", 1, 9, "unbalanced ')': no '(' to close"));
  add(Case("unbalanced_on_later_line",
           leak + "\ndw/dt = ((1 - w)/(10*ms) : 1\nx : 1")
          .Expect("model", 2, 26,
                  "expected ')' to close the '(' at line 2, column 9, found "
                  "':'"));
  add(Case("missing_unit", "dv/dt = -v/(10*ms)")
          .Expect("model", 1, 19,
                  "expected ':' and a unit after the expression for 'v', found "
                  "end of text"));
  add(Case("missing_unit_after_colon", "dv/dt = -v/(10*ms) :\nx : 1")
          .Expect("model", 1, 21, "missing unit for 'v'"));
  add(Case("missing_expression", "dv/dt = : volt")
          .Expect("model", 1, 9, "missing expression for 'v'"));
  add(Case("derivative_with_respect_to_s", "dv/ds = -v/(10*ms) : volt")
          .Expect("model", 1, 4, "expected 'dt' in the derivative 'dv/dt'"));
  add(Case("garbage_line", leak + "\nhello world")
          .Expect("model", 2, 7, "expected '=' or ':' after 'hello'"));
  add(Case("number_runs_into_name", "dv/dt = -v/(10ms) : volt")
          .Expect("model", 1, 13,
                  "malformed number '10ms': a number cannot run into a name "
                  "(write '10*ms')"));
  add(Case("exponent_without_digits", "dv/dt = -v/(1e*ms) : volt")
          .Expect("model", 1, 13,
                  "malformed number '1e': expected digits after the "
                  "exponent"));
  add(Case("square_brackets", "dv/dt = -v[0]/(10*ms) : volt")
          .Expect("model", 1, 11, "unexpected character '['"));
  add(Case("exclamation_mark", leak)
          .Threshold("!(v > 1*mV)")
          .Expect("threshold", 1, 1,
                  "unexpected character '!' (write 'not' for logical "
                  "negation)"));
  add(Case("keyword_in_expression", "dv/dt = -v/(10*ms) if v else 0 : volt")
          .Expect("model", 1, 20,
                  "expected ':' and a unit after the expression for 'v', "
                  "found name 'if'"));
  add(Case("trailing_tokens_after_unit", "dv/dt = -v/(10*ms) : volt volt")
          .Expect("model", 1, 27,
                  "unexpected name 'volt' after the unit of 'v'"));

  // ---- limits and garbage ----
  {
    std::string long_line = "dv/dt = -v/(10*ms)";
    while (long_line.size() < 4100) long_line += " + 0*v/(10*ms)";
    add(Case("line_over_limit", leak + "\n" + long_line + " : volt")
            .Expect("model", 2, 4001, "line is longer than 4000 characters"));
  }
  add(Case("text_over_limit",
           leak + "\n" + Repeat("# a comment that goes on and on\n", 40000))
          .Expect("model", 1, 1,
                  "bytes long; at most 1048576 bytes are "
                  "accepted"));
  add(Case("identifier_over_limit",
           leak + "\n" + std::string(201, 'g') + " : siemens")
          .Expect("model", 2, 1, "identifier is longer than 200 characters"));
  add(Case("parentheses_nested_100000_deep",
           "dv/dt = " + std::string(100000, '(') + "-v" +
               std::string(100000, ')') + "/(10*ms) : volt")
          .Expect("model", 1, 209, "expression is nested too deeply"));
  add(Case("minus_chain_of_100000_terms",
           "dv/dt = (v" + Repeat("-v", 100000) + ")/(10*ms) : volt")
          .Expect("model", 1, 409, "expression is nested too deeply"));
  add(Case("unary_minus_100000_deep",
           "dv/dt = " + std::string(100000, '-') + "v/(10*ms) : volt")
          .Expect("model", 1, 208, "expression is nested too deeply"));
  add(Case("power_tower_100000_high",
           "dv/dt = v" + Repeat("**v", 100000) + " : 1")
          .Expect("model", 1, 607, "expression is nested too deeply"));
  add(Case("not_100000_deep", leak)
          .Threshold(Repeat("not ", 100000) + "v > 1*mV")
          .Expect("threshold", 1, 797, "expression is nested too deeply"));
  add(Case("calls_nested_100000_deep", "dv/dt = " + Repeat("abs(", 100000) +
                                           "v" + std::string(100000, ')') +
                                           "/(10*ms) : volt")
          .Expect("model", 1, 809, "expression is nested too deeply"));
  add(Case("unit_parentheses_100000_deep",
           "dv/dt = -v/(10*ms) : " + std::string(100000, '(') + "volt" +
               std::string(100000, ')'))
          .Expect("model", 1, 222, "expression is nested too deeply"));
  add(Case("deep_reset", leak)
          .Threshold("v > 10*mV")
          .Reset("v = 0*mV\nv = " + Repeat("abs(", 100000) + "v" +
                 std::string(100000, ')'))
          .Expect("reset", 2, 805, "expression is nested too deeply"));
  add(Case("deep_initial_value", leak)
          .Init("v",
                std::string(100000, '(') + "0*mV" + std::string(100000, ')'))
          .Expect("param_init.v", 1, 201, "expression is nested too deeply"));
  add(Case("deep_namespace_constant", "dv/dt = (E - v)/(10*ms) : volt")
          .Constant("E", Repeat("-", 100000) + "1*mV")
          .Expect("namespace.E", 1, 200, "expression is nested too deeply"));
  {
    // a1 = a0*a0, a2 = a1*a1, ...: 2**40 operations once written out.
    std::string doubling = "dv/dt = -a40/ms : 1\na0 = v : 1\n";
    for (int k = 1; k <= 40; ++k) {
      doubling += absl::StrCat("a", k, " = a", k - 1, "*a", k - 1, " : 1\n");
    }
    add(Case("subexpressions_growing_exponentially", doubling)
            .Expect("model", 1, 1,
                    "The differential equation for 'v' is too large once its "
                    "subexpressions are substituted (more than 10000000 "
                    "operations)"));
    // a1 = a0 + 1, a2 = a1 + 1, ...: each fine, together 1500 levels deep.
    std::string chain = "dv/dt = -a1500/ms : 1\na0 = v : 1\n";
    for (int k = 1; k <= 1500; ++k) {
      chain += absl::StrCat("a", k, " = a", k - 1, " + 1 : 1\n");
    }
    add(Case("subexpression_chain_too_deep", chain)
            .Expect("model", 1, 1,
                    "The differential equation for 'v' is nested too deeply "
                    "once its subexpressions are substituted (more than 1000 "
                    "levels)"));
  }
  add(Case("too_many_equations", Repeat("x : 1\n", 2001))
          .Expect("model", 2001, 1, "more than 2000 equations"));
  add(Case("non_ascii_letter", "dv/dt = -v\xc3\xa9/(10*ms) : volt")
          .Expect("model", 1, 11,
                  "non-ASCII character U+00E9 is not allowed in model text"));
  add(Case("non_ascii_operator", "dv/dt = -v\xe2\x88\x95(10*ms) : volt")
          .Expect("model", 1, 11, "non-ASCII character U+2215"));
  add(Case("invalid_utf8_byte", leak + "\nx = 1\xff : 1")
          .Expect("model", 2, 6, "byte 0xFF is not valid UTF-8"));
  add(Case("nul_byte", std::string("dv/dt = -v/(10*ms) : vo\0lt", 26))
          .Expect("model", 1, 24, "unexpected control character 0x00"));
  add(Case("control_character", leak)
          .Threshold("v >\x01 1*mV")
          .Expect("threshold", 1, 4, "unexpected control character 0x01"));
  add(Case("binary_garbage", std::string("\x7f\x45\x4c\x46\x02\x01\x01", 7))
          .Expect("model", 1, 1, "unexpected control character 0x7F"));

  // ---- param_init ----
  add(Case("param_init_of_unknown_variable", leak)
          .Init("x", "1")
          .Expect("param_init.x", 0, 0,
                  "x is not a model variable or a parameter in the model"));
  add(Case("param_init_with_wrong_unit", leak)
          .Init("v", "5")
          .Expect("param_init.v", 1, 1,
                  "The initial value '5' of 'v' has unit 1, but 'v' has unit "
                  "V."));
  add(Case("param_init_syntax_error", leak)
          .Init("v", "-65*")
          .Expect("param_init.v", 1, 5,
                  "expected a number, a name or '(', found end of text"));
  add(Case("param_init_unknown_name", leak)
          .Init("v", "E_rest")
          .Expect("param_init.v", 1, 1,
                  "The identifier 'E_rest' could not be resolved"));
  add(Case("param_init_reads_input", "dv/dt = (R*I - v)/(10*ms) : volt")
          .Constant("R", "100*Mohm")
          .Input("I", kAmp)
          .Init("v", "R*I")
          .Expect("param_init.v", 1, 3,
                  "the initial value of 'v' refers to 'I', but input and "
                  "target traces have no value before the first time step"));
  add(Case("param_init_reads_input_through_subexpression",
           "dv/dt = (vI - v)/(10*ms) : volt\nvI = 100*Mohm*I : volt")
          .Input("I", kAmp)
          .Init("v", "vI")
          .Expect("param_init.v", 1, 1,
                  "refers to 'vI', which depends on 'I'"));
  add(Case("param_init_twice", leak)
          .Init("v", "1*mV")
          .Init("v", "2*mV")
          .Expect("param_init.v", 0, 0, "'v' is initialised twice"));

  // ---- integration methods ----
  add(Case("unknown_method", leak)
          .Method("runge_kutta")
          .Expect("method", 0, 0,
                  "No state updater with the name "
                  "'runge_kutta' found")
          .Brian2("No state updater with the name"));
  // Brian2 accepts it (with 'exact'); cellfit asks for a method rather
  // than integrate it otherwise without a word.
  add(Case("coupled_linear_without_method",
           "dv/dt = (w - v)/(10*ms) : volt\ndw/dt = -w/(5*ms) : volt")
          .Expect("method", 0, 0,
                  "Brian2 integrates these equations with its default "
                  "method 'exact'"));
  add(Case("exact_on_nonlinear", "dv/dt = v**2/(10*ms)/volt : volt")
          .Method("exact")
          .Expect("method", 0, 0,
                  "could not be separated into linear components")
          .Brian2("could not be separated into linear components"));
  add(Case("exact_on_time_dependent",
           "dv/dt = -v/(10*ms) + sin(t/ms)*mV/ms : volt")
          .Method("exact")
          .Expect("method", 0, 0,
                  "is not guaranteed to be constant over a time step")
          .Brian2("is not guaranteed to be constant over a time step"));
  add(Case("exact_on_stochastic", "dv/dt = -v/(10*ms) + xi*mV/sqrt(ms) : volt")
          .Method("exact")
          .Expect("method", 0, 0,
                  "Cannot solve stochastic equations with this state updater.")
          .Brian2("Cannot solve stochastic equations with this state "
                  "updater."));
  add(Case("exponential_euler_on_v_squared", "dv/dt = v**2/(10*ms)/volt : volt")
          .Method("exponential_euler")
          .Expect("method", 0, 0,
                  "Can only solve conditionally linear systems with this "
                  "state updater.")
          .Brian2("Can only solve conditionally linear systems with this "
                  "state updater."));
  add(Case("exponential_euler_on_exp_only", "dv/dt = exp(v/mV)*mV/ms : volt")
          .Method("exponential_euler")
          .Expect("method", 0, 0,
                  "Can only solve conditionally linear systems with this "
                  "state updater.")
          .Brian2("Can only solve conditionally linear systems with this "
                  "state updater."));
  add(Case("exponential_euler_on_stochastic",
           "dv/dt = -v/(10*ms) + xi*mV/sqrt(ms) : volt")
          .Method("exponential_euler")
          .Expect("method", 0, 0, "Cannot solve stochastic equations")
          .Brian2("Cannot solve stochastic equations"));
  add(Case("euler_on_multiplicative_noise",
           "dv/dt = -v/(10*ms) + v*xi/sqrt(ms) : volt")
          .Method("euler")
          .Expect("method", 0, 0,
                  "Cannot integrate equations with multiplicative noise with "
                  "this state updater")
          .Brian2("Cannot integrate equations with multiplicative noise with "
                  "this state updater"));
  add(Case("rk4_on_stochastic", "dv/dt = -v/(10*ms) + xi*mV/sqrt(ms) : volt")
          .Method("rk4")
          .Expect("method", 0, 0,
                  "Cannot integrate stochastic equations with 'rk4'"));
  add(Case("milstein_on_non_diagonal_noise",
           "dv/dt = -v/(10*ms) + (xi_1 + xi_2)*mV/sqrt(ms) : volt")
          .Method("milstein")
          .Expect("method", 0, 0,
                  "Cannot integrate stochastic equations with non-diagonal "
                  "noise with this state updater.")
          .Brian2("Cannot integrate stochastic equations with non-diagonal "
                  "noise with this state updater."));
  add(Case("noise_not_linear", "dv/dt = -v/(10*ms) + xi**2*mV : volt")
          .Expect("method", 0, 0,
                  "the equation for 'v' is not linear in its noise term "
                  "'xi'"));

  // ---- inputs, outputs, namespace ----
  add(Case("input_defined_in_model",
           "dv/dt = (R*I - v)/(10*ms) : volt\nI : amp\nR : ohm")
          .Input("I", kAmp)
          .Expect("inputs.I", 0, 0,
                  "the input variable 'I' is defined in the model"));
  add(Case("input_named_like_unit", "dv/dt = -v/(10*ms) : volt")
          .Input("mV", kVolt)
          .Expect("inputs.mV", 0, 0, "'mV' is the name of a unit"));
  add(Case("output_not_a_variable", leak)
          .Output("w")
          .Expect("outputs.w", 0, 0,
                  "the output 'w' is not a state variable or subexpression of "
                  "the model"));
  add(Case("spike_output_without_threshold", leak)
          .Output("spikes")
          .Expect("outputs.spikes", 0, 0,
                  "a spike output needs a threshold condition"));
  add(Case("target_name_defined_in_model", leak + "\nv_target : volt")
          .Output("v")
          .Expect("outputs.v", 0, 0,
                  "'v_target' is defined in the model, but the name is "
                  "reserved"));
  add(Case("namespace_constant_with_unknown_unit", "dv/dt = -v/tau : volt")
          .Constant("tau", "10*msec")
          .Expect("namespace.tau", 1, 4,
                  "The identifier 'msec' could not be resolved (it is not a "
                  "unit or a namespace constant)."));
  add(Case("namespace_constant_defined_by_itself", "dv/dt = -v/tau : volt")
          .Constant("tau", "2*tau")
          .Expect("namespace.tau", 0, 0,
                  "namespace constant 'tau' is defined in terms of itself"));
  add(Case("namespace_constant_twice", "dv/dt = -v/tau : volt")
          .Constant("tau", "10*ms")
          .Constant("tau", "20*ms")
          .Expect("namespace.tau", 0, 0,
                  "'tau' is defined twice in the "
                  "namespace"));
  add(Case("namespace_constant_random", "dv/dt = -v/tau : volt")
          .Constant("tau", "rand()*ms")
          .Expect("namespace.tau", 1, 1, "must be a constant"));
  add(Case("penalty_not_a_variable", leak)
          .Penalty("error")
          .Expect("penalty", 0, 0,
                  "the penalty 'error' is not a variable of the model"));

  std::vector<BadModel> models;
  for (const Case& c : cases) models.push_back(c.model());
  return models;
}

}  // namespace

const std::vector<BadModel>& BadModels() {
  static const auto* models = new std::vector<BadModel>(BuildBadModels());
  return *models;
}

}  // namespace cellfit::model::testdata
