#!/usr/bin/python3
"""Peer side of the fit-round benchmark: one round of brian2modelfitting's
HH TraceFitter example done as brian2modelfitting's RuntimeSimulator does it
(restore the network, set the candidates' parameters and param_init, run,
read the StateMonitor, compute the MSE against the data from t_start) with
Brian2's runtime device (Cython), for the same 20 samples x 5 traces.

brian2modelfitting itself is not installable here (no PyPI); the ask/tell of
its Nevergrad optimizer is left out, which favours the peer.

usage: brian2_fit_round.py EXAMPLE_DIR N_SAMPLES ROUNDS
prints: seconds_per_round=...
"""
import sys
import time

import numpy as np
from brian2 import (NeuronGroup, StateMonitor, Network, TimedArray, Equations,
                    defaultclock, ms, mV, nA, amp, siemens, farad, umetre, cm,
                    uF, prefs)

example, n_samples, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prefs.codegen.target = 'cython'
inp = np.genfromtxt(f'{example}/input_traces_hh.csv', delimiter=',')[1:, 1:]
out = np.genfromtxt(f'{example}/output_traces_hh.csv', delimiter=',')[1:, 1:] * 1e-3
n_traces, n_steps = inp.shape
dt = 0.01 * ms
defaultclock.dt = dt
area = 20000 * umetre ** 2
El = -65 * mV
EK = -90 * mV
ENa = 50 * mV
VT = -63 * mV
eqs = Equations('''
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
I = input_var(t, i % n_traces) : amp
iteration : integer (constant, shared)
''')
input_var = TimedArray(inp.T * amp, dt=dt)
neurons = NeuronGroup(n_samples * n_traces, eqs, method='exponential_euler',
                      name='neurons', dt=dt)
monitor = StateMonitor(neurons, 'v', record=True, name='monitor', dt=dt)
net = Network(neurons, monitor)
net.store()
rng = np.random.default_rng(0)
t_start_steps = int(round(5 * ms / dt))


def one_round():
    params = {
        'gl': rng.uniform(1e-9, 1e-7, n_samples),
        'g_na': rng.uniform(2e-6, 2e-4, n_samples),
        'g_kd': rng.uniform(6e-7, 6e-5, n_samples),
        'Cm': rng.uniform(0.1, 2, n_samples) * float(uF * cm ** -2 * area),
    }
    net.restore()
    neurons.set_states({k: np.repeat(v, n_traces) for k, v in params.items()},
                       units=False)
    neurons.v = 'VT'
    net.run(n_steps * dt, namespace={'input_var': input_var,
                                     'n_traces': n_traces, 'El': El, 'EK': EK,
                                     'ENa': ENa, 'VT': VT})
    traces = monitor.v_[:].reshape(n_samples, n_traces, -1)
    errors = np.mean((traces[:, :, t_start_steps:] - out[None, :, t_start_steps:]) ** 2,
                     axis=(1, 2))
    return errors


one_round()  # compiles the code objects
start = time.perf_counter()
for _ in range(rounds):
    one_round()
print(f'seconds_per_round={(time.perf_counter() - start) / rounds:.6f}')
