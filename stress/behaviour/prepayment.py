"""Prepayment model: the monthly SMM of one loan on one path.

The form (every coefficient is in ``[prepayment]`` of the behaviour file)::

    SMM = min(max_smm, base_smm x seasoning(age) x penalty(age) x equity(LTV) x credit(D)
                       x (1 + gate(LTV) x (refi_max x S(incentive) x burnout(cum) + spike)))

- ``base_smm = 1 - (1 - base_cpr)^(1/12)``: seasoned, at-the-money, no penalty.
- ``seasoning(age) = min(1, floor + (1 - floor) x age / seasoning_months)``
  where ``age`` is the loan's age at the payment (cut-off age + period).
- ``penalty``: ``penalty_factor`` while ``age <= prepay_penalty_months``,
  ``penalty_expiry_multiple`` for the ``penalty_expiry_months`` months after it
  expires, else 1 (no penalty: 1 throughout).
- ``incentive = note rate - prevailing mortgage rate`` (decimal), the
  prevailing rate being :func:`mortgage_rate` on the path;
  ``S(x) = logistic(refi_slope x (x - refi_midpoint))`` (the table logistic of
  :mod:`stress.behaviour.logistic`).
- ``burnout(cum) = 1 / (1 + burnout x cum)``, ``cum`` = the sum of
  ``max(incentive, 0)`` over the months before this one (a rational form, no
  ``exp`` in the kernel's inner loop).
- ``equity(LTV) = clip(1 + equity_slope x (ltv_reference - LTV), floor, cap)``
  on the current LTV (borrower balance / (original value x HPI)).
- ``gate(LTV) = clip((refi_ltv_zero - LTV) / (refi_ltv_zero - refi_ltv_full), 0, 1)``:
  refinancing (the rate incentive and the reset spike) needs equity; 1 up to
  ``refi_ltv_full``, 0 from ``refi_ltv_zero`` on (an underwater borrower cannot
  refinance).
- ``credit(D) = max(credit_floor, 1 - credit_drawdown_slope x D)``: the
  availability of mortgage credit, falling with the path's national home-price
  drawdown ``D = 1 - HPI / (peak HPI since cut-off)`` (the non-agency market
  shut nationally, whatever the loan's region; a path variable, not a date, so
  it works on every Monte Carlo path).
- ``spike`` (hybrid products, first reset only): ``reset_spike_base`` in the
  ``reset_spike_lead_months`` months before the first month at the new rate,
  ``reset_spike_base + reset_spike_per_shock x max(shock, 0)`` from it for
  ``reset_spike_months`` months, 0 otherwise; ``shock`` is the payment shock
  at that reset (new payment / old payment - 1).
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.logistic import logistic
from stress.behaviour.params import BehaviourParams
from stress.collateral.schema import INDICES

__all__ = ["mortgage_rate", "base_smm", "seasoning", "penalty_multiple", "reset_spike", "refi_curve",
           "burnout_factor", "equity_factor", "refi_gate", "credit_factor", "static_smm", "smm"]


def mortgage_rate(index_rates, params: BehaviourParams) -> np.ndarray:
    """Prevailing mortgage rate per path and month: ``spread + beta x index`` [annual, decimal].

    ``index_rates`` is ``(p, 4, m)`` (rows as :data:`stress.collateral.schema.INDICES`); returns ``(p, m)``.
    """
    mr = params.mortgage_rate
    k = INDICES.index(mr.index)
    return mr.spread + mr.beta * np.asarray(index_rates, dtype=np.float64)[:, k, :]


def base_smm(params: BehaviourParams) -> float:
    """``1 - (1 - base_cpr)^(1/12)``."""
    return 1.0 - (1.0 - params.prepayment.base_cpr) ** (1.0 / 12.0)


def seasoning(age, params: BehaviourParams):
    pp = params.prepayment
    return np.minimum(1.0, pp.seasoning_floor + (1.0 - pp.seasoning_floor) * np.asarray(age) / pp.seasoning_months)


def penalty_multiple(age, penalty_months, params: BehaviourParams):
    """Penalty in force (``age <= penalty_months``), just expired, or none."""
    pp = params.prepayment
    age, penalty_months = np.asarray(age), np.asarray(penalty_months)
    in_force = (penalty_months > 0) & (age <= penalty_months)
    expired = (penalty_months > 0) & (age > penalty_months) & (age <= penalty_months + pp.penalty_expiry_months)
    return np.where(in_force, pp.penalty_factor, np.where(expired, pp.penalty_expiry_multiple, 1.0))


def reset_spike(months_from_reset, first_shock, params: BehaviourParams):
    """Spike term; ``months_from_reset`` = period index - index of the first month at the new rate.

    Pass ``months_from_reset`` far from 0 (e.g. ``-10_000``) for loans without a hybrid first reset.
    """
    pp = params.prepayment
    d = np.asarray(months_from_reset)
    lead = (d < 0) & (d >= -pp.reset_spike_lead_months)
    post = (d >= 0) & (d < pp.reset_spike_months)
    return np.where(lead, pp.reset_spike_base,
                    np.where(post, pp.reset_spike_base + pp.reset_spike_per_shock * np.maximum(first_shock, 0.0), 0.0))


def refi_curve(incentive, params: BehaviourParams):
    """``S(incentive)`` in [0, 1]."""
    pp = params.prepayment
    return logistic(pp.refi_slope * (np.asarray(incentive, dtype=np.float64) - pp.refi_midpoint))


def burnout_factor(cum_incentive, params: BehaviourParams):
    return 1.0 / (1.0 + params.prepayment.burnout * np.asarray(cum_incentive, dtype=np.float64))


def equity_factor(ltv, params: BehaviourParams):
    pp = params.prepayment
    return np.clip(1.0 + pp.equity_slope * (pp.ltv_reference - np.asarray(ltv, dtype=np.float64)),
                   pp.equity_floor, pp.equity_cap)


def refi_gate(ltv, params: BehaviourParams):
    """Share of the refinancing terms open at current LTV ``ltv`` [decimal]: 1 to ``refi_ltv_full``, 0 from
    ``refi_ltv_zero``, linear between."""
    pp = params.prepayment
    return np.clip((pp.refi_ltv_zero - np.asarray(ltv, dtype=np.float64)) / (pp.refi_ltv_zero - pp.refi_ltv_full),
                   0.0, 1.0)


def credit_factor(drawdown, params: BehaviourParams):
    """Credit-availability multiple at home-price drawdown ``drawdown`` = 1 - HPI / peak HPI [decimal, >= 0]."""
    pp = params.prepayment
    return np.maximum(pp.credit_floor, 1.0 - pp.credit_drawdown_slope * np.asarray(drawdown, dtype=np.float64))


def static_smm(age, penalty_months, params: BehaviourParams):
    """The path-independent part ``base_smm x seasoning x penalty``."""
    return base_smm(params) * seasoning(age, params) * penalty_multiple(age, penalty_months, params)


def smm(*, age, penalty_months, incentive, cum_incentive, ltv, months_from_reset, first_shock,
        params: BehaviourParams, drawdown=0.0, multiplier=1.0):
    """Monthly prepayment rate [decimal] (see the module docstring); arrays broadcast.

    ``drawdown`` is the home-price drawdown from the path's peak, ``1 - HPI / peak`` [decimal];
    ``multiplier`` scales the model (scenario mode 2); the result is then held in [0, 1].
    """
    pp = params.prepayment
    refinancing = pp.refi_max * refi_curve(incentive, params) * burnout_factor(cum_incentive, params) \
        + reset_spike(months_from_reset, first_shock, params)
    core = 1.0 + refi_gate(ltv, params) * refinancing
    rate = np.minimum(pp.max_smm, static_smm(age, penalty_months, params) * equity_factor(ltv, params)
                      * credit_factor(drawdown, params) * core)
    return np.minimum(1.0, rate * multiplier)
