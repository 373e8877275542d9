"""Fixtures of the Python client tests: a live server and the HH data.

The server is a real ``cellfit-server`` (found as $CELLFIT_SERVER_BINARY,
else next to the package in the build tree, else on PATH) listening on
127.0.0.1 on an ephemeral port, with a temporary database and two local
workers, started once for the session.

Run: PYTHONPATH=<build>/python /usr/bin/python3 -m pytest tests/python
(CTest does this: `ctest -L python`).
"""

import os
import pathlib
import warnings

import numpy as np
import pytest

warnings.filterwarnings('ignore', category=FutureWarning)  # Debian's pythran

import cellfit  # noqa: E402
from cellfit.embedded import find_server_binary  # noqa: E402

SOURCE_DIR = pathlib.Path(os.environ.get(
    'CELLFIT_SOURCE_DIR', pathlib.Path(__file__).resolve().parents[2]))

# The HH model of brian2modelfitting's examples (examples/hh/README.md of the
# shared data); its constants are looked up by the tests' modules.
HH_MODEL = '''
dv/dt = (gl*(El-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK) + I)/Cm : volt
dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/
    (exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/
    (exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/
    (exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
g_na : siemens (constant)
g_kd : siemens (constant)
gl   : siemens (constant)
Cm   : farad (constant)
'''


def load_trace_csv(path):
    """A brian2modelfitting example CSV: a header row of step indices, then
    one row per trace starting with the trace's index."""
    data = np.loadtxt(path, delimiter=',', skiprows=1)
    return data[:, 1:]


@pytest.fixture(scope='session')
def server_binary():
    binary = find_server_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail('no cellfit-server program: build the targets '
                    'cellfit-server and cellfit-worker and set '
                    'CELLFIT_SERVER_BINARY (CTest does)')
    return binary


@pytest.fixture(scope='session')
def server(server_binary, tmp_path_factory):
    """A live cellfit-server with 2 local workers and a temporary database.
    """
    database = tmp_path_factory.mktemp('server') / 'cellfit.db'
    embedded = cellfit.EmbeddedServer(binary=server_binary,
                                      database=str(database),
                                      local_workers=2, start_timeout=60)
    embedded.start()
    yield embedded
    code = embedded.stop()
    assert code == 0, f'the server exited with {code}'


@pytest.fixture(scope='session')
def connection(server):
    with cellfit.Connection(server.address, token=server.token,
                            connect_timeout=10) as conn:
        yield conn


@pytest.fixture(scope='session')
def hh_data():
    """(input in amp, output in volt) of the HH example, as plain arrays."""
    directory = SOURCE_DIR / 'examples' / 'hh'
    inputs = load_trace_csv(directory / 'input_traces_hh.csv')
    outputs = load_trace_csv(directory / 'output_traces_hh.csv') * 1e-3
    assert inputs.shape == outputs.shape == (5, 1497)
    return inputs, outputs
