#!/usr/bin/python3
"""Brian2's view of model text, for comparison with cellfit's model checker.

Usage:
  brian2_view.py units OUT.json
      Every unit Brian2 defines (brian2.units.allunits, brian2.units.stdunits
      and the default namespace of equations): name -> scale as a hex float
      (bit-exact), dimension exponents, and whether model text can use it.
  brian2_view.py models IN.json OUT.json
      For each model of IN.json (equations, namespace, inputs, outputs,
      threshold, reset, refractory, method, param_init, params): the
      variables of Equations(text) with their type and dimension, the
      integration method a NeuronGroup chooses (or uses), the initial values
      after param_init and after one time step (inputs 0), whether that step
      spiked, and Brian2's error if it rejects the model.
  brian2_view.py errors IN.json OUT.json
      For each model of IN.json, Brian2's error message (all chained causes),
      or null when Brian2 accepts the model.

The NeuronGroup is built as brian2modelfitting builds it: every input and
every fitted output's target is a TimedArray at the simulation's dt, read as
`name = name_array(t, i) : unit`; one time step is run with the numpy target so
that every expression (threshold, reset, refractory) is unit-checked.
"""
import json
import logging
import sys
import warnings

warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402

import brian2  # noqa: E402
from brian2 import (NeuronGroup, Network, TimedArray, Equations,  # noqa: E402
                    SpikeMonitor, defaultclock, prefs)
from brian2.core.namespace import DEFAULT_UNITS  # noqa: E402
from brian2.stateupdaters.base import (StateUpdateMethod,  # noqa: E402
                                       UnsupportedEquationsException)
from brian2.units.fundamentalunits import Unit, get_dimensions  # noqa: E402
import brian2.units.allunits  # noqa: E402
import brian2.units.stdunits  # noqa: E402

prefs.codegen.target = 'numpy'
brian2.BrianLogger.log_level_error()
logging.getLogger('brian2').setLevel(logging.ERROR)


def dims_of(dim):
    return [float(x) for x in get_dimensions(dim)._dims]


def unit_namespace():
    """Units by name, from every module that defines them."""
    units = {}
    for module in (brian2.units.allunits, brian2.units.stdunits):
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, Unit):
                units[name] = value
    for name, value in DEFAULT_UNITS.items():
        if isinstance(value, Unit):
            units[name] = value
    # A loop variable left in brian2.units.allunits, not a unit name.
    units.pop('unit', None)
    return units


def dump_units(out_path):
    result = {}
    for name, unit in sorted(unit_namespace().items()):
        result[name] = {
            'scale': float(unit).hex(),
            'dims': dims_of(unit.dim),
            'in_model_text': name in DEFAULT_UNITS,
        }
    with open(out_path, 'w') as f:
        json.dump(result, f, indent=0)


def evaluate_namespace(entries):
    """Namespace constants given as text, evaluated with Brian2's units and
    the constants defined before them."""
    scope = dict(unit_namespace())
    scope.update({'pi': np.pi, 'e': np.e, 'inf': np.inf})
    for function in ('sqrt', 'exp', 'log', 'log10', 'abs', 'sin', 'cos',
                     'tan', 'sinh', 'cosh', 'tanh', 'floor', 'ceil'):
        scope[function] = getattr(np, function)
    namespace = {}
    for name, text in entries:
        value = eval(text, {'__builtins__': {}}, dict(scope, **namespace))
        namespace[name] = value
    return namespace


def evaluate(text, namespace):
    """A value given as text, with units and the model's namespace."""
    scope = dict(unit_namespace())
    scope.update(namespace)
    return eval(text, {'__builtins__': {}}, scope)


def error_text(exc):
    """The message of an exception and of every exception that caused it."""
    parts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(f'{type(exc).__name__}: {exc}')
        exc = exc.__cause__ or exc.__context__
    return '\n'.join(parts)


