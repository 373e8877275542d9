"""A notice for calls that wait for a worker.

A fit or a generate sent to a server with no worker connected waits until one
connects, and the server says nothing meanwhile: to the user the call looks
hung. `WorkerWaitNotice` watches such a call from a thread and, when nothing
has arrived for a while and the server reports no connected worker, logs a
warning on the ``cellfit`` logger (which Python prints on stderr when logging
is not configured), once for each such silence. The call keeps waiting: it
goes on when a worker joins.
"""

import logging
import threading

from .errors import CellfitError

__all__ = ['WorkerWaitNotice', 'watched']

LOGGER = logging.getLogger('cellfit')


class WorkerWaitNotice:
    """Watches one call; use as a context manager around it.

    Parameters
    ----------
    connection : Connection
        The call's connection, asked for the server's workers.
    delay : float, optional
        Seconds of silence before the server is asked (and again after each
        such delay while workers are connected but busy).
    """

    def __init__(self, connection, delay=2.0):
        self._connection = connection
        self._delay = delay
        self._condition = threading.Condition()
        self._progress = 0
        self._done = False
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name='cellfit-worker-wait')

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        with self._condition:
            self._done = True
            self._condition.notify_all()
        self._thread.join()
        return False

    def progress(self):
        """The call heard from the server (a round, a chunk)."""
        with self._condition:
            self._progress += 1
            self._condition.notify_all()

    def _watch(self):
        seen = 0
        noticed = False  # in the current silence
        while True:
            with self._condition:
                # Each message restarts the wait: only a silence counts.
                self._condition.wait_for(
                    lambda: self._done or self._progress != seen,
                    timeout=self._delay)
                if self._done:
                    return
                if self._progress != seen:
                    seen = self._progress
                    noticed = False
                    continue
            if noticed:
                continue
            try:
                status = self._connection.status(timeout=5.0)
            except CellfitError:
                return  # an unreachable server fails the call itself
            if any(worker.state != 'lost' for worker in status.workers):
                continue  # busy workers: the call is queued
            with self._condition:
                if self._done or self._progress != seen:
                    continue
            address = self._connection.address
            LOGGER.warning(
                'waiting for a worker: none is connected to the cellfit '
                'server at %s (start cellfit-worker --server %s, or the '
                'server with --local_workers N)', address, address)
            noticed = True


def watched(connection, messages):
    """Yields `messages` (a call's stream) with a notice watching them."""
    with WorkerWaitNotice(connection) as notice:
        for message in messages:
            notice.progress()
            yield message
