"""TraceFitter on brian2modelfitting's HH example, against a live server.

The model's constants (El, EK, ENa, VT, area) are this module's globals, found
by the client in the caller's frame as Brian2 finds them.
"""

import numpy as np
import pytest
from brian2 import (Equations, Quantity, amp, cm, get_dimensions, mV, ms, pF,
                    siemens, uF, umetre, volt)

import cellfit
from cellfit._proto import fitting_pb2
from conftest import HH_MODEL

area = 20000 * umetre ** 2
El = -65 * mV
EK = -90 * mV
ENa = 50 * mV
VT = -63 * mV

BOUNDS = dict(gl=[1e-9 * siemens, 1e-7 * siemens],
              g_na=[2e-6 * siemens, 2e-4 * siemens],
              g_kd=[6e-7 * siemens, 6e-5 * siemens],
              Cm=[0.1 * uF * cm ** -2 * area, 2 * uF * cm ** -2 * area])
N_SAMPLES = 20


def make_fitter(connection, hh_data, **kwds):
    inputs, outputs = hh_data
    args = dict(input={'I': inputs * amp}, output={'v': outputs * volt},
                dt=0.01 * ms, n_samples=N_SAMPLES, method='exponential_euler',
                param_init={'v': 'VT'}, server=connection)
    args.update(kwds)
    return cellfit.TraceFitter(HH_MODEL, **args)


def test_hh_fit_decreases_the_error(connection, hh_data, capsys):
    fitter = make_fitter(connection, hh_data)
    assert fitter.parameter_names == ['g_na', 'g_kd', 'gl', 'Cm']
    best_errors = []

    def record(params, errors, best_params, best_error, index):
        assert len(params) == N_SAMPLES and len(errors) == N_SAMPLES
        assert set(params[0]) == set(BOUNDS)
        assert get_dimensions(errors) == get_dimensions(volt ** 2)
        best_errors.append(float(best_error))

    fitter.fit(n_rounds=8, optimizer=cellfit.DEOptimizer(seed=11),
               metric=cellfit.MSEMetric(t_start=5 * ms), callback=record,
               **BOUNDS)
    params, error = fitter.fit(n_rounds=2, callback='text')
    out = capsys.readouterr().out
    assert 'Round 1: Best parameters Cm=' in out
    assert 'Best error:' in out and 'mV^2 (v)' in out
    # The best error never increases and the fit makes progress: from the
    # random first round (hundreds of mV^2) down by a good factor.
    assert all(b <= a for a, b in zip(best_errors, best_errors[1:]))
    assert best_errors[-1] < 0.7 * best_errors[0]
    assert float(error) <= best_errors[-1]
    print(f'HH best error after 1/8/10 rounds: {best_errors[0] / 1e-6:.1f}, '
          f'{best_errors[-1] / 1e-6:.1f}, {float(error) / 1e-6:.1f} mV^2')
    # Units as brian2modelfitting gives them.
    assert isinstance(error, Quantity)
    assert get_dimensions(error) == get_dimensions(mV ** 2)
    for name, value in params.items():
        assert get_dimensions(value) == get_dimensions(BOUNDS[name][0])
        assert BOUNDS[name][0] <= value <= BOUNDS[name][1]
    assert fitter.best_params == params
    info = fitter.info()
    assert info.rounds_done == 10
    assert info.evaluations == 10 * N_SAMPLES


def test_callback_stops_at_round_3_of_10(connection, hh_data):
    fitter = make_fitter(connection, hh_data)
    seen = []

    def stop_after_third(params, errors, best_params, best_error, index,
                         additional_info):
        seen.append((index, additional_info['round']))
        assert additional_info['output_var'] == ['v']
        assert len(additional_info['objective_errors']) == 1
        return index == 2

    fitter.fit(n_rounds=10, optimizer=cellfit.DEOptimizer(seed=3),
               metric=cellfit.MSEMetric(t_start=5 * ms),
               callback=stop_after_third, **BOUNDS)
    assert seen == [(0, 0), (1, 1), (2, 2)]
    # The server evaluated nothing after the stop: exactly 3 rounds.
    results = fitter.results(format='dict', details=True)
    assert len(results['error']) == 3 * N_SAMPLES
    assert sorted(set(results['round'])) == [0, 1, 2]
    info = fitter.info()
    assert info.rounds_done == 3
    assert info.evaluations == 3 * N_SAMPLES
    assert info.state == fitting_pb2.FITTER_STATE_IDLE


