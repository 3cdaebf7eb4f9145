"""Deal mechanics: the deal's rules that turn collateral cash flows into the waterfall's inputs.

One module for what the deterministic run (:mod:`stress.cashflows`, one path)
and the Monte Carlo run (:mod:`stress.engine`, chunks of paths) both apply, so
the two cannot drift apart:

- the run's horizon (:func:`horizon`) and the reset look-back
  (:func:`lookback_shifted`: which curve month an ARM adjustment observes);
- the Derivative Contracts' notional schedules on the payment dates
  (:func:`deal_contracts`) and the coupon rules (:func:`waterfall_terms`);
- the clean-up call: its first possible date (:func:`clean_up_call_period`),
  the margin step-up after it (:func:`stepup_period`) and how far a to-call
  run must project the pool (:func:`collateral_horizon`);
- when OC breaches start to count (:func:`oc_breach_from`);
- :func:`bond_inputs`, the one assembly of :class:`~stress.waterfall.WaterfallInputs`.

Every term comes from the deal file (:mod:`stress.deal`); the rules are the
trust agreement's, as :mod:`stress.cashflows` and :mod:`stress.engine` state
in their conventions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stress.calendar import Schedule
from stress.deal import Deal
from stress.derivatives import DerivativeContract
from stress.pool import principal_remittance
from stress.waterfall import WaterfallInputs

__all__ = ["bond_inputs", "clean_up_call_period", "collateral_horizon", "deal_contracts", "horizon",
           "lookback_shifted", "oc_breach_from", "stepup_period", "waterfall_terms"]


def horizon(tape: pd.DataFrame, liquidation_lag: int) -> int:
    """Periods a run needs: the longest remaining term plus the liquidation lag [months].

    A loan defaulting in its last month is then liquidated inside the run.
    """
    return int(tape["remaining_term"].max()) + int(liquidation_lag)


def lookback_shifted(rates: np.ndarray, lookback: int) -> np.ndarray:
    """Curve columns as the kernel reads them (column ``a - 1`` for an adjustment at month ``a``).

    The kernel's convention is a one-month look-back; a deal with a longer one
    sees older values (columns shift right), a zero look-back the same month's.
    Works on (4, m) curves and (p, 4, m) path sets alike (months last).
    """
    shift = lookback - 1
    if shift == 0:
        return rates
    if shift > 0:
        return np.concatenate([np.repeat(rates[..., :1], shift, axis=-1), rates[..., :-shift]], axis=-1)
    return rates[..., 1:]


def deal_contracts(deal: Deal, schedule: Schedule) -> list[DerivativeContract]:
    """The deal file's derivative contracts with their notional on each payment date."""
    contracts = []
    for d in deal.derivatives:
        rate = d.fixed_rate if d.kind == "swap" else d.strike
        contracts.append(DerivativeContract(kind=d.kind, notional=d.notional_schedule_on(schedule.unadjusted_dates),
                                            strike=rate, upper_strike=d.upper_strike, name=d.name))
    return contracts


def clean_up_call_period(deal: Deal, schedule: Schedule, pool_balance_prior: np.ndarray) -> int:
    """0-based index of the first payment date on which the clean-up call may be exercised (-1: never).

    ``pool_balance_prior`` is the pool balance as of the end of the prior Due
    Period for each payment date (the balance the Available Funds Rate uses).
    """
    call = deal.clean_up_call
    threshold = call.pool_fraction * deal.collateral.cutoff_balance
    by_balance = np.flatnonzero(pool_balance_prior <= threshold + 1e-6)
    by_date = schedule.period_of(call.date)
    candidates = [int(by_balance[0])] if by_balance.size else []
    if by_date < schedule.n_periods:
        candidates.append(by_date)
    return min(candidates) if candidates else -1


def stepup_period(call_period, call_rule: str, n_periods: int):
    """0-based period from which the margins step up: after the first call date unless the call was exercised on it.

    Parameters
    ----------
    call_period : int or numpy.ndarray
        First possible clean-up call period per path (-1: none), from :func:`clean_up_call_period`.
    call_rule : str
        ``"always"`` (exercised on ``call_period``: no step-up), ``"economic"`` or ``"never"``.
    n_periods : int
        Periods in the run (the step-up "period" when there is none).
    """
    if np.ndim(call_period) == 0:
        return int(call_period) + 1 if call_rule != "always" and call_period >= 0 else int(n_periods)
    return np.where((call_rule != "always") & (np.asarray(call_period) >= 0), np.asarray(call_period) + 1,
                    n_periods)


