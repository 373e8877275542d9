"""TraceFitter, SpikeFitter, OnlineTraceFitter: brian2modelfitting's API.

The simulations, metrics and optimizers run on a cellfit server; a fitter
here holds the model and data, creates the fitter on the server (once the
namespace is known, at the first `fit`, `generate` or `refine`), runs fits
round by round over a stream, and turns the server's tables back into
brian2modelfitting's return values.
"""

import numbers
import os
import queue
import re
import warnings
from collections.abc import Mapping, Sequence

import grpc
import numpy as np

from ._proto import common_pb2, fitting_pb2
from .callbacks import ProgressBar, callback_setup
from .connection import resolve_server
from .errors import FitterNotFoundError, InvalidArgumentError, \
    error_from_rpc
from .metric import GammaFactor, Metric, MSEMetric, SpikeMetric, \
    TraceMetric, check_server_metric
from .namespace import lookup_names, namespace_messages, same_values
from .optimizer import NevergradOptimizer, Optimizer, \
    check_server_optimizer
from .units import DIMENSIONLESS_EXPONENTS, \
    dimension_message, exponents_from_message, exponents_of, is_quantity, \
    make_quantity, quantity_text, split_quantity, to_quantity_message, \
    unit_text
from .worker_wait import watched

__all__ = ['Fitter', 'TraceFitter', 'SpikeFitter', 'OnlineTraceFitter',
           'RefineResult']

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_SECOND = (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
_BACKENDS = {None: common_pb2.BACKEND_UNSPECIFIED,
             'runtime': common_pb2.BACKEND_RUNTIME,
             'standalone': common_pb2.BACKEND_STANDALONE}
_UNRESOLVED = re.compile(r"The identifier '([A-Za-z_][A-Za-z_0-9]*)' could "
                         r"not be resolved")
_UNKNOWN_FUNCTION = re.compile(r"Unknown function '([A-Za-z_][A-Za-z_0-9]*)'")


def _python_function_kind(value):
    """'TimedArray', 'Function' or 'function' for a value the server cannot
    receive as a model function; None otherwise."""
    names = [c.__name__ for c in type(value).__mro__]
    for kind in ('TimedArray', 'Function'):
        if kind in names:
            return kind
    if callable(value) and not isinstance(value, type):
        return 'function'
    return None


def _check_python_functions(response, frame):
    """Raise TypeError when the model calls a Python object of `frame`.

    Brian2 takes TimedArrays and Functions from the namespace; the server
    only knows Brian2's built-in functions and reports the name as unknown,
    which does not say that the object exists but cannot be sent.
    """
    if frame is None:
        return
    scopes = (frame.f_locals, frame.f_globals)
    for d in response.diagnostics:
        match = _UNKNOWN_FUNCTION.search(d.message) or \
            _UNRESOLVED.search(d.message)
        if not match:
            continue
        name = match.group(1)
        for scope in scopes:
            if name in scope:
                kind = _python_function_kind(scope[name])
                if kind is None:
                    break
                what = {'TimedArray': 'a Brian2 TimedArray',
                        'Function': 'a Brian2 Function',
                        'function': 'a Python function'}[kind]
                raise TypeError(
                    f"the model uses '{name}', {what}: cellfit cannot send "
                    f'Python functions or TimedArrays to its server (the '
                    f'model runs on its workers, which know only Brian2\'s '
                    f'built-in functions). Give time-varying inputs as input '
                    f"traces instead, e.g. input={{'{name}': array of shape "
                    f"(n_traces, n_steps)}}, and use '{name}' as a variable "
                    f"in the model (not '{name}(t)').")


class _Unset:
    """The default of `Fitter.fit`'s arguments: tells "not given" apart."""

    def __repr__(self):
        return 'default'


_UNSET = _Unset()
# Both orders end the same way after their first three arguments.
_FIT_TAIL = ('callback', 'restart', 'start_iteration', 'penalty', 'level')
_FIT_DEFAULTS = {'optimizer': None, 'metric': None, 'n_rounds': 1,
                 'callback': 'text', 'restart': False,
                 'start_iteration': None, 'penalty': None, 'level': 0}


def _fit_argument_kind(value):
    """Which of n_rounds, optimizer, metric a positional value is."""
    if value is None:
        return None
    if isinstance(value, numbers.Real):
        return 'n_rounds'
    if isinstance(value, (Metric, Mapping)) or (
            isinstance(value, Sequence) and not isinstance(value, str)):
        return 'metric'
    return 'optimizer'


def _fit_arguments(args, keywords):
    """`Fitter.fit`'s arguments by name, from either positional order.

    brian2modelfitting's order is ``fit(optimizer, metric, n_rounds,
    callback, ...)`` and cellfit's ``fit(n_rounds, optimizer, metric,
    callback, ...)``: the first three positional values are recognised by
    type (a number is n_rounds, a Metric or dict of them the metric, anything
    else the optimizer), a None by its position in the order the first value
    suggests; the rest are positional in the common order.
    """
    if len(args) > 3 + len(_FIT_TAIL):
        raise TypeError(f'fit() takes at most {3 + len(_FIT_TAIL)} '
                        f'positional arguments but {len(args)} were given')
    values = {name: value for name, value in keywords.items()
              if value is not _UNSET}
    given = {name: 'as a keyword' for name in values}

    def put(name, value, how):
        if name in values:
            raise TypeError(f"fit() got multiple values for argument "
                            f"'{name}': {given[name]} and {how}")
        values[name] = value
        given[name] = how

    head, tail = args[:3], args[3:]
    order = ('optimizer', 'metric', 'n_rounds')
    if head and _fit_argument_kind(head[0]) == 'n_rounds':
        order = ('n_rounds', 'optimizer', 'metric')
    for position, value in enumerate(head):
        kind = _fit_argument_kind(value)
        if kind is not None:
            put(kind, value, f'positional argument {position + 1} '
                f'(a {type(value).__name__}, taken as {kind})')
    for position, value in enumerate(head):
        if value is None:
            put(order[position], value,
                f'positional argument {position + 1} (None)')
    for position, (name, value) in enumerate(zip(_FIT_TAIL, tail)):
        put(name, value, f'positional argument {position + 4}')
    return {name: values.get(name, default)
            for name, default in _FIT_DEFAULTS.items()}


def _nevergrad_population(optimizer, n_samples):
    """The samples per round brian2modelfitting would use, or None.

    Its NevergradOptimizer.initialize uses Nevergrad's population size
    (``optim.llambda``) when it differs from n_samples: ``max(30,
    num_workers)`` for DE and ``max(40, num_workers)`` for PSO, with
    num_workers = n_samples. CMA's depends on the versions of Nevergrad and
    cma, so it is only documented.
    """
    if not isinstance(optimizer, NevergradOptimizer) or \
            'popsize' in optimizer.options:
        return None
    minimum = {'DE': 30, 'PSO': 40}.get(optimizer.method)
    if minimum is None or n_samples >= minimum:
        return None
    return minimum


def _user_frame(level):
    """The frame of the code calling into this package, `level` further out.

    Frames of this package's own modules are skipped, so that every public
    method sees its caller at level 0 whatever the internal call depth.
    """
    import sys
    frame = sys._getframe(1)
    while frame is not None and \
            os.path.dirname(os.path.abspath(frame.f_code.co_filename)) \
            == _PACKAGE_DIR:
        frame = frame.f_back
    for _ in range(int(level)):
        if frame is None:
            break
        frame = frame.f_back
    return frame


def _model_text(model):
    """The model as text: a string as given, a Brian2 `Equations` rewritten.

    ``str(Equations)`` writes units as Brian2 displays them (``V``, ``S``),
    which neither Brian2 nor the server parse back, so equations are written
    out with their dimensions as products of base units.
    """
    if isinstance(model, str):
        return model
    ordered = getattr(model, 'ordered', None)
    if ordered is None:
        raise TypeError(f'model has to be a string or brian2 Equations, not '
                        f'{type(model).__name__}')
    lines = []
    for eq in ordered:
        var_type = str(eq.var_type)
        if var_type == 'boolean':
            unit = 'boolean'
        elif var_type == 'integer':
            unit = 'integer'
        else:
            unit = unit_text(tuple(float(e) for e in eq.dim._dims))
        flags = f" ({', '.join(eq.flags)})" if eq.flags else ''
        kind = str(eq.type)
        if kind == 'differential equation':
            lines.append(f'd{eq.varname}/dt = {eq.expr.code} : {unit}{flags}')
        elif kind == 'subexpression':
            lines.append(f'{eq.varname} = {eq.expr.code} : {unit}{flags}')
        else:
            lines.append(f'{eq.varname} : {unit}{flags}')
    return '\n'.join(lines)


def _format_diagnostics(response):
    lines = []
    for d in response.diagnostics:
        p = d.position
        lines.append(f'{p.field}:{p.line}:{p.column}: error: {d.message}')
    return '\n'.join(lines)


def _column_values(column):
    return np.asarray(column.values, dtype=float)


def _table(table):
    """A ParameterTable as {name: (values, exponents)}, in column order."""
    return {c.name: (_column_values(c), exponents_from_message(c.dimension))
            for c in table.columns}


class _Data:
    """One input or output of the fitter, as it goes on the wire."""

    def __init__(self, name, values, exponents=None, unit=None,
                 spikes=None, original=None):
        self.name = name
        self.values = values        # 2D float array (or None for spikes)
        self.exponents = exponents  # dimension of `values`, None: unknown
        self.unit = unit            # unit text for `values` (tuple input)
        self.spikes = spikes        # list of 1D arrays of seconds
        self.original = original

    def trace_set(self, message, exponents=None, with_values=True):
        """Fill a TraceSet; `exponents` stands in for unknown dimensions."""
        if with_values:
            message.n_traces, message.n_steps = self.values.shape
            message.values[:] = self.values.ravel().tolist()
        if self.unit is not None:
            message.unit.text = self.unit
            return message
        dims = self.exponents if self.exponents is not None else exponents
        if dims is not None and any(dims):
            message.unit.value = 1.0
            dimension_message(dims, message.unit.dimension)
        return message


def _traces(name, value, what):
    """An input or output trace array -> _Data (SI values or unit text)."""
    unit = None
    if isinstance(value, tuple) and len(value) == 2 and \
            isinstance(value[1], str):
        value, unit = value
    exponents = exponents_of(value) if unit is None else None
    if unit is None and not is_quantity(value):
        exponents = None  # plain numbers: SI of the variable
    values = np.asarray(value, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"the {what} '{name}' has to be a 2D array of shape "
                         f'(n_traces, time steps), not {values.shape}')
    return _Data(name, np.ascontiguousarray(values), exponents, unit,
                 original=value)


def _spike_trains(value):
    """A list of spike-time arrays (Quantities or seconds) -> _Data."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        value = list(value)
    if not isinstance(value, (list, tuple)):
        raise TypeError('the output of a SpikeFitter has to be a list of '
                        'spike-time arrays, one per input trace')
    trains = []
    for train in value:
        exponents = exponents_of(train)
        if any(exponents) and tuple(exponents) != _SECOND:
            raise TypeError('spike times have to be times')
        trains.append(np.sort(np.atleast_1d(np.asarray(train, dtype=float))))
    return _Data('spikes', None, spikes=trains, original=value)


# How the server's refinement ends when it converged (not when a limit or
# the callback stopped it): scipy's `success`.
_REFINE_CONVERGED = ('converged', 'the gradient vanished')


class RefineResult(dict):
    """What `TraceFitter.refine` returns after the parameters.

    brian2modelfitting returns scipy's ``OptimizeResult`` (a dict with
    attribute access); this has the attributes the server reports:

    x : ndarray
        The refined parameters, SI values in ``parameter_names`` order.
    nfev : int
        Simulations run (finite-difference Jacobian points included; scipy's
        'trf' does not count those).
    success : bool
        Whether it converged (not stopped by ``max_iterations``,
        ``max_nfev`` or the callback).
    message : str
        Why it stopped, with the number of simulations.
    error : Quantity or float
        The final mean squared (normalized) residual.
    iterations : int or None
        Levenberg-Marquardt iterations (None when the callback stopped it).
    errors, tested_parameters
        Every simulated point's error and parameters, in order.

    scipy's ``cost``, ``fun``, ``jac``, ``grad``, ``optimality``,
    ``active_mask``, ``status`` and ``njev`` are not reported by the server.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"'RefineResult' has no attribute '{name}' (the cellfit "
                f"server reports {', '.join(self)})") from None

    def __repr__(self):
        shown = [f'{k}={v!r}' for k, v in self.items()
                 if k not in ('errors', 'tested_parameters')]
        return f"RefineResult({', '.join(shown)})"


