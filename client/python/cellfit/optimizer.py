"""Optimizers: which ask/tell method the server runs, with what settings.

They mirror brian2modelfitting's optimizer objects, but the optimization
runs on the server: an optimizer here only describes the method, its seed
and its numeric options (sent as a ``cellfit.v1.OptimizerSpec``).

Methods and their options (checked by the server, which lists the accepted
ones in its error message):

* ``'DE'`` differential evolution (the default, as Nevergrad's DE is
  brian2modelfitting's): ``F``, ``F1``, ``F2``, ``CR``, ``popsize``;
* ``'CMAES'`` (alias ``'CMA'``): ``sigma0``, ``tolfun``, ``tolx``;
* ``'PSO'``: ``inertia``, ``cognitive``, ``social``, ``vmax``;
* NLopt's derivative-free algorithms (``'LN_BOBYQA'``, ``'GN_CRS2_LM'``,
  ...) run as ``n_samples`` independent starts: ``maxeval``, ``ftol_rel``,
  ``ftol_abs``, ``xtol_rel``, ``xtol_abs``, ``initial_step``,
  ``population``.
"""

import math
import numbers

from ._proto import fitting_pb2

__all__ = ['Optimizer', 'NevergradOptimizer', 'DEOptimizer',
           'CMAESOptimizer', 'PSOOptimizer', 'NLoptOptimizer',
           'check_server_optimizer']

# Nevergrad method names brian2modelfitting users pass, and the server's.
_NEVERGRAD_METHODS = {'DE': 'DE', 'CMA': 'CMAES', 'CMAES': 'CMAES',
                      'CMA-ES': 'CMAES', 'PSO': 'PSO'}


# brian2modelfitting's ask/tell interface, through which an optimizer runs in
# Python; cellfit's classes define none of these methods.
_PYTHON_OPTIMIZER_METHODS = ('initialize', 'ask', 'tell', 'recommend')
_OFFERED = ("NevergradOptimizer('DE' (default), 'CMA' or 'PSO'), "
            'DEOptimizer, CMAESOptimizer, PSOOptimizer and '
            "NLoptOptimizer (NLopt's derivative-free algorithms, e.g. "
            "'LN_BOBYQA')")


def check_server_optimizer(optimizer):
    """Raise TypeError unless `optimizer` describes one the server runs.

    A user's optimizer class (brian2modelfitting's ask/tell/initialize/
    recommend pattern) would otherwise fail with an AttributeError deep in
    the client, or run as its parent's method with its Python code ignored.
    """
    cls = type(optimizer)
    overridden = [name for name in _PYTHON_OPTIMIZER_METHODS
                  if callable(getattr(cls, name, None))]
    if isinstance(optimizer, Optimizer) and not overridden and \
            isinstance(getattr(optimizer, 'method', None), str) and \
            hasattr(optimizer, 'options'):
        return
    if overridden:
        what = f"it defines {', '.join(overridden)}"
    elif isinstance(optimizer, Optimizer):
        what = 'it does not call Optimizer.__init__ with a method'
    else:
        what = 'it is not a cellfit Optimizer'
    raise TypeError(
        f'the optimizer {cls.__name__} cannot be used ({what}): cellfit '
        f'runs the optimizers on its server, so an optimizer written in '
        f'Python (ask/tell/initialize/recommend) cannot run there. cellfit '
        f'offers {_OFFERED}.')


