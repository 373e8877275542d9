"""Where a script ported from brian2modelfitting would silently behave
differently or fail unclearly: argument orders, Python metric and optimizer
classes, TimedArrays, and refine's iteration, max_nfev, callback and return
value (against a live server, with a small passive model)."""

import warnings

import numpy as np
import pytest
from brian2 import TimedArray, get_dimensions, mV, ms, nA, nF, nS, siemens

import cellfit

El = -70 * mV
MODEL = '''
dv/dt = (gl*(El - v) + I*(1 - iteration/(iteration + 1)))/C : volt
gl : siemens (constant)
C : farad (constant)
'''
# The input only drives the model at small iterations (1e9 switches it off),
# so the iteration a simulation runs with shows in its traces.
TRUE = {'gl': 20 * nS, 'C': 0.5 * nF}
BOUNDS = {'gl': [5 * nS, 80 * nS], 'C': [0.1 * nF, 2 * nF]}
N_STEPS = 300


@pytest.fixture
def fitter(connection):
    inputs = np.zeros((2, N_STEPS))
    inputs[0, 50:250] = 0.2
    inputs[1, 50:250] = 0.4
    args = dict(input={'I': inputs * nA},
                output={'v': np.full((2, N_STEPS), -0.07)},
                dt=0.1 * ms, n_samples=4, param_init={'v': 'El'},
                server=connection)
    maker = cellfit.TraceFitter(MODEL, **args)
    target = maker.generate(params=TRUE, iteration=0)
    maker.delete()
    args['output'] = {'v': target}
    fitter = cellfit.TraceFitter(MODEL, **args)
    yield fitter
    fitter.delete()


def quiet(**kwds):
    return dict(callback=None, **kwds)


def test_fit_takes_both_argument_orders(fitter):
    opt = cellfit.DEOptimizer(seed=1)
    metric = cellfit.MSEMetric()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # n_samples < 30
        # The call of the parity review: brian2modelfitting's order.
        fitter.fit(opt, metric=metric, n_rounds=1, **quiet(**BOUNDS))
        fitter.fit(opt, metric, 1, **quiet())
        fitter.fit(1, opt, metric, **quiet())
        fitter.fit(opt, 1, **quiet())
        fitter.fit(n_rounds=1, optimizer=opt, metric=metric, **quiet())
        fitter.fit(opt, metric, 1, None)  # callback positional
    assert fitter.info().rounds_done == 6
    with pytest.raises(TypeError, match="multiple values for argument "
                                        "'optimizer'"):
        fitter.fit(opt, optimizer=opt, **quiet())
    with pytest.raises(TypeError, match="multiple values for argument "
                                        "'n_rounds'"):
        fitter.fit(opt, metric, 1, n_rounds=2, **quiet())
    with pytest.raises(TypeError, match="multiple values for argument "
                                        "'n_rounds'"):
        fitter.fit(1, 2, **quiet())
    with pytest.raises(TypeError, match='at most 8 positional'):
        fitter.fit(opt, metric, 1, None, False, None, None, 0, 'extra')
    assert fitter.info().rounds_done == 6


class MaxMSE(cellfit.MSEMetric):
    """The largest squared deviation instead of the mean."""

    def get_errors(self, features):
        return np.max(features, axis=1)


class RawTraceMetric(cellfit.TraceMetric):
    def get_features(self, model_results, target_results, dt):
        return [np.abs(m - t) for m, t in zip(model_results, target_results)]

    def get_errors(self, features):
        return [np.mean(f) for f in features]


@pytest.mark.parametrize('metric_class', [MaxMSE, RawTraceMetric])
def test_python_metric_classes_are_refused_by_name(fitter, metric_class):
    with pytest.raises(TypeError) as error:
        fitter.fit(cellfit.DEOptimizer(), metric_class(), 1, **quiet(**BOUNDS))
    message = str(error.value)
    assert metric_class.__name__ in message
    assert 'computes metrics on its workers' in message
    assert 'get_errors' in message
    assert 'MSEMetric' in message and 'GammaFactor' in message
    assert fitter.info() is None or fitter.info().rounds_done == 0
    with pytest.raises(TypeError, match='MaxMSE.*computes metrics'):
        fitter.refine(params=TRUE, metric=MaxMSE(), **quiet(**BOUNDS))
    # A subclass that only changes defaults is still the server's MSE.

    class ShiftedMSE(cellfit.MSEMetric):
        def __init__(self):
            super().__init__(t_start=1 * ms)
    assert ShiftedMSE().to_proto('v').mse.t_start.value == pytest.approx(1e-3)


class MyOpt(cellfit.Optimizer):
    """brian2modelfitting's examples/modelfitting_customOptimizer.py."""

    def __init__(self):
        self.tested = []

    def initialize(self, parameter_names, popsize, rounds, **params):
        return popsize

    def ask(self, n_samples):
        return [[1.0, 1.0]] * n_samples

    def tell(self, parameters, errors):
        self.tested.extend(parameters)

    def recommend(self):
        return self.tested[0]


