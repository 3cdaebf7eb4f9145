"""Collateral cash-flow conventions and the helpers the collateral kernel shares.

The one collateral kernel is :func:`stress.kernels.collateral_paths._project_pool_paths`
(many paths; the deterministic run of :func:`stress.pool.project_pool` is one
path of it, mode 0). This module states the cash-flow conventions it follows
(below), and holds what is not specific to tiles of paths: the output columns
(:data:`OUTPUT_NAMES`, ``OUT_*``), the rows of the delinquency ring buffers
(``R_*``), the servicer options' layout (:data:`OPTION_NAMES`) and the scalar
helpers the kernel calls (:func:`_reset_rate`, :func:`_level_payment`,
:func:`_option_terms`, :func:`_exercised`, :func:`_vector_value_covers_price`).
The slow, readable one-path twin ``tests/reference/collateral_reference.py``
follows these conventions loan by loan, month by month; it is compared with
the kernel on one path in ``tests/test_collateral_kernel.py``.

Conventions (period ``t`` = 1..T; array index ``t - 1``)
---------------------------------------------------------
Month ``t`` is the due period whose payment is due on the 1st of month ``t``
after cut-off: for the reference deal (cut-off 2004-01-01), ``t = 1`` is the
payment due 2004-02-01, which funds the 2004-02-25 payment date.

1. **ARM reset.** ``months_to_reset = m0`` means the rate adjusts ``m0``
   months after cut-off; the new rate first applies to the interest of month
   ``m0 + 1``, and later adjustments follow every ``reset_frequency`` months.
   An adjustment at month ``a`` observes ``index_rates[k, a - 1]``
   (``index_rates[k, 0]`` is the index at cut-off: about a one-month
   lookback). New rate = ``index + margin`` rounded to the nearest
   ``rounding`` (halves up), then held within +/- ``initial_cap`` (the first
   adjustment projected) or +/- ``periodic_cap`` (later ones) of the previous
   rate, then within ``[min_rate, max_rate]``. The rounding comes before the
   caps because that is the order the standard ARM note states (the uniform
   Fannie Mae / Freddie Mac ARM notes: add the margin to the index, round the
   sum to the nearest 1/8%, and "subject to the limits" on changes the
   rounded amount is the new rate); the caps are hard limits, so applying
   them last guarantees no rounding ever pushes a rate past one.
2. **Level payment.** The scheduled payment is the annuity that repays the
   performing balance over the remaining term at the current rate:
   ``P = B r / (1 - (1 + r)^-n)``, ``r = rate / 12`` (``B / n`` at a zero
   rate); interest ``B r``; scheduled principal ``P - B r``; the last payment
   (``n = 1``) takes the whole remaining balance, so a loan with no prepayment
   and no default amortizes to exactly zero. Between resets the annuity
   identity gives the next payment without a ``pow``: scheduled amortization
   leaves ``P`` unchanged, and taking a fraction ``x`` of the balance out
   (default, prepayment) scales it by ``1 - x``; so the kernel tracks
   ``P <- P (1 - mdr) (1 - smm)`` and recomputes the annuity only when the
   rate changes.
3. **Defaults.** The MDR is applied to the performing balance at the start of
   the month, before scheduled principal (a defaulted loan misses this
   month's payment). The defaulted balance leaves the performing pool and
   stays in the pool balance as delinquent for ``liquidation_lag`` months (it
   is delinquent at the end of months ``s`` .. ``s + lag - 1`` for a default
   in month ``s``), then is liquidated in month ``s + lag``: realized loss =
   ``severity[s + lag] x`` the balance at default (the severity of the month
   of liquidation), recovery = the stated balance liquidated less that loss.
   Lag 0 liquidates in the month of default.

   **Advancing** (the 2002-8 remittance report's "Interest Advanced" and
   "Principal Advanced"). With ``advancing`` the servicer advances, in each of
   those ``lag`` months, the delinquent loan's scheduled payment: interest on
   its Stated Principal Balance at the current rate less the servicing fee
   (the servicer keeps its fee out of what it would advance; the report's
   advanced interest is the delinquent interest less the delinquent servicing
   fee; never below zero) and the scheduled principal (``advanced_principal``),
   so the delinquent Stated Principal Balance amortizes as the loan's schedule
   says (it is tracked as units of ``unit``, the scheduled balance per dollar
   of cut-off balance with no default or prepayment; the annuity is linear in
   the balance, so every cohort of a loan amortizes by the same factor). The
   master servicing fee, trustee fee and LPMI premium are paid on the
   advanced balance as on a performing one, so the trust nets the net
   mortgage rate on it. At liquidation the servicer is repaid its advanced
   principal out of the proceeds before the trust receives the rest: the
   trust's recovery is the stated balance less ``severity x`` the balance at
   default, so its loss in total is unchanged and principal arrives earlier
   (interest advances are repaid outside the trust: the severity covers them).
   ASSUMPTION: when the proceeds do not cover the advanced principal (a
   severity above the stated share of the defaulted balance: near 100%, or a
   loan whose final balloon of scheduled principal was advanced) the loss is
   capped at the stated balance and the servicer bears the rest. Without
   advancing nothing is collected or paid on a delinquent loan until it
   leaves the pool.

   **Servicer options** (:mod:`stress.servicing`, ``options``): each month's
   cohort is split, in this order, into the part bought under the 1% option
   (``purchase_share[s]`` of it, if the rule selects it) leaving in month
   ``s + purchase_months``, the part bought out at 90 days (``buyout_share``)
   leaving in ``s + buyout_months``, the part sold at fair value
   (``fair_value_share``, liquidated in ``s + fair_value_months`` at that
   month's severity) and the rest, foreclosed in ``s + lag``. An option acts
   only if its month comes before ``s + lag``. A bought part leaves at the
   Repurchase Price with no loss: its stated balance as ``repurchased_balance``
   and, when it was not advanced, the accrued interest at the rate less the
   servicing fee for its months of delinquency (at the rate at default) as
   ``repurchase_interest``. The ``"value"`` rules here (vectors) compare the
   scenario's recovery ``1 - severity`` with the price (so a positive severity
   never buys) and the fair-value severity with the foreclosure one.
4. **Prepayments.** The SMM is applied to the performing balance after
   scheduled principal (the borrower makes the scheduled payment, then pays
   down or off: curtailments and payoffs as one).
5. **Fees** on the performing balance (and the advanced delinquent balance,
   see 3): servicing ``servicing_fee_rate / 12``, master servicing, trustee,
   LPMI premium ``lpmi_rate / 12`` — each reported separately. Net mortgage
   rate = gross - servicing - master servicing - trustee - LPMI.
6. **Outputs** (``out[p, t - 1, k]``, the ``OUT_*`` constants, pool sums):
   ``pool_balance_begin`` / ``pool_balance_end`` (performing + delinquent
   stated balance not yet liquidated or bought); ``scheduled_interest``
   (gross, on the performing balance); ``advanced_interest``; the four fees;
   ``repurchase_interest``; ``net_interest`` = scheduled interest + advanced
   interest + repurchase interest - all fees (what goes to the bond
   waterfall); ``scheduled_principal`` (performing loans);
   ``advanced_principal``; ``prepayment``; ``default_balance`` (newly
   defaulted); ``liquidated_balance`` (stated); ``recovery``;
   ``realized_loss``; ``repurchased_balance``; ``net_rate_balance`` = sum of
   beginning pool balance x net mortgage rate and ``gross_rate_balance`` =
   sum of beginning pool balance x gross rate, each at the rate that applies
   to the month's interest (for the available funds rate and the WAC). Every
   period: ``begin - scheduled_principal - advanced_principal - prepayment -
   liquidated - repurchased = end`` and ``liquidated = recovery +
   realized_loss``.
"""

