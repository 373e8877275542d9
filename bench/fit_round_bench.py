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
import sys
import time

from hh_fit_service import HhFitService


def main():
    build, example, workers, n_samples, rounds = (
        sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
        int(sys.argv[5]))
    backend = sys.argv[6] if len(sys.argv) > 6 else 'runtime'
    with HhFitService(build, example, workers, n_samples, backend) as service:
        service.fit(1)  # warm-up: job data to the workers
        # A round's cost in a running fit, as the peer's figure is, without a
        # Fit call's setup (its run row, the optimizer) and ending (the last
        # commit), which the peer leaves out too: the difference between a
        # call of `rounds` rounds and a shorter one. (The arrival times of the
        # round messages would not do: the server commits short rounds
        # together, and a call's first and last messages are not alike.)
        short = max(1, rounds // 4)
        start = time.perf_counter()
        service.fit(short)
        middle = time.perf_counter()
        service.fit(rounds)
        end = time.perf_counter()
        with_call = (end - middle) / rounds
        per_round = (((end - middle) - (middle - start)) / (rounds - short)
                     if rounds > short else with_call)
        print(f'seconds_per_round={per_round:.6f} '
              f'seconds_per_round_with_call={with_call:.6f} '
              f'neuron_steps_per_s={service.neuron_steps_per_round() / per_round:.3e}')


if __name__ == '__main__':
    main()
