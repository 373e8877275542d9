"""results() in every format, with and without units, and every generate shape.
"""

import warnings

import numpy as np
import pytest
from brian2 import (Quantity, amp, get_dimensions, mV, ms, nS, pF, siemens,
                    uS, volt)

import cellfit
from conftest import HH_MODEL
from test_hh_trace_fitter import BOUNDS, El, EK, ENa, VT, area  # noqa: F401

N_SAMPLES = 10
N_ROUNDS = 2
TRUE_PARAMS = {'gl': 10 * nS, 'g_na': 20 * uS, 'g_kd': 6 * uS, 'Cm': 200 * pF}


@pytest.fixture(scope='module')
def fitted(connection, hh_data):
    """An HH TraceFitter after 2 rounds of 10 samples."""
    inputs, outputs = hh_data
    fitter = cellfit.TraceFitter(HH_MODEL, input={'I': inputs * amp},
                                 output={'v': outputs * volt}, dt=0.01 * ms,
                                 n_samples=N_SAMPLES,
                                 method='exponential_euler',
                                 param_init={'v': 'VT'}, server=connection)
    fitter.fit(n_rounds=N_ROUNDS, optimizer=cellfit.DEOptimizer(seed=7),
               metric=cellfit.MSEMetric(t_start=5 * ms), callback=None,
               **BOUNDS)
    return fitter


@pytest.fixture(scope='module')
def two_outputs(connection, hh_data, fitted):
    """A fitter of v and m (m generated from the true parameters)."""
    inputs, outputs = hh_data
    m = fitted.generate(output_var='m', params=TRUE_PARAMS)
    fitter = cellfit.TraceFitter(HH_MODEL, input={'I': inputs * amp},
                                 output={'v': outputs * volt, 'm': m},
                                 dt=0.01 * ms, n_samples=N_SAMPLES,
                                 method='exponential_euler',
                                 param_init={'v': 'VT'}, server=connection)
    metric = {'v': cellfit.MSEMetric(t_start=5 * ms),
              'm': cellfit.MSEMetric(normalization=0.5)}
    fitter.fit(n_rounds=N_ROUNDS, optimizer=cellfit.DEOptimizer(seed=7),
               metric=metric, callback=None, **BOUNDS)
    return fitter


def test_results_list(fitted):
    rows = fitted.results()
    assert len(rows) == N_ROUNDS * N_SAMPLES
    assert set(rows[0]) == {'gl', 'g_na', 'g_kd', 'Cm', 'error'}
    assert get_dimensions(rows[0]['gl']) == get_dimensions(siemens)
    assert get_dimensions(rows[0]['error']) == get_dimensions(volt ** 2)
    assert min(float(r['error']) for r in rows) == float(fitted.best_error)
    plain = fitted.results(use_units=False)
    assert all(isinstance(v, float) for v in plain[0].values())
    assert plain[0]['gl'] == float(rows[0]['gl'])


def test_results_dict(fitted):
    d = fitted.results(format='dict')
    assert set(d) == {'gl', 'g_na', 'g_kd', 'Cm', 'error'}
    assert isinstance(d['Cm'], Quantity) and d['Cm'].shape == (20,)
    assert get_dimensions(d['Cm']) == get_dimensions(pF)
    plain = fitted.results(format='dict', use_units=False)
    assert type(plain['Cm']) is np.ndarray
    np.testing.assert_array_equal(plain['error'], np.asarray(d['error']))
    details = fitted.results(format='dict', details=True)
    assert list(details['round']) == [0] * N_SAMPLES + [1] * N_SAMPLES
    assert list(details['iteration']) == list(details['round'])


def test_results_dataframe(fitted):
    with pytest.warns(UserWarning, match='do not support units'):
        df = fitted.results(format='dataframe')
    assert list(df.columns) == ['g_na', 'g_kd', 'gl', 'Cm', 'error']
    assert len(df) == N_ROUNDS * N_SAMPLES
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        plain = fitted.results(format='dataframe', use_units=False)
    assert plain['error'].min() == pytest.approx(float(fitted.best_error))
    assert plain['gl'].dtype == float
    with pytest.raises(ValueError, match='format'):
        fitted.results(format='csv')


