"""The pure-Python parts: quantities on the wire, metrics and optimizers as
messages, callbacks, namespace lookup and error mapping (no server)."""

import math

import grpc
import numpy as np
import pytest
from brian2 import Quantity, amp, get_dimensions, mV, ms, nS, second, umetre

import cellfit
from cellfit import callbacks, namespace, units
from cellfit._proto import common_pb2
from cellfit.errors import error_from_rpc

VOLT = (2.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0)


def test_quantities_to_and_from_the_wire():
    assert units.split_quantity(-65 * mV) == (pytest.approx(-0.065), VOLT)
    assert units.split_quantity(3.0) == (3.0, units.DIMENSIONLESS_EXPONENTS)
    message = units.to_quantity_message(-65 * mV, common_pb2.Quantity())
    assert message.value == pytest.approx(-0.065)
    assert units.exponents_from_message(message.dimension) == VOLT
    text = units.to_quantity_message('0.1*uF*cm**-2*area',
                                     common_pb2.Quantity())
    assert text.text == '0.1*uF*cm**-2*area' and not text.HasField('dimension')
    plain = units.to_quantity_message(2e-9, common_pb2.Quantity(), VOLT)
    assert plain.value == 2e-9
    with pytest.raises(TypeError):
        units.to_quantity_message([1, 2] * mV, common_pb2.Quantity())
    with pytest.raises(ValueError):
        units.to_quantity_message(math.inf, common_pb2.Quantity())
    q = units.make_quantity(np.array([1.0, 2.0]), VOLT)
    assert isinstance(q, Quantity) and get_dimensions(q) == get_dimensions(mV)
    assert units.make_quantity(1.0, VOLT, use_units=False) == 1.0


def test_quantity_text_round_trips_exactly():
    value = 20000 * umetre ** 2
    text = units.quantity_text(value)
    assert text == f'{float(value)!r}*metre**2'
    assert units.quantity_text(-65 * mV) == \
        '-0.065*metre**2*kilogram*second**-3*amp**-1'
    assert units.quantity_text(2) == '2.0'
    assert units.quantity_text('VT + 2*mV') == 'VT + 2*mV'
    assert units.unit_text((0.5, 0, 0, 0, 0, 0, 0)) == 'metre**(0.5)'


def test_no_brian2_mode(monkeypatch):
    monkeypatch.setenv('CELLFIT_NO_BRIAN2', '1')
    assert not units.brian2_available()
    assert units.make_quantity(1.5, VOLT) == 1.5
    assert units.format_value(0.01, VOLT) == '0.01 m^2 kg s^-3 A^-1'


def test_metrics_as_messages():
    mse = cellfit.MSEMetric(t_start=5 * ms, normalization=2.0).to_proto('v')
    assert mse.output == 'v'
    assert mse.mse.t_start.value == pytest.approx(0.005)
    assert mse.mse.normalization == 2.0
    weighted = cellfit.MSEMetric(t_weights=[1, 3])
    # brian2modelfitting's attribute is normalized; the message carries the
    # weights as given, which the workers normalize once.
    np.testing.assert_array_equal(weighted.t_weights, [0.5, 1.5])
    assert list(weighted.to_proto().mse.t_weights) == [1.0, 3.0]
    assert cellfit.MSEMetric().to_proto().HasField('mse')
    with pytest.raises(ValueError, match='both'):
        cellfit.MSEMetric(t_start=1 * ms, t_weights=[1, 1])
    with pytest.raises(ValueError, match='positive'):
        cellfit.MSEMetric(t_weights=[1, -1])
    with pytest.raises(ValueError, match='all zero'):
        cellfit.MSEMetric(t_weights=[0, 0])
    with pytest.raises(TypeError, match='time'):
        cellfit.MSEMetric(t_start=5 * mV)
    gamma = cellfit.GammaFactor(delta=2 * ms, time=1 * second,
                                rate_correction=False).to_proto('spikes')
    assert gamma.gamma.no_rate_correction
    assert gamma.gamma.delta.value == pytest.approx(0.002)
    with pytest.raises(NotImplementedError, match='t_start'):
        cellfit.GammaFactor(delta=2 * ms, time=1 * second, t_start=1 * ms)
    features = cellfit.FeatureMetric([[10 * ms, 100 * ms], [20, 200]],
                                     ['Spikecount', 'AP_amplitude'],
                                     weights={'Spikecount': 2},
                                     threshold=-30 * mV).to_proto('v')
    f = features.features
    assert list(f.stim_start) == pytest.approx([0.01, 0.02])  # ms numbers
    assert list(f.stim_end) == pytest.approx([0.1, 0.2])
    assert dict(f.weights) == {'Spikecount': 2.0}
    assert f.threshold == pytest.approx(-0.03)
    with pytest.raises(NotImplementedError, match='Python function'):
        cellfit.FeatureMetric([[0, 1]], ['Spikecount'],
                              combine=lambda x, y: x - y)
    assert cellfit.MSEMetric(normalization=0.5).revert_normalization(4.0) == 1
    assert cellfit.GammaFactor(1 * ms, 1 * second, normalization=0.5) \
        .revert_normalization(4.0) == 2


