"""Per-round feedback during a fit: 'text', 'progressbar', None or a callable.

A callable takes ``(params, errors, best_params, best_error, index)``, and
also ``additional_info`` when it accepts a sixth argument (or ``**kwargs``);
returning True stops the fit after that round.
"""

import inspect

from .units import format_value, is_quantity

__all__ = ['callback_text', 'callback_none', 'ProgressBar', 'callback_setup',
           'accepts_additional_info']


def _format(value):
    if is_quantity(value):
        return format_value(value, precision=3)
    return f'{float(value):.3g}'


def callback_text(params, errors, best_params, best_error, index,
                  additional_info):
    """Print the round, the best parameters with units and the best error.
    """
    units = additional_info.get('parameter_exponents', {})
    parts = []
    for name, value in sorted(best_params.items()):
        if is_quantity(value):
            parts.append(f'{name}={format_value(value, precision=3)}')
        else:
            parts.append(f'{name}={format_value(value, units.get(name))}')
    param_str = ', '.join(parts)
    if is_quantity(best_error):
        best_error_str = format_value(best_error, precision=4)
    else:
        best_error_str = format_value(
            best_error, additional_info.get('error_exponents'), precision=4)
    round_str = f'Round {index}: '
    objective = additional_info.get('objective_errors', ())
    normalized = additional_info.get('objective_errors_normalized', ())
    names = additional_info.get('output_var', ())
    if len(objective) > 1:
        terms = []
        for error, normed, name in zip(objective, normalized, names):
            raw = ''
            if float(error) != float(normed):
                raw = f', unnormalized error: {_format(error)}'
            terms.append(f'{_format(normed)} ({name}{raw})')
        error_str = f"{best_error_str} = {' + '.join(terms)}"
    else:
        error_str = f"{best_error_str} ({names[0] if names else 'error'})"
    print(f'{round_str}Best parameters {param_str}\n'
          f"{' ' * len(round_str)}Best error: {error_str}", flush=True)


def callback_none(params, errors, best_params, best_error, index,
                  additional_info):
    """Prints nothing."""


class ProgressBar:
    """A tqdm progress bar over the rounds, showing the best error."""

    def __init__(self, total=None, **kwds):
        from tqdm.auto import tqdm
        self.t = tqdm(total=total, unit='round', **kwds)

    def __call__(self, params, errors, best_params, best_error, index,
                 additional_info):
        self.t.set_postfix_str(f'best error {_format(best_error)}',
                               refresh=False)
        self.t.update(1)

    def close(self):
        """Close the bar."""
        self.t.close()


def accepts_additional_info(function):
    """Whether a callback takes a sixth argument (``additional_info``)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY,
                              parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
        elif parameter.name == 'additional_info':
            return True
    return positional >= 6


def callback_setup(callback, n_rounds):
    """The callback to call per round, always with six arguments.

    Parameters
    ----------
    callback : {'text', 'progressbar', None} or callable
    n_rounds : int or None
        Total rounds, for the progress bar.

    Returns
    -------
    function : callable
        Taking ``(params, errors, best_params, best_error, index,
        additional_info)``.
    is_user_function : bool
        Whether it is the caller's own function (which may stop the fit).
    """
    if isinstance(callback, str):
        if callback == 'text':
            return callback_text, False
        if callback == 'progressbar':
            return ProgressBar(n_rounds), False
        raise TypeError(f"callback has to be 'text', 'progressbar', a "
                        f"callable or None, not {callback!r}")
    if callback is None:
        return callback_none, False
    if callable(callback):
        if accepts_additional_info(callback):
            return callback, True

        def without_info(params, errors, best_params, best_error, index,
                         additional_info):
            return callback(params, errors, best_params, best_error, index)
        return without_info, True
    raise TypeError("callback has to be a str ('text' or 'progressbar'), "
                    'callable or None')
