"""Scale the base levels so the pool hits a target lifetime CPR and cumulative loss.

Two scale factors: ``s_p`` multiplies the base SMM (``base_cpr`` is replaced
by ``1 - (1 - base_smm x s_p)^12``) and ``s_d`` multiplies the default odds
(``intercept += ln(s_d)``, i.e. roughly the MDR). Lifetime CPR depends almost
only on ``s_p``; cumulative loss on both (faster prepayment leaves fewer loans
to default), so the two are solved alternately, each by bisection on the log
of its factor, until both targets hold to the tolerance. Each evaluation runs
the multi-path kernel on the given path set, so use a modest number of paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stress import conventions
from stress.behaviour.params import BehaviourParams
from stress.behaviour.prep import BehaviourLoans, prepare_loans
from stress.behaviour.prepayment import base_smm
from stress.errors import ScenarioError

__all__ = ["Calibration", "calibrate", "scaled_params", "pool_figures"]


@dataclass(frozen=True)
class Calibration:
    """Result: the scaled parameters, the two factors and the figures reached (means over paths)."""

    params: BehaviourParams
    prepayment_scale: float
    default_scale: float
    lifetime_cpr: float
    cumulative_loss: float


def scaled_params(params: BehaviourParams, prepayment_scale: float, default_scale: float) -> BehaviourParams:
    """``params`` with the base SMM times ``prepayment_scale`` and the default odds times ``default_scale``."""
    smm = min(base_smm(params) * prepayment_scale, 0.5)
    cpr = float(conventions.cpr(smm))
    return params.replace(prepayment={"base_cpr": min(cpr, 0.99)},
                          default={"intercept": params.default.intercept + math.log(default_scale)})


def pool_figures(loans, index_rates, hpi, params, *, n_periods) -> tuple[float, float]:
    """(lifetime CPR, cumulative loss over ``n_periods``), each the mean over paths."""
    from stress.collateral_model import BehaviourModel
    from stress.pool_paths import project_pool_paths

    if isinstance(loans, BehaviourLoans):
        raise ScenarioError("pool_figures: give the tape (the per-loan default constant depends on the params)")
    cf = project_pool_paths(prepare_loans(loans, params), index_rates, hpi, BehaviourModel(params), n_periods=n_periods)
    return float(cf.lifetime_cpr().mean()), float(cf.cumulative_loss().mean())


def _bisect(f, target, lo, hi, tol, max_iter=40):
    """Solve f(x) = target for increasing f on [lo, hi] (log-space bisection)."""
    a, b = math.log(lo), math.log(hi)
    x = math.exp(0.5 * (a + b))
    for _ in range(max_iter):
        x = math.exp(0.5 * (a + b))
        v = f(x)
        if abs(v - target) <= tol:
            return x
        if v < target:
            a = math.log(x)
        else:
            b = math.log(x)
    return x


def calibrate(tape, index_rates, hpi, params: BehaviourParams, *, target_cpr: float, target_loss: float,
              n_periods: int = 360, tol_cpr: float = 0.0025, tol_loss: float = 0.0002, rounds: int = 4) -> Calibration:
    """Scale the base prepayment and default levels to hit the targets under the given paths.

    Parameters
    ----------
    tape : pandas.DataFrame
        A validated loan tape (the reference pool for the base scenario).
    index_rates, hpi : array_like
        The path set (as :func:`stress.pool_paths.project_pool_paths`), e.g. the
        forward curve and :func:`stress.pool_paths.base_hpi`.
    params : BehaviourParams
    target_cpr : float
        Lifetime CPR [annual, decimal] (:meth:`~stress.pool_paths.PathCashflows.lifetime_cpr`).
    target_loss : float
        Cumulative realized loss over ``n_periods`` / starting balance [decimal].
    """
    if not 0.0 < target_cpr < 0.95:
        raise ScenarioError(f"target_cpr = {target_cpr!r}: must be in (0, 0.95)")
    if not 0.0 < target_loss < 0.5:
        raise ScenarioError(f"target_loss = {target_loss!r}: must be in (0, 0.5)")
    s_p, s_d = 1.0, 1.0
    cache: dict = {}

    def figures(sp, sd):
        key = (sp, sd)
        if key not in cache:
            cache[key] = pool_figures(tape, index_rates, hpi, scaled_params(params, sp, sd), n_periods=n_periods)
        return cache[key]

    for _ in range(rounds):
        s_p = _bisect(lambda x: figures(x, s_d)[0], target_cpr, 0.05, 20.0, tol_cpr)
        s_d = _bisect(lambda x: figures(s_p, x)[1], target_loss, 1e-3, 1e3, tol_loss)
        cpr, loss = figures(s_p, s_d)
        if abs(cpr - target_cpr) <= tol_cpr and abs(loss - target_loss) <= tol_loss:
            break
    cpr, loss = figures(s_p, s_d)
    return Calibration(scaled_params(params, s_p, s_d), s_p, s_d, cpr, loss)
