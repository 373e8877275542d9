"""Constants a model uses but does not define, found as Brian2 finds them.

Brian2 resolves a name like ``El`` or ``area`` in the namespace of the
Python frame that runs the simulation (``level`` frames further out). The
server needs these values sent with the fitter, so the client asks the
server which names the model needs (CheckModel's ``namespace_names``),
looks each up in the caller's frame (locals before globals) and sends the
scalar numbers and quantities it finds (and strings, as quantity text the
server parses, e.g. ``El = '-65*mV'`` where Brian2 is not installed). Names
it cannot find are left to the server, whose error names them with their
line and column.
"""

import numbers
import sys

import numpy as np

from ._proto import common_pb2
from .units import is_quantity, split_quantity, to_quantity_message

__all__ = ['caller_frame', 'lookup_names', 'namespace_messages']


def caller_frame(depth):
    """The frame `depth` levels above the function calling this.

    ``caller_frame(1)`` in a method is the frame of the method's caller.
    """
    return sys._getframe(depth + 1)


def _usable(value):
    if isinstance(value, (bool, str)):
        return True
    if is_quantity(value) or isinstance(value, (numbers.Real, np.generic)):
        return np.ndim(value) == 0
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in 'biuf'
    return False


def lookup_names(names, frame):
    """Values of `names` in `frame` (its locals, then its globals).

    Parameters
    ----------
    names : iterable of str
    frame : frame or None

    Returns
    -------
    dict
        name -> value, for the names found with a scalar number, quantity or
        string.
    """
    found = {}
    if frame is None:
        return found
    local, global_ = frame.f_locals, frame.f_globals
    for name in names:
        for scope in (local, global_):
            if name in scope:
                value = scope[name]
                if _usable(value):
                    found[name] = value
                break
    return found


def namespace_messages(values):
    """``cellfit.v1.NamedQuantity`` messages, sorted by name."""
    out = []
    for name in sorted(values):
        message = common_pb2.NamedQuantity(name=name)
        value = values[name]
        if isinstance(value, bool):
            value = float(value)
        to_quantity_message(value, message.quantity)
        out.append(message)
    return out


def same_values(a, b):
    """Whether two namespaces hold the same names and values."""
    if set(a) != set(b):
        return False
    for name in a:
        if isinstance(a[name], str) or isinstance(b[name], str):
            if a[name] != b[name]:
                return False
            continue
        va, da = split_quantity(a[name])
        vb, db = split_quantity(b[name])
        if da != db or not np.array_equal(va, vb):
            return False
    return True