class Fitter:
    """Base class of the fitters (see `TraceFitter` for the parameters)."""

    _kind = None
    _metric_class = Metric

    def __init__(self, dt, model, input, output, n_samples, input_var=None,
                 output_var=None, threshold=None, reset=None, refractory=False,
                 method=None, param_init=None, penalty=None, use_units=True,
                 backend='runtime', server=None, name=None):
        if dt is None:
            raise ValueError('dt-sampling frequency of the input must be set')
        self.model = model
        self._model_text = _model_text(model)
        self.dt = dt
        dims = exponents_of(dt)
        if isinstance(dt, str) or (any(dims) and tuple(dims) != _SECOND):
            raise TypeError(f'dt has to be a time (a quantity, or a number '
                            f'of seconds), not {dt!r}')
        self._dt_message = to_quantity_message(
            dt, common_pb2.Quantity(), _SECOND)
        self._dt_seconds = float(split_quantity(dt)[0])
        if isinstance(n_samples, bool) or \
                not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f'n_samples has to be a positive integer, not '
                             f'{n_samples!r}')
        self.n_samples = int(n_samples)
        self.threshold = threshold
        self.reset = reset
        self.refractory = refractory
        self.method = method
        self.penalty = penalty
        self.use_units = bool(use_units)
        if backend not in _BACKENDS:
            raise ValueError(f"backend has to be 'runtime' or 'standalone', "
                             f'not {backend!r}')
        self.backend = backend
        self.name = name

        self._inputs = self._parse_input(input, input_var)
        self.input_var = self._inputs[0].name
        self.input = self._inputs[0].original
        self.n_traces, n_steps = self._inputs[0].values.shape
        self.n_steps = n_steps
        for data in self._inputs[1:]:
            if data.values.shape != (self.n_traces, n_steps):
                raise ValueError('all inputs must have the same shape')
        self._outputs = self._parse_output(output, output_var)
        self.output_var = [o.name for o in self._outputs]
        self.output = [o.original for o in self._outputs]

        if not param_init:
            param_init = {}
        if not isinstance(param_init, Mapping):
            raise TypeError('param_init has to be a dictionary')
        self.param_init = dict(param_init)

        self._connection = resolve_server(server)
        # What the server told us about the model.
        self._needed_names = set()
        self._variables = {}
        self.parameter_names = []
        self._constructor_namespace = {}
        # The fitter on the server, and the fit's state.
        self.fitter_id = None
        # Set by delete(): calls that read the server's fitter raise, as they
        # do when it was deleted elsewhere, instead of reading as never fit.
        self._deleted_id = None
        self._namespace = None
        self.optimizer = None
        self.metric = None
        self.bounds = None
        self.iteration = 0
        self.run = 0
        self._rounds_done = 0
        self._best_params = None
        self._best_error = None
        self._error_exponents = DIMENSIONLESS_EXPONENTS
        self._best_objective_errors_normed = None
        self._objective_exponents = {}

        self._learn_model(_user_frame(0))

    # ------------------------------------------------------------------
    # Data and model.

    def _parse_input(self, input, input_var):
        if input_var is not None:
            warnings.warn("Use the 'input' argument with a dictionary instead "
                          "of giving the name as 'input_var'",
                          DeprecationWarning, stacklevel=4)
            if isinstance(input, Mapping):
                if input_var not in input:
                    raise ValueError("Name given as 'input_var' and key in "
                                     "'input' dictionary do not match.")
                input = {input_var: input[input_var]}
            else:
                input = {input_var: input}
        if not isinstance(input, Mapping):
            raise TypeError("'input' argument has to be a dictionary mapping "
                            'the name of the input variable to the input.')
        if not input:
            raise ValueError('at least one input is needed')
        return [_traces(name, value, 'input') for name, value in input.items()]

    def _parse_output(self, output, output_var):
        if output_var is not None:
            warnings.warn("Use the 'output' argument with a dictionary "
                          "instead of giving the name as 'output_var'",
                          DeprecationWarning, stacklevel=4)
            if isinstance(output_var, str):
                output_var = [output_var]
            if isinstance(output, Mapping):
                if set(output_var) != set(output):
                    raise ValueError("Names given as 'output_var' and keys in "
                                     "'output' dictionary do not match.")
            else:
                if not isinstance(output, list) or len(output_var) == 1:
                    output = [output]
                if len(output) != len(output_var):
                    raise ValueError("'output' and 'output_var' differ in "
                                     'length')
                output = dict(zip(output_var, output))
        if not isinstance(output, Mapping):
            raise TypeError("'output' argument has to be a dictionary mapping "
                            'the name of the output variable to the output.')
        if not output:
            raise ValueError('at least one output is needed')
        data = []
        for name, value in output.items():
            if name == 'spikes':
                data.append(_spike_trains(value))
            else:
                data.append(_traces(name, value, 'output'))
                if data[-1].values.shape != (self.n_traces, self.n_steps):
                    raise ValueError('Input and output must have the same '
                                     'size')
        return data

    def _spec(self, namespace, with_data):
        """The FitterSpec (without trace values for CheckModel)."""
        spec = common_pb2.FitterSpec(
            kind=self._kind, model=self._model_text,
            n_samples=self.n_samples, method=self.method or '',
            threshold=self.threshold or '',
            reset=self.reset or '', penalty=self.penalty or '',
            backend=_BACKENDS[self.backend], use_units=self.use_units,
            name=self.name or '')
        spec.dt.CopyFrom(self._dt_message)
        refractory = self.refractory
        if refractory is not None and refractory is not False:
            spec.refractory = quantity_text(refractory)
        for var, value in self.param_init.items():
            spec.param_init[var] = quantity_text(value)
        spec.namespace.extend(namespace_messages(namespace))
        for data in self._inputs:
            message = spec.inputs.add(variable=data.name)
            data.trace_set(message.traces, with_values=with_data)
        for data in self._outputs:
            message = spec.outputs.add(variable=data.name)
            if data.spikes is not None:
                message.spikes.SetInParent()
                if with_data:
                    for train in data.spikes:
                        message.spikes.trains.add().times[:] = train.tolist()
            else:
                variable = self._variables.get(data.name)
                data.trace_set(message.traces,
                               variable[1] if variable else None,
                               with_values=with_data)
                if not with_data:
                    message.traces.SetInParent()
        return spec

    def _check_model(self, namespace):
        request = fitting_pb2.CheckModelRequest(
            spec=self._spec(namespace, with_data=False))
        return self._connection.call('CheckModel', request)

    def _resolve(self, frame, fallback=None):
        """Look the model's names up in `frame` and check the model.

        Returns
        -------
        namespace : dict
        response : CheckModelResponse
        missing : set of str
            Names the model needs that were found nowhere.
        """
        namespace = {}
        fallback = fallback or {}
        for _ in range(8):  # names only found once others resolve
            wanted = self._needed_names - set(namespace)
            found = lookup_names(wanted, frame)
            for name in wanted - set(found):
                if name in fallback:
                    found[name] = fallback[name]
            namespace.update(found)
            response = self._check_model(namespace)
            new = set(response.namespace_names) - self._needed_names
            self._needed_names |= set(response.namespace_names)
            if not new - set(namespace):
                break
        missing = self._needed_names - set(namespace)
        if response.variables:
            self._variables = {
                v.name: (v.kind, exponents_from_message(v.dimension))
                for v in response.variables}
        if response.fitted_parameters:
            self.parameter_names = list(response.fitted_parameters)
        return namespace, response, missing

    def _learn_model(self, frame):
        """Check the model now: raise for errors other than missing names."""
        namespace, response, missing = self._resolve(frame)
        self._constructor_namespace = namespace
        if response.ok:
            return
        _check_python_functions(response, frame)
        # Names defined later (before fit) are fine; other errors are not.
        others = [d for d in response.diagnostics
                  if not (_UNRESOLVED.search(d.message) and
                          _UNRESOLVED.search(d.message).group(1) in missing)]
        if others:
            raise InvalidArgumentError(_format_diagnostics(response),
                                       code=grpc.StatusCode.INVALID_ARGUMENT)

    def _ensure_fitter(self, frame, restart=False):
        """Create the server's fitter (or a new one if the namespace changed).
        """
        namespace, response, _ = self._resolve(
            frame, fallback=self._constructor_namespace)
        if not response.ok:
            _check_python_functions(response, frame)
            raise InvalidArgumentError(_format_diagnostics(response),
                                       code=grpc.StatusCode.INVALID_ARGUMENT)
        if self.fitter_id is not None:
            if same_values(namespace, self._namespace):
                return False
            if not restart and self._rounds_done > 0:
                old = self._namespace
                changed = sorted(
                    n for n in set(namespace) | set(old)
                    if n not in namespace or n not in old
                    or not same_values({n: namespace[n]}, {n: old[n]}))
                warnings.warn(
                    f"the values of {', '.join(changed)} changed since the "
                    f'fitter was created on the server; it keeps the first '
                    f'values. Fit with restart=True to use the new ones.',
                    UserWarning, stacklevel=4)
                return False
        info = self._connection.call(
            'CreateFitter',
            fitting_pb2.CreateFitterRequest(spec=self._spec(namespace, True)))
        self.fitter_id = info.id
        self._deleted_id = None
        self._namespace = namespace
        self.parameter_names = list(info.parameters) or self.parameter_names
        self._rounds_done = 0
        self.run = info.run
        return True

    @property
    def duration(self):
        """The length of the traces (n_steps * dt)."""
        return make_quantity(self.n_steps * self._dt_seconds, _SECOND, True)

    @property
    def namespace(self):
        """The constants sent to the server with the fitter (name -> value).
        """
        return dict(self._namespace or self._constructor_namespace)

    # ------------------------------------------------------------------
    # Values with units.

    def _param_exponents(self, name):
        variable = self._variables.get(name)
        return variable[1] if variable else DIMENSIONLESS_EXPONENTS

    def _params_dict(self, values, exponents, use_units):
        return {name: make_quantity(values[name], exponents[name], use_units)
                for name in values}

    def _quantity_or_float(self, value, exponents, use_units):
        return make_quantity(value, exponents, use_units)

    def _parameter_table(self, params):
        """A dict of parameter values -> a one-row ParameterTable."""
        if not isinstance(params, Mapping):
            raise TypeError('params has to be a dictionary of parameter '
                            'values')
        table = common_pb2.ParameterTable()
        for name, value in params.items():
            column = table.columns.add(name=name)
            magnitude, exponents = split_quantity(value)
            if np.ndim(magnitude) != 0:
                raise TypeError(f"the value of '{name}' has to be a single "
                                f'value')
            column.values.append(float(magnitude))
            if is_quantity(value):
                dimension_message(exponents, column.dimension)
        return table

    def _bounds_messages(self, bounds):
        messages = []
        for name, pair in bounds.items():
            if isinstance(pair, (str, bytes)) or not isinstance(
                    pair, (Sequence, np.ndarray)) or len(pair) != 2:
                raise TypeError(f"the bounds of '{name}' have to be "
                                f'[lower, upper], not {pair!r}')
            message = fitting_pb2.Bounds(parameter=name)
            exponents = self._param_exponents(name)
            to_quantity_message(pair[0], message.lower, exponents)
            to_quantity_message(pair[1], message.upper, exponents)
            messages.append(message)
        return messages

    # ------------------------------------------------------------------
    # Fitting.

    def _verify_metric(self, metric):
        """{output: Metric} for every output (brian2modelfitting's rules)."""
        if isinstance(metric, Metric):
            metric = {o: metric for o in self.output_var}
        elif isinstance(metric, Sequence) and not isinstance(metric, str):
            warnings.warn('Using a list of metrics is deprecated, use a '
                          'dictionary instead.', DeprecationWarning,
                          stacklevel=4)
            if len(metric) != len(self.output_var):
                raise TypeError('List of metrics needs to have as many '
                                'elements as output variables.')
            metric = dict(zip(self.output_var, metric))
        if not isinstance(metric, Mapping):
            raise TypeError('Metric has to be a Metric instance, or a '
                            'dictionary mapping output variable names to '
                            'Metric instances.')
        for o, m in metric.items():
            if o not in self.output_var:
                raise ValueError(f"Metric key '{o}' does not correspond to "
                                 f'an output variable name.')
            if not isinstance(m, self._metric_class):
                raise TypeError(f"metric has to be a child of class "
                                f"'{self._metric_class.__name__}' but is a "
                                f"'{type(m).__name__}'.")
            check_server_metric(m)
            t_weights = getattr(m, 't_weights', None)
            if t_weights is not None and t_weights.shape != (self.n_steps,):
                raise ValueError("The 't_weights' argument of the metric has "
                                 'to be a one-dimensional array of length '
                                 f'{self.n_steps} but has shape '
                                 f'{t_weights.shape}')
        for o in self.output_var:
            if o not in metric:
                raise ValueError(f"Output variable '{o}' does not have a "
                                 f'corresponding entry in the metric '
                                 f'dictionary.')
        return dict(metric)

    def _default_metric(self):
        return MSEMetric()

    def _metric_protos(self, metric):
        return [metric[o].to_proto(o) for o in self.output_var]

    def _same_metric(self, metric):
        if self.metric is None or metric is None:
            return metric is None
        return all(o in self.metric and
                   (self.metric[o] is metric[o] or
                    self.metric[o].to_proto(o).SerializeToString(
                        deterministic=True) ==
                    metric[o].to_proto(o).SerializeToString(
                        deterministic=True))
                   for o in self.output_var)

    def fit(self, *args, optimizer=_UNSET, metric=_UNSET, n_rounds=_UNSET,
            callback=_UNSET, restart=_UNSET, start_iteration=_UNSET,
            penalty=_UNSET, level=_UNSET, **params):
        """Run rounds of the optimization on the server.

        Called as brian2modelfitting's ``fit(optimizer, metric=None,
        n_rounds=1, callback='text', restart=False, start_iteration=None,
        penalty=None, level=0, **params)`` or as ``fit(n_rounds, optimizer,
        metric, ...)``: the first three positional arguments are recognised
        by type, so any mix of positional and keyword arguments works; a
        value given twice is a TypeError.

        Parameters
        ----------
        optimizer : Optimizer, optional
            Default `NevergradOptimizer` (differential evolution). Changing
            it needs ``restart=True``. Python optimizer classes (ask/tell)
            cannot run on the server.
        metric : Metric or dict, optional
            One metric for all outputs, or ``{output: Metric}``. Default:
            `MSEMetric` (traces), ``GammaFactor(2*ms, duration)`` (spikes).
            Changing it needs ``restart=True``.
        n_rounds : int
            Rounds to run in this call (default 1).
        callback : {'text', 'progressbar', None} or callable
            Per-round feedback; a callable
            ``(params, errors, best_params, best_error, index[,
            additional_info])`` returning True stops the fit after that
            round (the server evaluates nothing more).
        restart : bool
            Start over: new optimizer state and iteration counter (a new
            run on the server); only then may optimizer, metric and bounds
            change.
        start_iteration : int, optional
            Value of the model's ``iteration`` in the first round of a new
            run (the server refuses it when continuing a run).
        penalty : str, optional
            A model variable added to the error; default the fitter's.
        level : int
            How much farther out to look for the namespace.
        **params
            Bounds ``name=[lower, upper]`` of every parameter (quantities,
            or floats in SI units), needed for the first fit and after a
            restart.

        Returns
        -------
        best_params : dict
        best_error : Quantity or float
        """
        a = _fit_arguments(args, dict(
            optimizer=optimizer, metric=metric, n_rounds=n_rounds,
            callback=callback, restart=restart,
            start_iteration=start_iteration, penalty=penalty, level=level))
        optimizer, metric, n_rounds = a['optimizer'], a['metric'], \
            a['n_rounds']
        callback, restart, start_iteration, penalty, level = (
            a[name] for name in _FIT_TAIL)
        if isinstance(n_rounds, bool) or \
                not isinstance(n_rounds, numbers.Integral) or n_rounds < 0:
            raise ValueError(f'n_rounds has to be a non-negative integer, '
                             f'not {n_rounds!r}')
        if optimizer is not None:
            check_server_optimizer(optimizer)
        frame = _user_frame(level)
        self._ensure_fitter(frame, restart=restart)
        # A new run on the server: the first rounds, or a restart.
        new_run = restart or self._rounds_done == 0
        if new_run and not restart:
            # Settings given before any round ran (fit with n_rounds=0, or a
            # fitter re-created on the server) still hold.
            optimizer = optimizer or self.optimizer
            metric = metric if metric is not None else self.metric
            params = params or dict(self.bounds or {})
        if metric is None and not new_run:
            metric = self.metric  # continuing: the same metric
        metric = self._fit_metric(metric)

        request = fitting_pb2.FitRequest(fitter_id=self.fitter_id,
                                         n_rounds=int(n_rounds),
                                         restart=bool(restart))
        if new_run:
            unknown = [p for p in params if p not in self.parameter_names]
            if unknown:
                raise ValueError(f'Parameter {unknown[0]} must be defined as '
                                 f'a parameter in the model')
            for p in self.parameter_names:
                if p not in params:
                    raise TypeError(f'Bounds must be set for parameter {p}')
            optimizer = optimizer or NevergradOptimizer()
            population = _nevergrad_population(optimizer, self.n_samples)
            if population is not None:
                warnings.warn(
                    f'brian2modelfitting would use {population} samples per '
                    f"round for method '{optimizer.method}' (Nevergrad's "
                    f'smallest population for it); cellfit uses n_samples='
                    f'{self.n_samples} as given', UserWarning, stacklevel=2)
            request.optimizer.CopyFrom(optimizer.to_proto())
            if metric is not None:
                request.metrics.extend(self._metric_protos(metric))
            request.bounds.extend(self._bounds_messages(params))
            if start_iteration is not None:
                request.start_iteration = int(start_iteration)
        else:
            # Send only what changed; the server refuses changes (as
            # brian2modelfitting does) unless restart=True.
            if optimizer is not None and optimizer is not self.optimizer \
                    and not optimizer.same_settings(self.optimizer):
                request.optimizer.CopyFrom(optimizer.to_proto())
            if metric is not None and not self._same_metric(metric):
                request.metrics.extend(self._metric_protos(metric))
            if params and not self._same_bounds(params):
                request.bounds.extend(self._bounds_messages(params))
            if start_iteration is not None:
                request.start_iteration = int(start_iteration)
            optimizer = optimizer or self.optimizer
            metric = metric if metric is not None else self.metric
        if penalty is not None:
            request.penalty = penalty

        if n_rounds == 0:  # brian2modelfitting: prepares refine
            if new_run:
                self._start_run_state(optimizer, metric, params)
            return self.best_params, self.best_error

        function, is_user = callback_setup(callback, n_rounds)
        request.acknowledge_rounds = is_user
        try:
            self._stream_fit(request, function, is_user, new_run, optimizer,
                             metric, params)
        finally:
            if isinstance(function, ProgressBar):
                function.close()
        return self.best_params, self.best_error

    def _fit_metric(self, metric):
        if metric is None:
            metric = self._default_metric()
        return self._verify_metric(metric)

    def _same_bounds(self, params):
        if self.bounds is None or set(params) != set(self.bounds):
            return False
        for name, pair in params.items():
            mine = self.bounds[name]
            for a, b in zip(pair, mine):
                if isinstance(a, str) or isinstance(b, str):
                    if a != b:
                        return False
                    continue
                va, da = split_quantity(a)
                vb, db = split_quantity(b)
                if va != vb or (is_quantity(a) and is_quantity(b)
                                and da != db):
                    return False
        return True

    def _start_run_state(self, optimizer, metric, params):
        self.optimizer = optimizer
        self.metric = metric
        self.bounds = dict(params)
        self._best_params = None
        self._best_error = None
        self._best_objective_errors_normed = None
        self._rounds_done = 0

    def _stream_fit(self, request, function, acknowledge, new_run, optimizer,
                    metric, params):
        requests = queue.Queue()
        requests.put(fitting_pb2.FitControl(start=request))

        def control_messages():
            while True:
                message = requests.get()
                if message is None:
                    return
                yield message

        try:
            call = self._connection.stub.Fit(
                control_messages(), metadata=self._connection.metadata)
        except ValueError as error:  # the channel was closed
            raise self._connection._closed(error) from None
        started = False
        index = 0
        try:
            for rnd in watched(self._connection, call):
                if not started:
                    started = True
                    if new_run:
                        self._start_run_state(optimizer, metric, params)
                    else:
                        self.optimizer = optimizer
                        self.metric = metric
                stop = self._on_round(rnd, function, index)
                index += 1
                if acknowledge and not rnd.last:
                    requests.put(fitting_pb2.FitControl(stop=True) if stop
                                 else fitting_pb2.FitControl(proceed=True))
                if stop:
                    break
            # After a stop the server ends the call; drain it for its status.
            for _ in call:
                pass
        except grpc.RpcError as error:
            raise error_from_rpc(error, self._connection.address,
                                 'Fit') from None
        except BaseException:
            call.cancel()
            raise
        finally:
            requests.put(None)

    def _on_round(self, rnd, function, index):
        """Record a FitRound and call the callback; True to stop."""
        use_units = self.use_units
        self.run = rnd.run
        self._rounds_done = rnd.round + 1
        self.iteration = rnd.iteration + 1
        self._error_exponents = exponents_from_message(rnd.error_dimension)
        table = _table(rnd.params)
        names = list(table)
        exps = {n: table[n][1] for n in names}
        errors = np.asarray(rnd.errors, dtype=float)
        objectives = {o.output: np.asarray(o.errors, dtype=float)
                      for o in rnd.objective_errors}
        for o in rnd.objective_errors:
            self._objective_exponents[o.output] = \
                exponents_from_message(o.dimension)
        # The best candidate so far, with its errors per output.
        if errors.size and np.any(np.isfinite(errors)):
            k = int(np.nanargmin(errors))
            if self._best_error is None or errors[k] <= self._best_error:
                self._best_objective_errors_normed = {
                    o: float(v[k]) for o, v in objectives.items()}
        best = _table(rnd.best_params)
        if best:
            self._best_params = {n: float(v[0]) for n, (v, _) in best.items()}
            self._best_param_exponents = {n: e for n, (_, e) in best.items()}
        self._best_error = float(rnd.best_error)

        param_dicts = [
            {n: make_quantity(table[n][0][s], exps[n], use_units)
             for n in names}
            for s in range(len(errors))]
        errors_q = make_quantity(errors, self._error_exponents, use_units)
        info = self._additional_info(use_units)
        info['parameter_exponents'] = exps
        info['error_exponents'] = self._error_exponents
        info['round'] = rnd.round
        info['run'] = rnd.run
        info['iteration'] = rnd.iteration
        info['seconds'] = rnd.seconds
        result = function(param_dicts, errors_q, self.best_params,
                          self.best_error, index, info)
        return result is True

    def _additional_info(self, use_units):
        normed = self._best_objective_errors_normed or {}
        raw, normalized = [], []
        for o in self.output_var:
            value = normed.get(o, np.nan)
            dims = self._objective_exponents.get(o, DIMENSIONLESS_EXPONENTS)
            m = (self.metric or {}).get(o)
            raw_value = m.revert_normalization(value) if m else value
            normalized.append(make_quantity(value, dims, use_units))
            raw.append(make_quantity(raw_value, dims, use_units))
        return {'objective_errors': tuple(raw),
                'objective_errors_normalized': tuple(normalized),
                'output_var': list(self.output_var)}

    # ------------------------------------------------------------------
    # Best values.

    @property
    def best_params(self):
        """The best parameters of the current run (None before a fit)."""
        if self._best_params is None:
            return None
        exps = getattr(self, '_best_param_exponents', {})
        return {n: make_quantity(v, exps.get(n, self._param_exponents(n)),
                                 self.use_units)
                for n, v in self._best_params.items()}

    @property
    def best_error(self):
        """The best error of the current run (None before a fit)."""
        if self._best_error is None:
            return None
        return make_quantity(self._best_error, self._error_exponents,
                             self.use_units)

    @property
    def best_objective_errors(self):
        """Per output, the best candidate's error before normalization."""
        if self._best_objective_errors_normed is None:
            return None
        info = self._additional_info(self.use_units)
        return dict(zip(self.output_var, info['objective_errors']))

    @property
    def best_objective_errors_normalized(self):
        """Per output, the best candidate's normalized error."""
        if self._best_objective_errors_normed is None:
            return None
        info = self._additional_info(self.use_units)
        return dict(zip(self.output_var, info['objective_errors_normalized']))

    def info(self):
        """The server's `FitterInfo` (state, rounds, optimizer, ...)."""
        self._check_not_deleted()
        if self.fitter_id is None:
            return None
        return self._connection.get_fitter(self.fitter_id)

    # ------------------------------------------------------------------
    # Results.

    def _results_columns(self, all_runs):
        columns, dims, total = {}, {}, 0
        request = fitting_pb2.ResultsRequest(fitter_id=self.fitter_id,
                                             all_runs=bool(all_runs))
        for chunk in self._connection.stream('Results', request):
            total = chunk.total_rows
            for column in chunk.columns:
                columns.setdefault(column.name, []).append(
                    _column_values(column))
                dims[column.name] = exponents_from_message(column.dimension)
        columns = {n: np.concatenate(v) if v else np.zeros(0)
                   for n, v in columns.items()}
        return columns, dims, total

    def results(self, format='list', use_units=None, all_runs=False,
                details=False):
        """Every evaluated parameter set with its errors.

        Parameters
        ----------
        format : {'list', 'dict', 'dataframe'}
            A list of dicts (one per evaluation), a dict of arrays, or a
            pandas DataFrame (without units).
        use_units : bool, optional
            Default: the fitter's ``use_units``.
        all_runs : bool
            Include the runs before the last restart (default: the current
            run, as brian2modelfitting keeps only those).
        details : bool
            Also give each evaluation's ``run``, ``round`` and
            ``iteration``.

        Returns
        -------
        list, dict or pandas.DataFrame
            With several outputs, also ``objective_errors`` and
            ``objective_errors_normalized`` (list/dict) or
            ``normalized_error_<output>`` and ``error_<output>`` columns.
        """
        if format not in ('list', 'dict', 'dataframe'):
            raise ValueError(f"format has to be 'list', 'dict' or "
                             f"'dataframe', not {format!r}")
        if use_units is None:
            use_units = self.use_units
        self._check_not_deleted()
        names = list(self.parameter_names)
        if self.fitter_id is None:
            columns, dims = {}, {}
        else:
            columns, dims, _ = self._results_columns(all_runs)
        n_rows = len(columns.get('error', ()))
        if not columns:
            columns = {n: np.zeros(0) for n in names + ['error']}
        names = [n for n in names if n in columns] or \
            [n for n in columns if n not in ('run', 'round', 'iteration',
                                             'error')
             and not n.startswith('error_')]
        multi = len(self.output_var) > 1
        units = use_units and format != 'dataframe'

        def q(name, values):
            return make_quantity(values, dims.get(name,
                                                  DIMENSIONLESS_EXPONENTS),
                                 units)

        normed = {o: columns.get(f'error_{o}', np.full(n_rows, np.nan))
                  for o in self.output_var}
        raw = {}
        for o in self.output_var:
            m = (self.metric or {}).get(o)
            raw[o] = m.revert_normalization(normed[o]) if m else normed[o]
        extra = ('run', 'round', 'iteration') if details else ()

        if format == 'dataframe':
            from pandas import DataFrame
            if use_units:
                warnings.warn('Results in dataframes do not support units. '
                              'Specify "use_units=False" to avoid this '
                              'warning.', UserWarning, stacklevel=2)
            data = {n: columns[n] for n in names}
            data['error'] = columns['error']
            if multi:
                for o in self.output_var:
                    data[f'normalized_error_{o}'] = normed[o]
                for o in self.output_var:
                    data[f'error_{o}'] = raw[o]
            for n in extra:
                data[n] = columns.get(n, np.zeros(n_rows)).astype(int)
            return DataFrame(data)

        if format == 'dict':
            out = {n: q(n, columns[n]) for n in names}
            out['error'] = q('error', columns['error'])
            if multi:
                out['objective_errors_normalized'] = {
                    o: q(f'error_{o}', normed[o]) for o in self.output_var}
                out['objective_errors'] = {
                    o: q(f'error_{o}', raw[o]) for o in self.output_var}
            for n in extra:
                out[n] = columns.get(n, np.zeros(n_rows)).astype(int)
            return out

        out = []
        for j in range(n_rows):
            row = {n: q(n, columns[n][j]) for n in names}
            row['error'] = q('error', columns['error'][j])
            if multi:
                row['objective_errors_normalized'] = {
                    o: q(f'error_{o}', normed[o][j]) for o in self.output_var}
                row['objective_errors'] = {
                    o: q(f'error_{o}', raw[o][j]) for o in self.output_var}
            for n in extra:
                row[n] = int(columns[n][j])
            out.append(row)
        return out

    # ------------------------------------------------------------------
    # Generating traces and spikes.

    def generate(self, output_var=None, params=None, param_init=None,
                 iteration=1e9, level=0):
        """Simulate the best (or given) parameters for every input trace.

        Parameters
        ----------
        output_var : str or list of str, optional
            Variable(s) to record, or ``'spikes'``; default the outputs.
        params : dict, optional
            Parameter values; default the best of the current run.
        param_init : dict, optional
            Initial values overriding the fitter's ``param_init``.
        iteration : float
            Value of the model's ``iteration`` variable.
        level : int
            How much farther out to look for the namespace.

        Returns
        -------
        Quantity, list or dict
            A 2D quantity ``(n_traces, n_steps)`` for one variable, a list
            of spike-time arrays (seconds) for ``'spikes'``, or a dict of
            these for several variables.
        """
        if isinstance(output_var, Mapping) and not isinstance(params, Mapping):
            output_var, params = params, output_var  # generate(params, ...)
        frame = _user_frame(level)
        self._ensure_fitter(frame)
        if output_var is None:
            variables = list(self.output_var)
        elif isinstance(output_var, str):
            variables = [output_var]
        else:
            variables = list(output_var)
        request = fitting_pb2.GenerateRequest(
            fitter_id=self.fitter_id, iteration=float(iteration),
            has_iteration=True)
        request.variables.extend(variables)
        if params is not None:
            request.params.CopyFrom(self._parameter_table(params))
        for var, value in (param_init or {}).items():
            request.param_init[var] = quantity_text(value)
        traces, spikes, dims = {}, {}, {}
        for chunk in watched(self._connection,
                             self._connection.stream('Generate', request)):
            name = chunk.variable
            if name == 'spikes':
                trains = spikes.setdefault(
                    name, [np.zeros(0)] * max(chunk.n_traces, self.n_traces))
                trains[chunk.trace] = np.asarray(chunk.spikes.times,
                                                 dtype=float)
                continue
            array = traces.get(name)
            if array is None:
                array = np.full((chunk.n_traces, chunk.n_steps), np.nan)
                traces[name] = array
                dims[name] = exponents_from_message(chunk.dimension)
            values = np.asarray(chunk.values, dtype=float)
            array[chunk.trace, chunk.step_offset:
                  chunk.step_offset + len(values)] = values
        fits = {}
        for name in variables:
            if name == 'spikes':
                fits[name] = list(spikes.get(
                    name, [np.zeros(0) for _ in range(self.n_traces)]))
            else:
                # brian2modelfitting returns the monitor's values: always a
                # quantity (when Brian2 is available).
                fits[name] = make_quantity(traces[name], dims[name], True)
        if len(variables) > 1:
            return fits
        return fits[variables[0]]

    # ------------------------------------------------------------------
    # Managing the server's fitter.

    def delete(self):
        """Remove the fitter and its recorded results from the server."""
        if self.fitter_id is not None:
            self._connection.delete_fitter(self.fitter_id)
            self._deleted_id = self.fitter_id
            self.fitter_id = None
            self.optimizer = None
            self._rounds_done = 0

    def _check_not_deleted(self):
        if self.fitter_id is None and self._deleted_id is not None:
            raise FitterNotFoundError(
                f"no fitter '{self._deleted_id}': it was deleted",
                code=grpc.StatusCode.NOT_FOUND)

    def __repr__(self):
        where = self.fitter_id or 'not yet created'
        return (f'<{type(self).__name__} {where} on '
                f'{self._connection.address}: {self.n_traces} traces, '
                f'{self.n_samples} samples, outputs {self.output_var}>')