def test_optimizers_as_messages():
    de = cellfit.DEOptimizer(seed=5, CR=0.9).to_proto()
    assert (de.method, de.seed, dict(de.options)) == ('DE', 5, {'CR': 0.9})
    assert cellfit.NevergradOptimizer('CMA').method == 'CMAES'
    assert cellfit.NevergradOptimizer().method == 'DE'
    assert cellfit.PSOOptimizer().to_proto().method == 'PSO'
    assert cellfit.NLoptOptimizer('ln_sbplx').method == 'LN_SBPLX'
    with pytest.raises(ValueError, match="'TBPSA'"):
        cellfit.NevergradOptimizer('TBPSA')
    with pytest.raises(TypeError, match='numeric'):
        cellfit.DEOptimizer(popsize='standard')
    with pytest.raises(ValueError, match='seed'):
        cellfit.DEOptimizer(seed=-1)
    assert cellfit.DEOptimizer(seed=1).same_settings(cellfit.DEOptimizer(
        seed=1))
    assert not cellfit.DEOptimizer().same_settings(cellfit.CMAESOptimizer())


def test_callbacks(capsys):
    def five(params, errors, best_params, best_error, index):
        return True

    def six(params, errors, best_params, best_error, index, additional_info):
        return additional_info

    function, user = callbacks.callback_setup(five, 3)
    assert user and function(1, 2, 3, 4, 5, {'x': 1}) is True
    function, user = callbacks.callback_setup(six, 3)
    assert function(1, 2, 3, 4, 5, {'x': 1}) == {'x': 1}
    assert callbacks.accepts_additional_info(lambda *args: None)
    assert not callbacks.accepts_additional_info(lambda a, b, c, d, e: None)
    assert callbacks.callback_setup(None, 3) == (callbacks.callback_none,
                                                 False)
    with pytest.raises(TypeError):
        callbacks.callback_setup('fancy', 3)
    callbacks.callback_text({}, [], {'gl': 10 * nS}, 2.5 * mV ** 2, 4,
                            {'output_var': ['v'], 'objective_errors': (1,)})
    out = capsys.readouterr().out
    assert out.startswith('Round 4: Best parameters gl=10. nS')
    assert 'Best error: 2.5 mV^2 (v)' in out
    callbacks.callback_text({}, [], {'gl': 1e-8}, 3.0, 0,
                            {'output_var': ['v', 'spikes'],
                             'objective_errors': (1.0, 4.0),
                             'objective_errors_normalized': (1.0, 2.0)})
    out = capsys.readouterr().out
    assert '1 (v) + 2 (spikes, unnormalized error: 4)' in out
    bar, user = callbacks.callback_setup('progressbar', 2)
    bar({}, [], {}, 1.0, 0, {})
    bar.close()


def test_namespace_lookup():
    El = -65 * mV  # noqa: F841
    VT = '-63*mV'  # noqa: F841
    not_a_number = [1, 2]  # noqa: F841
    import sys
    found = namespace.lookup_names(['El', 'VT', 'not_a_number', 'amp',
                                    'missing'], sys._getframe())
    assert found == {'El': El, 'VT': '-63*mV', 'amp': amp}
    messages = namespace.namespace_messages({'El': El, 'n': 3})
    assert [m.name for m in messages] == ['El', 'n']
    assert messages[1].quantity.value == 3
    assert namespace.same_values({'El': El}, {'El': -65 * mV})
    assert not namespace.same_values({'El': El}, {'El': -65 * amp})


def test_rpc_errors_become_python_errors():
    class Fake(grpc.RpcError):
        def __init__(self, code, details):
            self._code, self._details = code, details

        def code(self):
            return self._code

        def details(self):
            return self._details

    error = error_from_rpc(Fake(grpc.StatusCode.INVALID_ARGUMENT,
                                'model:1:5: error: bad'))
    assert isinstance(error, ValueError) and str(error) == \
        'model:1:5: error: bad'
    error = error_from_rpc(Fake(grpc.StatusCode.UNAVAILABLE, 'down'),
                           '127.0.0.1:1', 'Fit')
    assert isinstance(error, ConnectionError)
    assert 'at 127.0.0.1:1 cannot be reached (Fit): down' in str(error)
    assert isinstance(error_from_rpc(Fake(grpc.StatusCode.FAILED_PRECONDITION,
                                          'x')), RuntimeError)
    assert isinstance(error_from_rpc(Fake(grpc.StatusCode.UNIMPLEMENTED,
                                          'x')), NotImplementedError)
    assert isinstance(error_from_rpc(Fake(grpc.StatusCode.NOT_FOUND, 'x')),
                      LookupError)
