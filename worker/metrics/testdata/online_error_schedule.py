#!/usr/bin/python3
"""Checks with Brian2 which value OnlineTraceFitter's online error sees.

brian2modelfitting accumulates the error with
    run_regularly('total_error += (v - v_target)**2 * int(t >= t_start)',
                  when='end')
This script shows that in the 'end' slot v already holds the value after the
step's update, while t is still the step's start time, as online_mse.h
states. Run with Debian's python: /usr/bin/python3 online_error_schedule.py
Expected output: recorded [0. 0.1 0.2 0.3 0.4], total 0.5 (= 0.3² + 0.4² +
0.5², the values after steps 2, 3 and 4), final v 0.5.
"""
from brian2 import NeuronGroup, StateMonitor, defaultclock, ms, prefs, run

prefs.codegen.target = 'numpy'
defaultclock.dt = 0.1 * ms
group = NeuronGroup(1, '''dv/dt = 1/ms : 1
                          total : 1''', method='euler')
group.run_regularly('total += v**2 * int(t >= 0.2*ms)', when='end')
monitor = StateMonitor(group, 'v', record=0)
run(0.5 * ms)
print('recorded', monitor.v[0], 'total', group.total[0], 'final v',
      group.v[0])