class TraceFitter(Fitter):
    """Fit a model to recorded traces (e.g. of the membrane potential).

    Parameters
    ----------
    model : str or brian2.Equations
        The equations, in Brian2's syntax.
    input : dict
        ``{name: 2D array (n_traces, n_steps)}``, the input variables the
        model uses but does not define (Brian2 quantities, or
        ``(values, 'nA')`` tuples, or plain numbers taken as dimensionless).
    output : dict
        ``{variable: 2D array}`` of recorded traces (quantities, or plain
        numbers in SI units of the variable).
    dt : Quantity or float
        The time step (plain numbers are seconds).
    n_samples : int
        Candidates per round.
    input_var, output_var : str, optional
        brian2modelfitting's older way of naming input and output.
    method : str, optional
        Integration method; default Brian2's automatic choice.
    reset, refractory, threshold : str or Quantity, optional
        As for a Brian2 NeuronGroup.
    param_init : dict, optional
        Initial values: ``{variable: value or expression}``.
    penalty : str, optional
        A model variable added to the error.
    use_units : bool
        Whether results carry Brian2 units (no effect without Brian2).
    backend : {'runtime', 'standalone'}
        How the workers simulate: interpreted, or compiled C++.
    server : str or Connection, optional
        ``HOST:PORT`` of a shared server (default ``CELLFIT_SERVER``, else an
        embedded server for this process).
    name : str, optional
        A label shown in the server's listings.
    """

    _kind = common_pb2.FITTER_KIND_TRACE
    _metric_class = TraceMetric

    def __init__(self, model, input, output, dt, n_samples=60,
                 input_var=None, output_var=None, method=None, reset=None,
                 refractory=False, threshold=None, param_init=None,
                 penalty=None, use_units=True, backend='runtime', server=None,
                 name=None):
        super().__init__(dt=dt, model=model, input=input, output=output,
                         n_samples=n_samples, input_var=input_var,
                         output_var=output_var, threshold=threshold,
                         reset=reset, refractory=refractory, method=method,
                         param_init=param_init, penalty=penalty,
                         use_units=use_units, backend=backend, server=server,
                         name=name)
        if any(o.spikes is not None for o in self._outputs):
            raise ValueError('a TraceFitter fits traces; use SpikeFitter for '
                             'spikes')

    def generate_traces(self, params=None, param_init=None, iteration=1e9,
                        level=0):
        """Traces of the output variable(s) for the best or given params."""
        return self.generate(output_var=self.output_var, params=params,
                             param_init=param_init, iteration=iteration,
                             level=level)

    def refine(self, params=None, metric=None, callback='text',
               calc_gradient=False, optimize=True, iteration=1e9, level=0,
               t_start=None, t_weights=None, normalization=None,
               max_iterations=None, **kwds):
        """Polish the fit with bounded Levenberg-Marquardt on the server.

        Parameters
        ----------
        params : dict, optional
            Start point; default the best parameters of the fit.
        metric : MSEMetric or dict, optional
            Its ``t_start``/``t_weights``/``normalization``; default the
            fit's metric.
        callback : {'text', 'progressbar', None} or callable
            Called for every simulated point (as brian2modelfitting calls
            it per function evaluation, finite-difference points included);
            True stops the refinement.
        calc_gradient : bool
            The Jacobian from the sensitivity equations instead of finite
            differences.
        optimize : bool
            Accepted for compatibility.
        iteration : float
            Value of the model's ``iteration`` variable in the simulations
            (default 1e9 as brian2modelfitting: switches off a coupling to
            the target that fades with the iteration).
        level : int
            How much farther out to look for the namespace.
        t_start, t_weights, normalization : optional
            brian2modelfitting's older way to give the metric's settings.
        max_iterations : int, optional
            Levenberg-Marquardt iterations at most (default 100, or no limit
            when only ``max_nfev`` is given).
        **kwds
            ``max_nfev``: simulations at most (``maxfev``, deprecated, is
            read as it; not both). ``name=[lower, upper]`` bounds overriding
            the fit's.

        Returns
        -------
        params : dict
            The refined parameters.
        result : RefineResult
            brian2modelfitting returns scipy's ``OptimizeResult``; this has
            the attributes the server can fill: ``x``, ``nfev``,
            ``success``, ``message``, plus ``error`` (final), ``iterations``,
            ``errors`` and ``tested_parameters`` (every simulated point in
            order). It is a dict too (``result['error']``).
        """
        if metric is not None and not isinstance(metric, (Metric, Mapping)):
            # brian2modelfitting's older signature: refine(params, t_start)
            metric, t_start = None, metric
        if 'maxfev' in kwds:
            if 'max_nfev' in kwds:
                raise ValueError("Cannot provide both 'maxfev' and 'max_nfev' "
                                 "as arguments. Please only provide "
                                 "'max_nfev'.")
            warnings.warn("The 'maxfev' argument is deprecated, please use "
                          "'max_nfev' instead.", DeprecationWarning,
                          stacklevel=2)
            kwds['max_nfev'] = kwds.pop('maxfev')
        max_nfev = kwds.pop('max_nfev', None)
        for name, value in (('max_nfev', max_nfev),
                            ('max_iterations', max_iterations)):
            if value is not None and (
                    isinstance(value, bool) or
                    not isinstance(value, numbers.Integral) or value < 1):
                raise ValueError(f'{name} has to be a positive integer, not '
                                 f'{value!r}')
        if isinstance(iteration, bool) or \
                not isinstance(iteration, numbers.Real) or \
                not np.isfinite(iteration):
            raise TypeError(f'iteration has to be a finite number, not '
                            f'{iteration!r}')
        bounds = {}
        for key in list(kwds):
            if key in self.parameter_names:
                bounds[key] = kwds.pop(key)
        if kwds:
            raise TypeError(f'refine got unsupported arguments: '
                            f'{", ".join(sorted(kwds))}')
        frame = _user_frame(level)
        self._ensure_fitter(frame)
        if params is None and self._best_params is None:
            raise TypeError('You need to either specify parameters or run the '
                            'fit function first.')
        request = fitting_pb2.RefineRequest(
            fitter_id=self.fitter_id, calc_gradient=bool(calc_gradient),
            iteration=float(iteration), every_evaluation=True)
        if params is not None:
            request.params.CopyFrom(self._parameter_table(params))
        full = dict(self.bounds or {})
        full.update(bounds)
        if any(p not in full for p in self.parameter_names):
            raise TypeError('You need to either specify bounds for all '
                            'parameters or run the fit function first.')
        request.bounds.extend(self._bounds_messages(full))
        if max_iterations is not None:
            request.max_iterations = int(max_iterations)
        if max_nfev is not None:
            request.max_evaluations = int(max_nfev)
        if metric is None and (t_start is not None or t_weights is not None
                               or normalization is not None):
            metric = MSEMetric(t_start=0.0 if t_start is None else t_start,
                               t_weights=t_weights,
                               normalization=1.0 if normalization is None
                               else normalization)
        if metric is None and self.metric is not None:
            metric = self.metric
        if metric is not None:
            if isinstance(metric, Mapping):
                metric = dict(metric)
            else:
                metric = {o: metric for o in self.output_var}
            for var, m in metric.items():
                if not isinstance(m, MSEMetric):
                    raise TypeError(f'The refine method only supports '
                                    f"MSEMetric, but the metric for variable "
                                    f"'{var}' is of type '{type(m)}'")
                check_server_metric(m)
            request.metrics.extend(m.to_proto(o) for o, m in metric.items())
        function, _ = callback_setup(callback, None)
        out_dims = self._variables.get(self.output_var[0],
                                       (None, DIMENSIONLESS_EXPONENTS))[1]
        error_dims = tuple(2 * e for e in out_dims)
        use_units = self.use_units
        errors, tested = [], []
        final = None
        try:
            for update in self._connection.stream('Refine', request):
                table = _table(update.params)
                point = {n: make_quantity(v[0], e, use_units)
                         for n, (v, e) in table.items()}
                if update.done:
                    final = (update, table, point)
                    break
                errors.append(update.error)
                tested.append(point)
                best = int(np.nanargmin(errors)) if np.any(
                    np.isfinite(errors)) else len(errors) - 1
                info = {'objective_errors': (make_quantity(
                            errors[best], error_dims, use_units),),
                        'objective_errors_normalized': (make_quantity(
                            errors[best], error_dims, use_units),),
                        'output_var': list(self.output_var),
                        'parameter_exponents': {n: e for n, (_, e) in
                                                table.items()},
                        'iteration': update.iteration,
                        'error_exponents': error_dims}
                stop = function(point,
                                make_quantity(np.asarray(errors), error_dims,
                                              use_units),
                                tested[best],
                                make_quantity(errors[best], error_dims,
                                              use_units),
                                len(errors) - 1, info)
                if stop is True:
                    break
        finally:
            if isinstance(function, ProgressBar):
                function.close()
        names = list(self.parameter_names)
        if final is None:  # stopped by the callback: the best point so far
            best = int(np.nanargmin(errors))
            point = tested[best]
            return point, RefineResult(
                x=np.array([split_quantity(point[n])[0] for n in names],
                           dtype=float),
                nfev=len(errors), success=False,
                message='stopped by the callback',
                error=make_quantity(errors[best], error_dims, use_units),
                iterations=None,
                errors=make_quantity(np.asarray(errors), error_dims,
                                     use_units),
                tested_parameters=tested)
        update, table, point = final
        match = re.search(r'\((\d+) simulations\)$', update.message)
        return point, RefineResult(
            x=np.array([float(table[n][0][0]) for n in names], dtype=float),
            nfev=int(match.group(1)) if match else len(errors),
            success=update.message.startswith(_REFINE_CONVERGED),
            message=update.message,
            error=make_quantity(update.error, error_dims, use_units),
            iterations=int(update.iteration),
            errors=make_quantity(np.asarray(errors), error_dims, use_units),
            tested_parameters=tested)