def test_results_of_two_outputs(two_outputs):
    rows = two_outputs.results()
    row = rows[0]
    assert set(row) == {'gl', 'g_na', 'g_kd', 'Cm', 'error',
                        'objective_errors', 'objective_errors_normalized'}
    normed = row['objective_errors_normalized']
    raw = row['objective_errors']
    assert set(normed) == {'v', 'm'}
    assert get_dimensions(normed['v']) == get_dimensions(volt ** 2)
    # MSEMetric(normalization=0.5) divides the traces by 0.5: the normalized
    # error is 4 times the raw one.
    assert float(normed['m']) == pytest.approx(4 * float(raw['m']))
    assert float(normed['v']) == pytest.approx(float(raw['v']))
    # The total is the sum of the normalized errors (as plain numbers: their
    # units differ).
    assert float(row['error']) == pytest.approx(
        float(normed['v']) + float(normed['m']))
    d = two_outputs.results(format='dict', use_units=False)
    assert set(d['objective_errors']) == {'v', 'm'}
    assert d['objective_errors']['m'].shape == (N_ROUNDS * N_SAMPLES,)
    df = two_outputs.results(format='dataframe', use_units=False)
    assert list(df.columns) == ['g_na', 'g_kd', 'gl', 'Cm', 'error',
                                'normalized_error_v', 'normalized_error_m',
                                'error_v', 'error_m']
    best = two_outputs.best_objective_errors_normalized
    assert set(best) == {'v', 'm'}


def test_generate_one_variable(fitted):
    traces = fitted.generate_traces()
    assert isinstance(traces, Quantity)
    assert traces.shape == (5, 1497)
    assert get_dimensions(traces) == get_dimensions(volt)
    # Starts from param_init v = VT.
    np.testing.assert_allclose(np.asarray(traces[:, 0]), -0.063)
    again = fitted.generate(params=fitted.best_params)
    np.testing.assert_array_equal(np.asarray(again), np.asarray(traces))


def test_generate_true_parameters_reach_the_noise_floor(fitted, hh_data):
    """The data were made from v = -65 mV: 1.005 mV^2 (its documented MSE)."""
    _, outputs = hh_data
    traces = fitted.generate(params=TRUE_PARAMS, param_init={'v': El})
    mse = np.mean((np.asarray(traces)[:, 500:] - outputs[:, 500:]) ** 2)
    assert mse / 1e-6 == pytest.approx(1.005, abs=0.01)
    # The fitter's own param_init is unchanged by the override.
    from_vt = fitted.generate(params=TRUE_PARAMS)
    mse_vt = np.mean((np.asarray(from_vt)[:, 500:] - outputs[:, 500:]) ** 2)
    assert mse_vt / 1e-6 == pytest.approx(72.5, rel=0.01)


def test_generate_several_variables(fitted):
    fits = fitted.generate(output_var=['v', 'm', 'h'], params=TRUE_PARAMS)
    assert set(fits) == {'v', 'm', 'h'}
    for name, value in fits.items():
        assert value.shape == (5, 1497)
    assert get_dimensions(fits['v']) == get_dimensions(volt)
    assert np.all((np.asarray(fits['m']) >= 0) & (np.asarray(fits['m']) <= 1))
    # Positional brian2modelfitting (older) order: generate(params, ...).
    v = fitted.generate(TRUE_PARAMS, 'v')
    np.testing.assert_array_equal(np.asarray(v), np.asarray(fits['v']))


def test_generate_plain_floats_params_and_errors(fitted):
    params = {name: float(value) for name, value in TRUE_PARAMS.items()}
    v = fitted.generate(params=params)
    assert v.shape == (5, 1497)
    with pytest.raises(ValueError, match="'gl'"):
        fitted.generate(params={**TRUE_PARAMS, 'gl': 10 * mV})
    with pytest.raises(ValueError, match='not a parameter'):
        fitted.generate(params={**TRUE_PARAMS, 'tau': 1 * ms})


def test_results_before_any_fit(connection, hh_data):
    inputs, outputs = hh_data
    fitter = cellfit.TraceFitter(HH_MODEL, input={'I': inputs * amp},
                                 output={'v': outputs * volt}, dt=0.01 * ms,
                                 n_samples=4, server=connection)
    assert fitter.results() == []
    assert fitter.best_params is None and fitter.best_error is None
    with pytest.raises(RuntimeError, match='fit first'):
        fitter.generate_traces()
