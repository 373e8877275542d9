#!/usr/bin/python3
"""Throughput of two cellfit configurations on the HH example, round by round
in turns: by default one local worker against two (the scaling target).

usage: scaling_bench.py BUILD_DIR EXAMPLE_DIR [--samples N] [--turns T]
                        [--mode calls|acknowledged] [--rounds-per-call K]
                        [--workers-a 1] [--workers-b 2] [--build-b DIR]
                        [--machine]

Two servers run side by side, and the client has them fit in turns, A then
B, then B then A, and so on. The machine's speed swings by up to 2x within
seconds (a core's speed, not ours), and a whole run of rounds of one
configuration, then of the other, shows those swings as ratios from 1.1 to
2.5; rounds taken in turns see the same machine. A turn is, by default
(--mode calls), a free-running Fit call of --rounds-per-call rounds on each
server, timed from its first round's message to its next-to-last one (the
last one is not held for a shared commit, the others are alike): rounds of a
running fit, without the call's setup. With --mode acknowledged it is one
round of a Fit call that waits for the client after every round, timed from
the acknowledgement to the next round's message: turns of 0.1 s instead of
about 1 s, but each round then also holds its SQLite commit and a round trip
to the client, which a running fit overlaps with the next round (the same
time added to both sides, which lowers the ratio).

The two cores of these machines are not always alike: at times one runs
simulations 1.5x slower than the other while both are busy, and no program
can then make two workers 1.8x one. With --machine (1 worker against 2 only),
each turn also times the machine itself: the round's neurons simulated by one
bare process (hh_backend_bench, not bound, as the one worker is not), and by
two at once, half each, bound to a core each (as the two workers are). The
ratio of those two times is what the machine allows in that turn.

prints: per-round medians, the median of the T ratios a_k / b_k of turns
(`ratio=`), their quartiles, and the ratio of the sums; with
--machine, the median of the machine's own ratios (`machine_ratio=`) and of
the turns' ratio over the machine's (`share_of_machine=`).
"""
import argparse
import os
import re
import statistics
import subprocess

from hh_fit_service import HhFitService


def bare_simulation_seconds(build, processes, neurons, steps):
    """Wall time of `processes` hh_backend_bench runs at once, each with
    neurons / processes neurons, bound to cores 0.. when more than one; the
    program's setup (parsing the model) is left out, as in a fit."""
    binary = os.path.join(build, 'bench', 'hh_backend_bench')
    share = neurons // processes
    commands = [[binary, 'runtime', str(share), str(steps)]]
    if processes > 1:
        commands = [['taskset', '-c', str(core), binary, 'runtime', str(share),
                     str(steps)] for core in range(processes)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            for command in commands]
    walls = []
    for run in runs:
        out, _ = run.communicate()
        match = re.search(r'wall=([0-9.]+)s', out)
        if run.returncode != 0 or not match:
            raise RuntimeError(f'hh_backend_bench failed: {out}')
        walls.append(float(match.group(1)))
    return max(walls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('build')
    parser.add_argument('example')
    parser.add_argument('--samples', type=int, default=400)
    parser.add_argument('--turns', type=int, default=30)
    parser.add_argument('--mode', choices=['calls', 'acknowledged'], default='calls')
    parser.add_argument('--rounds-per-call', type=int, default=4)
    parser.add_argument('--workers-a', type=int, default=1)
    parser.add_argument('--workers-b', type=int, default=2)
    parser.add_argument('--build-b', help='build of B (default: BUILD_DIR)')
    parser.add_argument('--backend', default='runtime',
                        choices=['runtime', 'standalone'])
    parser.add_argument('--machine', action='store_true',
                        help="time the machine's own 1-to-2 core ratio in each turn")
    args = parser.parse_args()
    if args.machine and (args.workers_a, args.workers_b) != (1, 2):
        parser.error('--machine compares 1 worker with 2 only')
    if args.rounds_per_call < 3:
        parser.error('--rounds-per-call: at least 3 (two messages apart, and the last)')
    with HhFitService(args.build, args.example, args.workers_a, args.samples,
                      args.backend) as a, \
            HhFitService(args.build_b or args.build, args.example, args.workers_b,
                         args.samples, args.backend) as b:
        neurons = a.info.n_samples * a.info.n_traces
        if args.mode == 'acknowledged':
            # The first round of each (job data to the workers, a compile
            # for standalone) runs when the call starts and is not timed.
            fits = [service.acknowledged_fit(args.turns + 1) for service in (a, b)]
            turns = [fit.next_round for fit in fits]
        else:
            for service in (a, b):
                service.fit(1)  # job data to the workers, a compile

            def in_a_running_fit(service):
                def turn():
                    arrivals = service.fit(args.rounds_per_call)
                    return (arrivals[-2] - arrivals[0]) / (len(arrivals) - 2)
                return turn
            turns = [in_a_running_fit(a), in_a_running_fit(b)]
        times = ([], [])
        machine = []
        for k in range(args.turns):
            for side in ((0, 1) if k % 2 == 0 else (1, 0)):
                times[side].append(turns[side]())
            if args.machine:
                machine.append(
                    bare_simulation_seconds(args.build, 1, neurons, a.info.n_steps) /
                    bare_simulation_seconds(args.build, 2, neurons, a.info.n_steps))
        if args.mode == 'acknowledged':
            for fit in fits:
                fit.stop()
    ratios = [ta / tb for ta, tb in zip(*times)]
    quartiles = statistics.quantiles(ratios, n=4)
    print(f'a_seconds_per_round={statistics.median(times[0]):.6f} '
          f'b_seconds_per_round={statistics.median(times[1]):.6f} '
          f'ratio={statistics.median(ratios):.3f} '
          f'quartiles={quartiles[0]:.3f},{quartiles[2]:.3f} '
          f'ratio_of_sums={sum(times[0]) / sum(times[1]):.3f}', end='')
    if machine:
        shares = [ratio / ceiling for ratio, ceiling in zip(ratios, machine)]
        print(f' machine_ratio={statistics.median(machine):.3f} '
              f'share_of_machine={statistics.median(shares):.3f}', end='')
    print()


if __name__ == '__main__':
    main()