def collateral_horizon(deal: Deal, schedule: Schedule, n_periods: int, call_rule: str) -> int:
    """Months of collateral a run needs: all of them, or in a to-call run those up to the call date.

    The clean-up call is exercised on the first payment date the pool is at
    most 25% of its cut-off balance *or on the call date* (February 2014 for
    the reference deal), whichever comes first; so a to-call run
    (``call_rule = "always"``) never reads a collateral month after the call
    date: the waterfall stops at the call, the per-path results are masked
    after it, and the call date still wins when the pool stays above the
    threshold (the zero-padded months come later). Cutting the projection
    there (about 122 of 372 months) leaves every result bit for bit the same
    and saves two thirds of the kernel time.
    """
    if call_rule != "always":  # an economic call may come after the call date; no call: all months
        return n_periods
    by_date = schedule.period_of(deal.clean_up_call.date)
    return n_periods if by_date >= n_periods - 1 else int(by_date) + 1


def oc_breach_from(deal: Deal, oc_target: np.ndarray, n_periods: int) -> int:
    """0-based period from which an OC breach counts: the deal's build-up months after the target steps up.

    The OC target steps up after July 2004 for the reference deal; excess
    spread needs ``overcollateralization.build_up_months`` (deal file) to
    build it. No stepped-up target: breaches never count (``n_periods``).
    """
    stepped = np.flatnonzero(oc_target > 0)
    return int(stepped[0]) + deal.overcollateralization.build_up_months if stepped.size else n_periods


def waterfall_terms(deal: Deal, schedule: Schedule) -> dict:
    """The deal's coupon rules and Derivative Contracts as :class:`WaterfallInputs` keywords.

    One place for what the deterministic run and the Monte Carlo engine both
    hand the waterfall from the deal file, so the two cannot drift apart.
    """
    c = deal.coupon
    return dict(coupon_cap=c.fixed_cap, afr_day_count_numerator=float(c.afr_day_count_numerator),
                basis_risk_carry_interest=c.basis_risk_carry_interest,
                shortfall_carry_interest=c.shortfall_carry_interest,
                contracts=tuple(deal_contracts(deal, schedule)))


def bond_inputs(deal: Deal, schedule: Schedule, pool, libor: np.ndarray, *, oc_target: np.ndarray,
                stepup_period, call_period, call_rule: str, pool_value: np.ndarray | None = None,
                terms: dict | None = None) -> WaterfallInputs:
    """What the bond waterfall is handed: the deal's classes and terms plus the pool's cash flows.

    The one assembly of :class:`~stress.waterfall.WaterfallInputs`, used by the
    deterministic run (:func:`stress.cashflows.run_cashflows`, one path) and the Monte Carlo
    engine (:func:`stress.engine.chunk_cashflows`, a chunk of paths).

    Parameters
    ----------
    deal, schedule
        The deal and its payment dates.
    pool : PoolFlows or dict of numpy.ndarray
        Collateral cash flows [USD], (t,) or (p, t).
    libor : numpy.ndarray
        One-month LIBOR per payment date [annual, decimal], (t,) or (p, t).
    oc_target : numpy.ndarray
        Required overcollateralization per payment date [USD].
    stepup_period, call_period : int or numpy.ndarray
        0-based period from which margins step up, and of the first possible clean-up call (-1: none).
    call_rule : str
        ``"always"``, ``"economic"`` or ``"never"`` (:attr:`WaterfallInputs.call_rule`).
    pool_value : numpy.ndarray, optional
        The pool's value for an economic call [USD], (p, t).
    terms : dict, optional
        :func:`waterfall_terms` of the deal, when the caller computed it once for many chunks.
    """
    get = pool.__getitem__ if isinstance(pool, dict) else lambda name: getattr(pool, name)  # noqa: E731
    begin = get("pool_balance_begin")
    with np.errstate(invalid="ignore", divide="ignore"):
        net_rate = np.where(begin > 0, get("net_rate_balance") / begin, 0.0)
    tranche = deal.tranche_arrays()
    return WaterfallInputs(
        original_balance=tranche["balance"],
        margin=tranche["margin"],
        stepup_multiple=tranche["step_up_multiple"],
        writedown_rank=tranche["writedown_order"] - 1,
        libor_1m=libor,
        accrual_days=schedule.accrual_days.astype(np.float64),
        net_interest=get("net_interest"),
        principal_remittance=principal_remittance(pool),
        realized_loss=get("realized_loss"),
        pool_balance_prior=begin,
        pool_balance_end=get("pool_balance_end"),
        net_mortgage_rate=net_rate,
        derivative_net=np.zeros(schedule.n_periods),  # the contracts settle inside the waterfall (notional cap)
        oc_target=oc_target,
        **(waterfall_terms(deal, schedule) if terms is None else terms),
        stepup_period=stepup_period,
        call_period=call_period,
        call_rule=call_rule,
        pool_value=pool_value,
        tranche_names=tuple(deal.tranche_names),
    )
