"""Physical quantities between Python and the wire.

On the wire a quantity is either text (``"-65*mV"``, parsed by the server
with the model language) or an SI value with its `Dimension` (the exponents
of the seven SI base units). In Python, a value is a Brian2 `Quantity` when
Brian2 is importable, otherwise a plain float (or numpy array) in SI units.

Brian2 is imported lazily, the first time a result with units is made, so
that ``import cellfit`` stays quick. Setting the environment variable
``CELLFIT_NO_BRIAN2=1`` makes the package behave as if Brian2 were not
installed (results are plain SI floats whatever ``use_units`` says).
"""

import math
import numbers
import os
import sys

import numpy as np

__all__ = ['DIMENSIONLESS_EXPONENTS', 'brian2_available', 'is_quantity',
           'exponents_of', 'split_quantity', 'to_quantity_message',
           'quantity_text', 'make_quantity', 'exponents_from_message',
           'dimension_message', 'format_value', 'unit_text']

# Order of the exponents: metre, kilogram, second, ampere, kelvin, mole,
# candela (Brian2's order, and the order of the Dimension message's fields).
_BASE_UNITS = ('metre', 'kilogram', 'second', 'amp', 'kelvin', 'mole',
               'candela')
_BASE_SYMBOLS = ('m', 'kg', 's', 'A', 'K', 'mol', 'cd')
_DIMENSION_FIELDS = ('metre', 'kilogram', 'second', 'ampere', 'kelvin',
                     'mole', 'candela')
DIMENSIONLESS_EXPONENTS = (0.0,) * 7

_brian2 = None
_brian2_tried = False


def brian2_available():
    """Whether results can be Brian2 quantities (imports Brian2 once).

    Returns
    -------
    bool
        False when Brian2 is not installed or ``CELLFIT_NO_BRIAN2`` is set.
    """
    global _brian2, _brian2_tried
    if os.environ.get('CELLFIT_NO_BRIAN2', '') not in ('', '0'):
        return False
    if not _brian2_tried:
        _brian2_tried = True
        try:
            import brian2.units.fundamentalunits as fundamentalunits
            _brian2 = fundamentalunits
        except ImportError:
            _brian2 = None
    return _brian2 is not None


def _loaded_brian2_quantity_class():
    """Brian2's Quantity class if the caller has imported Brian2, else None.

    A value can only be a Brian2 quantity if Brian2 is already imported, so
    checking does not need to import it.
    """
    module = sys.modules.get('brian2.units.fundamentalunits')
    return getattr(module, 'Quantity', None) if module else None


def is_quantity(value):
    """Whether `value` is a Brian2 `Quantity` (or `Unit`)."""
    cls = _loaded_brian2_quantity_class()
    return cls is not None and isinstance(value, cls)


def exponents_of(value):
    """The dimension exponents of a value (dimensionless for plain numbers).

    Returns
    -------
    tuple of float
        Seven exponents (metre, kilogram, second, ampere, kelvin, mole,
        candela).
    """
    if is_quantity(value):
        module = sys.modules['brian2.units.fundamentalunits']
        dim = module.get_dimensions(value)
        return tuple(float(e) for e in dim._dims)
    return DIMENSIONLESS_EXPONENTS


def split_quantity(value):
    """Split a value into SI magnitudes and dimension exponents.

    Parameters
    ----------
    value : Quantity, array-like or number
        A Brian2 quantity, or numbers taken to be in SI units.

    Returns
    -------
    magnitude : numpy.ndarray or float
        The value in SI base units, without units.
    exponents : tuple of float
        Its dimension.
    """
    exponents = exponents_of(value)
    magnitude = np.asarray(value, dtype=float)
    if magnitude.ndim == 0:
        return float(magnitude), exponents
    return magnitude, exponents


def dimension_message(exponents, message):
    """Fill a `cellfit.v1.Dimension` message from exponents."""
    for field, exponent in zip(_DIMENSION_FIELDS, exponents):
        setattr(message, field, float(exponent))
    return message


def exponents_from_message(message):
    """Exponents of a `cellfit.v1.Dimension` message (absent: dimensionless).
    """
    return tuple(float(getattr(message, field)) for field in _DIMENSION_FIELDS)


def _exponent_text(exponent):
    if float(exponent).is_integer():
        return str(int(exponent))
    return f'({float(exponent)!r})'


