"""The behaviour models as the multi-path collateral kernel compiles them.

One home for what the kernel needs of the models (issue 17): the names and
order of the scalar coefficients (:data:`COEF_NAMES`, indices ``C_*``), their
packing from a :class:`~stress.behaviour.params.BehaviourParams`
(:func:`coefficients`), and the formulas the kernel inlines for one loan on
one path in one month (prepayment SMM pieces, the default logit, the
severity and the servicer options' value tests). The readable forms of the
same models, element by element over numpy arrays, are
:mod:`stress.behaviour.prepayment`, :mod:`~stress.behaviour.default` and
:mod:`~stress.behaviour.severity` (they document every term; the reference
twin ``tests/reference/collateral_paths_reference.py`` is built from them).

A new behaviour model (a coefficient, a term) touches
:mod:`stress.behaviour.params` (the value and its source), this module (its
name in :data:`COEF_NAMES`, its packing, the formula) and the readable model
the reference twin uses. The kernel (:mod:`stress.kernels.collateral_paths`)
changes only for a new per-loan input or a new state row.

Formulas take the coefficients as the tuple :func:`unpack` returns: the
kernel unpacks the vector once per tile, and a constant index into a tuple is
a register, not a load the vectorizer would have to prove free of aliasing
with the kernel's state stores. Every formula keeps the kernel's arithmetic
operation for operation: the outputs are bit for bit those of the kernel
before the formulas moved here. They are plain ``@kernel`` scalar functions
(no arrays but the logistic table), which LLVM inlines into the kernel's
loops (those keep vectorizing); numba's own ``inline="always"`` gave the same
speed but compiled each specialization of the kernel in 12 s instead of 8.5
(CPU seconds, empty cache, dev machine), as it re-runs its front end at every
call site.

Numba's on-disk cache keys a kernel by its own source file only, so the
cache folder has one subfolder per version of the kernel sources, this module
included (:func:`stress.accelerate.kernel_source_key`): an edit here compiles
the collateral kernel afresh.
"""

from __future__ import annotations

import math

import numpy as np

from stress.accelerate import kernel
from stress.behaviour.logistic import LOGISTIC_STEP, LOGISTIC_X0
from stress.behaviour.params import BehaviourParams
from stress.behaviour.prepayment import base_smm

__all__ = ["COEF_NAMES", "N_COEF", "coefficients"]

#: Coefficient vector layout (filled by :func:`coefficients`, read through :func:`unpack`).
COEF_NAMES: tuple[str, ...] = (
    "base_smm", "seasoning_months", "seasoning_floor", "refi_max", "refi_slope", "refi_midpoint", "burnout",
    "penalty_factor", "penalty_expiry_multiple", "penalty_expiry_months", "reset_spike_base",
    "reset_spike_per_shock", "reset_spike_lead_months", "reset_spike_months", "equity_slope", "equity_floor",
    "equity_cap", "prepay_ltv_reference", "max_smm",
    "age_peak_months", "age_slope", "ltv_slope", "default_ltv_reference", "payment_shock_slope", "max_mdr",
    "distressed_haircut", "liquidation_cost", "fair_value_cost", "max_severity",
    "logistic_x0", "logistic_step",
    "negative_equity_slope", "haircut_per_decline", "carry_rate", "timeline_per_decline", "max_extension_months",
    "refi_ltv_zero", "refi_gate_inv_width", "credit_drawdown_slope", "credit_floor",
)
(
    C_BASE_SMM, C_SEASONING_MONTHS, C_SEASONING_FLOOR, C_REFI_MAX, C_REFI_SLOPE, C_REFI_MID, C_BURNOUT,
    C_PENALTY_FACTOR, C_PENALTY_EXPIRY_MULT, C_PENALTY_EXPIRY_MONTHS, C_SPIKE_BASE,
    C_SPIKE_PER_SHOCK, C_SPIKE_LEAD, C_SPIKE_MONTHS, C_EQUITY_SLOPE, C_EQUITY_FLOOR,
    C_EQUITY_CAP, C_PREPAY_LTV_REF, C_MAX_SMM,
    C_AGE_PEAK, C_AGE_SLOPE, C_LTV_SLOPE, C_DEFAULT_LTV_REF, C_SHOCK_SLOPE, C_MAX_MDR,
    C_HAIRCUT, C_COST, C_FV_COST, C_MAX_SEVERITY,
    C_LOGISTIC_X0, C_LOGISTIC_STEP,
    C_NEG_EQUITY_SLOPE, C_HAIRCUT_PER_DECLINE, C_CARRY_RATE, C_TIMELINE_PER_DECLINE, C_MAX_EXTENSION,
    C_REFI_LTV_ZERO, C_REFI_GATE_INV_WIDTH, C_CREDIT_SLOPE, C_CREDIT_FLOOR,
) = range(len(COEF_NAMES))
N_COEF = len(COEF_NAMES)


