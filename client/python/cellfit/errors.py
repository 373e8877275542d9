"""Exceptions raised by the cellfit client, and gRPC status mapping.

Every exception derives from `CellfitError` and also from the built-in
exception a Python user expects for the problem (``ValueError`` for an
invalid argument, ``ConnectionError`` for an unreachable server, ...), so
that code written for brian2modelfitting keeps catching what it caught.
"""

import grpc

__all__ = ['CellfitError', 'InvalidArgumentError', 'FitterNotFoundError',
           'FailedPreconditionError', 'ServerUnavailableError',
           'AuthenticationError', 'ResourceExhaustedError',
           'FitCancelledError', 'ServerUnimplementedError', 'error_from_rpc']


class CellfitError(Exception):
    """Base class of every error the cellfit client raises.

    Attributes
    ----------
    code : grpc.StatusCode or None
        The gRPC status of the call that failed, when one did.
    details : str
        The server's message.
    """

    def __init__(self, message, code=None, details=None):
        super().__init__(message)
        self.code = code
        self.details = message if details is None else details


class InvalidArgumentError(CellfitError, ValueError):
    """The server rejected an argument (gRPC INVALID_ARGUMENT).

    The message holds every problem found, one per line, as
    ``FIELD:LINE:COLUMN: error: MESSAGE``.
    """


class FitterNotFoundError(CellfitError, LookupError):
    """No such fitter on the server, or it belongs to another user."""


class FailedPreconditionError(CellfitError, RuntimeError):
    """The call is not allowed in the fitter's current state.

    For example changing the optimizer or metric without ``restart=True``,
    or generating traces before any fit has run.
    """


class ServerUnavailableError(CellfitError, ConnectionError):
    """The server cannot be reached (down, wrong address, shutting down)."""


class AuthenticationError(CellfitError, PermissionError):
    """The server refused the token (UNAUTHENTICATED, PERMISSION_DENIED)."""


class ResourceExhaustedError(CellfitError, RuntimeError):
    """A request exceeded one of the server's limits."""


class FitCancelledError(CellfitError, RuntimeError):
    """The fit was cancelled (by ``cellfit cancel`` or another client)."""


class ServerUnimplementedError(CellfitError, NotImplementedError):
    """The server does not offer this call or option."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: FitterNotFoundError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.UNAVAILABLE: ServerUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: ServerUnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: AuthenticationError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.CANCELLED: FitCancelledError,
    grpc.StatusCode.UNIMPLEMENTED: ServerUnimplementedError,
}


def error_from_rpc(error, address=None, what=None):
    """Turn a `grpc.RpcError` into the matching `CellfitError`.

    Parameters
    ----------
    error : grpc.RpcError
        The error raised by a stub call.
    address : str, optional
        The server's address, named in messages about reaching it.
    what : str, optional
        The call, e.g. ``'Fit'``, named in messages about reaching it.

    Returns
    -------
    CellfitError
        An exception to raise (``raise error_from_rpc(e) from e``).
    """
    code = error.code() if hasattr(error, 'code') else None
    details = error.details() if hasattr(error, 'details') else str(error)
    details = details or ''
    cls = _BY_CODE.get(code, CellfitError)
    message = details
    if cls is ServerUnavailableError:
        where = f' at {address}' if address else ''
        call = f' ({what})' if what else ''
        message = (f'the cellfit server{where} cannot be reached{call}: '
                   f'{details or code}')
    elif not message:
        message = f'{what or "call"} failed with {code}'
    return cls(message, code=code, details=details)