class SpikeFitter(Fitter):
    """Fit a model to recorded spike times.

    Parameters are those of `TraceFitter`, except ``output``: a list of
    spike-time arrays (quantities or seconds), one per input trace (or
    ``{'spikes': list}``); ``input`` may be an array with ``input_var``
    (default ``'I'``). The default method is ``'exponential_euler'``, the
    default metric ``GammaFactor(delta=2*ms, time=duration)``.
    """

    _kind = common_pb2.FITTER_KIND_SPIKE
    _metric_class = SpikeMetric

    def __init__(self, model, input, output, dt, reset, threshold,
                 input_var='I', refractory=False, n_samples=30, method=None,
                 param_init=None, penalty=None, use_units=True,
                 backend='runtime', server=None, name=None):
        if method is None:
            method = 'exponential_euler'
        if isinstance(input, Mapping):
            input_var = None
        elif input_var is not None:
            input = {input_var: input}
            input_var = None
        if not (isinstance(output, Mapping) and set(output) == {'spikes'}):
            output = {'spikes': output}
        super().__init__(dt=dt, model=model, input=input, output=output,
                         n_samples=n_samples, input_var=input_var,
                         threshold=threshold, reset=reset,
                         refractory=refractory, method=method,
                         param_init=param_init, penalty=penalty,
                         use_units=use_units, backend=backend, server=server,
                         name=name)
        self.output = self._outputs[0].original
        if len(self._outputs[0].spikes) != self.n_traces:
            raise ValueError(f'{len(self._outputs[0].spikes)} spike trains '
                             f'for {self.n_traces} input traces')

    def _default_metric(self):
        return GammaFactor(delta=2e-3, time=self.n_steps * self._dt_seconds)

    def generate_spikes(self, params=None, param_init=None, iteration=1e9,
                        level=0):
        """Spike times (seconds) per input trace for the best or given
        params."""
        return self.generate(output_var='spikes', params=params,
                             param_init=param_init, iteration=iteration,
                             level=level)