def coefficients(params: BehaviourParams) -> np.ndarray:
    """The kernel's coefficient vector [float64, order :data:`COEF_NAMES`]."""
    pp, dp, sp = params.prepayment, params.default, params.severity
    values = {
        "base_smm": base_smm(params), "seasoning_months": pp.seasoning_months,
        "seasoning_floor": pp.seasoning_floor, "refi_max": pp.refi_max, "refi_slope": pp.refi_slope,
        "refi_midpoint": pp.refi_midpoint, "burnout": pp.burnout, "penalty_factor": pp.penalty_factor,
        "penalty_expiry_multiple": pp.penalty_expiry_multiple, "penalty_expiry_months": pp.penalty_expiry_months,
        "reset_spike_base": pp.reset_spike_base, "reset_spike_per_shock": pp.reset_spike_per_shock,
        "reset_spike_lead_months": pp.reset_spike_lead_months, "reset_spike_months": pp.reset_spike_months,
        "equity_slope": pp.equity_slope, "equity_floor": pp.equity_floor, "equity_cap": pp.equity_cap,
        "prepay_ltv_reference": pp.ltv_reference, "max_smm": pp.max_smm,
        "age_peak_months": dp.age_peak_months, "age_slope": dp.age_slope, "ltv_slope": dp.ltv_slope,
        "default_ltv_reference": dp.ltv_reference, "payment_shock_slope": dp.payment_shock_slope,
        "max_mdr": dp.max_mdr, "distressed_haircut": sp.distressed_haircut,
        "liquidation_cost": sp.foreclosure_cost, "fair_value_cost": sp.fair_value_sale_cost,
        "max_severity": sp.max_severity,
        "logistic_x0": LOGISTIC_X0, "logistic_step": LOGISTIC_STEP,
        "negative_equity_slope": dp.negative_equity_slope, "haircut_per_decline": sp.haircut_per_decline,
        # the foreclosure timeline's crowding extension (a fair-value sale is never extended: the kernel
        # counts fair_value_months for it)
        "carry_rate": sp.carry_rate, "timeline_per_decline": sp.timeline_per_decline,
        "max_extension_months": sp.max_extension_months,
        "refi_ltv_zero": pp.refi_ltv_zero,
        "refi_gate_inv_width": 1.0 / (pp.refi_ltv_zero - pp.refi_ltv_full),
        "credit_drawdown_slope": pp.credit_drawdown_slope, "credit_floor": pp.credit_floor,
    }
    assert set(values) == set(COEF_NAMES)
    return np.array([float(values[name]) for name in COEF_NAMES])


@kernel
def unpack(coef):
    """The coefficient vector as a tuple, element ``C_*`` for name ``COEF_NAMES[C_*]`` (read once per tile)."""
    return (
        coef[0], coef[1], coef[2], coef[3], coef[4], coef[5], coef[6], coef[7], coef[8], coef[9],
        coef[10], coef[11], coef[12], coef[13], coef[14], coef[15], coef[16], coef[17], coef[18], coef[19],
        coef[20], coef[21], coef[22], coef[23], coef[24], coef[25], coef[26], coef[27], coef[28], coef[29],
        coef[30], coef[31], coef[32], coef[33], coef[34], coef[35], coef[36], coef[37], coef[38], coef[39],
    )


# -- the logistic --------------------------------------------------------------------------------------------


@kernel
def table_logistic(x, table, x0, inv_step):
    """Table logistic, same arithmetic as :func:`stress.behaviour.logistic.logistic` (min / max, no branch)."""
    n = table.shape[0]
    u = min(max((x - x0) * inv_step, 0.0), n - 1.0)
    j = min(int(u), n - 2)  # u >= 0 here, so truncation is the floor
    lo = table[j]
    return lo + (u - j) * (table[j + 1] - lo)