def unit_text(exponents):
    """The SI base-unit product of a dimension, in the model language.

    Returns
    -------
    str
        e.g. ``'metre**2*kilogram*second**-3*amp**-1'``, or ``'1'`` for
        dimensionless.
    """
    parts = []
    for name, exponent in zip(_BASE_UNITS, exponents):
        if exponent == 0:
            continue
        if exponent == 1:
            parts.append(name)
        else:
            parts.append(f'{name}**{_exponent_text(exponent)}')
    return '*'.join(parts) if parts else '1'


def quantity_text(value):
    """A scalar as text the server's model language parses exactly.

    Parameters
    ----------
    value : Quantity, number or str
        Strings are returned unchanged (they are expressions already).

    Returns
    -------
    str
        e.g. ``'-0.065*volt'`` is written ``'-0.065*metre**2*kilogram*...'``;
        ``repr`` of the SI float round-trips exactly.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 'true' if value else 'false'
    magnitude, exponents = split_quantity(value)
    if np.ndim(magnitude) != 0:
        raise TypeError(f'expected a single value, got an array of shape '
                        f'{np.shape(magnitude)}')
    magnitude = float(magnitude)
    if not math.isfinite(magnitude):
        raise ValueError(f'{value!r} is not a finite value')
    units = unit_text(exponents)
    text = repr(magnitude)
    return text if units == '1' else f'{text}*{units}'


def to_quantity_message(value, message, default_exponents=None):
    """Fill a `cellfit.v1.Quantity` message.

    Parameters
    ----------
    value : Quantity, number or str
        A Brian2 quantity (sent as SI value and dimension), a string (sent as
        text, parsed by the server, e.g. ``'10*nS'``) or a plain number (SI,
        with `default_exponents`).
    message : cellfit.v1.Quantity
        The message to fill.
    default_exponents : tuple of float, optional
        The dimension of plain numbers; dimensionless when not given.
    """
    message.Clear()
    if isinstance(value, str):
        message.text = value
        return message
    if isinstance(value, bool) or not (is_quantity(value) or
                                       isinstance(value, numbers.Real) or
                                       np.ndim(value) == 0):
        raise TypeError(f'expected a quantity, a number or a string, got '
                        f'{type(value).__name__} {value!r}')
    magnitude, exponents = split_quantity(value)
    if np.ndim(magnitude) != 0:
        raise TypeError(f'expected a single value, got an array of shape '
                        f'{np.shape(magnitude)}')
    if not is_quantity(value) and default_exponents is not None:
        exponents = tuple(default_exponents)
    if not math.isfinite(magnitude):
        raise ValueError(f'{value!r} is not a finite value')
    message.value = magnitude
    if any(exponents):
        dimension_message(exponents, message.dimension)
    return message


def make_quantity(values, exponents, use_units=True):
    """Values in SI units, as a Brian2 quantity when units are wanted.

    Parameters
    ----------
    values : float or array-like
        SI magnitudes.
    exponents : tuple of float
        Their dimension.
    use_units : bool
        Whether to attach units (only possible when Brian2 is available).

    Returns
    -------
    Quantity, numpy.ndarray or float
    """
    scalar = np.ndim(values) == 0
    values = float(values) if scalar else np.asarray(values, dtype=float)
    if not use_units or not brian2_available():
        return values
    dim = _brian2.get_or_create_dimension(tuple(exponents))
    return _brian2.Quantity(values, dim=dim)


def format_value(value, exponents=None, precision=3):
    """A short human-readable form of a value, with its unit.

    Brian2 quantities print in their best unit (``'10.2 nS'``); plain
    numbers print in SI with the base-unit symbols of `exponents`.
    """
    if is_quantity(value):
        try:
            return value.in_best_unit(precision=precision)
        except Exception:  # a dimensionless quantity may lack in_best_unit
            return f'{float(value):.{precision}g}'
    text = f'{float(value):.{precision}g}'
    if exponents is None or not any(exponents):
        return text
    parts = []
    for symbol, exponent in zip(_BASE_SYMBOLS, exponents):
        if exponent == 0:
            continue
        parts.append(symbol if exponent == 1
                     else f'{symbol}^{_exponent_text(exponent)}')
    return f'{text} {" ".join(parts)}'
