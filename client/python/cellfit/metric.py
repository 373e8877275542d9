"""Metrics: how the server scores a simulated output against the data.

They mirror brian2modelfitting's metric objects (`MSEMetric`, `GammaFactor`,
`FeatureMetric`) and are computed by the workers; an object here only holds
the settings, sent as a ``cellfit.v1.MetricSpec``.

Normalization follows brian2modelfitting: `MSEMetric` divides the traces by
``normalization`` (so the error by its square); the other metrics divide the
error. Errors carry brian2modelfitting's dimensions (the MSE of a voltage is
volt**2; GammaFactor and FeatureMetric are dimensionless).
"""

import numbers

import numpy as np

from ._proto import common_pb2
from .units import exponents_of, split_quantity, to_quantity_message

__all__ = ['Metric', 'TraceMetric', 'SpikeMetric', 'MSEMetric',
           'GammaFactor', 'FeatureMetric', 'normalize_weights',
           'check_server_metric']

_SECOND = (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)


def normalize_weights(t_weights):
    """Weights divided by their mean (brian2modelfitting's normalization).

    Raises
    ------
    ValueError
        For negative weights, or weights that are all zero.
    """
    t_weights = np.asarray(t_weights, dtype=float)
    if t_weights.ndim != 1:
        raise ValueError("'t_weights' has to be a one-dimensional array")
    if np.any(t_weights < 0):
        raise ValueError("Weights in 't_weights' have to be positive.")
    mean_weights = np.mean(t_weights)
    if mean_weights == 0:
        raise ValueError("Weights in 't_weights' cannot be all zero.")
    return t_weights / mean_weights


def _time(value, name):
    """A time as SI seconds (quantity or plain number in seconds)."""
    exponents = exponents_of(value)
    if any(exponents) and tuple(exponents) != _SECOND:
        raise TypeError(f"'{name}' has to be a time, not {value!r}")
    magnitude, _ = split_quantity(value)
    if np.ndim(magnitude) != 0:
        raise TypeError(f"'{name}' has to be a single time")
    return float(magnitude)


def _normalization(value):
    """A dimensionless, positive normalization factor."""
    if any(exponents_of(value)):
        raise TypeError('normalization has to be a dimensionless number in '
                        'cellfit (the server scales errors by a plain factor)')
    value = float(split_quantity(value)[0])
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f'normalization has to be a positive number, not '
                         f'{value!r}')
    return value


# brian2modelfitting's methods through which a metric computes its error in
# Python; cellfit's classes define none of them, so a class that does is the
# user's own metric code.
_PYTHON_METRIC_METHODS = ('get_features', 'get_errors', 'calc',
                          'get_dimensions', 'get_normalized_dimensions')


def check_server_metric(metric):
    """Raise TypeError unless `metric` is one the workers can compute.

    The workers compute the metrics from the settings in a MetricSpec, so a
    user's subclass that overrides how the error is computed (or a direct
    subclass of `Metric`, `TraceMetric` or `SpikeMetric`) would otherwise be
    sent as its parent's settings, or fail without saying why.
    """
    cls = type(metric)
    overridden = [name for name in _PYTHON_METRIC_METHODS
                  if callable(getattr(cls, name, None))]
    concrete = any(issubclass(cls, c) for c in _SERVER_METRICS)
    if concrete and not overridden and cls.to_proto in \
            (c.to_proto for c in _SERVER_METRICS):
        return
    what = (f" (it defines {', '.join(overridden)})" if overridden else
            ' (it does not derive from one of those)')
    raise TypeError(
        f'the metric class {cls.__name__} runs Python code{what}: cellfit '
        f'computes metrics on its workers from their settings, so Python '
        f'metric code (overridden get_features/get_errors/calc, or a '
        f'subclass of Metric, TraceMetric or SpikeMetric) cannot run there. '
        f'cellfit offers MSEMetric (traces), GammaFactor (spikes) and '
        f'FeatureMetric (eFEL features), with their settings.')