class Optimizer:
    """Base class: an optimization method with a seed and options.

    Parameters
    ----------
    method : str
        The server's method name (``'DE'``, ``'CMAES'``, ``'PSO'`` or an
        NLopt algorithm).
    seed : int, optional
        Seed of the optimizer's random numbers; None lets the server choose
        one (reported in the fitter's settings).
    **options : float
        Method-specific numeric options.
    """

    def __init__(self, method, seed=None, **options):
        if not isinstance(method, str) or not method:
            raise TypeError(f'method must be a non-empty string, not '
                            f'{method!r}')
        if seed is not None:
            if isinstance(seed, bool) or \
                    not isinstance(seed, numbers.Integral) or \
                    not 0 <= seed < 2**64:
                raise ValueError(f'seed must be a non-negative integer below '
                                 f'2**64, not {seed!r}')
            seed = int(seed)
        for name, value in options.items():
            if isinstance(value, bool):
                value = float(value)
            if not isinstance(value, numbers.Real):
                raise TypeError(
                    f"option '{name}' of optimizer {method} is "
                    f'{value!r}; cellfit optimizers take numeric options only')
            if not math.isfinite(float(value)):
                raise ValueError(f"option '{name}' of optimizer {method} is "
                                 f'not finite')
        self.method = method
        self.seed = seed
        self.options = {name: float(value) for name, value in options.items()}

    def to_proto(self):
        """The ``cellfit.v1.OptimizerSpec`` describing this optimizer."""
        spec = fitting_pb2.OptimizerSpec(method=self.method,
                                         seed=self.seed or 0)
        for name, value in self.options.items():
            spec.options[name] = value
        return spec

    def same_settings(self, other):
        """Whether `other` describes the same method, seed and options."""
        return (isinstance(other, Optimizer) and
                self.to_proto().SerializeToString(deterministic=True) ==
                other.to_proto().SerializeToString(deterministic=True))

    def __repr__(self):
        args = [repr(self.method)]
        if self.seed is not None:
            args.append(f'seed={self.seed}')
        args += [f'{k}={v:g}' for k, v in sorted(self.options.items())]
        return f'{type(self).__name__}({", ".join(args)})'


class NevergradOptimizer(Optimizer):
    """brian2modelfitting's NevergradOptimizer, run by the server.

    Parameters
    ----------
    method : {'DE', 'CMA', 'PSO'}
        Differential evolution (default), CMA-ES or particle swarm; the
        server implements these three of Nevergrad's methods.
    use_nevergrad_recommendation : bool
        Accepted for compatibility; must be False (the best result is the
        candidate with the lowest error, brian2modelfitting's default).
    seed : int, optional
        Seed of the optimizer's random numbers.
    **options : float
        Method options (see the module documentation).
    """

    def __init__(self, method='DE', use_nevergrad_recommendation=False,
                 seed=None, **options):
        name = _NEVERGRAD_METHODS.get(str(method).upper())
        if name is None:
            raise ValueError(
                f"optimizer method '{method}' is not offered by cellfit's "
                f"NevergradOptimizer; use 'DE', 'CMA' or 'PSO' (or "
                f"NLoptOptimizer for NLopt's algorithms)")
        if use_nevergrad_recommendation:
            raise NotImplementedError(
                'use_nevergrad_recommendation=True is not supported: the '
                'server reports the candidate with the lowest error')
        super().__init__(name, seed=seed, **options)


class DEOptimizer(NevergradOptimizer):
    """Differential evolution (the default optimizer)."""

    def __init__(self, seed=None, **options):
        super().__init__('DE', seed=seed, **options)


class CMAESOptimizer(NevergradOptimizer):
    """CMA-ES (with restarts)."""

    def __init__(self, seed=None, **options):
        super().__init__('CMA', seed=seed, **options)


class PSOOptimizer(NevergradOptimizer):
    """Particle swarm optimization."""

    def __init__(self, seed=None, **options):
        super().__init__('PSO', seed=seed, **options)


class NLoptOptimizer(Optimizer):
    """An NLopt derivative-free algorithm, ``n_samples`` starts at a time.

    Parameters
    ----------
    method : str
        e.g. ``'LN_BOBYQA'`` (default), ``'LN_NELDERMEAD'``, ``'GN_CRS2_LM'``
        (an ``'NLOPT_'`` prefix is allowed). Gradient-based algorithms are
        refused by the server.
    seed : int, optional
        Seed of the start points.
    **options : float
        ``maxeval``, ``ftol_rel``, ``ftol_abs``, ``xtol_rel``, ``xtol_abs``,
        ``initial_step``, ``population``.
    """

    def __init__(self, method='LN_BOBYQA', seed=None, **options):
        super().__init__(str(method).upper(), seed=seed, **options)