def build_group(case):
    """The NeuronGroup brian2modelfitting would build, and its namespace."""
    namespace = evaluate_namespace(case.get('namespace', []))
    eqs = Equations(case['equations'])
    dt = defaultclock.dt
    extra = []
    for name, unit in case.get('inputs', []):
        array_name = f'cellfit_input_{name}'
        namespace[array_name] = TimedArray(
            np.zeros((4, 1)) * eval(unit, {}, unit_namespace()), dt=dt)
        extra.append(f'{name} = {array_name}(t, 0) : {unit_text(unit)}')
    for output in case.get('outputs', []):
        if output == 'spikes':
            continue
        unit = eqs[output].dim
        array_name = f'cellfit_target_{output}'
        namespace[array_name] = TimedArray(
            np.zeros((4, 1)) * brian2.get_unit(unit), dt=dt)
        extra.append(f'{output}_target = {array_name}(t, 0) : '
                     f'{unit_text(brian2.get_unit(unit))}')
    if extra:
        eqs = eqs + Equations('\n'.join(extra))
    kwargs = {}
    for key in ('threshold', 'reset', 'refractory'):
        text = case.get(key, '')
        if text.strip():
            kwargs[key] = text
    if case.get('method'):
        kwargs['method'] = case['method']
    group = NeuronGroup(1, eqs, namespace=namespace, **kwargs)
    return group, namespace


def unit_text(unit):
    """A base-unit expression Brian2 accepts in a unit specification."""
    if isinstance(unit, str):
        unit = eval(unit, {}, unit_namespace())
    dims = dims_of(get_dimensions(unit))
    names = ['metre', 'kilogram', 'second', 'amp', 'kelvin', 'mole', 'candle']
    parts = []
    for name, exponent in zip(names, dims):
        if exponent == 0:
            continue
        parts.append(name if exponent == 1 else f'{name}**{exponent:g}')
    return '*'.join(parts) if parts else '1'


def chosen_method(group, namespace):
    """The method the group's state updater uses, found as Brian2 finds it."""
    if not group.equations.diff_eq_names:
        return None
    choice = group.state_updater.method_choice
    updater = group.state_updater
    names = group.equations.names
    external = group.equations.identifiers | {'dt'}
    variables = group.resolve_all(names | external, namespace,
                                  user_identifiers=set())
    methods = [choice] if isinstance(choice, str) else list(choice)
    for method in methods:
        try:
            StateUpdateMethod.apply_stateupdater(
                group.equations, variables, method,
                method_options=updater.method_options)
            return method
        except UnsupportedEquationsException:
            continue
    return None


def number(value):
    """A float for JSON: non-finite values as the strings 'nan', 'inf'."""
    value = float(value)
    return value if np.isfinite(value) else repr(value)


def view_model(case):
    result = {'variables': [], 'method': None, 'error': None, 'initial': {},
              'after_step': {}, 'spiked': False}
    try:
        eqs = Equations(case['equations'])
        for name, eq in eqs.items():
            result['variables'].append({
                'name': name,
                'type': eq.type,
                'var_type': eq.var_type,
                'dims': dims_of(eq.dim),
                'flags': list(eq.flags),
            })
        group, namespace = build_group(case)
        for name, text in case.get('params', []):
            setattr(group, name, evaluate(text, namespace))
        for name, text in case.get('param_init', []):
            setattr(group, name, text)
        for name in eqs.diff_eq_names:
            result['initial'][name] = number(
                np.asarray(getattr(group, name + '_')[0]))
        result['method'] = chosen_method(group, namespace)
        spikes = SpikeMonitor(group) if case.get('threshold', '').strip() \
            else None
        network = Network(group, *([spikes] if spikes is not None else []))
        network.run(defaultclock.dt, namespace=namespace)
        result['dt'] = float(defaultclock.dt)
        result['spiked'] = bool(spikes is not None and spikes.num_spikes > 0)
        result['after_step'] = {
            name: number(np.asarray(getattr(group, name + '_')[0]))
            for name in eqs.diff_eq_names}
    except Exception as exc:  # noqa: BLE001 - reported to the C++ test
        result['error'] = error_text(exc)
    return result


def view_errors(case):
    try:
        group, namespace = build_group(case)
        for name, text in case.get('param_init', []):
            setattr(group, name, text)
        if group.equations.diff_eq_names:
            chosen_method(group, namespace)
        Network(group).run(defaultclock.dt, namespace=namespace)
    except Exception as exc:  # noqa: BLE001 - reported to the C++ test
        return error_text(exc)
    return None


def main(argv):
    if len(argv) == 3 and argv[1] == 'units':
        dump_units(argv[2])
        return 0
    if len(argv) == 4 and argv[1] in ('models', 'errors'):
        with open(argv[2]) as f:
            cases = json.load(f)
        view = view_model if argv[1] == 'models' else view_errors
        result = {name: view(case) for name, case in cases.items()}
        with open(argv[3], 'w') as f:
            json.dump(result, f, indent=1)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