class Metric:
    """Base class of the metrics.

    Parameters
    ----------
    t_start : Quantity or float
        Start of the time window the error considers (plain numbers are
        seconds).
    normalization : float
        The factor errors are scaled by (see the module documentation).
    """

    def __init__(self, t_start=0.0, normalization=1.0):
        self.t_start = t_start
        self._t_start = _time(t_start, 't_start')
        if self._t_start < 0:
            raise ValueError("'t_start' cannot be negative")
        self.normalization = _normalization(normalization)

    def error_exponent(self):
        """The power of the output's dimension the error has (0 or 2)."""
        return 0

    def revert_normalization(self, error):
        """The error before normalization (brian2modelfitting's name)."""
        return error * self.normalization

    def to_proto(self, output=''):
        """The ``cellfit.v1.MetricSpec`` for output `output`."""
        check_server_metric(self)
        raise NotImplementedError(f'{type(self).__name__} has no settings '
                                  f'for the server')

    def __repr__(self):
        try:
            settings = str(self.to_proto())
        except (TypeError, NotImplementedError):
            settings = ''
        return f'{type(self).__name__}({settings})'.replace('\n', ' ')


class TraceMetric(Metric):
    """A metric comparing traces (`MSEMetric`, `FeatureMetric`)."""

    def __init__(self, t_start=0.0, t_weights=None, normalization=1.0):
        super().__init__(t_start=t_start, normalization=normalization)
        if t_weights is not None and self._t_start != 0:
            raise ValueError("Cannot use both 't_weights' and 't_start'.")
        self.t_weights = (None if t_weights is None
                          else normalize_weights(t_weights))
        # The workers normalize what they are sent, once, as
        # brian2modelfitting does: normalizing twice can move every weight
        # by an ulp.
        self._raw_t_weights = (None if t_weights is None
                               else np.asarray(t_weights, dtype=float))


class SpikeMetric(Metric):
    """A metric comparing spike trains (`GammaFactor`)."""


class MSEMetric(TraceMetric):
    """Mean squared error between simulated and recorded traces.

    Parameters
    ----------
    t_start : Quantity or float
        Samples before this time are ignored (plain numbers are seconds).
    t_weights : array-like, optional
        One weight per time step (normalized to mean 1); exclusive with
        ``t_start``.
    normalization : float
        Traces are divided by this before comparing, so the error is divided
        by its square.
    """

    def error_exponent(self):
        return 2

    def revert_normalization(self, error):
        return error * self.normalization ** 2

    def to_proto(self, output=''):
        spec = common_pb2.MetricSpec(output=output)
        mse = spec.mse
        if self._t_start:
            to_quantity_message(self._t_start, mse.t_start, _SECOND)
        if self._raw_t_weights is not None:
            mse.t_weights.extend(float(w) for w in self._raw_t_weights)
        if self.normalization != 1.0:
            mse.normalization = self.normalization
        spec.mse.SetInParent()
        return spec


class GammaFactor(SpikeMetric):
    """The gamma factor coincidence error between spike trains.

    Parameters
    ----------
    delta : Quantity or float
        Coincidence window (plain numbers are seconds).
    time : Quantity or float
        Duration of the recordings.
    t_start : Quantity or float
        Must be 0: the server's gamma factor has no start time yet.
    normalization : float
        The error is divided by this.
    rate_correction : bool
        Whether to penalize firing-rate differences (error
        ``1 + 2|r_data - r_model|/r_data - gamma``) or not (``1 - gamma``).
    """

    def __init__(self, delta, time, t_start=0.0, normalization=1.0,
                 rate_correction=True):
        super().__init__(t_start=t_start, normalization=normalization)
        if self._t_start != 0:
            raise NotImplementedError(
                "GammaFactor's 't_start' is not supported by the cellfit "
                'server (its GammaFactorMetric has no start time)')
        self.delta = delta
        self.time = time
        self._delta = _time(delta, 'delta')
        self._time = _time(time, 'time')
        if not self._delta > 0 or not self._time > 0:
            raise ValueError("'delta' and 'time' have to be positive")
        self.rate_correction = bool(rate_correction)

    def to_proto(self, output=''):
        spec = common_pb2.MetricSpec(output=output)
        gamma = spec.gamma
        to_quantity_message(self._delta, gamma.delta, _SECOND)
        to_quantity_message(self._time, gamma.time, _SECOND)
        gamma.no_rate_correction = not self.rate_correction
        if self.normalization != 1.0:
            gamma.normalization = self.normalization
        return spec


