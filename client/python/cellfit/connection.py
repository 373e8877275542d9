"""Connections to a cellfit server.

A fitter talks to the server named by its ``server=`` argument, else by the
``CELLFIT_SERVER`` environment variable (with the token in
``CELLFIT_TOKEN``), else to an embedded server started for this Python
process (see `cellfit.embedded`). Fitters naming the same server share one
connection.
"""

import os
import threading

import grpc

from ._proto import fitting_pb2, fitting_pb2_grpc
from .errors import ServerUnavailableError, error_from_rpc

__all__ = ['Connection', 'connect', 'default_connection', 'resolve_server',
           'shutdown_embedded_server']

#: Largest message sent or received (the server's default limit).
MAX_MESSAGE_BYTES = 256 << 20
#: Seconds to wait for a server to answer before giving up.
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Seconds a unary call may take (creating a fitter sends all its data).
DEFAULT_CALL_TIMEOUT = 300.0


def _connect_timeout():
    try:
        return float(os.environ.get('CELLFIT_CONNECT_TIMEOUT',
                                    DEFAULT_CONNECT_TIMEOUT))
    except ValueError:
        return DEFAULT_CONNECT_TIMEOUT


class Connection:
    """A channel to one cellfit server, with its token.

    Parameters
    ----------
    address : str
        ``HOST:PORT`` of the server.
    token : str, optional
        Sent as ``authorization: Bearer TOKEN`` on every call.
    connect_timeout : float, optional
        Seconds to wait until the server answers; a server that does not
        raises `ServerUnavailableError` (instead of hanging). None: do not
        wait now (the first call fails quickly if the server is down).
    embedded : EmbeddedServer, optional
        The embedded server behind this connection, kept alive with it.
    """

    def __init__(self, address, token=None, connect_timeout=None,
                 embedded=None):
        if not isinstance(address, str) or not address.strip():
            raise ValueError(f'a server address HOST:PORT is needed, got '
                             f'{address!r}')
        self.address = address.strip()
        self.token = token or None
        self.embedded = embedded
        self._channel = grpc.insecure_channel(self.address, options=[
            ('grpc.max_send_message_length', MAX_MESSAGE_BYTES),
            ('grpc.max_receive_message_length', MAX_MESSAGE_BYTES)])
        self.stub = fitting_pb2_grpc.FittingStub(self._channel)
        if embedded is not None:
            embedded.track(self)
        if connect_timeout is not None:
            self.wait_ready(connect_timeout)

    @property
    def metadata(self):
        """The call metadata (the bearer token), or None."""
        if self.token is None:
            return None
        return (('authorization', f'Bearer {self.token}'),)

    def wait_ready(self, timeout=None):
        """Wait until the server accepts connections.

        Raises
        ------
        ServerUnavailableError
            When it does not within `timeout` seconds.
        """
        timeout = _connect_timeout() if timeout is None else timeout
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise ServerUnavailableError(
                f'cannot reach the cellfit server at {self.address} within '
                f'{timeout:g} s: is it running? (start one with '
                f'`cellfit-server`, or leave server= and CELLFIT_SERVER unset '
                f'for an embedded one)',
                code=grpc.StatusCode.UNAVAILABLE) from None

    def call(self, method, request, timeout=DEFAULT_CALL_TIMEOUT):
        """A unary call, its gRPC errors turned into `CellfitError`s."""
        try:
            return getattr(self.stub, method)(request, timeout=timeout,
                                              metadata=self.metadata)
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address, method) from None
        except ValueError as error:  # grpc: the channel was closed
            raise self._closed(error) from None

    def _closed(self, error):
        return ServerUnavailableError(
            f'the connection to the cellfit server at {self.address} is '
            f'closed ({error})', code=grpc.StatusCode.UNAVAILABLE)

    def stream(self, method, request):
        """A server-streaming call; yields its messages.

        gRPC errors become `CellfitError`s; closing the generator cancels
        the call.
        """
        try:
            call = getattr(self.stub, method)(request, metadata=self.metadata)
        except ValueError as error:
            raise self._closed(error) from None
        try:
            for message in call:
                yield message
        except grpc.RpcError as error:
            raise error_from_rpc(error, self.address, method) from None
        finally:
            call.cancel()

    def status(self, timeout=30.0):
        """The server's `ServerStatus` (version, uptime, workers)."""
        return self.call('GetStatus', fitting_pb2.GetStatusRequest(),
                         timeout=timeout)

    def list_fitters(self):
        """Every fitter of this token's user, as `FitterInfo` messages."""
        return list(self.call('ListFitters',
                              fitting_pb2.ListFittersRequest()).fitters)

    def get_fitter(self, fitter_id):
        """The `FitterInfo` of one fitter."""
        return self.call('GetFitter',
                         fitting_pb2.GetFitterRequest(fitter_id=fitter_id))

    def cancel_fit(self, fitter_id):
        """Stop a running fit at the end of its current round."""
        return self.call('CancelFit',
                         fitting_pb2.CancelFitRequest(fitter_id=fitter_id))

    def delete_fitter(self, fitter_id):
        """Remove a fitter and everything recorded for it."""
        self.call('DeleteFitter',
                  fitting_pb2.DeleteFitterRequest(fitter_id=fitter_id))

    def close(self):
        """Close the channel (an embedded server keeps running)."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        kind = ' (embedded)' if self.embedded is not None else ''
        return f'<cellfit.Connection {self.address}{kind}>'


_lock = threading.Lock()
_default = None
_by_address = {}


def connect(address=None, token=None, timeout=None):
    """Connect to a cellfit server.

    Parameters
    ----------
    address : str, optional
        ``HOST:PORT``. Default: ``CELLFIT_SERVER``, else the embedded server.
    token : str, optional
        Default: ``CELLFIT_TOKEN`` (for an address from the environment or
        given here).
    timeout : float, optional
        Seconds to wait for the server (default ``CELLFIT_CONNECT_TIMEOUT``
        or 5).

    Returns
    -------
    Connection

    Raises
    ------
    ServerUnavailableError
        When the server does not answer within `timeout`.
    """
    if address is None:
        return default_connection()
    if token is None:
        token = os.environ.get('CELLFIT_TOKEN') or None
    return Connection(address, token=token,
                      connect_timeout=_connect_timeout() if timeout is None
                      else timeout)


def default_connection():
    """The connection used by fitters that name no server.

    ``CELLFIT_SERVER`` (and ``CELLFIT_TOKEN``) when set, else an embedded
    server started now (once per process) and stopped at exit.
    """
    global _default
    with _lock:
        if _default is not None and (_default.embedded is None
                                     or _default.embedded.running):
            return _default
        address = os.environ.get('CELLFIT_SERVER')
        if address:
            _default = connect(address)
        else:
            from .embedded import EmbeddedServer
            server = EmbeddedServer().start()
            _default = Connection(server.address, token=server.token,
                                  embedded=server)
        return _default


def shutdown_embedded_server():
    """Stop the embedded server now (it is otherwise stopped at exit).

    Returns
    -------
    int or None
        Its exit status, or None when none was running.
    """
    global _default
    with _lock:
        connection, _default = _default, None
    if connection is None or connection.embedded is None:
        return None
    connection.close()
    return connection.embedded.stop()


def resolve_server(server=None):
    """The `Connection` for a fitter's ``server=`` argument.

    Parameters
    ----------
    server : None, str, Connection or EmbeddedServer
        None: `default_connection`. A string: ``HOST:PORT`` (token from
        ``CELLFIT_TOKEN``); fitters naming the same address share a
        connection.

    Returns
    -------
    Connection
    """
    if server is None:
        return default_connection()
    if isinstance(server, Connection):
        return server
    from .embedded import EmbeddedServer
    if isinstance(server, EmbeddedServer):
        if not server.running:
            server.start()
        return Connection(server.address, token=server.token,
                          connect_timeout=_connect_timeout(),
                          embedded=server)
    if isinstance(server, str):
        token = os.environ.get('CELLFIT_TOKEN') or None
        key = (server.strip(), token)
        with _lock:
            connection = _by_address.get(key)
        if connection is None:
            connection = connect(server, token=token)
            with _lock:
                connection = _by_address.setdefault(key, connection)
        return connection
    raise TypeError(f'server must be "HOST:PORT", a cellfit.Connection or '
                    f'None, not {type(server).__name__}')
