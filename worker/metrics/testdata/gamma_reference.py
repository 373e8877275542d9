#!/usr/bin/python3
"""Independent numpy computation of brian2modelfitting's gamma-factor error.

Prints the expected values used by gamma_factor_test.cc. Run with Debian's
python (it needs numpy):  /usr/bin/python3 gamma_reference.py
The computation follows the definition in brian2modelfitting's metric.py
(get_gamma_factor): spike times rounded to steps with numpy.rint, data spikes
matched to the nearest model spike via numpy.digitize on the midpoints,
Γ = (N_coinc - 2 δ N_d r_d) / (½ (1 - 2 r_d δ) (N_m + N_d)), and the error
clip(R - Γ, 0, inf) with R = 1 + 2|r_d - r_m| / r_d (or 1).
"""
import numpy as np


def gamma_error(model, data, delta, time, dt, rate_correction=True):
    model_steps = np.rint(np.asarray(model) / dt).astype(int)
    data_steps = np.rint(np.asarray(data) / dt).astype(int)
    window = int(np.rint(delta / dt))
    n_m, n_d = len(model_steps), len(data_steps)
    r_d, r_m = n_d / time, n_m / time
    if n_m > 1:
        midpoints = 0.5 * (model_steps[1:] + model_steps[:-1])
        nearest = model_steps[np.digitize(data_steps, midpoints)]
        n_coinc = np.sum(np.abs(data_steps - nearest) <= window)
    elif n_m == 1:
        n_coinc = np.sum(np.abs(data_steps - model_steps[0]) <= window)
    else:
        n_coinc = 0
    expected = 2 * delta * n_d * r_d
    norm = 0.5 * (1 - 2 * r_d * delta)
    gamma = (n_coinc - expected) / (norm * (n_m + n_d))
    rate = 1 + 2 * abs((r_d - r_m) / r_d) if rate_correction else 1
    return float(np.clip(rate - gamma, 0, np.inf))


ms = 1e-3
cases = {
    # A longer irregular pair: several near misses, one double match.
    "irregular": (np.array([3.1, 9.8, 10.4, 25.0, 31.7, 48.2, 49.0, 77.7]) * ms,
                  np.array([3.0, 10.0, 26.2, 31.9, 31.95, 50.0, 61.0, 78.1,
                            90.0]) * ms,
                  1.0 * ms, 100 * ms, 0.1 * ms),
    # Spikes between grid points, delta = 0: only equal steps coincide.
    "rounding": (np.array([1.05, 2.25, 4.0]) * ms,
                 np.array([1.0, 2.2, 3.95]) * ms,
                 0.0, 10 * ms, 0.1 * ms),
}
for name, (model, data, delta, time, dt) in cases.items():
    for rc in (True, False):
        print(f"{name} rate_correction={rc}: "
              f"{gamma_error(model, data, delta, time, dt, rc)!r}")
