"""Importance sampling of the macro factors: a tilt of the national home-price shocks toward decline.

Plain Monte Carlo needs millions of paths to see a 0.1% loss; the paths that
lose are those whose home prices fall (and, for the junior classes, whose
rates rise). With ``tail_sampling = theta`` the national home-price normals (column 4 of the draws,
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

The same shift may also be put on the first rate factor's normals (column 0,
``tail_rate_tilt``, either sign: a negative theta pushes rates *up*) and on
the California normals (column 5, ``tail_california_tilt``); the weight is
then the product over the tilted columns and ``E[w^2] = exp(n sum_c
theta_c^2)``. A numeric ``tail_sampling`` is the national tilt.

``tail_sampling = "auto"`` chooses the three tilts (rate, national,
California) by the cross-entropy method (Rubinstein & Kroese, *The
Cross-Entropy Method*, 2004, ch. 3) on a pilot run: the elite, the 10% of
pilot paths with the highest score, sets the new mean of each tilted column
to its likelihood-weighted average, ``theta_c = -sum_elite w_i zbar_ic /
sum_elite w_i`` with ``zbar_ic`` path ``i``'s mean tilted normal of column
``c`` over the ``n`` steps; two iterations from zero. The score is the most
junior class's principal loss plus the cumulative collateral loss (both
fractions; the class loss dominates where there is one), so the elite holds
every pilot path where the junior class loses and then the worst collateral
paths: the tilt aims at the rare class losses the run reports, which on the
base model need rates *up* as well as home prices down (measured on 1,000
base paths: the paths where M-4 lost had a 24-month rate-factor sum +1.7
standard deviations, national -1.2, California -0.75). The national and
California tilts are kept >= 0 (toward decline); the vector is shrunk to
norm ``theta_max`` with ``exp(-n theta_max^2) = 10%`` (twice the degenerate
limit), so ``auto`` never fails the ESS check.

Default window: the first ``tail_years = 6`` years. It was 2 years, chosen
when the base model's losses came early (then the cumulative collateral loss
correlated -0.74 with the 24-month sum of the national normals). With
prepayment that stops when borrowers are underwater and credit dries up,
and the home-price model's momentum carrying the January 2004 boom for about
two years, the base model's busts and class losses now come in years 3-6.
Measured with ``benchmarks/bench_tail_sampling.py`` (base, 1,000 paths each,
``auto``, pilot CPU counted), the variance-reduction factors at equal CPU
time for A-1 (P(loss) about 0.5%) were, 2-year vs 6-year window: expected
loss 4.1 vs 14.6, P(loss) 0.7 vs 4.6, 99.9% loss 4.8 vs 265, ES 99% 4.1 vs
14.6; for M-4 (P(loss) about 5%, not rare) 1.2 vs 3.1, 0.9 vs 2.4, 7.4 vs
7.6, 2.4 vs 3.3.
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
    """Monthly steps whose normals are tilted: ``min(round(12 * tail_years), n_steps)``."""
    return int(min(round(12.0 * tail_years), n_steps))


def apply_tilt(normals: np.ndarray, shifts: dict[int, float], n_tilt: int) -> np.ndarray:
    """Shift column ``c`` of the first ``n_tilt`` steps by ``-shifts[c]``, in place; returns ``normals``."""
    for column, theta in shifts.items():
        if theta != 0.0 and n_tilt > 0:
            normals[:, :n_tilt, column] -= theta
    return normals


def likelihood_ratio(normals: np.ndarray, shifts: dict[int, float], n_tilt: int) -> np.ndarray:
    """Each path's weight ``exp(sum_c theta_c sum_s z'_sc + n sum_c theta_c^2 / 2)`` from its tilted normals.

    Shape (p,). The sums are :func:`math.fsum` (exactly rounded), so a path's
    weight does not depend on which other paths share its block or chunk.
    """
    p = normals.shape[0]
    active = {c: t for c, t in shifts.items() if t != 0.0}
    if not active or n_tilt == 0:
        return np.ones(p)
    log_w = np.zeros(p)
    for column, theta in active.items():
        log_w += np.array([theta * math.fsum(normals[k, :n_tilt, column]) for k in range(p)])
    return np.exp(log_w + 0.5 * n_tilt * sum(t * t for t in active.values()))


def expected_ess_fraction(thetas, n_tilt: int) -> float:
    """``1 / E[w^2] = exp(-n sum_c theta_c^2)``: the effective sample size per path the tilt leaves."""
    return math.exp(-n_tilt * float(np.sum(np.square(thetas))))


def max_tilt(n_tilt: int, ess_fraction: float) -> float:
    """The largest tilt norm ``sqrt(sum_c theta_c^2)`` whose expected ESS fraction is ``ess_fraction``."""
    return math.sqrt(math.log(1.0 / ess_fraction) / max(n_tilt, 1))


def check_tilt(thetas, n_tilt: int, *, option: str = "randomness.tail_sampling") -> None:
    """Refuse a tilt whose weights would be degenerate (expected ESS below 5% of the paths).

    ``thetas``: the national tilt, or the (rate, national, California) tilts.
    """
    thetas = np.atleast_1d(np.asarray(thetas, float))
    fraction = expected_ess_fraction(thetas, n_tilt)
    if fraction < MIN_ESS_FRACTION:
        if thetas.size == 1 or (thetas.size == 3 and thetas[0] == 0.0 and thetas[2] == 0.0):
            shown = f"{thetas[0] if thetas.size == 1 else thetas[1]:g}"
        else:
            shown = "(rate {:g}, national {:g}, California {:g})".format(*thetas)
        raise ScenarioError(
            f"{option} = {shown}: over {n_tilt} tilted months the weights' expected effective sample size is "
            f"{fraction:.2%} of the paths (exp(-{n_tilt} x sum theta^2)); must be >= {MIN_ESS_FRACTION:.0%}: "
            f"use a tilt <= {max_tilt(n_tilt, MIN_ESS_FRACTION):.3f}, fewer tail_years, or 'auto'")


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.square(w).sum()) if w.size else 0.0


def cross_entropy_tilt(run_pilot, n_tilt: int, *, iterations: int = CE_ITERATIONS,
                       elite_fraction: float = CE_ELITE_FRACTION, ess_fraction: float = AUTO_ESS_FRACTION,
                       sign: tuple[int, ...] = (0, 1, 1)) -> np.ndarray:
    """Choose the tilts by the cross-entropy method.

    Parameters
    ----------
    run_pilot : callable
        ``run_pilot(thetas) -> (score, weight, zbar)`` over the pilot paths:
        the quantity whose upper tail matters, the likelihood-ratio weight,
        and (shape (p, k)) each tilted column's mean tilted normal over the
        tilted steps.
    n_tilt : int
        Tilted steps (for the cap).
    sign : tuple of int
        Per column: +1 keeps theta >= 0 (a shift toward decline only), 0
        leaves its sign free.

    Returns
    -------
    numpy.ndarray, shape (k,)
        The tilts, with norm at most ``max_tilt(n_tilt, ess_fraction)``.
    """
    cap = max_tilt(n_tilt, ess_fraction)
    thetas = np.zeros(len(sign))
    for it in range(iterations):
        score, weight, zbar = (np.asarray(a, float) for a in run_pilot(thetas))
        k = max(1, int(math.ceil(elite_fraction * score.size)))
        elite = np.argsort(score, kind="stable")[-k:]
        if not np.any(score[elite] > 0.0):
            log.info("tail sampling auto: no pilot path loses at %s; keeping it", thetas)
            break
        w = weight[elite]
        mean = (w[:, None] * zbar[elite]).sum(axis=0) / w.sum()
        thetas = -mean
        for c, s in enumerate(sign):
            if s > 0:
                thetas[c] = max(thetas[c], 0.0)
        norm = float(np.sqrt(np.sum(thetas ** 2)))
        if norm > cap:
            thetas *= cap / norm
        log.info("tail sampling auto: iteration %d, elite threshold %.4g, tilts -> %s", it + 1,
                 float(score[elite[0]]), np.round(thetas, 4))
    return thetas
