"""SpikeFitter on spikes of an integrate-and-fire neuron, and
OnlineTraceFitter on the HH example."""

import numpy as np
import pytest
from brian2 import (Network, NeuronGroup, Quantity, SpikeMonitor, TimedArray,
                    amp, get_dimensions, mV, ms, nS, pF, prefs, volt)

import cellfit
from conftest import HH_MODEL
from test_hh_trace_fitter import BOUNDS, El, EK, ENa, VT, area  # noqa: F401

IF_MODEL = '''
dv/dt = (gL*(EL - v) + I)/C : volt (unless refractory)
gL : siemens (constant)
C : farad (constant)
'''
EL = -70 * mV
DT = 0.1 * ms
N_STEPS = 3000
TRUE_IF = {'gL': 10 * nS, 'C': 200 * pF}


def if_inputs():
    amplitudes = np.array([0.25, 0.4, 0.6]) * 1e-9
    inputs = np.zeros((3, N_STEPS))
    inputs[:, 200:] = amplitudes[:, None]
    return inputs * amp


def if_fitter(connection, output, **kwds):
    return cellfit.SpikeFitter(IF_MODEL, input={'I': if_inputs()},
                               output=output, dt=DT, reset='v = EL',
                               threshold='v > -50*mV', refractory=2 * ms,
                               param_init={'v': 'EL'}, server=connection,
                               **kwds)


@pytest.fixture(scope='module')
def target_spikes(connection):
    generator = if_fitter(connection, [[], [], []], n_samples=1)
    spikes = generator.generate_spikes(params=TRUE_IF)
    return spikes


def brian2_spikes():
    """The same neurons simulated by Brian2 (the numerical reference)."""
    prefs.codegen.target = 'numpy'
    inputs = TimedArray(if_inputs().T, dt=DT)
    group = NeuronGroup(3, IF_MODEL + 'I = inputs(t, i) : amp',
                        threshold='v > -50*mV', reset='v = EL',
                        refractory=2 * ms, method='exponential_euler', dt=DT,
                        namespace={'inputs': inputs, 'EL': EL})
    group.v = EL
    group.gL = TRUE_IF['gL']
    group.C = TRUE_IF['C']
    monitor = SpikeMonitor(group)
    Network(group, monitor).run(N_STEPS * DT)
    return [np.asarray(t) for t in monitor.spike_trains().values()]


def test_generated_spikes_match_brian2(target_spikes):
    assert isinstance(target_spikes, list) and len(target_spikes) == 3
    assert all(type(t) is np.ndarray and t.dtype == float
               for t in target_spikes)
    reference = brian2_spikes()
    counts = [len(t) for t in target_spikes]
    assert counts == [len(t) for t in reference]
    assert counts[0] < counts[1] < counts[2] and counts[0] > 0
    for mine, theirs in zip(target_spikes, reference):
        np.testing.assert_allclose(mine, theirs, atol=float(DT) / 2)


def test_spike_fitter_recovers_the_neuron(connection, target_spikes):
    fitter = if_fitter(connection, target_spikes, n_samples=20)
    best = []
    params, error = fitter.fit(
        n_rounds=30, optimizer=cellfit.DEOptimizer(seed=8),
        metric=cellfit.GammaFactor(delta=1 * ms, time=N_STEPS * DT),
        callback=lambda p, e, bp, be, i: best.append(float(be)),
        gL=[2 * nS, 30 * nS], C=[50 * pF, 500 * pF])
    assert best[-1] < 0.5 * best[0]
    assert all(b <= a for a, b in zip(best, best[1:]))
    assert get_dimensions(params['C']) == get_dimensions(pF)
    # Recovered: the generating values were gL = 10 nS, C = 200 pF.
    assert float(params['gL'] / TRUE_IF['gL']) == pytest.approx(1, abs=0.05)
    assert float(params['C'] / TRUE_IF['C']) == pytest.approx(1, abs=0.02)
    print(f'IF gamma-factor error {best[0]:.3f} -> {best[-1]:.3f}; '
          f'gL={params["gL"]}, C={params["C"]}')
    spikes = fitter.generate_spikes()
    assert isinstance(spikes, list) and len(spikes) == 3
    assert all(type(t) is np.ndarray for t in spikes)
    # Several variables at once, spikes among them.
    both = fitter.generate(output_var=['v', 'spikes'], params=TRUE_IF)
    assert set(both) == {'v', 'spikes'}
    assert both['v'].shape == (3, N_STEPS)
    for mine, target in zip(both['spikes'], target_spikes):
        np.testing.assert_array_equal(mine, target)
    rows = fitter.results(format='dict')
    assert len(rows['error']) == 30 * 20
    assert not isinstance(rows['error'], Quantity) or \
        get_dimensions(rows['error']).is_dimensionless