# -- per loan and month (the same on every path) -------------------------------------------------------------


@kernel
def static_smm(c, loan_age, penalty_months):
    """Base SMM x seasoning ramp x prepayment-penalty multiple at ``loan_age`` [months]
    (:func:`stress.behaviour.prepayment.static_smm`)."""
    seasoning = c[C_SEASONING_FLOOR] + (1.0 - c[C_SEASONING_FLOOR]) * loan_age / c[C_SEASONING_MONTHS]
    if seasoning > 1.0:
        seasoning = 1.0
    penalty = 1.0
    if penalty_months > 0:
        if loan_age <= penalty_months:
            penalty = c[C_PENALTY_FACTOR]
        elif loan_age <= penalty_months + c[C_PENALTY_EXPIRY_MONTHS]:
            penalty = c[C_PENALTY_EXPIRY_MULT]
    return c[C_BASE_SMM] * seasoning * penalty


@kernel
def spike_window(c, t, spike_at):
    """The reset spike's window at period index ``t`` for a first reset at ``spike_at`` (-1: none):
    (the lead months' spike, whether ``t`` is in the post-reset window)
    (:func:`stress.behaviour.prepayment.reset_spike`)."""
    spike_lead = 0.0
    spike_post = False
    if spike_at >= 0:
        d = t - spike_at
        if d < 0 and d >= -c[C_SPIKE_LEAD]:
            spike_lead = c[C_SPIKE_BASE]
        elif d >= 0 and d < c[C_SPIKE_MONTHS]:
            spike_post = True
    return spike_lead, spike_post


@kernel
def static_logit(c, static, loan_age):
    """The loan's default logit terms that do not depend on the path: ``static`` + the age term
    (:func:`stress.behaviour.default.age_term`; one ``log``, skipped past the peak age)."""
    age_peak = c[C_AGE_PEAK]
    age_clamped = min(max(loan_age, 1.0), age_peak)
    # log(1) = 0 exactly: past the peak age the transcendental is skipped.
    age_log = 0.0 if age_clamped == age_peak else math.log(age_clamped / age_peak)
    return static + c[C_AGE_SLOPE] * age_log


# -- per loan, path and month --------------------------------------------------------------------------------


@kernel
def default_logit(c, logit_static, ltv, payment_ratio):
    """The default hazard's logit (:func:`stress.behaviour.default.logit`)."""
    return logit_static + c[C_LTV_SLOPE] * (ltv - c[C_DEFAULT_LTV_REF]) \
        + c[C_NEG_EQUITY_SLOPE] * max(ltv - 1.0, 0.0) + c[C_SHOCK_SLOPE] * (payment_ratio - 1.0)


@kernel
def refi_logit(c, incentive):
    """The refinance S-curve's argument (:func:`stress.behaviour.prepayment.refi_curve`)."""
    return c[C_REFI_SLOPE] * (incentive - c[C_REFI_MID])


@kernel
def burnout_factor(c, cum_incentive):
    """Burnout: ``1 / (1 + burnout x cumulative incentive)`` (:func:`stress.behaviour.prepayment.burnout_factor`)."""
    return 1.0 / (1.0 + c[C_BURNOUT] * cum_incentive)


@kernel
def cumulative_incentive(cum_incentive, incentive):
    """Burnout's state after a month: the positive incentives summed."""
    return cum_incentive + incentive if incentive > 0.0 else cum_incentive


@kernel
def equity_factor(c, ltv):
    """Prepayment's equity multiple (:func:`stress.behaviour.prepayment.equity_factor`)."""
    equity = 1.0 + c[C_EQUITY_SLOPE] * (c[C_PREPAY_LTV_REF] - ltv)
    return min(max(equity, c[C_EQUITY_FLOOR]), c[C_EQUITY_CAP])


@kernel
def refi_gate(c, ltv):
    """The refinance gate: refinancing needs equity (:func:`stress.behaviour.prepayment.refi_gate`)."""
    return min(max((c[C_REFI_LTV_ZERO] - ltv) * c[C_REFI_GATE_INV_WIDTH], 0.0), 1.0)


@kernel
def credit_factor(c, hpi_national, national_peak):
    """Credit availability: falls with the national drawdown (:func:`stress.behaviour.prepayment.credit_factor`)."""
    return max(c[C_CREDIT_FLOOR], 1.0 - c[C_CREDIT_SLOPE] * (1.0 - hpi_national / national_peak))


