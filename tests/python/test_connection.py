"""Servers that are down, die, refuse the token; the embedded default."""

import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from brian2 import amp, ms, nS, pF, volt

import cellfit

MODEL = ('dv/dt = (gl*(-70*mV - v) + I)/(200*pF) : volt\n'
         'gl : siemens (constant)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def small_fitter(server, hh_data):
    inputs, outputs = hh_data
    return cellfit.TraceFitter(MODEL, input={'I': inputs * amp},
                               output={'v': outputs * volt}, dt=0.01 * ms,
                               n_samples=4, server=server)


def test_server_down_is_a_quick_clear_error(hh_data, monkeypatch):
    address = f'127.0.0.1:{free_port()}'
    start = time.monotonic()
    with pytest.raises(cellfit.ServerUnavailableError,
                       match=f'cannot reach the cellfit server at {address}'):
        cellfit.connect(address, timeout=1.0)
    assert time.monotonic() - start < 5
    monkeypatch.setenv('CELLFIT_CONNECT_TIMEOUT', '1')
    start = time.monotonic()
    with pytest.raises(ConnectionError, match='is it running'):
        small_fitter(address, hh_data)
    assert time.monotonic() - start < 5


def test_server_that_dies_gives_clear_errors(server_binary, hh_data,
                                             tmp_path):
    server = cellfit.EmbeddedServer(binary=server_binary,
                                    database=str(tmp_path / 'db'),
                                    local_workers=1).start()
    fitter = small_fitter(server, hh_data)
    fitter.fit(n_rounds=1, callback=None, gl=[1 * nS, 100 * nS])
    assert len(fitter.results()) == 4
    server.process.kill()  # a crash
    server.process.wait()
    start = time.monotonic()
    with pytest.raises(cellfit.ServerUnavailableError, match='cannot be '
                       'reached'):
        fitter.results()
    with pytest.raises(ConnectionError):
        fitter.fit(n_rounds=1, callback=None)
    assert time.monotonic() - start < 10
    server.stop()


def test_token_is_required(server, hh_data):
    anonymous = cellfit.Connection(server.address, connect_timeout=5)
    with pytest.raises(cellfit.AuthenticationError) as error:
        anonymous.status()
    assert isinstance(error.value, PermissionError)
    wrong = cellfit.Connection(server.address, token='not-the-token',
                               connect_timeout=5)
    with pytest.raises(PermissionError):
        small_fitter(wrong, hh_data)


def test_other_users_fitters_are_not_found(connection):
    with pytest.raises(cellfit.FitterNotFoundError):
        connection.get_fitter('f000000000000')
    assert isinstance(connection.list_fitters(), list)


def test_embedded_default_server(server_binary, tmp_path):
    """No server named: one is started for the process and stopped at exit.
    """
    script = tmp_path / 'embedded.py'
    script.write_text(textwrap.dedent('''
        import numpy as np
        import cellfit
        fitter = cellfit.TraceFitter(
            'dv/dt = (gl*(-70*mV - v) + I)/(200*pF) : volt\\n'
            'gl : siemens (constant)',
            input={'I': (np.full((2, 200), 1e-10), 'amp')},
            output={'v': np.full((2, 200), -0.06)}, dt=1e-4, n_samples=4)
        params, error = fitter.fit(n_rounds=2, callback=None, gl=[1e-9, 1e-7])
        embedded = cellfit.default_connection().embedded
        print(embedded.process.pid, len(fitter.results()), flush=True)
    '''))
    env = dict(os.environ, CELLFIT_SERVER_BINARY=server_binary,
               CELLFIT_LOCAL_WORKERS='1', CELLFIT_NO_BRIAN2='1')
    env.pop('CELLFIT_SERVER', None)
    env.pop('CELLFIT_TOKEN', None)
    done = subprocess.run([sys.executable, str(script)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pid, rows = (int(x) for x in done.stdout.split())
    assert rows == 8
    # The server (and its worker) stopped with the Python process.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f'the embedded server {pid} outlived its Python process')


def test_missing_server_binary(monkeypatch):
    monkeypatch.setenv('CELLFIT_SERVER_BINARY', '/nonexistent/cellfit-server')
    with pytest.raises(cellfit.ServerUnavailableError, match='not executable'):
        cellfit.EmbeddedServer().start()


def test_shared_connection_by_address(server, monkeypatch):
    monkeypatch.setenv('CELLFIT_TOKEN', server.token)
    from cellfit.connection import resolve_server
    first = resolve_server(server.address)
    assert resolve_server(server.address) is first
    assert first.status().workers


def test_fitter_ids_and_listing(connection, hh_data):
    fitter = small_fitter(connection, hh_data)
    fitter.fit(n_rounds=1, callback=None, gl=[1 * nS, 100 * nS],
               optimizer=cellfit.PSOOptimizer(seed=3))
    assert fitter.fitter_id in [f.id for f in connection.list_fitters()]
    assert fitter.info().optimizer == 'PSO'
    fitter.delete()
    assert fitter.fitter_id is None


def test_a_deleted_fitter_is_not_found(connection, hh_data):
    fitter = small_fitter(connection, hh_data)
    fitter.fit(n_rounds=1, callback=None, gl=[1 * nS, 100 * nS],
               optimizer=cellfit.DEOptimizer(seed=3))
    deleted = fitter.fitter_id
    assert len(fitter.results()) == 4
    fitter.delete()
    # As for a fitter deleted by another client: not an empty result.
    with pytest.raises(cellfit.FitterNotFoundError, match=deleted):
        fitter.results()
    with pytest.raises(cellfit.FitterNotFoundError, match=deleted):
        fitter.info()
    with pytest.raises(cellfit.FitterNotFoundError):
        connection.get_fitter(deleted)
    # A new fit creates a new fitter on the server, which reads as usual.
    fitter.fit(n_rounds=1, callback=None, gl=[1 * nS, 100 * nS],
               optimizer=cellfit.DEOptimizer(seed=3))
    assert fitter.fitter_id not in (None, deleted)
    assert len(fitter.results()) == 4
    fitter.delete()


def test_nlopt_optimizer(connection, hh_data):
    fitter = small_fitter(connection, hh_data)
    _, error = fitter.fit(n_rounds=3, callback=None,
                          optimizer=cellfit.NLoptOptimizer('LN_BOBYQA',
                                                           seed=1),
                          gl=[1 * nS, 100 * nS])
    assert fitter.info().optimizer == 'LN_BOBYQA'
    with pytest.raises(ValueError, match='unknown optimizer method'):
        fitter.fit(n_rounds=1, callback=None, restart=True,
                   optimizer=cellfit.NLoptOptimizer('LN_NOPE'),
                   gl=[1 * nS, 100 * nS])
    _ = pF