def test_spike_fitter_default_metric_and_spike_count_check(connection,
                                                           target_spikes):
    with pytest.raises(ValueError, match='spike trains'):
        if_fitter(connection, target_spikes[:2])
    fitter = if_fitter(connection, target_spikes, n_samples=6)
    _, error = fitter.fit(n_rounds=1, callback=None,
                          optimizer=cellfit.DEOptimizer(seed=1),
                          gL=[2 * nS, 30 * nS], C=[50 * pF, 500 * pF])
    assert np.isfinite(float(error))
    with pytest.raises(TypeError, match='SpikeMetric'):
        fitter.fit(n_rounds=1, metric=cellfit.MSEMetric(), restart=True,
                   gL=[2 * nS, 30 * nS], C=[50 * pF, 500 * pF])


def test_online_trace_fitter(connection, hh_data):
    """The online error: brian2modelfitting's squared error accumulated at the
    end of each step (the variable one step after the recorded trace)."""
    inputs, outputs = hh_data
    args = dict(input={'I': inputs * amp}, output={'v': outputs * volt},
                dt=0.01 * ms, n_samples=10, method='exponential_euler',
                param_init={'v': 'VT'}, server=connection)
    online = cellfit.OnlineTraceFitter(HH_MODEL, t_start=5 * ms, **args)
    best = []
    _, error = online.fit(n_rounds=4, optimizer=cellfit.DEOptimizer(seed=9),
                          callback=lambda p, e, bp, be, i:
                          best.append(float(be)), **BOUNDS)
    assert best[-1] <= best[0]
    assert get_dimensions(error) == get_dimensions(volt ** 2)
    traces = online.generate_traces()
    assert traces.shape == (5, 1497)

    # The first candidate's error from its generated traces.
    first = online.results()[0]
    params = {name: first[name] for name in BOUNDS}
    v = np.asarray(online.generate_traces(params=params))
    start = 500  # t_start / dt
    squared = (v[:, start + 1:] - outputs[:, start:-1]) ** 2
    expected = np.mean(np.sum(squared, axis=1) / (1497 - start))
    # (The last step's term needs the value after the last recorded sample.)
    assert float(first['error']) == pytest.approx(expected, rel=2e-3)

    # The same candidates score about as the offline MSE does.
    offline = cellfit.TraceFitter(HH_MODEL, **args)
    offline.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(seed=9),
                metric=cellfit.MSEMetric(t_start=5 * ms), callback=None,
                **BOUNDS)
    first_online = online.results(format='dataframe', use_units=False)[:10]
    first_offline = offline.results(format='dataframe', use_units=False)
    np.testing.assert_array_equal(first_online['gl'], first_offline['gl'])
    np.testing.assert_allclose(first_online['error'], first_offline['error'],
                               rtol=0.05)
    with pytest.raises(NotImplementedError, match='t_weights'):
        online.fit(n_rounds=1, restart=True,
                   metric=cellfit.MSEMetric(t_weights=np.ones(1497)),
                   **BOUNDS)


def test_feature_metric_fit(connection):
    """A TraceFitter scored by eFEL-style features of the voltage."""
    generator = if_fitter(connection, [[], [], []], n_samples=1)
    v = generator.generate(output_var='v', params=TRUE_IF)
    fitter = cellfit.TraceFitter(IF_MODEL, input={'I': if_inputs()},
                                 output={'v': v}, dt=DT, n_samples=12,
                                 method='exponential_euler',
                                 reset='v = EL', threshold='v > -50*mV',
                                 refractory=2 * ms, param_init={'v': 'EL'},
                                 server=connection)
    metric = cellfit.FeatureMetric([[20, 300]],  # ms, as eFEL takes them
                                   ['Spikecount', 'time_to_first_spike'],
                                   weights={'time_to_first_spike': 0.1},
                                   threshold=-55 * mV)
    best = []
    _, error = fitter.fit(n_rounds=4, optimizer=cellfit.DEOptimizer(seed=2),
                          metric=metric,
                          callback=lambda p, e, bp, be, i:
                          best.append(float(be)),
                          gL=[2 * nS, 30 * nS], C=[50 * pF, 500 * pF])
    assert best[-1] <= best[0]
    assert not isinstance(error, Quantity) or \
        get_dimensions(error).is_dimensionless
    rows = fitter.results(use_units=False)
    assert min(r['error'] for r in rows) == pytest.approx(float(error))
