"""Collateral cash-flow kernel: ARM resets, amortization, defaults, prepayments.

Numba only: plain arrays in, the ``out`` array filled, no exceptions, pandas,
xarray or random draws inside. The Python side (:mod:`stress.pool`) validates
the inputs and builds the monthly SMM / MDR / severity vectors.

Layout: ``# l = loans, t = months``. Loans are the outer loop so that each
loan's state (balance, rate, payment, delinquency pipeline) lives in local
variables for its whole life and a loan that has paid off leaves early; the
pool results are accumulated into ``out[t, k]``, whose rows (one per month,
``N_OUTPUTS`` values each) stay in cache. No loan x month array is ever built.

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
6. **Outputs** (``out[t - 1, k]``, the ``OUT_*`` constants, pool sums):
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
# Scratch columns after the outputs: the balance master servicing and trustee
# fees are charged on (performing + advanced delinquent), summed over loans;
# the performing balance at the start of the month; the new defaults the 1%
# purchase rule selects (the Python side caps the purchase with these two).
_FEE_BALANCE = N_OUTPUTS
_PERFORMING_BEGIN = N_OUTPUTS + 1
_PURCHASE_ELIGIBLE = N_OUTPUTS + 2
N_COLUMNS = N_OUTPUTS + 3

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
    months, purchase by value, months, whether any option is on). Both collateral kernels read it here."""
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


