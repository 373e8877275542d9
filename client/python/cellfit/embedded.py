"""The embedded server: a private ``cellfit-server`` for this Python process.

When a fitter names no server (no ``server=`` argument, no ``CELLFIT_SERVER``
in the environment), the package starts ``cellfit-server`` with local
worker processes, listening on 127.0.0.1 on a free port and made private
with a token generated for this start only, and stops it when Python exits.

The server program is found as ``$CELLFIT_SERVER_BINARY``, else in the build
tree next to the package (``<build>/bin/cellfit-server`` for a package in
``<build>/python/cellfit``), else on ``PATH``.
"""

import atexit
import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref

__all__ = ['EmbeddedServer', 'find_server_binary']


def find_server_binary():
    """Path of the ``cellfit-server`` program, or None when none is found.

    Returns
    -------
    str or None
    """
    explicit = os.environ.get('CELLFIT_SERVER_BINARY')
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    # <build>/python/cellfit/embedded.py -> <build>/bin/cellfit-server
    beside = os.path.join(os.path.dirname(os.path.dirname(here)), 'bin',
                          'cellfit-server')
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which('cellfit-server')


def _parent_death_signal():
    """In the child before exec: SIGTERM when the parent dies; own group.

    The server gets its own process group so that a Ctrl-C in the Python
    session interrupts Python, not the server (which is stopped in order
    at exit); the parent-death signal stops it if Python is killed.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:  # not Linux: the atexit handler still stops it
        pass
    os.setpgid(0, 0)


class EmbeddedServer:
    """A ``cellfit-server`` process owned by this Python process.

    Parameters
    ----------
    binary : str, optional
        The server program; default `find_server_binary`.
    database : str, optional
        The SQLite file. Default: ``$CELLFIT_DB`` if set, else a temporary
        file removed when the server stops (results live as long as the
        Python session, as in brian2modelfitting).
    local_workers : int, optional
        Worker processes; default ``$CELLFIT_LOCAL_WORKERS``, else one per
        available core.
    start_timeout : float
        Seconds to wait for the server to listen and its workers to register.
    stop_timeout : float
        Seconds to wait after SIGTERM before SIGKILL.
    log_level : str
        The server's log level (its log goes to a file in a temporary
        directory; its tail is quoted when the server fails to start).
    """

    def __init__(self, binary=None, database=None, local_workers=None,
                 start_timeout=60.0, stop_timeout=30.0, log_level='warning'):
        self.binary = binary or find_server_binary()
        if database is None:
            database = os.environ.get('CELLFIT_DB') or None
        if local_workers is None:
            env = os.environ.get('CELLFIT_LOCAL_WORKERS')
            if env:
                local_workers = int(env)
            elif hasattr(os, 'sched_getaffinity'):
                local_workers = len(os.sched_getaffinity(0))
            else:
                local_workers = os.cpu_count() or 1
        self.local_workers = int(local_workers)
        self.start_timeout = float(start_timeout)
        self.stop_timeout = float(stop_timeout)
        self.log_level = log_level
        self.token = secrets.token_hex(32)
        self.address = None
        self.process = None
        self._scratch = None
        self._log = None
        self.database = database
        self._lock = threading.Lock()
        # Connections to this server, closed before it stops (its shutdown
        # otherwise waits for their idle HTTP/2 connections to go away).
        self._connections = weakref.WeakSet()

    def track(self, connection):
        """Close `connection` before this server stops."""
        self._connections.add(connection)

    def start(self):
        """Start the server; return once it answers and its workers joined.

        Returns
        -------
        EmbeddedServer
            self.

        Raises
        ------
        ServerUnavailableError
            When no server program is found, or it exits or does not become
            ready within `start_timeout` (it is stopped then).
        """
        from .errors import ServerUnavailableError
        if self.binary is None or not os.access(self.binary, os.X_OK):
            raise ServerUnavailableError(
                'cannot start a local cellfit-server: '
                + (f"'{self.binary}' is not executable" if self.binary else
                   'no cellfit-server program found (set '
                   'CELLFIT_SERVER_BINARY, or put it on PATH)')
                + '; or pass server="HOST:PORT" (or set CELLFIT_SERVER) to '
                  'use a running server')
        self._scratch = tempfile.mkdtemp(prefix='cellfit-python-')
        if self.database is None:
            self.database = os.path.join(self._scratch, 'cellfit.db')
        token_file = os.path.join(self._scratch, 'tokens')
        address_file = os.path.join(self._scratch, 'address')
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as out:
            out.write(f'{self.token} local\n')
        log_path = os.path.join(self._scratch, 'server.log')
        self._log = open(log_path, 'wb')
        args = [self.binary, '--listen=127.0.0.1:0',
                f'--address_file={address_file}',
                f'--db={os.path.abspath(self.database)}',
                f'--local_workers={self.local_workers}',
                f'--token_file={token_file}',
                f'--log_level={self.log_level}']
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._log, preexec_fn=_parent_death_signal,
            close_fds=True)
        atexit.register(self.stop)
        try:
            self._await_ready(address_file)
        except BaseException:
            self.stop()
            raise
        try:
            os.remove(token_file)  # read at start; nobody needs it now
        except OSError:
            pass
        return self

    def _failed(self, why):
        from .errors import ServerUnavailableError
        log = self.log_tail()
        return ServerUnavailableError(
            f'the local cellfit-server ({self.binary}) {why}'
            + (f'; its log ends with:\n{log}' if log else '')
            + '\nPass server="HOST:PORT" (or set CELLFIT_SERVER) to use a '
              'running server.')

    def _await_ready(self, address_file):
        from .connection import Connection
        deadline = time.monotonic() + self.start_timeout
        while self.address is None:
            code = self.process.poll()
            if code is not None:
                raise self._failed(f'exited with status {code} while starting')
            try:
                with open(address_file) as f:
                    address = f.read().strip()
                if address:
                    self.address = address
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise self._failed('did not start listening in time')
            time.sleep(0.02)
        connection = Connection(self.address, token=self.token,
                                connect_timeout=max(
                                    1.0, deadline - time.monotonic()))
        registered = 0
        try:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise self._failed(
                        f'exited with status {code} while starting')
                try:
                    status = connection.status(timeout=5.0)
                    registered = len(status.workers)
                    if registered >= self.local_workers:
                        return
                except ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise self._failed(
                        f'had {registered} of its {self.local_workers} local '
                        f'workers registered after {self.start_timeout:g} s')
                time.sleep(0.025)
        finally:
            connection.close()

    def log_tail(self, lines=20):
        """The last lines of the server's log (empty when there is none)."""
        if self._scratch is None:
            return ''
        try:
            with open(os.path.join(self._scratch, 'server.log'), 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
        except OSError:
            return ''
        return '\n'.join(text.strip().splitlines()[-lines:])

    @property
    def running(self):
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM, then wait (SIGKILL after `stop_timeout`); idempotent.

        Returns
        -------
        int or None
            The server's exit status, or None when it was not running.
        """
        with self._lock:
            process, self.process = self.process, None
            if process is None:
                return None
            try:
                atexit.unregister(self.stop)
            except Exception:
                pass
            for connection in list(self._connections):
                connection.close()
            code = process.poll()
            if code is None:
                try:
                    process.send_signal(signal.SIGTERM)
                    code = process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = process.wait()
            if self._log is not None:
                self._log.close()
                self._log = None
            if self._scratch is not None:
                # Holds the token file, the log and the default database (a
                # database given by the caller lives elsewhere and stays).
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
            return code

    def __enter__(self):
        return self.start() if self.process is None else self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        state = 'running' if self.running else 'stopped'
        return (f'<EmbeddedServer {self.address or "-"} {state}, '
                f'{self.local_workers} local workers, db {self.database}>')
