"""BG/NBD through lifetimes, shared by tools/eval-landscape and tools/bench-landscape: one fit, one
log-likelihood and one P(active within a horizon) for both aamped's parameters and lifetimes' own, so
the two are compared by the same code on the same users.

Everything is in days, as aamped's timing export writes it: x = repeat active days (frequency), tx =
days from the first to the last active day (recency_days), T = days from the first active day to the
reference time (age_days).
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import numpy as np


def lifetimes_version() -> str:
    import lifetimes

    return getattr(lifetimes, "__version__", "unknown")


def fit(x, tx, T, weights=None):
    """BetaGeoFitter(penalizer_coef=0).fit on the columns as given. Returns (params, seconds, converged,
    message): seconds is what fit() took (in lifetimes 0.11.3 that includes the Hessian it computes for
    standard errors when the optimizer succeeds).

    When scipy reports no success (typically "precision loss" as a or b run to a boundary), lifetimes
    prints the result and raises ConvergenceError without keeping the parameters. The same minimize
    call lifetimes makes (its objective and gradient by autograd, BFGS, tol 1e-7, start 0.1, time
    rescaled by its _scale_time) is then repeated, untimed, to report where it stopped."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    x = np.asarray(x).astype(int)
    tx = np.asarray(tx, dtype=float)
    T = np.asarray(T, dtype=float)
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            fitter.fit(x, tx, T, weights=weights)
            return params_of(fitter), time.perf_counter() - start, True, "converged"
        except ConvergenceError:
            seconds = time.perf_counter() - start
    return _minimize_as_lifetimes(x, tx, T, weights), seconds, False, _last_message


_last_message = ""


def _minimize_as_lifetimes(x, tx, T, weights):
    global _last_message
    from autograd import value_and_grad
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import _scale_time
    from scipy.optimize import minimize

    scale = _scale_time(T)
    weights = np.ones_like(tx, dtype=int) if weights is None else np.asarray(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        output = minimize(value_and_grad(BetaGeoFitter._negative_log_likelihood), jac=True, method=None, tol=1e-7,
                          x0=0.1 * np.ones(4), args=(x, tx * scale, T * scale, weights, 0.0), options={"disp": False})
    _last_message = f"did not converge: {output.message} ({output.nit} iterations)"
    r, alpha, a, b = np.exp(output.x)
    return {"r": float(r), "alpha": float(alpha / scale), "a": float(a), "b": float(b)}


def params_of(fitter) -> dict:
    return {name: float(fitter.params_[name]) for name in ("r", "alpha", "a", "b")}


def log_likelihood(params: dict, x, tx, T) -> float:
    """The total BG/NBD log-likelihood of (x, tx, T) in days at params, by lifetimes' own
    _negative_log_likelihood (Fader, Hardie and Lee 2005, section 7), unscaled: lifetimes fits in a
    rescaled time unit, so its stored _negative_log_likelihood_ is not comparable across fitters."""
    from lifetimes import BetaGeoFitter

    x = np.asarray(x, dtype=float)
    log_params = np.log([params["r"], params["alpha"], params["a"], params["b"]])
    weights = np.ones_like(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean = BetaGeoFitter._negative_log_likelihood(
            log_params, x, np.asarray(tx, dtype=float), np.asarray(T, dtype=float), weights, 0.0
        )
    return float(-mean * len(x))


def probability_active(params: dict, x, tx, T, horizon_days: float) -> np.ndarray:
    """P(at least one active day within horizon_days after the reference time) =
    P(alive) · (1 − ((α+T)/(α+T+t))^(r+x)), with P(alive) from lifetimes' conditional_probability_alive.
    Given alive, the rate's posterior is Gamma(r+x, α+T), so no event in t has that probability, and a
    BG/NBD user can only drop out right after an event, so the first one in the horizon cannot be lost."""
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.params_ = _series(params)
    x = np.asarray(x, dtype=float)
    T = np.asarray(T, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = np.asarray(fitter.conditional_probability_alive(x, np.asarray(tx, dtype=float), T), dtype=float)
    r, alpha = params["r"], params["alpha"]
    silent = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + horizon_days)))
    return alive * (1.0 - silent)


def _series(params: dict):
    import pandas as pd

    return pd.Series([params["r"], params["alpha"], params["a"], params["b"]], index=["r", "alpha", "a", "b"])