from __future__ import annotations

import math

import numpy as np

from stress.accelerate import kernel

OUTPUT_NAMES: tuple[str, ...] = (
    "pool_balance_begin",
    "pool_balance_end",
    "scheduled_interest",
    "advanced_interest",
    "servicing_fee",
    "master_servicing_fee",
    "trustee_fee",
    "lpmi_premium",
    "net_interest",
    "scheduled_principal",
    "prepayment",
    "default_balance",
    "liquidated_balance",
    "recovery",
    "realized_loss",
    "net_rate_balance",
    "gross_rate_balance",
    "advanced_principal",
    "repurchased_balance",
    "repurchase_interest",
)
N_OUTPUTS = len(OUTPUT_NAMES)
(
    OUT_BALANCE_BEGIN,
    OUT_BALANCE_END,
    OUT_SCHEDULED_INTEREST,
    OUT_ADVANCED_INTEREST,
    OUT_SERVICING_FEE,
    OUT_MASTER_SERVICING_FEE,
    OUT_TRUSTEE_FEE,
    OUT_LPMI_PREMIUM,
    OUT_NET_INTEREST,
    OUT_SCHEDULED_PRINCIPAL,
    OUT_PREPAYMENT,
    OUT_DEFAULT_BALANCE,
    OUT_LIQUIDATED_BALANCE,
    OUT_RECOVERY,
    OUT_REALIZED_LOSS,
    OUT_NET_RATE_BALANCE,
    OUT_GROSS_RATE_BALANCE,
    OUT_ADVANCED_PRINCIPAL,
    OUT_REPURCHASED_BALANCE,
    OUT_REPURCHASE_INTEREST,
) = range(N_OUTPUTS)
# Rows of the delinquency ring buffers: to liquidation (not advanced [USD], advanced [units of the
# scheduled balance], loss [USD]) and to the Repurchase Price (not advanced, advanced, accrued interest).
R_NA, R_UNITS, R_LOSS, R_BUY_NA, R_BUY_UNITS, R_BUY_INTEREST = range(6)
N_RING = 6