class DuckOpt:
    def ask(self, n_samples):
        return []

    def tell(self, parameters, errors):
        pass


@pytest.mark.parametrize('optimizer', [MyOpt(), DuckOpt()])
def test_python_optimizer_classes_are_refused_by_name(fitter, optimizer):
    with pytest.raises(TypeError) as error:
        fitter.fit(n_rounds=1, optimizer=optimizer, **quiet(**BOUNDS))
    message = str(error.value)
    assert type(optimizer).__name__ in message
    assert 'runs the optimizers on its server' in message
    assert 'NevergradOptimizer' in message and 'NLoptOptimizer' in message


def test_timed_array_in_the_namespace_is_named(connection):
    stim = TimedArray(np.zeros(10) * nA, dt=1 * ms)  # noqa: F841 (namespace)
    model = '''
    dv/dt = (gl*(El - v) + stim(t) + I)/C : volt
    gl : siemens (constant)
    C : farad (constant)
    '''
    with pytest.raises(TypeError) as error:
        cellfit.TraceFitter(model, input={'I': np.zeros((1, 20)) * nA},
                            output={'v': np.zeros((1, 20)) * mV},
                            dt=0.1 * ms, n_samples=2, server=connection)
    message = str(error.value)
    assert "'stim', a Brian2 TimedArray" in message
    assert 'cannot send Python functions or TimedArrays' in message
    assert 'input traces' in message


def test_refine_runs_with_the_iteration_given(fitter):
    """brian2modelfitting's default iteration=1e9 switches the input off
    here; iteration=0 reproduces the target at the true parameters."""
    _, at_zero = fitter.refine(params=TRUE, iteration=0, max_iterations=1,
                               **quiet(**BOUNDS))
    _, default = fitter.refine(params=TRUE, max_iterations=1,
                               **quiet(**BOUNDS))
    assert float(at_zero['error']) < 1e-12
    assert float(default['error']) > 1e-6  # mV-sized deviations, in V^2


def test_refine_max_nfev_limits_simulations_and_the_callback_sees_each(
        fitter):
    start = {'gl': 40 * nS, 'C': 1 * nF}
    calls = []
    params, result = fitter.refine(
        params=start, max_nfev=5,
        callback=lambda p, e, bp, be, i: calls.append((i, float(be))),
        **BOUNDS)
    # Two parameters: the start point and its two finite differences, then
    # a trial step; the next Jacobian would exceed 5 simulations.
    assert 'max_nfev' in result['message']
    assert 3 <= len(calls) <= 5
    assert result.nfev == len(calls)
    assert result.success is False
    assert [i for i, _ in calls] == list(range(len(calls)))
    assert all(b <= a for (_, a), (_, b) in zip(calls, calls[1:]))
    with pytest.raises(ValueError, match="both 'maxfev' and 'max_nfev'"):
        fitter.refine(params=start, max_nfev=5, maxfev=6, **quiet(**BOUNDS))
    with pytest.warns(DeprecationWarning, match='maxfev'):
        _, old = fitter.refine(params=start, maxfev=4, **quiet(**BOUNDS))
    assert old.nfev <= 4


def test_refine_returns_params_and_a_result_object(fitter):
    start = {'gl': 30 * nS, 'C': 0.8 * nF}
    params, result = fitter.refine(params=start, iteration=0,
                                   max_iterations=30, **quiet(**BOUNDS))
    assert isinstance(result, cellfit.RefineResult)
    assert get_dimensions(params['gl']) == get_dimensions(siemens)
    np.testing.assert_allclose(
        result.x, [float(params[n]) for n in fitter.parameter_names])
    assert result.success is True, result.message
    assert result.nfev == len(result.tested_parameters) > 3
    assert result.message.endswith(f'({result.nfev} simulations)')
    assert result['error'] is result.error
    assert float(params['gl']) == pytest.approx(float(TRUE['gl']), rel=1e-3)
    with pytest.raises(AttributeError, match='reports'):
        result.jac


@pytest.mark.parametrize('optimizer, population', [
    (cellfit.NevergradOptimizer('DE'), 30), (cellfit.PSOOptimizer(), 40),
    (cellfit.CMAESOptimizer(), None), (cellfit.NLoptOptimizer(), None),
    (cellfit.NevergradOptimizer('DE', popsize=4), None)])
def test_fit_warns_where_brian2modelfitting_changes_n_samples(
        fitter, optimizer, population):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fitter.fit(n_rounds=0, optimizer=optimizer, **BOUNDS)
    samples = [w for w in caught if 'samples per round' in str(w.message)]
    if population is None:
        assert not samples
    else:
        assert len(samples) == 1 and samples[0].category is UserWarning
        assert f'would use {population} samples per round' in \
            str(samples[0].message)
        assert 'n_samples=4 as given' in str(samples[0].message)