@kernel
def _project_pool(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    index_rates, smm, mdr, severity,
    liquidation_lag, advancing, rounding, options, purchase_share,
    out,
):
    """Project a pool of ARM loans and accumulate pool cash flows by month.

    # l = loans, t = months

    Parameters (all validated by :func:`stress.pool.project_pool`)
    ----------
    balance, gross_rate, servicing_fee_rate, lpmi_rate, margin : float64[l]
        Cut-off balance [USD]; note rate, fee rates, margin [annual, decimal].
    index_id : int64[l]
        Row of ``index_rates`` (0 LIBOR_1M, 1 LIBOR_6M, 2 LIBOR_12M, 3 CMT_1Y).
    months_to_reset, reset_frequency, remaining_term : int64[l]
        [months]; see the module docstring.
    initial_cap, periodic_cap, max_rate, min_rate : float64[l]
        [decimal].
    master_servicing_fee_rate, trustee_fee_rate : float
        [annual, decimal] on every loan.
    index_rates : float64[k, >= T - 1]
        Index path; an adjustment at month ``a`` observes ``index_rates[k, a - 1]``.
    smm, mdr, severity : float64[t]
        Monthly prepayment and default rates and the severity in the month of
        liquidation [decimal].
    liquidation_lag : int
        [months, >= 0]
    advancing : bool
        The servicer advances delinquent interest and scheduled principal.
    rounding : float
        Rate rounding increment [decimal]; 0 = none.
    options : float64[N_OPTIONS]
        Servicer options, layout :data:`OPTION_NAMES` (:meth:`stress.servicing.ServicerOptions.kernel_array`).
    purchase_share : float64[t]
        Share of the month's eligible new defaults bought under the 1% option.
    out : float64[t, >= N_COLUMNS]
        Filled: ``out[t - 1, OUT_*]`` and the scratch columns (zeroed here first).
    """
    n_loans = balance.shape[0]
    n_periods = smm.shape[0]
    lag = liquidation_lag
    ring_len = lag + 1
    out[:, :] = 0.0
    # One set of ring buffers, reused loan after loan: ring[R_*, (s + offset) % ring_len] holds the part of
    # the cohort defaulted in month s that leaves the pipeline ``offset`` months later.
    ring = np.zeros((N_RING, ring_len))
    # Survival factors of the payment, per month: P <- P * (1 - mdr) * (1 - smm).
    keep_default = 1.0 - mdr
    keep_prepay = 1.0 - smm
    fixed_fees = master_servicing_fee_rate + trustee_fee_rate
    (buy_share, buy_by_value, buy_m, fv_share, fv_by_value, fv_m, pur_by_value, pur_m,
     any_option) = _option_terms(options)

    for l in range(n_loans):
        performing = balance[l]
        rate = gross_rate[l]
        svc = servicing_fee_rate[l]
        lpmi = lpmi_rate[l]
        k = index_id[l]
        term = remaining_term[l]
        next_reset = months_to_reset[l]  # 0-based index of the month the new rate first applies to
        freq = reset_frequency[l]
        cap = initial_cap[l]
        monthly = rate / 12.0
        advance_rate = max(rate - svc, 0.0)
        net_rate = rate - svc - lpmi - fixed_fees
        payment = _level_payment(performing, monthly, term)
        # The loan's scheduled balance per dollar of cut-off balance (no default, no prepayment) and its
        # payment: delinquent balances whose principal is advanced amortize along it (see 3).
        unit = 1.0
        unit_payment = _level_payment(1.0, monthly, term)
        delinquent_na = 0.0   # delinquent balance not advanced [USD]
        delinquent_units = 0.0  # advanced delinquent balance, in units of ``unit`` [USD per unit]
        months_after_payoff = 0
        last_filed = -1  # month a cohort last entered the pipeline (-1: never)
        ring[:, :] = 0.0  # a pipeline cut off by the horizon must not leak into the next loan
        slot = 0  # t % ring_len, kept by increment

        for t in range(n_periods):
            # -- 1. ARM reset: an adjustment at month a = t (1-based months) applies from month t + 1,
            #       i.e. index t here; it observes index_rates[k, a - 1].
            if t == next_reset:
                new_rate = _reset_rate(rate, index_rates[k, t - 1], margin[l], cap,
                                       min_rate[l], max_rate[l], rounding)
                cap = periodic_cap[l]
                next_reset += freq
                if new_rate != rate:
                    rate = new_rate
                    monthly = rate / 12.0
                    advance_rate = max(rate - svc, 0.0)
                    net_rate = rate - svc - lpmi - fixed_fees
                    payment = _level_payment(performing, monthly, term - t)
                    unit_payment = _level_payment(unit, monthly, term - t)
            row = out[t]
            unit_start = unit
            begin = performing + delinquent_na + delinquent_units * unit_start
            row[OUT_BALANCE_BEGIN] += begin
            row[OUT_GROSS_RATE_BALANCE] += begin * rate
            row[OUT_NET_RATE_BALANCE] += begin * net_rate
            row[_PERFORMING_BEGIN] += performing

            # -- 3. defaults, before scheduled principal.
            defaulted = performing * mdr[t]
            performing -= defaulted
            paying = performing  # the balance that pays interest this month
            payment *= keep_default[t]
            # -- 2. scheduled interest and principal on the performing balance (and on the unit schedule).
            interest = performing * monthly
            if term - t <= 1:
                scheduled = performing  # last payment takes what is left
                unit_scheduled = unit
            else:
                scheduled = payment - interest
                if scheduled > performing:
                    scheduled = performing
                unit_scheduled = unit_payment - unit * monthly
                if unit_scheduled > unit:
                    unit_scheduled = unit
            performing -= scheduled
            unit -= unit_scheduled
            # -- 4. prepayments, after scheduled principal.
            prepaid = performing * smm[t]
            performing -= prepaid
            payment *= keep_prepay[t]

            # -- 3. the pipeline: split this month's cohort among the routes, then take out what is due.
            #       Both only when there is something to do (a loan that never defaults skips them; the
            #       many-path kernel adds the same amounts, zeros included, so mode 0 stays bit for bit).
            filed_na = 0.0
            filed_units = 0.0
            if defaulted > 0.0:
                last_filed = t
                sev_foreclosure = severity[min(t + lag, n_periods - 1)]
                inv_unit = 0.0
                if advancing:  # advanced cohorts are kept in units of the scheduled balance
                    inv_unit = 1.0 / unit_start if unit_start > 0.0 else 0.0
                    filed_units = defaulted * inv_unit
                else:
                    filed_na = defaulted
                d_foreclosure = defaulted
                if any_option:
                    sev_fair_value = severity[min(t + fv_m, n_periods - 1)]
                    pays = _vector_value_covers_price(sev_foreclosure, advance_rate, pur_m)
                    g = _exercised(purchase_share[t], pur_by_value, pays, pur_m < lag)
                    if pur_m < lag and (pays or not pur_by_value):
                        row[_PURCHASE_ELIGIBLE] += defaulted
                    b = _exercised(buy_share, buy_by_value,
                                   _vector_value_covers_price(sev_foreclosure, advance_rate, buy_m), buy_m < lag)
                    f = _exercised(fv_share, fv_by_value, sev_fair_value <= sev_foreclosure, fv_m < lag)
                    d_purchase = defaulted * g
                    rest = defaulted - d_purchase
                    d_buyout = rest * b
                    rest -= d_buyout
                    d_fair_value = rest * f
                    d_foreclosure = rest - d_fair_value
                    if advancing:
                        ring[R_UNITS, (t + fv_m) % ring_len] += d_fair_value * inv_unit
                        ring[R_BUY_UNITS, (t + buy_m) % ring_len] += d_buyout * inv_unit
                        ring[R_BUY_UNITS, (t + pur_m) % ring_len] += d_purchase * inv_unit
                    else:
                        ring[R_NA, (t + fv_m) % ring_len] += d_fair_value
                        ring[R_BUY_NA, (t + buy_m) % ring_len] += d_buyout
                        ring[R_BUY_NA, (t + pur_m) % ring_len] += d_purchase
                        # accrued interest not advanced, paid with the Repurchase Price
                        ring[R_BUY_INTEREST, (t + buy_m) % ring_len] += d_buyout * (buy_m * advance_rate / 12.0)
                        ring[R_BUY_INTEREST, (t + pur_m) % ring_len] += d_purchase * (pur_m * advance_rate / 12.0)
                    ring[R_LOSS, (t + fv_m) % ring_len] += d_fair_value * sev_fair_value
                slot_in = slot - 1 if slot > 0 else lag  # (t + lag) % ring_len, without a division
                if advancing:
                    ring[R_UNITS, slot_in] += d_foreclosure * inv_unit
                else:
                    ring[R_NA, slot_in] += d_foreclosure
                ring[R_LOSS, slot_in] += d_foreclosure * sev_foreclosure

            if last_filed >= 0 and t <= last_filed + lag:  # the pipeline may hold a cohort due now
                out_na = ring[R_NA, slot] + ring[R_BUY_NA, slot]
                out_units = ring[R_UNITS, slot] + ring[R_BUY_UNITS, slot]
                # Stated balance at liquidation; the advanced principal is repaid to the servicer out of the
                # proceeds first, so the trust's loss on the cohort stays severity x the defaulted balance
                # (never more than the stated balance: an unrecoverable rest is the servicer's).
                liquidated = ring[R_NA, slot] + ring[R_UNITS, slot] * unit_start
                row[OUT_LIQUIDATED_BALANCE] += liquidated
                row[OUT_REALIZED_LOSS] += min(ring[R_LOSS, slot], liquidated)
                row[OUT_REPURCHASED_BALANCE] += ring[R_BUY_NA, slot] + ring[R_BUY_UNITS, slot] * unit_start
                row[OUT_REPURCHASE_INTEREST] += ring[R_BUY_INTEREST, slot]
                for r in range(N_RING):
                    ring[r, slot] = 0.0
                delinquent_na += filed_na - out_na
                if delinquent_na < 0.0:  # rounding residue once the pipeline is empty
                    delinquent_na = 0.0
                delinquent_units += filed_units - out_units
                if delinquent_units < 0.0:
                    delinquent_units = 0.0
            slot = slot + 1 if slot < lag else 0  # t % ring_len for the next month

            # -- 5. interest, advances and fees.
            row[OUT_SCHEDULED_INTEREST] += interest
            row[OUT_SERVICING_FEE] += paying * (svc / 12.0)
            advanced_balance = delinquent_units * unit_start  # stated balance the month's interest accrues on
            row[OUT_ADVANCED_INTEREST] += advanced_balance * (advance_rate / 12.0)
            row[OUT_ADVANCED_PRINCIPAL] += delinquent_units * unit_scheduled
            fee_balance = paying + advanced_balance
            row[_FEE_BALANCE] += fee_balance
            row[OUT_LPMI_PREMIUM] += fee_balance * (lpmi / 12.0)
            row[OUT_SCHEDULED_PRINCIPAL] += scheduled
            row[OUT_PREPAYMENT] += prepaid
            row[OUT_DEFAULT_BALANCE] += defaulted
            row[OUT_BALANCE_END] += performing + delinquent_na + delinquent_units * unit

            # Paid off (scheduled, prepaid or defaulted out) and its pipeline empty: next loan.
            if performing <= 0.0 or t >= term - 1:
                performing = 0.0
                months_after_payoff += 1
                if months_after_payoff > lag:
                    break

    # Pool-level terms that are linear in pool sums.
    for t in range(n_periods):
        row = out[t]
        row[OUT_MASTER_SERVICING_FEE] = row[_FEE_BALANCE] * (master_servicing_fee_rate / 12.0)
        row[OUT_TRUSTEE_FEE] = row[_FEE_BALANCE] * (trustee_fee_rate / 12.0)
        row[OUT_RECOVERY] = row[OUT_LIQUIDATED_BALANCE] - row[OUT_REALIZED_LOSS]
        row[OUT_NET_INTEREST] = (
            row[OUT_SCHEDULED_INTEREST] + row[OUT_ADVANCED_INTEREST] + row[OUT_REPURCHASE_INTEREST]
            - row[OUT_SERVICING_FEE] - row[OUT_MASTER_SERVICING_FEE] - row[OUT_TRUSTEE_FEE]
            - row[OUT_LPMI_PREMIUM]
        )
