"""cellfit: brian2modelfitting's fitting API, run on a cellfit server.

Move a brian2modelfitting script over by changing the import::

    from cellfit import TraceFitter, NevergradOptimizer, MSEMetric

    fitter = TraceFitter(model=eqs, input={'I': inp_traces},
                         output={'v': out_traces}, dt=0.01*ms,
                         n_samples=20, method='exponential_euler',
                         param_init={'v': 'VT'})
    params, error = fitter.fit(n_rounds=10, optimizer=NevergradOptimizer(),
                               metric=MSEMetric(t_start=5*ms),
                               gl=[1e-9*siemens, 1e-7*siemens], ...)

The simulations, metrics and optimizers run on the server named by
``server=`` or ``CELLFIT_SERVER``, else on an embedded server started for
this Python process (and stopped at exit). Values are Brian2 quantities when
Brian2 is installed, plain SI floats otherwise.
"""

import os as _os

# The generated protocol modules (cellfit.v1) live in the build tree
# (<build>/python/cellfit/v1); when this package is used from elsewhere
# (e.g. the source tree), CELLFIT_PYTHON_GEN_DIR=<build>/python points at
# them. See README.md.
_generated = _os.environ.get('CELLFIT_PYTHON_GEN_DIR')
if _generated and not _os.path.isdir(_os.path.join(_os.path.dirname(__file__),
                                                   'v1')):
    __path__.append(_os.path.join(_generated, 'cellfit'))  # noqa: F821

from .callbacks import ProgressBar, callback_none, callback_text  # noqa: E402
from .connection import Connection, connect, default_connection, \
    shutdown_embedded_server  # noqa: E402
from .embedded import EmbeddedServer  # noqa: E402
from .errors import AuthenticationError, CellfitError, \
    FailedPreconditionError, FitCancelledError, FitterNotFoundError, \
    InvalidArgumentError, ResourceExhaustedError, ServerUnavailableError, \
    ServerUnimplementedError  # noqa: E402
from .fitter import Fitter, OnlineTraceFitter, RefineResult, \
    SpikeFitter, TraceFitter  # noqa: E402
from .metric import FeatureMetric, GammaFactor, Metric, MSEMetric, \
    SpikeMetric, TraceMetric  # noqa: E402
from .optimizer import CMAESOptimizer, DEOptimizer, NevergradOptimizer, \
    NLoptOptimizer, Optimizer, PSOOptimizer  # noqa: E402
from .units import brian2_available  # noqa: E402

__version__ = '0.1.0'

__all__ = [
    'TraceFitter', 'SpikeFitter', 'OnlineTraceFitter', 'Fitter',
    'RefineResult',
    'Optimizer', 'NevergradOptimizer', 'DEOptimizer', 'CMAESOptimizer',
    'PSOOptimizer', 'NLoptOptimizer',
    'Metric', 'TraceMetric', 'SpikeMetric', 'MSEMetric', 'GammaFactor',
    'FeatureMetric',
    'Connection', 'connect', 'default_connection', 'shutdown_embedded_server',
    'EmbeddedServer', 'brian2_available',
    'ProgressBar', 'callback_text', 'callback_none',
    'CellfitError', 'InvalidArgumentError', 'FitterNotFoundError',
    'FailedPreconditionError', 'ServerUnavailableError',
    'AuthenticationError', 'ResourceExhaustedError', 'FitCancelledError',
    'ServerUnimplementedError',
]
