#!/usr/bin/python3
"""Simulates a reference case with Brian2 and writes what it recorded.

usage: /usr/bin/python3 brian2_reference.py CASE.json OUT.json

The case describes a model the way a brian2modelfitting user would give it
(equations, threshold, reset, refractory, method, namespace, param_init, input
traces, parameter sets). The neurons are laid out as brian2modelfitting does:
neuron i = sample * n_traces + trace, input and target traces read through
TimedArrays at the simulation's dt. The output holds the inputs and parameters
in SI (so the C++ side simulates exactly the same numbers), the recorded
traces (StateMonitor, every step) and the spike times.
"""
import json
import os
import sys

import numpy as np

import brian2
from brian2 import (NeuronGroup, StateMonitor, SpikeMonitor, TimedArray,
                    Network, defaultclock, prefs, second, Quantity)
from brian2.units.fundamentalunits import get_dimensions


def evaluate(text, namespace):
    scope = dict(vars(brian2))
    scope.update(namespace)
    return eval(text, {'__builtins__': {}}, scope)  # trusted test input


def load_traces(spec, case_dir, namespace):
    unit = evaluate(spec['unit'], namespace)
    if 'csv' in spec:
        path = os.path.join(case_dir, spec['csv'])
        rows = np.genfromtxt(path, delimiter=',')
        values = rows[1:, 1:]  # header row of step indices; first column index
    else:
        pulse = spec['pulse']
        n_steps = spec['n_steps']
        values = np.zeros((len(pulse['amplitudes']), n_steps))
        for k, amplitude in enumerate(pulse['amplitudes']):
            values[k, pulse['start']:pulse['stop']] = amplitude
    if 'n_steps' in spec:
        values = values[:, :spec['n_steps']]
    return values * unit


def sensitivity_equations(eqs, parameters, namespace, dt):
    """brian2modelfitting's sensitivity system for `eqs` (its
    get_sensitivity_equations, restated): dS_x_p/dt = J S_p + df/dp."""
    import sympy
    from brian2.parsing.sympytools import str_to_sympy, sympy_to_str
    probe = NeuronGroup(1, eqs, namespace=namespace, dt=dt)
    equations = probe.equations
    diff_eqs = equations.get_substituted_expressions(probe.variables)
    names = [name for name, _ in diff_eqs]
    system = sympy.Matrix([str_to_sympy(expr.code) for _, expr in diff_eqs])
    jacobian = system.jacobian([str_to_sympy(name) for name in names])
    lines = []
    for parameter in parameters:
        forcing = system.jacobian([str_to_sympy(parameter)])
        symbols = [str_to_sympy(f'S_{name}_{parameter}') for name in names]
        rhs = jacobian * sympy.Matrix(symbols) + forcing
        for symbol, expr, name in zip(symbols, rhs, names):
            dim = equations[name].dim / probe.variables[parameter].dim
            unit = '1' if dim.is_dimensionless else repr(dim)
            code = sympy_to_str(expr)
            if code == '0':
                code = '0*' + unit + '/second'
            lines.append(f'd{sympy_to_str(symbol)}/dt = {code} : {unit}')
    return '\n'.join(lines)


def main():
    case_path, out_path = sys.argv[1], sys.argv[2]
    with open(case_path) as f:
        case = json.load(f)
    case_dir = os.path.dirname(os.path.abspath(case_path))
    prefs.codegen.target = 'numpy'
    brian2.seed(case.get('seed', 1))

    namespace = {}
    for name, text in case.get('namespace', {}).items():
        namespace[name] = evaluate(text, namespace)
    dt = evaluate(case['dt'], namespace)
    defaultclock.dt = dt

    inputs = {name: load_traces(spec, case_dir, namespace)
              for name, spec in case['inputs'].items()}
    targets = {name: load_traces(spec, case_dir, namespace)
               for name, spec in case.get('targets', {}).items()}
    n_traces, n_steps = next(iter(inputs.values())).shape
    samples = case['params']
    n_samples = len(samples)
    param_names = case['param_names']

    eqs = case['equations']
    group_namespace = dict(namespace)
    group_namespace['n_traces'] = n_traces
    for name, traces in inputs.items():
        dim = get_dimensions(traces)
        unit = '1' if dim.is_dimensionless else repr(dim)
        eqs += f'\n{name} = input_{name}_ta(t, i % n_traces) : {unit}'
        group_namespace[f'input_{name}_ta'] = TimedArray(traces.T, dt=dt)
    for name, traces in targets.items():
        dim = get_dimensions(traces)
        unit = '1' if dim.is_dimensionless else repr(dim)
        eqs += f'\n{name}_target = target_{name}_ta(t, i % n_traces) : {unit}'
        group_namespace[f'target_{name}_ta'] = TimedArray(traces.T, dt=dt)
    eqs += '\niteration : integer (constant, shared)'

    if case.get('sensitivities'):
        eqs += '\n' + sensitivity_equations(eqs, case['param_names'],
                                            group_namespace, dt)

    kwargs = {}
    for key in ('threshold', 'reset', 'refractory', 'method'):
        if case.get(key):
            kwargs[key] = case[key]
    if 'refractory' in kwargs and case.get('refractory_is_quantity'):
        kwargs['refractory'] = evaluate(kwargs['refractory'], namespace)
    group = NeuronGroup(n_samples * n_traces, eqs, namespace=group_namespace,
                        dt=dt, **kwargs)
    group.iteration = case.get('iteration', 0)

    si_params = []
    for sample in samples:
        si_params.append([float(evaluate(sample[name], namespace))
                          for name in param_names])
    si_params = np.array(si_params)
    for k, name in enumerate(param_names):
        values = np.repeat(si_params[:, k], n_traces)
        getattr(group, name + '_')[:] = values
    # As brian2modelfitting's simulators: parameters first, then the initial
    # values (whose expressions may use the parameters).
    for name, text in case.get('param_init', {}).items():
        setattr(group, name, text)

    record = case.get('record', [])
    network = Network(group)
    monitor = None
    if record:
        monitor = StateMonitor(group, record, record=True)
        network.add(monitor)
    spikes = None
    if case.get('spikes'):
        spikes = SpikeMonitor(group)
        network.add(spikes)
    network.run(n_steps * dt, namespace={})

    out = {
        'dt': float(dt),
        'n_steps': int(n_steps),
        'n_traces': int(n_traces),
        'n_samples': n_samples,
        'param_names': param_names,
        'params': si_params.tolist(),
        'inputs': {name: {'dimension': list(get_dimensions(v)._dims),
                          'values': np.asarray(v).tolist()}
                   for name, v in inputs.items()},
        'targets': {name: {'dimension': list(get_dimensions(v)._dims),
                           'values': np.asarray(v).tolist()}
                    for name, v in targets.items()},
        'method': group.state_updater.method_choice
        if isinstance(group.state_updater.method_choice, str) else None,
        'traces': {},
    }
    for name in record:
        out['traces'][name] = np.asarray(getattr(monitor, name + '_')).tolist()
    if spikes is not None:
        trains = spikes.spike_trains()
        out['spikes'] = [np.asarray(trains[k] / second).tolist()
                         for k in range(n_samples * n_traces)]
    with open(out_path, 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
