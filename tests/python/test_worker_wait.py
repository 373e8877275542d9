"""A call that waits for a worker says so on the ``cellfit`` logger."""
import logging
import threading
import time

from brian2 import ms

import cellfit
from cellfit.errors import CellfitError
from test_hh_trace_fitter import BOUNDS, make_fitter


def test_a_fit_without_a_worker_says_it_is_waiting(server_binary, tmp_path,
                                                   hh_data, caplog):
    lonely = cellfit.EmbeddedServer(binary=server_binary,
                                    database=str(tmp_path / 'cellfit.db'),
                                    local_workers=0, start_timeout=60)
    lonely.start()
    outcome = {}
    caplog.set_level(logging.WARNING, logger='cellfit')
    try:
        with cellfit.Connection(lonely.address, token=lonely.token,
                                connect_timeout=10) as connection:
            fitter = make_fitter(connection, hh_data, n_samples=4)

            def fit():
                try:
                    fitter.fit(n_rounds=1, optimizer=cellfit.DEOptimizer(),
                               metric=cellfit.MSEMetric(t_start=5 * ms),
                               callback=None, **BOUNDS)
                except CellfitError as error:
                    outcome['error'] = error

            thread = threading.Thread(target=fit)
            thread.start()
            deadline = time.monotonic() + 60
            while (not any('waiting for a worker' in r.getMessage()
                           for r in caplog.records)
                   and time.monotonic() < deadline):
                time.sleep(0.1)
            # Still waiting, not failed: a worker could join.
            assert thread.is_alive()
            assert 'error' not in outcome
    finally:
        lonely.stop()
    thread.join(timeout=60)
    notices = [r.getMessage() for r in caplog.records
               if 'waiting for a worker' in r.getMessage()]
    assert len(notices) == 1, notices
    assert lonely.address in notices[0]
    assert 'cellfit-worker --server' in notices[0]
