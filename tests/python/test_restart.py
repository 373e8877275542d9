"""Continuation and restart semantics, and their errors."""

import pytest
from brian2 import amp, ms, siemens, volt

import cellfit
from conftest import HH_MODEL
from test_hh_trace_fitter import BOUNDS, El, EK, ENa, VT, area  # noqa: F401

N_SAMPLES = 8


@pytest.fixture
def fitter(connection, hh_data):
    inputs, outputs = hh_data
    return cellfit.TraceFitter(HH_MODEL, input={'I': inputs * amp},
                               output={'v': outputs * volt}, dt=0.01 * ms,
                               n_samples=N_SAMPLES,
                               method='exponential_euler',
                               param_init={'v': 'VT'}, server=connection)


def iterations_seen(fitter, n_rounds, **kwds):
    seen = []

    def record(params, errors, best_params, best_error, index, info):
        seen.append(info['iteration'])
    fitter.fit(n_rounds=n_rounds, callback=record, **kwds)
    return seen


def test_continue_then_restart(fitter):
    optimizer = cellfit.DEOptimizer(seed=21, F=0.6)  # options and a seed
    metric = cellfit.MSEMetric(t_start=5 * ms)
    assert iterations_seen(fitter, 2, optimizer=optimizer, metric=metric,
                           **BOUNDS) == [0, 1]
    _, error_2 = fitter.best_params, float(fitter.best_error)
    # A later fit continues the optimizer and the iteration counter (the
    # same objects, or none at all).
    assert iterations_seen(fitter, 2, optimizer=optimizer,
                           metric=metric) == [2, 3]
    assert iterations_seen(fitter, 1) == [4]
    assert float(fitter.best_error) <= error_2
    info = fitter.info()
    assert (info.run, info.rounds_done) == (0, 5)  # runs count from 0
    assert len(fitter.results()) == 5 * N_SAMPLES

    # Restart: a new run with another optimizer, and start_iteration.
    assert iterations_seen(fitter, 2, optimizer=cellfit.CMAESOptimizer(seed=4),
                           metric=metric, restart=True, start_iteration=100,
                           **BOUNDS) == [100, 101]
    info = fitter.info()
    assert (info.run, info.rounds_done, info.optimizer) == (1, 2, 'CMAES')
    assert len(fitter.results()) == 2 * N_SAMPLES
    everything = fitter.results(format='dict', all_runs=True, details=True)
    assert len(everything['error']) == 7 * N_SAMPLES
    assert sorted(set(everything['run'])) == [0, 1]


def test_changes_without_restart_raise(fitter):
    optimizer = cellfit.DEOptimizer(seed=1)
    metric = cellfit.MSEMetric(t_start=5 * ms)
    fitter.fit(n_rounds=1, optimizer=optimizer, metric=metric, callback=None,
               **BOUNDS)
    with pytest.raises(RuntimeError, match='optimizer cannot change'):
        fitter.fit(n_rounds=1, optimizer=cellfit.CMAESOptimizer(),
                   callback=None)
    with pytest.raises(cellfit.FailedPreconditionError,
                       match='metric cannot change'):
        fitter.fit(n_rounds=1, metric=cellfit.MSEMetric(t_start=1 * ms),
                   callback=None)
    other = dict(BOUNDS, gl=[2e-9 * siemens, 1e-7 * siemens])
    with pytest.raises(cellfit.FailedPreconditionError,
                       match='bounds cannot change'):
        fitter.fit(n_rounds=1, callback=None, **other)
    with pytest.raises(cellfit.FailedPreconditionError,
                       match='start_iteration'):
        fitter.fit(n_rounds=1, callback=None, start_iteration=5)
    # Nothing was evaluated by the refused calls.
    assert fitter.info().rounds_done == 1
    # A restart needs the bounds again (as brian2modelfitting's initialize).
    with pytest.raises(TypeError, match='Bounds must be set'):
        fitter.fit(n_rounds=1, restart=True, callback=None)
    # The same settings in a new optimizer object are not a change.
    fitter.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(seed=1),
               metric=cellfit.MSEMetric(t_start=5 * ms), callback=None)
    assert fitter.info().rounds_done == 2


def test_positional_brian2modelfitting_order(fitter):
    """fit(optimizer, metric, n_rounds) as brian2modelfitting's signature."""
    fitter.fit(cellfit.NevergradOptimizer('DE', seed=2),
               cellfit.MSEMetric(t_start=5 * ms), 2, callback=None, **BOUNDS)
    assert fitter.info().rounds_done == 2


def test_zero_rounds_keeps_the_settings(fitter):
    """fit(n_rounds=0) prepares (brian2modelfitting: for refine); a later fit
    uses its optimizer, metric and bounds."""
    params, error = fitter.fit(n_rounds=0, optimizer=cellfit.DEOptimizer(
        seed=12), metric=cellfit.MSEMetric(t_start=5 * ms), **BOUNDS)
    assert params is None and error is None
    with pytest.raises(TypeError, match='specify parameters'):
        fitter.refine()
    assert iterations_seen(fitter, 2) == [0, 1]
    info = fitter.info()
    assert (info.rounds_done, info.optimizer) == (2, 'DE')