def test_refine_improves_on_the_fit(connection, hh_data):
    fitter = make_fitter(connection, hh_data)
    _, fit_error = fitter.fit(n_rounds=3, optimizer=cellfit.DEOptimizer(
        seed=5), metric=cellfit.MSEMetric(t_start=5 * ms), callback=None,
        **BOUNDS)
    updates = []
    params, info = fitter.refine(
        max_iterations=4,
        callback=lambda p, e, bp, be, i: updates.append(float(be)))
    assert set(params) == set(BOUNDS)
    assert get_dimensions(params['gl']) == get_dimensions(siemens)
    assert info['iterations'] <= 4
    assert info['message']
    assert float(info['error']) < float(fit_error)
    assert updates and all(b <= a for a, b in zip(updates, updates[1:]))
    # brian2modelfitting's older positional t_start, and a bound override.
    again, info2 = fitter.refine(params, 5 * ms, max_iterations=1,
                                 callback=None,
                                 gl=[1e-9 * siemens, 2e-7 * siemens])
    assert float(info2['error']) <= float(info['error']) * (1 + 1e-9)
    # calc_gradient: the Jacobian from the sensitivity equations.
    grad_params, grad_info = fitter.refine(calc_gradient=True,
                                           max_iterations=4, callback=None)
    assert set(grad_params) == set(BOUNDS)
    assert float(grad_info['error']) < float(fit_error)
    with pytest.raises(TypeError, match='MSEMetric'):
        fitter.refine(metric=cellfit.GammaFactor(1 * ms, 1 * ms))
    print(f"refine: {float(fit_error) / 1e-6:.1f} -> "
          f"{float(info['error']) / 1e-6:.1f} mV^2 in {info['iterations']} "
          f"iterations, {info['nfev']} simulations")


def test_namespace_from_the_callers_frame(connection, hh_data):
    """Constants local to a function, and `level` for a helper."""
    inputs, outputs = hh_data
    model = ('dv/dt = (gl*(E_leak - v) + I)/C_mem : volt\n'
             'gl : siemens (constant)')
    E_leak = -70 * mV  # noqa: F841 (found by the fitter in this frame)
    C_mem = 200 * pF  # noqa: F841
    fitter = cellfit.TraceFitter(model, input={'I': inputs * amp},
                                 output={'v': outputs * volt}, dt=0.01 * ms,
                                 n_samples=4, server=connection,
                                 param_init={'v': 'E_leak'})

    def helper(fitter):
        # The namespace is the caller's (level=1), not this frame's.
        E_leak = 0 * mV  # noqa: F841
        return fitter.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(seed=1),
                          callback=None, level=1,
                          gl=[1e-9 * siemens, 1e-7 * siemens])

    helper(fitter)
    assert fitter.namespace == {'E_leak': -70 * mV, 'C_mem': 200 * pF}
    traces = fitter.generate_traces()
    assert float(traces[0, 0]) == pytest.approx(-0.070)


def test_constant_with_wrong_unit_is_a_value_error(connection, hh_data):
    inputs, outputs = hh_data
    C_mem = 200e-12  # noqa: F841 (a plain float is dimensionless)
    with pytest.raises(ValueError, match=r'model:1:\d+: error:'):
        cellfit.TraceFitter('dv/dt = (-v + I*ohm)/C_mem : volt\n'
                            'g : siemens (constant)',
                            input={'I': inputs * amp},
                            output={'v': outputs * volt}, dt=0.01 * ms,
                            n_samples=4, server=connection)


def test_invalid_arguments_raise_value_and_type_errors(connection, hh_data):
    inputs, outputs = hh_data
    with pytest.raises(ValueError, match='same size'):
        make_fitter(connection, hh_data, output={'v': outputs[:, :10] * volt})
    with pytest.raises(ValueError) as error:
        cellfit.TraceFitter('dv/dt = -v/tau : volt\nx = : 1',
                            input={'I': inputs * amp},
                            output={'v': outputs * volt}, dt=0.01 * ms,
                            n_samples=2, server=connection)
    assert 'model:2:' in str(error.value)
    fitter = make_fitter(connection, hh_data)
    with pytest.raises(TypeError, match='SpikeMetric|TraceMetric'):
        fitter.fit(n_rounds=1, metric=cellfit.GammaFactor(2 * ms, 1 * ms),
                   **BOUNDS)
    with pytest.raises(TypeError, match='Bounds must be set for parameter'):
        fitter.fit(n_rounds=1, gl=BOUNDS['gl'])
    bad = dict(BOUNDS, gl=[1 * mV, 2 * mV])
    with pytest.raises(ValueError, match="bounds of 'gl'"):
        fitter.fit(n_rounds=1, callback=None, **bad)


def test_plain_si_floats_without_brian2(connection, hh_data, monkeypatch):
    """CELLFIT_NO_BRIAN2: plain SI floats in and out; use_units no effect."""
    monkeypatch.setenv('CELLFIT_NO_BRIAN2', '1')
    inputs, outputs = hh_data
    # Without Brian2, constants with units can be strings the server parses.
    El, EK, ENa, VT = '-65*mV', '-90*mV', '50*mV', '-63*mV'  # noqa: F841
    fitter = cellfit.TraceFitter(HH_MODEL, input={'I': (inputs, 'amp')},
                                 output={'v': outputs}, dt=1e-5,
                                 n_samples=10, method='exponential_euler',
                                 param_init={'v': 'VT'}, server=connection)
    params, error = fitter.fit(
        n_rounds=2, optimizer=cellfit.DEOptimizer(seed=2), callback=None,
        metric=cellfit.MSEMetric(t_start=0.005),
        gl=[1e-9, 1e-7], g_na=[2e-6, 2e-4], g_kd=[6e-7, 6e-5],
        Cm=[2e-11, 4e-10])
    assert isinstance(error, float) and 0 < error < 1e-2
    assert all(isinstance(v, float) for v in params.values())
    assert 1e-9 <= params['gl'] <= 1e-7
    traces = fitter.generate_traces()
    assert isinstance(traces, np.ndarray) and traces.shape == (5, 1497)
    assert not hasattr(traces, 'dim')
    rows = fitter.results()
    assert isinstance(rows[0]['gl'], float)
    assert isinstance(rows[0]['error'], float)


