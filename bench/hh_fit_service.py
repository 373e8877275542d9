"""The HH example fitted through a real cellfit-server, for the benchmarks:
a server with its local workers and SQLite file, the example's fitter (its
model, namespace and traces from examples/hh), and Fit calls (free-running or
one acknowledged round at a time)."""
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib

import numpy as np

# The example's linear bounds, as in brian2modelfitting's script (its job file
# searches the conductances on a log scale): the optimizer's part of a round
# is not what is timed here.
BOUNDS = [('gl', '1e-9*siemens', '1e-7*siemens'),
          ('g_na', '2e-6*siemens', '2e-4*siemens'),
          ('g_kd', '6e-7*siemens', '6e-5*siemens'),
          ('Cm', '0.1*uF*cm**-2*area', '2*uF*cm**-2*area')]


def _protos(build):
    python_dir = os.path.join(build, 'python')
    if python_dir not in sys.path:
        sys.path.insert(0, python_dir)
    from cellfit.v1 import common_pb2, fitting_pb2, fitting_pb2_grpc
    return common_pb2, fitting_pb2, fitting_pb2_grpc


class HhFitService:
    """A cellfit-server with `workers` local workers and one fitter of the HH
    example with `n_samples` samples a round; use as a context manager."""

    def __init__(self, build, example, workers, n_samples, backend='runtime'):
        import grpc
        self._c, self._f, fitting_grpc = _protos(build)
        c, f = self._c, self._f
        self._tmp = tempfile.mkdtemp()
        address_file = os.path.join(self._tmp, 'address')
        self._server = subprocess.Popen(
            [os.path.join(build, 'bin', 'cellfit-server'), '--listen', '127.0.0.1:0',
             '--db', os.path.join(self._tmp, 'cellfit.db'),
             '--local_workers', str(workers), '--address_file', address_file,
             '--log_level', 'warning'],
            stdout=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while not os.path.exists(address_file):
                if time.time() > deadline or self._server.poll() is not None:
                    raise RuntimeError('cellfit-server did not start')
                time.sleep(0.05)
            # The server writes the file by a rename: once it exists, it is whole.
            self._fitting = fitting_grpc.FittingStub(  # the gRPC client
                grpc.insecure_channel(open(address_file).read().strip()))
            while len(self._fitting.GetStatus(f.GetStatusRequest()).workers) < workers:
                if time.time() > deadline:
                    raise RuntimeError(f'{workers} workers did not connect')
                time.sleep(0.05)
            with open(os.path.join(example, 'job.toml'), 'rb') as job_file:
                job = tomllib.load(job_file)
            spec = c.FitterSpec(
                kind=c.FITTER_KIND_TRACE, model=job['equations'],
                dt=c.Quantity(text=job['dt']), n_samples=n_samples,
                method=job['method'], param_init=job['param_init'],
                backend=(c.BACKEND_STANDALONE if backend == 'standalone'
                         else c.BACKEND_RUNTIME),
                namespace=[c.NamedQuantity(name=k, quantity=c.Quantity(text=v))
                           for k, v in job['namespace'].items()],
                inputs=[c.Input(variable='I', traces=self._traces(
                    f'{example}/input_traces_hh.csv', 'amp'))],
                outputs=[c.Output(variable='v', traces=self._traces(
                    f'{example}/output_traces_hh.csv', 'mV'))])
            self.info = self._fitting.CreateFitter(f.CreateFitterRequest(spec=spec))
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._server.terminate()
        self._server.wait(timeout=30)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def neuron_steps_per_round(self):
        return self.info.n_samples * self.info.n_traces * self.info.n_steps

    def fit(self, n_rounds):
        """Runs a free-running Fit call of n_rounds rounds to its end and
        returns the times (perf_counter) its round messages arrived."""
        arrivals = []
        for _ in self._fitting.Fit(iter([self._start_control(n_rounds, False)])):
            arrivals.append(time.perf_counter())
        return arrivals

    def acknowledged_fit(self, n_rounds):
        """Starts a Fit call that runs one round per `next_round()`."""
        return _AcknowledgedFit(self._fitting, self._start_control(n_rounds, True), self._f)

    def _start_control(self, n_rounds, acknowledge):
        c, f = self._c, self._f
        return f.FitControl(start=f.FitRequest(
            fitter_id=self.info.id, n_rounds=n_rounds, acknowledge_rounds=acknowledge,
            optimizer=f.OptimizerSpec(method='DE', seed=1),
            metrics=[c.MetricSpec(output='v', mse=c.MSEMetric(
                t_start=c.Quantity(text='5*ms')))],
            bounds=[f.Bounds(parameter=p, lower=c.Quantity(text=lo),
                             upper=c.Quantity(text=hi)) for p, lo, hi in BOUNDS]))

    def _traces(self, path, unit):
        rows = np.genfromtxt(path, delimiter=',')[1:, 1:]
        return self._c.TraceSet(n_traces=rows.shape[0], n_steps=rows.shape[1],
                                values=rows.ravel(), unit=self._c.Quantity(text=unit))


class _AcknowledgedFit:
    """A Fit call with acknowledge_rounds (rounds_ahead 0): the server starts
    a round only when told to, so rounds of two servers can be taken in
    turns. The first round runs on creation."""

    def __init__(self, fitting, start, fitting_pb2):
        self._f = fitting_pb2
        self._controls = queue.Queue()
        self._controls.put(start)
        self._rounds = fitting.Fit(iter(self._controls.get, None))
        next(self._rounds)

    def next_round(self):
        """Acknowledges the last round and returns the seconds until the next
        round's message arrives: the round, its commit and one round trip."""
        start = time.perf_counter()
        self._controls.put(self._f.FitControl(proceed=True))
        next(self._rounds)
        return time.perf_counter() - start

    def stop(self):
        self._controls.put(self._f.FitControl(stop=True))
        self._controls.put(None)
        for _ in self._rounds:
            pass