#: Servicer options as the kernels read them (:meth:`stress.servicing.ServicerOptions.kernel_array`).
OPTION_NAMES: tuple[str, ...] = ("buyout_share", "buyout_by_value", "buyout_months", "fair_value_share",
                                 "fair_value_by_value", "fair_value_months", "purchase_limit", "purchase_by_value",
                                 "purchase_months")
(O_BUYOUT_SHARE, O_BUYOUT_BY_VALUE, O_BUYOUT_MONTHS, O_FAIR_VALUE_SHARE, O_FAIR_VALUE_BY_VALUE,
 O_FAIR_VALUE_MONTHS, O_PURCHASE_LIMIT, O_PURCHASE_BY_VALUE, O_PURCHASE_MONTHS) = range(len(OPTION_NAMES))


@kernel
def _option_terms(options):
    """The servicer options vector unpacked: (buy-out share, by value, months, fair-value share, by value,
    months, purchase by value, months, whether any option is on)."""
    buy_share, fv_share = options[O_BUYOUT_SHARE], options[O_FAIR_VALUE_SHARE]
    return (buy_share, options[O_BUYOUT_BY_VALUE] != 0.0, int(options[O_BUYOUT_MONTHS]),
            fv_share, options[O_FAIR_VALUE_BY_VALUE] != 0.0, int(options[O_FAIR_VALUE_MONTHS]),
            options[O_PURCHASE_BY_VALUE] != 0.0, int(options[O_PURCHASE_MONTHS]),
            buy_share > 0.0 or fv_share > 0.0 or options[O_PURCHASE_LIMIT] > 0.0)
N_OPTIONS = len(OPTION_NAMES)

# Half-way rounds up; the tolerance absorbs binary representation error in
# (index + margin) / increment, e.g. 0.011875 + 0.0275 = 0.039374999...
_ROUND_TOL = 1e-9


@kernel
def _round_rate(rate, increment):
    """``rate`` rounded to the nearest ``increment`` (halves up); 0 = no rounding."""
    if increment <= 0.0:
        return rate
    return np.floor(rate / increment + 0.5 + _ROUND_TOL) * increment  # np.floor: NaN stays NaN


@kernel
def _reset_rate(previous, index, margin, cap, min_rate, max_rate, increment):
    """The note rate after an adjustment: round(index + margin), then caps, then floor/ceiling."""
    rate = _round_rate(index + margin, increment)  # round first: the note's order
    if rate > previous + cap:
        rate = previous + cap
    elif rate < previous - cap:
        rate = previous - cap
    if rate > max_rate:
        rate = max_rate
    if rate < min_rate:
        rate = min_rate
    return rate


@kernel
def _level_payment(balance, monthly_rate, n_months):
    """Annuity payment repaying ``balance`` over ``n_months`` at ``monthly_rate``."""
    if n_months <= 0:
        return balance
    if monthly_rate == 0.0:
        return balance / n_months
    # 1 - (1 + r)^-n written with expm1 / log1p: the plain form loses digits to
    # cancellation when r n is small (a 0.04% coupon loses 4 of 16 digits).
    return balance * monthly_rate / -math.expm1(-n_months * math.log1p(monthly_rate))



@kernel
def _exercised(share, by_value, pays, usable):
    """Share of a cohort an option takes: ``share`` if the option can act and its rule passes, else 0."""
    if not usable:
        return 0.0
    if by_value and not pays:
        return 0.0
    return share


@kernel
def _vector_value_covers_price(severity, advance_rate, months):
    """Vector mode's buy test: recovery ``1 - severity`` >= price ``1 + months x advance rate / 12`` (per $)."""
    return 1.0 - severity >= 1.0 + months * advance_rate / 12.0