def test_equations_object_and_deprecated_arguments(connection, hh_data):
    inputs, outputs = hh_data
    with pytest.warns(DeprecationWarning):
        fitter = cellfit.TraceFitter(
            Equations(HH_MODEL), input_var='I', input=inputs * amp,
            output_var='v', output=outputs * volt, dt=0.01 * ms, n_samples=6,
            method='exponential_euler', param_init={'v': 'VT'},
            server=connection)
    assert fitter.input_var == 'I' and fitter.output_var == ['v']
    assert sorted(fitter.parameter_names) == sorted(BOUNDS)
    _, error = fitter.fit(n_rounds=1, callback=None, **BOUNDS)
    assert get_dimensions(error) == get_dimensions(volt ** 2)


def test_standalone_backend_gives_the_runtime_numbers(connection, hh_data):
    errors = {}
    for backend in ('runtime', 'standalone'):
        fitter = make_fitter(connection, hh_data, n_samples=6,
                             backend=backend)
        fitter.fit(n_rounds=2, optimizer=cellfit.DEOptimizer(seed=4),
                   metric=cellfit.MSEMetric(t_start=5 * ms), callback=None,
                   **BOUNDS)
        errors[backend] = fitter.results(format='dict', use_units=False)
    np.testing.assert_array_equal(errors['runtime']['error'],
                                  errors['standalone']['error'])
    with pytest.raises(ValueError, match='backend'):
        make_fitter(connection, hh_data, backend='cuda')


def test_penalty_is_added_to_the_error(connection, hh_data):
    inputs, outputs = hh_data
    model = ('dv/dt = (gl*(-70*mV - v) + I)/(200*pF) : volt\n'
             'gl : siemens (constant)\n'
             'pen = 1e-6*volt**2*gl/nS : volt**2')
    results = {}
    for penalty in (None, 'pen'):
        fitter = cellfit.TraceFitter(model, input={'I': inputs * amp},
                                     output={'v': outputs * volt},
                                     dt=0.01 * ms, n_samples=5,
                                     server=connection, penalty=penalty)
        fitter.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(seed=6),
                   callback=None, gl=[1e-9 * siemens, 1e-7 * siemens])
        results[penalty] = fitter.results(format='dict', use_units=False)
    np.testing.assert_array_equal(results[None]['gl'], results['pen']['gl'])
    added = results['pen']['error'] - results[None]['error']
    np.testing.assert_allclose(added, 1e-6 * results[None]['gl'] / 1e-9,
                               rtol=1e-9)


# Weights whose normalized copy does not have a mean of exactly 1, so that
# normalizing twice (once in the client, once on the worker) moves them.
WEIGHTS = np.random.default_rng(7).uniform(0.5, 2, 1497)


@pytest.mark.parametrize('weighted', [False, True])
def test_mse_has_the_bits_of_brian2modelfittings_numpy_mean(
        connection, hh_data, weighted):
    """brian2modelfitting's MSEMetric normalizes t_weights once, takes
    numpy's mean over each trace's steps (from t_start, or weighted), then
    over the traces; numpy sums pairwise. On the same traces, cellfit's
    errors must be those numbers to the last bit."""
    _, outputs = hh_data
    normalized = WEIGHTS / np.mean(WEIGHTS)
    assert np.mean(normalized) != 1.0
    start = 0 if weighted else int(round(5 * ms / (0.01 * ms)))
    metric = (cellfit.MSEMetric(t_weights=WEIGHTS) if weighted
              else cellfit.MSEMetric(t_start=5 * ms))
    fitter = make_fitter(connection, hh_data, n_samples=6)
    fitter.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(seed=5),
               metric=metric, callback=None, **BOUNDS)
    results = fitter.results(format='dict', use_units=False)
    for k, error in enumerate(results['error']):
        params = {name: Quantity(results[name][k],
                                 dim=get_dimensions(bounds[0]))
                  for name, bounds in BOUNDS.items()}
        traces = np.asarray(fitter.generate(params=params, output_var='v'))
        squares = (traces[None, :, start:] - outputs[None, :, start:]) ** 2
        if weighted:
            squares *= normalized
        expected = squares.mean(axis=2).mean(axis=1)[0]
        assert error == expected, (k, error, expected, error - expected)
    fitter.delete()