_COMBINE = ('absolute_difference', 'squared_difference')


class FeatureMetric(TraceMetric):
    """Errors of electrophysiology features (eFEL's definitions).

    Computed natively by the workers (eFEL is not needed).

    Parameters
    ----------
    stim_times : list of (start, end)
        Stimulus times, one pair per trace or one for all. Quantities, or
        plain numbers in **milliseconds** as brian2modelfitting (eFEL) takes
        them.
    feat_list : list of str
        eFEL feature names, e.g. ``['Spikecount', 'AP_amplitude']``.
    weights : dict, optional
        Weight per feature (absent features weigh 1).
    combine : {None, 'absolute_difference', 'squared_difference'}
        How a model and a target value compare (default: absolute
        difference, brian2modelfitting's default). Python callables cannot
        run on the server.
    t_start : Quantity or float
        Must be 0 (the wire contract has no feature-metric start time).
    normalization : float
        The error is divided by this.
    threshold : Quantity or float, optional
        Spike detection threshold (plain numbers are volts); default -20 mV.
    """

    def __init__(self, stim_times, feat_list, weights=None, combine=None,
                 t_start=0.0, normalization=1.0, threshold=None):
        super().__init__(t_start=t_start, normalization=normalization)
        if self._t_start != 0:
            raise NotImplementedError(
                "FeatureMetric's 't_start' is not supported by the cellfit "
                'wire contract (FeatureMetric has no start time)')
        if isinstance(feat_list, str):
            feat_list = [feat_list]
        self.feat_list = [str(f) for f in feat_list]
        if not self.feat_list:
            raise ValueError('feat_list needs at least one feature')
        if weights is None:
            weights = {}
        if not isinstance(weights, dict):
            raise TypeError('Weights has to be a dictionary!')
        self.weights = {str(k): float(v) for k, v in weights.items()}
        if combine is None:
            combine = 'absolute_difference'
        if callable(combine):
            raise NotImplementedError(
                'a Python function as combine cannot run on the server; use '
                "'absolute_difference' or 'squared_difference'")
        if combine not in _COMBINE:
            raise ValueError(f"combine must be one of {_COMBINE}, not "
                             f'{combine!r}')
        self.combine = combine
        self.stim_times = stim_times
        self._stim_start, self._stim_end = [], []
        for pair in stim_times:
            if len(pair) != 2:
                raise ValueError('stim_times needs (start, end) pairs')
            start, end = (self._stim_seconds(t) for t in pair)
            self._stim_start.append(start)
            self._stim_end.append(end)
        if not self._stim_start:
            raise ValueError('stim_times needs at least one (start, end) pair')
        self.threshold = threshold
        self._threshold = None
        if threshold is not None:
            exponents = exponents_of(threshold)
            volt = (2.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0)
            if any(exponents) and tuple(exponents) != volt:
                raise TypeError('threshold has to be a voltage')
            self._threshold = float(split_quantity(threshold)[0])

    @staticmethod
    def _stim_seconds(value):
        if any(exponents_of(value)):
            return _time(value, 'stim_times')
        if not isinstance(value, numbers.Real) and np.ndim(value) != 0:
            raise TypeError('stim_times values have to be numbers or times')
        return float(value) * 1e-3  # milliseconds, as eFEL takes them

    def to_proto(self, output=''):
        spec = common_pb2.MetricSpec(output=output)
        features = spec.features
        features.features.extend(self.feat_list)
        for name, weight in self.weights.items():
            features.weights[name] = weight
        features.stim_start.extend(self._stim_start)
        features.stim_end.extend(self._stim_end)
        features.combine = self.combine
        if self._threshold is not None:
            features.threshold = self._threshold
        if self.normalization != 1.0:
            features.normalization = self.normalization
        return spec


_SERVER_METRICS = (MSEMetric, GammaFactor, FeatureMetric)