@kernel
def reset_spike(c, first_shock, spike_post, spike_lead):
    """The month's reset spike (:func:`stress.behaviour.prepayment.reset_spike`; window from :func:`spike_window`)."""
    return c[C_SPIKE_BASE] + c[C_SPIKE_PER_SHOCK] * max(first_shock, 0.0) if spike_post else spike_lead


@kernel
def prepayment_smm(c, smm_base, s_curve, burnout, spike):
    """SMM = base x (1 + refi_max x S-curve x burnout + spike), capped (:func:`stress.behaviour.prepayment.smm`);
    ``smm_base`` carries the static, equity and credit multiples, ``burnout`` and ``spike`` the gate."""
    smm = smm_base * (1.0 + c[C_REFI_MAX] * s_curve * burnout + spike)
    return smm if smm <= c[C_MAX_SMM] else c[C_MAX_SMM]


@kernel
def default_mdr(c, hazard):
    """MDR = the logistic hazard, capped (:func:`stress.behaviour.default.mdr`)."""
    return hazard if hazard <= c[C_MAX_MDR] else c[C_MAX_MDR]


@kernel
def foreclosure_severity(c, ltv0, advance_rate, hpi_liquidation, hpi_peak, lag, mi, multiplier):
    """Severity of a default liquidated ``lag`` months later, and whether its advances look recoverable
    (:func:`stress.behaviour.severity.severity`, :func:`~stress.behaviour.severity.advance_recoverable`).

    ``ltv0``: the scheduled balance over the value at HPI 1 (0: nothing owed, no loss);
    ``advance_rate``: the rate less the servicing fee [annual]; ``multiplier``: mode 2's, else 1.0.
    """
    adv_amount = lag * advance_rate / 12.0  # advances over the lag
    # the path's drawdown from its peak: a deeper REO discount and a longer timeline
    decline = max(0.0, 1.0 - hpi_liquidation / hpi_peak)
    proceeds = (1.0 - (c[C_HAIRCUT] + c[C_HAIRCUT_PER_DECLINE] * decline)) * hpi_liquidation \
        / (ltv0 if ltv0 > 0.0 else 1.0)
    months = lag + min(c[C_TIMELINE_PER_DECLINE] * decline, c[C_MAX_EXTENSION])
    # accrued interest counts, advanced or not, with taxes, insurance and upkeep
    claim = 1.0 + c[C_COST] + months * (advance_rate + c[C_CARRY_RATE]) / 12.0
    sev = (claim - proceeds - mi * claim) * multiplier
    sev = max(0.0, min(c[C_MAX_SEVERITY], sev))
    no_loss = ltv0 <= 0.0
    return (0.0 if no_loss else sev), (no_loss or proceeds >= c[C_COST] + adv_amount)


@kernel
def fair_value_severity(c, ltv0, advance_rate, hpi_sale, hpi_peak, months, mi, multiplier):
    """Severity of a fair-value sale ``months`` after default: its cost, its months of accrued interest and
    carrying cost (no timeline extension: no foreclosure), the HPI of its month and its drawdown discount
    (:func:`stress.behaviour.severity.severity` with ``fair_value_sale=True``)."""
    denom = ltv0 if ltv0 > 0.0 else 1.0
    decline = max(0.0, 1.0 - hpi_sale / hpi_peak)
    claim = 1.0 + c[C_FV_COST] + months * (advance_rate + c[C_CARRY_RATE]) / 12.0
    proceeds = (1.0 - (c[C_HAIRCUT] + c[C_HAIRCUT_PER_DECLINE] * decline)) * hpi_sale / denom
    sev = max(0.0, min(c[C_MAX_SEVERITY], (claim - proceeds - mi * claim) * multiplier))
    return 0.0 if ltv0 <= 0.0 else sev


@kernel
def value_covers_price(c, ltv0, hpi, advance_rate, months):
    """The home at ``hpi``, less the liquidation cost, covers the Repurchase Price after ``months`` of accrued
    interest (:func:`stress.behaviour.severity.value_covers_price`)."""
    denom = ltv0 if ltv0 > 0.0 else 1.0
    return hpi / denom * (1.0 - c[C_COST]) >= 1.0 + months * advance_rate / 12.0
