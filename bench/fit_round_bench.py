#!/usr/bin/python3
"""cellfit side of the fit-round benchmark: rounds of the HH example through
a real cellfit-server, its worker processes and SQLite, timed at the client.

usage: fit_round_bench.py BUILD_DIR EXAMPLE_DIR WORKERS N_SAMPLES ROUNDS [BACKEND]
BACKEND: runtime (default) or standalone (compiled before the timed rounds).
prints: seconds_per_round=... (a round in a running fit: the time of a Fit call
of ROUNDS rounds less that of one of ROUNDS/4, over the difference in rounds)
seconds_per_round_with_call=... (the whole Fit call over ROUNDS, its setup
included) neuron_steps_per_s=... (from seconds_per_round)
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

build, example, workers, n_samples, rounds = (
    sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
backend = sys.argv[6] if len(sys.argv) > 6 else 'runtime'
sys.path.insert(0, os.path.join(build, 'python'))
import grpc  # noqa: E402
from cellfit.v1 import common_pb2 as c, fitting_pb2 as f, fitting_pb2_grpc as fg  # noqa: E402

MODEL = '''
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


def traces(path, unit):
    rows = np.genfromtxt(path, delimiter=',')[1:, 1:]
    return c.TraceSet(n_traces=rows.shape[0], n_steps=rows.shape[1],
                      values=rows.ravel(), unit=c.Quantity(text=unit))


def main():
    tmp = tempfile.mkdtemp()
    addr_file = os.path.join(tmp, 'address')
    server = subprocess.Popen(
        [os.path.join(build, 'bin', 'cellfit-server'), '--listen', '127.0.0.1:0',
         '--db', os.path.join(tmp, 'cellfit.db'), '--local_workers', str(workers),
         '--address_file', addr_file, '--log_level', 'warning'],
        stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not os.path.exists(addr_file) and time.time() < deadline:
            time.sleep(0.05)
        stub = fg.FittingStub(grpc.insecure_channel(open(addr_file).read().strip()))
        while len(stub.GetStatus(f.GetStatusRequest()).workers) < workers:
            time.sleep(0.05)
        spec = c.FitterSpec(
            kind=c.FITTER_KIND_TRACE, model=MODEL, dt=c.Quantity(text='0.01*ms'),
            n_samples=n_samples, method='exponential_euler', param_init={'v': 'VT'},
            backend=(c.BACKEND_STANDALONE if backend == 'standalone'
                     else c.BACKEND_RUNTIME),
            namespace=[c.NamedQuantity(name=k, quantity=c.Quantity(text=v)) for k, v in
                       [('area', '20000*umetre**2'), ('El', '-65*mV'), ('EK', '-90*mV'),
                        ('ENa', '50*mV'), ('VT', '-63*mV')]],
            inputs=[c.Input(variable='I',
                            traces=traces(f'{example}/input_traces_hh.csv', 'amp'))],
            outputs=[c.Output(variable='v',
                              traces=traces(f'{example}/output_traces_hh.csv', 'mV'))])
        info = stub.CreateFitter(f.CreateFitterRequest(spec=spec))
        bounds = [('gl', '1e-9*siemens', '1e-7*siemens'),
                  ('g_na', '2e-6*siemens', '2e-4*siemens'),
                  ('g_kd', '6e-7*siemens', '6e-5*siemens'),
                  ('Cm', '0.1*uF*cm**-2*area', '2*uF*cm**-2*area')]

        def fit(n_rounds):
            request = f.FitRequest(
                fitter_id=info.id, n_rounds=n_rounds,
                optimizer=f.OptimizerSpec(method='DE', seed=1),
                metrics=[c.MetricSpec(output='v', mse=c.MSEMetric(
                    t_start=c.Quantity(text='5*ms')))],
                bounds=[f.Bounds(parameter=p, lower=c.Quantity(text=lo),
                                 upper=c.Quantity(text=hi)) for p, lo, hi in bounds])
            for _ in stub.Fit(iter([f.FitControl(start=request)])):
                pass

        fit(1)  # warm-up: job data to the workers
        # A round's cost in a running fit, as the peer's figure is, without a
        # Fit call's setup (its run row, the optimizer) and ending (the last
        # commit), which the peer leaves out too: the difference between a
        # call of `rounds` rounds and a shorter one. (The arrival times of the
        # round messages would not do: the server commits short rounds two
        # at a time, and a call's first and last messages are not alike.)
        short = max(1, rounds // 4)
        start = time.perf_counter()
        fit(short)
        middle = time.perf_counter()
        fit(rounds)
        end = time.perf_counter()
        with_call = (end - middle) / rounds
        per_round = (((end - middle) - (middle - start)) / (rounds - short)
                     if rounds > short else with_call)
        neuron_steps = n_samples * info.n_traces * info.n_steps
        print(f'seconds_per_round={per_round:.6f} '
              f'seconds_per_round_with_call={with_call:.6f} '
              f'neuron_steps_per_s={neuron_steps / per_round:.3e}')
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == '__main__':
    main()
