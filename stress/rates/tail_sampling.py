"""Importance sampling of the macro factors: a tilt of the national home-price shocks toward decline.

Plain Monte Carlo needs millions of paths to see a 0.1% loss; the paths that
lose are those whose national home prices fall. With ``tail_sampling = theta``
the national home-price normals (column 4 of the draws,
:data:`stress.rates.generator.HPI_NATIONAL_COLUMN`) of the first
``n = 12 * tail_years`` monthly steps are drawn from ``N(-theta, 1)`` instead
of ``N(0, 1)``: every path is generated as before and then shifted, so the
tilted draw is ``z' = z - theta`` (``z`` the plain draw, after any antithetic
negation or Sobol mapping, which is why both work with the tilt: each
coordinate is still N(0, 1) before the shift). Nothing downstream (the
home-price model, the behaviour models, the waterfall) knows about the tilt.

Each path carries the likelihood ratio of its draws, exactly:

    w = prod_s phi(z'_s) / phi(z'_s + theta) = exp(theta * sum_s z'_s + n theta^2 / 2)

over the ``n`` tilted steps ``s``. ``E_tilted[w f] = E_plain[f]`` for any
result ``f``; ``E_tilted[w] = 1`` and ``E_tilted[w^2] = exp(n theta^2)``, so the
effective sample size of the weights, ``(sum w)^2 / sum w^2``, is about
``N exp(-n theta^2)``. A tilt whose expected ESS is below 5% of the paths is
refused before any work (:func:`check_tilt`); a run whose realized ESS falls
below 5% is reported with a warning.

``tail_sampling = "auto"`` chooses theta by the cross-entropy method
(Rubinstein & Kroese, *The Cross-Entropy Method*, 2004, ch. 3) on a pilot run:
the elite (the 10% of pilot paths with the largest cumulative collateral loss)
sets the new mean of the tilted normals to their likelihood-weighted average,
``theta_next = -sum_elite w_i zbar_i / sum_elite w_i`` with ``zbar_i`` path
``i``'s mean tilted normal over the ``n`` steps; two iterations from theta = 0.
The result is clipped to ``[0, theta_max]`` with ``exp(-n theta_max^2) =
10%`` (twice the degenerate limit), so ``auto`` never fails the ESS check.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from stress.errors import ScenarioError

log = logging.getLogger(__name__)

MIN_ESS_FRACTION = 0.05  # below this the weights are degenerate (issue 14)
AUTO_ESS_FRACTION = 0.10  # auto keeps the expected ESS at or above this
CE_ELITE_FRACTION = 0.10
CE_ITERATIONS = 2
PILOT_PATH_OFFSET = 1 << 40  # pilot paths use their own streams, never a run's path indices


def tilt_steps(tail_years: float, n_steps: int) -> int:
    """Monthly steps whose national normals are tilted: ``min(round(12 * tail_years), n_steps)``."""
    return int(min(round(12.0 * tail_years), n_steps))


def apply_tilt(normals: np.ndarray, theta: float, n_tilt: int, column: int) -> np.ndarray:
    """Shift column ``column`` of the first ``n_tilt`` steps by ``-theta``, in place; returns ``normals``."""
    if theta != 0.0 and n_tilt > 0:
        normals[:, :n_tilt, column] -= theta
    return normals


def likelihood_ratio(normals: np.ndarray, theta: float, n_tilt: int, column: int) -> np.ndarray:
    """Each path's weight ``exp(theta sum_s z'_s + n theta^2 / 2)`` from its tilted normals, shape (p,).

    The sum is :func:`math.fsum` (exactly rounded), so a path's weight does
    not depend on which other paths share its block or chunk.
    """
    p = normals.shape[0]
    if theta == 0.0 or n_tilt == 0:
        return np.ones(p)
    log_w = np.array([theta * math.fsum(normals[k, :n_tilt, column]) for k in range(p)])
    return np.exp(log_w + 0.5 * n_tilt * theta * theta)


def expected_ess_fraction(theta: float, n_tilt: int) -> float:
    """``1 / E[w^2] = exp(-n theta^2)``: the effective sample size per path the tilt leaves."""
    return math.exp(-n_tilt * theta * theta)


def max_tilt(n_tilt: int, ess_fraction: float) -> float:
    """The largest theta whose expected ESS fraction is ``ess_fraction``."""
    return math.sqrt(math.log(1.0 / ess_fraction) / max(n_tilt, 1))


def check_tilt(theta: float, n_tilt: int, *, option: str = "randomness.tail_sampling") -> None:
    """Refuse a tilt whose weights would be degenerate (expected ESS below 5% of the paths)."""
    fraction = expected_ess_fraction(theta, n_tilt)
    if fraction < MIN_ESS_FRACTION:
        raise ScenarioError(
            f"{option} = {theta:g}: over {n_tilt} tilted months the weights' expected effective sample size is "
            f"{fraction:.2%} of the paths (exp(-{n_tilt} x {theta:g}^2)); must be >= {MIN_ESS_FRACTION:.0%}: "
            f"use a tilt <= {max_tilt(n_tilt, MIN_ESS_FRACTION):.3f}, fewer tail_years, or 'auto'")


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.square(w).sum()) if w.size else 0.0


def cross_entropy_tilt(run_pilot, n_tilt: int, *, iterations: int = CE_ITERATIONS,
                       elite_fraction: float = CE_ELITE_FRACTION, ess_fraction: float = AUTO_ESS_FRACTION) -> float:
    """Choose theta by the cross-entropy method.

    Parameters
    ----------
    run_pilot : callable
        ``run_pilot(theta) -> (score, weight, zbar)``, arrays over the pilot
        paths: the quantity whose upper tail matters (e.g. cumulative
        collateral loss), the likelihood-ratio weight and the mean tilted
        national normal over the tilted steps.
    n_tilt : int
        Tilted steps (for the cap).

    Returns
    -------
    float
        theta in ``[0, max_tilt(n_tilt, ess_fraction)]``.
    """
    cap = max_tilt(n_tilt, ess_fraction)
    theta = 0.0
    for it in range(iterations):
        score, weight, zbar = (np.asarray(a, float) for a in run_pilot(theta))
        k = max(1, int(math.ceil(elite_fraction * score.size)))
        elite = np.argsort(score, kind="stable")[-k:]
        if not np.any(score[elite] > 0.0):
            log.info("tail sampling auto: no pilot path loses at theta = %.4f; keeping it", theta)
            break
        w = weight[elite]
        mean = float(np.sum(w * zbar[elite]) / np.sum(w))
        theta = min(max(-mean, 0.0), cap)
        log.info("tail sampling auto: iteration %d, elite threshold %.4g, theta -> %.4f", it + 1,
                 float(score[elite[0]]), theta)
    return theta