class OnlineTraceFitter(Fitter):
    """Fit traces with the squared error accumulated during the simulation.

    Parameters are those of `TraceFitter` (default ``n_samples=30``);
    ``t_start`` (brian2modelfitting's older argument) sets the start of the
    error window, as an `MSEMetric` given to `fit` does.
    """

    _kind = common_pb2.FITTER_KIND_ONLINE_TRACE
    _metric_class = MSEMetric

    def __init__(self, model, input, output, dt, n_samples=30,
                 input_var=None, output_var=None, method=None, reset=None,
                 refractory=False, threshold=None, param_init=None,
                 penalty=None, use_units=True, t_start=None,
                 backend='runtime', server=None, name=None):
        super().__init__(dt=dt, model=model, input=input, output=output,
                         n_samples=n_samples, input_var=input_var,
                         output_var=output_var, threshold=threshold,
                         reset=reset, refractory=refractory, method=method,
                         param_init=param_init, penalty=penalty,
                         use_units=use_units, backend=backend, server=server,
                         name=name)
        self.t_start = t_start

    def _default_metric(self):
        return MSEMetric(t_start=0.0 if self.t_start is None
                         else self.t_start)

    def _fit_metric(self, metric):
        metric = super()._fit_metric(metric)
        for m in metric.values():
            if getattr(m, 't_weights', None) is not None:
                raise NotImplementedError("The 't_weights' argument cannot be "
                                          'used with OnlineTraceFitter, only '
                                          "'t_start' is supported.")
        return metric

    def generate_traces(self, params=None, param_init=None, iteration=1e9,
                        level=0):
        """Traces of the output variable(s) for the best or given params."""
        return self.generate(output_var=self.output_var, params=params,
                             param_init=param_init, iteration=iteration,
                             level=level)
