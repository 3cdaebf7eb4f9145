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
   month's payment). The defaulted balance leaves the performing pool, stops
   amortizing and stays in the pool balance as delinquent for
   ``liquidation_lag`` months (it is delinquent at the end of months ``s`` ..
   ``s + lag - 1`` for a default in month ``s``), then is liquidated in month
   ``s + lag``: realized loss = ``severity[s + lag] x balance`` (the severity
   of the month of liquidation), recovery (principal) = the rest. Lag 0
   liquidates in the month of default. With ``advancing`` the servicer
   advances interest on the delinquent balance in each of those ``lag``
   months at the loan's current rate less the servicing fee (the servicer
   keeps its fee out of what it would advance; never below zero); the master servicing fee,
   trustee fee and LPMI premium are paid on that balance as on a performing
   one, so the trust nets the net mortgage rate on it. Without advancing
   nothing is collected or paid on it. Advances are assumed recovered
   outside the trust (severity covers the rest).
4. **Prepayments.** The SMM is applied to the performing balance after
   scheduled principal (the borrower makes the scheduled payment, then pays
   down or off: curtailments and payoffs as one).
5. **Fees** on the performing balance (and the advanced delinquent balance,
   see 3): servicing ``servicing_fee_rate / 12``, master servicing, trustee,
   LPMI premium ``lpmi_rate / 12`` — each reported separately. Net mortgage
   rate = gross - servicing - master servicing - trustee - LPMI.
6. **Outputs** (``out[t - 1, k]``, the ``OUT_*`` constants, pool sums):
   ``pool_balance_begin`` / ``pool_balance_end`` (performing + delinquent not
   yet liquidated); ``scheduled_interest`` (gross, on the performing balance);
   ``advanced_interest``; the four fees; ``net_interest`` = scheduled interest
   + advanced interest - all fees (what goes to the bond waterfall);
   ``scheduled_principal``; ``prepayment``; ``default_balance`` (newly
   defaulted); ``liquidated_balance``; ``recovery``; ``realized_loss``;
   ``net_rate_balance`` = sum of beginning pool balance x net mortgage rate
   and ``gross_rate_balance`` = sum of beginning pool balance x gross rate,
   each at the rate that applies to the month's interest (for the available
   funds rate and the WAC). Every period: ``begin - scheduled_principal -
   prepayment - liquidated = end`` and ``liquidated = recovery +
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
) = range(N_OUTPUTS)
# A scratch column after the outputs: the balance master servicing and trustee
# fees are charged on (performing + advanced delinquent), summed over loans.
_FEE_BALANCE = N_OUTPUTS
N_COLUMNS = N_OUTPUTS + 1

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
def _project_pool(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    index_rates, smm, mdr, severity,
    liquidation_lag, advancing, rounding,
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
    rounding : float
        Rate rounding increment [decimal]; 0 = none.
    out : float64[t, >= N_OUTPUTS]
        Filled: ``out[t - 1, OUT_*]`` (zeroed here first).
    """
    n_loans = balance.shape[0]
    n_periods = smm.shape[0]
    lag = liquidation_lag
    out[:, :] = 0.0
    # One ring buffer, reused loan after loan: pipeline[j] holds the balance that
    # defaulted ``lag`` months before the month whose index is j modulo lag.
    pipeline = np.zeros(max(lag, 1))
    # Survival factors of the payment, per month: P <- P * (1 - mdr) * (1 - smm).
    keep_default = 1.0 - mdr
    keep_prepay = 1.0 - smm
    fixed_fees = master_servicing_fee_rate + trustee_fee_rate

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
        advance_monthly = max(rate - svc, 0.0) / 12.0
        net_rate = rate - svc - lpmi - fixed_fees
        payment = _level_payment(performing, monthly, term)
        delinquent = 0.0
        months_after_payoff = 0
        for j in range(lag):
            pipeline[j] = 0.0

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
                    advance_monthly = max(rate - svc, 0.0) / 12.0
                    net_rate = rate - svc - lpmi - fixed_fees
                    payment = _level_payment(performing, monthly, term - t)
            row = out[t]
            begin = performing + delinquent
            row[OUT_BALANCE_BEGIN] += begin
            row[OUT_GROSS_RATE_BALANCE] += begin * rate
            row[OUT_NET_RATE_BALANCE] += begin * net_rate

            # -- 3. defaults, before scheduled principal.
            defaulted = performing * mdr[t]
            performing -= defaulted
            paying = performing  # the balance that pays interest this month
            payment *= keep_default[t]
            # -- 2. scheduled interest and principal on the performing balance.
            interest = performing * monthly
            if term - t <= 1:
                scheduled = performing  # last payment takes what is left
            else:
                scheduled = payment - interest
                if scheduled > performing:
                    scheduled = performing
            performing -= scheduled
            # -- 4. prepayments, after scheduled principal.
            prepaid = performing * smm[t]
            performing -= prepaid
            payment *= keep_prepay[t]

            # -- 3. the delinquency pipeline: liquidate the cohort that defaulted lag months ago.
            if lag == 0:
                liquidated = defaulted
            else:
                slot = t % lag
                liquidated = pipeline[slot]
                pipeline[slot] = defaulted
                delinquent += defaulted - liquidated
                if delinquent < 0.0:  # rounding residue once the pipeline is empty
                    delinquent = 0.0

            # -- 5. interest and fees.
            row[OUT_SCHEDULED_INTEREST] += interest
            row[OUT_SERVICING_FEE] += paying * (svc / 12.0)
            if advancing:
                row[OUT_ADVANCED_INTEREST] += delinquent * advance_monthly
                fee_balance = paying + delinquent
            else:
                fee_balance = paying
            row[_FEE_BALANCE] += fee_balance
            row[OUT_LPMI_PREMIUM] += fee_balance * (lpmi / 12.0)
            row[OUT_SCHEDULED_PRINCIPAL] += scheduled
            row[OUT_PREPAYMENT] += prepaid
            row[OUT_DEFAULT_BALANCE] += defaulted
            row[OUT_LIQUIDATED_BALANCE] += liquidated
            row[OUT_BALANCE_END] += performing + delinquent

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
        row[OUT_REALIZED_LOSS] = row[OUT_LIQUIDATED_BALANCE] * severity[t]
        row[OUT_RECOVERY] = row[OUT_LIQUIDATED_BALANCE] - row[OUT_REALIZED_LOSS]
        row[OUT_NET_INTEREST] = (
            row[OUT_SCHEDULED_INTEREST] + row[OUT_ADVANCED_INTEREST] - row[OUT_SERVICING_FEE]
            - row[OUT_MASTER_SERVICING_FEE] - row[OUT_TRUSTEE_FEE] - row[OUT_LPMI_PREMIUM]
        )
