"""Multi-path collateral kernel: loan-level behaviour driven by each rate / home-price path.

Numba only: plain arrays in, ``out`` filled, no exceptions, pandas, xarray or
random draws inside. The Python side (:mod:`stress.pool_paths`,
:mod:`stress.behaviour.prep`) validates inputs and lays them out.

Layout: ``# p = paths, l = loans, t = months``. Loans are the outer loop,
months the middle one, **paths the inner one**: each loan's state on every
path lives in small arrays of length ``p`` (balance, rate, payment, survival,
burnout, payment ratio, the delinquency pipeline as ring buffers of shape
``(lag + 1, p)``), so the inner loop runs over contiguous memory and the
per-loan-month work (reset dates, seasoning, penalty, age terms) is done once
for all paths. Path inputs arrive transposed so that paths are the last axis
(``index_rates[k, i, p]``, ``hpi[r, i, p]``, ``mortgage_rate[i, p]``,
``*_vector[i, p]``), and results are accumulated in ``acc[t, k, p]`` then
written to ``out[p, t, k]``. No loan x path x month array is ever built.

Conventions: exactly those of :mod:`stress.kernels.collateral` (timing, ARM
reset, level payment tracked by survival factors, default before scheduled
principal, prepayment after it, pipeline, advancing, fees, outputs), path by
path. ``mode`` selects where the monthly rates come from:

- ``0`` vectors: ``smm_vector``, ``mdr_vector`` are the SMM / MDR and
  ``severity_vector`` the severity in the month of liquidation, applied to the
  pool's liquidations as in ``_project_pool``. Mode 0 reproduces
  ``_project_pool`` bit for bit on each path given the same index path (same
  operations in the same order; paths that have paid off add exact zeros).
- ``1`` behaviour models: SMM, MDR and severity per loan, path and month from
  :mod:`stress.behaviour.prepayment`, ``default`` and ``severity`` (those
  modules document every form; this kernel is their fast twin). The vectors
  are ignored.
- ``2`` models x vectors: the model SMM, MDR and severity times
  ``smm_vector``, ``mdr_vector``, ``severity_vector`` (multipliers; the
  severity multiplier of the liquidation month), then held in [0, 1] (severity
  in [0, max_severity]).

Model state per path (modes 1 and 2), all at the start of the month:

- prevailing mortgage rate ``mortgage_rate[i, p]`` and HPI ``hpi[region, i, p]``
  of period index ``i`` (the value at month ``i`` = the start of period
  ``i + 1``; HPI is 1 at cut-off);
- the surviving borrower's scheduled balance ``performing / survival``
  (``survival`` = product of ``(1 - mdr)(1 - smm)``), hence the current LTV
  ``performing x inv_value / (survival x hpi)``;
- ``cum_incentive`` (burnout) sums ``max(incentive, 0)`` of earlier months;
- at each reset that changes the rate, ``shock = new payment / old payment - 1``
  (both on the same balance); ``payment_ratio *= 1 + shock``; the first
  reset's shock of a hybrid loan drives its prepayment spike.

Severity is computed when the loan defaults, for the cohort that defaulted
that month, from the HPI of the liquidation month (known: the path is an
input; clamped to the last column) and the rate at default, and stored with the
cohort in the ring buffer with its loss; advances are made on a cohort only if
it looks recoverable (see :mod:`stress.behaviour.severity`), tracked as a
second delinquent balance (the severity counts the lag's accrued interest
either way). Mode 1 and 2 round reset rates to 1/8% (``rounding`` as passed). Servicing options: ``coef[C_LOSS_FREE] = 1`` (the
90+ day buy-out at par) makes every model severity 0; the lag and the cost
are set on the Python side.

Transcendentals in the inner loop: the two logistics (refinance S-curve and
default hazard) read a 2049-point table with linear interpolation
(:mod:`stress.behaviour.logistic`, relative error < 3.1e-5, and the model
is defined that way); burnout is rational (one division); the seasoning ramp,
penalty, age term (one ``log``) and the spike window are per loan-month and
computed outside the path loop.

Extra output columns (after ``OUTPUT_NAMES`` of the one-path kernel):
``performing_balance_begin`` (performing balance at the start of the month,
the MDR base: ``MDR = default_balance / performing_balance_begin``) and
``prepayable_balance`` (performing balance after default and scheduled
principal, the SMM base: ``SMM = prepayment / prepayable_balance``).
"""

from __future__ import annotations

import math

import numpy as np

from stress.accelerate import kernel
from stress.kernels.collateral import (
    OUT_ADVANCED_INTEREST, OUT_BALANCE_BEGIN, OUT_BALANCE_END, OUT_DEFAULT_BALANCE, OUT_GROSS_RATE_BALANCE,
    OUT_LIQUIDATED_BALANCE, OUT_LPMI_PREMIUM, OUT_MASTER_SERVICING_FEE, OUT_NET_INTEREST, OUT_NET_RATE_BALANCE,
    OUT_PREPAYMENT, OUT_REALIZED_LOSS, OUT_RECOVERY, OUT_SCHEDULED_INTEREST, OUT_SCHEDULED_PRINCIPAL,
    OUT_SERVICING_FEE, OUT_TRUSTEE_FEE, OUTPUT_NAMES as POOL_OUTPUT_NAMES, _level_payment, _reset_rate,
)

OUTPUT_NAMES: tuple[str, ...] = POOL_OUTPUT_NAMES + ("performing_balance_begin", "prepayable_balance")
N_OUTPUTS = len(OUTPUT_NAMES)
OUT_PERFORMING_BEGIN = N_OUTPUTS - 2
OUT_PREPAYABLE = N_OUTPUTS - 1
_FEE_BALANCE = N_OUTPUTS  # scratch: balance the master servicing and trustee fees are charged on
N_COLUMNS = N_OUTPUTS + 1

MODE_VECTORS, MODE_MODELS, MODE_SCALED = 0, 1, 2

#: Coefficient vector layout (filled by :func:`stress.behaviour.prep.coefficients`).
COEF_NAMES: tuple[str, ...] = (
    "base_smm", "seasoning_months", "seasoning_floor", "refi_max", "refi_slope", "refi_midpoint", "burnout",
    "penalty_factor", "penalty_expiry_multiple", "penalty_expiry_months", "reset_spike_base",
    "reset_spike_per_shock", "reset_spike_lead_months", "reset_spike_months", "equity_slope", "equity_floor",
    "equity_cap", "prepay_ltv_reference", "max_smm",
    "age_peak_months", "age_slope", "ltv_slope", "default_ltv_reference", "payment_shock_slope", "max_mdr",
    "distressed_haircut", "liquidation_cost", "max_severity", "loss_free",
    "logistic_x0", "logistic_step",
)
(
    C_BASE_SMM, C_SEASONING_MONTHS, C_SEASONING_FLOOR, C_REFI_MAX, C_REFI_SLOPE, C_REFI_MID, C_BURNOUT,
    C_PENALTY_FACTOR, C_PENALTY_EXPIRY_MULT, C_PENALTY_EXPIRY_MONTHS, C_SPIKE_BASE,
    C_SPIKE_PER_SHOCK, C_SPIKE_LEAD, C_SPIKE_MONTHS, C_EQUITY_SLOPE, C_EQUITY_FLOOR,
    C_EQUITY_CAP, C_PREPAY_LTV_REF, C_MAX_SMM,
    C_AGE_PEAK, C_AGE_SLOPE, C_LTV_SLOPE, C_DEFAULT_LTV_REF, C_SHOCK_SLOPE, C_MAX_MDR,
    C_HAIRCUT, C_COST, C_MAX_SEVERITY, C_LOSS_FREE,
    C_LOGISTIC_X0, C_LOGISTIC_STEP,
) = range(len(COEF_NAMES))
N_COEF = len(COEF_NAMES)


@kernel
def _logistic(x, table, x0, inv_step):
    """Table logistic, same arithmetic as :func:`stress.behaviour.logistic.logistic`."""
    n = table.shape[0]
    u = (x - x0) * inv_step
    if u < 0.0:
        u = 0.0
    elif u > n - 1.0:
        u = n - 1.0
    j = int(u)  # u >= 0 here, so truncation is the floor
    if j > n - 2:
        j = n - 2
    frac = u - j
    lo = table[j]
    return lo + frac * (table[j + 1] - lo)


@kernel
def _project_pool_paths(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
    index_rates, mortgage_rate, hpi,
    smm_vector, mdr_vector, severity_vector,
    coef, logistic_table,
    mode, liquidation_lag, advancing, rounding,
    out,
):
    """Project a pool on ``p`` paths at once and accumulate pool cash flows per path and month.

    # p = paths, l = loans, t = months

    Parameters (validated by :func:`stress.pool_paths.project_pool_paths`)
    ----------
    balance ... trustee_fee_rate
        As :func:`stress.kernels.collateral._project_pool`.
    age : int64[l]
        Age at cut-off [months]; the age at period index ``i`` is ``age + i + 1``.
    region_id : int64[l]
        Row of ``hpi`` (0 national, 1 California).
    inv_value : float64[l]
        1 / original property value [1/USD].
    default_static : float64[l]
        Per-loan constant of the default logit.
    mi_coverage : float64[l]
        Primary MI coverage [decimal], 0 when uninsured.
    penalty_months : int64[l]
        Prepayment penalty term [months of loan age], 0 = none.
    spike_reset : int64[l]
        Period index of the first month at the first reset's rate for hybrids; -1 = no spike.
    index_rates : float64[4, >= T - 1, p]
        Index paths; an adjustment at month ``a`` observes ``index_rates[k, a - 1, p]``.
    mortgage_rate : float64[>= T, p]    (modes 1, 2)
    hpi : float64[r, >= T, p]           (modes 1, 2)
    smm_vector, mdr_vector, severity_vector : float64[T, p]
        Rates (mode 0) or multipliers (mode 2); ignored in mode 1.
    coef : float64[N_COEF]
        Model coefficients, indices ``C_*``.
    logistic_table : float64[n]
    mode : int
        0 vectors, 1 models, 2 models x vectors.
    liquidation_lag : int
        Effective lag [months].
    advancing : bool
    rounding : float
    out : float64[p, T, >= N_OUTPUTS]
        Filled (zeroed here first).
    """
    n_loans = balance.shape[0]
    n_paths = out.shape[0]
    n_periods = out.shape[1]
    n_hpi = hpi.shape[1]
    lag = liquidation_lag
    ring_len = lag + 1
    out[:, :, :] = 0.0
    acc = np.zeros((n_periods, N_COLUMNS, n_paths))
    fixed_fees = master_servicing_fee_rate + trustee_fee_rate
    models = mode != MODE_VECTORS
    scaled = mode == MODE_SCALED
    x0 = coef[C_LOGISTIC_X0]
    inv_step = 1.0 / coef[C_LOGISTIC_STEP]
    loss_free = coef[C_LOSS_FREE] != 0.0

    # Per-path state of the current loan (reused loan after loan).
    performing = np.empty(n_paths)
    rate = np.empty(n_paths)
    monthly = np.empty(n_paths)
    advance_monthly = np.empty(n_paths)
    net_rate = np.empty(n_paths)
    payment = np.empty(n_paths)
    delinquent = np.empty(n_paths)
    delinquent_adv = np.empty(n_paths)  # the part of ``delinquent`` the servicer advances on
    survival = np.empty(n_paths)
    cum_incentive = np.empty(n_paths)
    payment_ratio = np.empty(n_paths)
    first_shock = np.empty(n_paths)
    after_payoff = np.empty(n_paths, dtype=np.int64)
    # Ring buffers: slot (s + lag) % (lag + 1) holds the cohort defaulted in period index s.
    ring_balance = np.zeros((ring_len, n_paths))
    ring_advanced = np.zeros((ring_len, n_paths))
    ring_loss = np.zeros((ring_len, n_paths))

    for l in range(n_loans):
        svc = servicing_fee_rate[l]
        lpmi = lpmi_rate[l]
        k = index_id[l]
        term = remaining_term[l]
        next_reset = months_to_reset[l]
        freq = reset_frequency[l]
        cap = initial_cap[l]
        region = region_id[l]
        inv_v = inv_value[l]
        static = default_static[l]
        mi = mi_coverage[l]
        pen = penalty_months[l]
        spike_at = spike_reset[l]
        rate0 = gross_rate[l]
        monthly0 = rate0 / 12.0
        payment0 = _level_payment(balance[l], monthly0, term)
        for p in range(n_paths):
            performing[p] = balance[l]
            rate[p] = rate0
            monthly[p] = monthly0
            advance_monthly[p] = max(rate0 - svc, 0.0) / 12.0
            net_rate[p] = rate0 - svc - lpmi - fixed_fees
            payment[p] = payment0
            delinquent[p] = 0.0
            delinquent_adv[p] = 0.0
            survival[p] = 1.0
            cum_incentive[p] = 0.0
            payment_ratio[p] = 1.0
            first_shock[p] = 0.0
            after_payoff[p] = 0
        ring_balance[:, :] = 0.0
        ring_advanced[:, :] = 0.0
        ring_loss[:, :] = 0.0

        for t in range(n_periods):
            # -- 1. ARM reset (same for every path's timing; the rate is per path).
            if t == next_reset:
                for p in range(n_paths):
                    new_rate = _reset_rate(rate[p], index_rates[k, t - 1, p], margin[l], cap,
                                           min_rate[l], max_rate[l], rounding)
                    if new_rate != rate[p]:
                        rate[p] = new_rate
                        monthly[p] = new_rate / 12.0
                        advance_monthly[p] = max(new_rate - svc, 0.0) / 12.0
                        net_rate[p] = new_rate - svc - lpmi - fixed_fees
                        new_payment = _level_payment(performing[p], monthly[p], term - t)
                        if models and payment[p] > 0.0:
                            shock = new_payment / payment[p] - 1.0
                            payment_ratio[p] *= 1.0 + shock
                            if t == spike_at:  # the hybrid's first reset
                                first_shock[p] = shock
                        payment[p] = new_payment
                cap = periodic_cap[l]
                next_reset += freq

            # -- Per loan-month model terms (path independent).
            static_smm = 0.0
            spike_lead = 0.0
            spike_post = False
            logit_static = 0.0
            i_liq = 0
            i_sev = 0
            if models:
                loan_age = age[l] + t + 1
                seasoning = coef[C_SEASONING_FLOOR] + (1.0 - coef[C_SEASONING_FLOOR]) * loan_age \
                    / coef[C_SEASONING_MONTHS]
                if seasoning > 1.0:
                    seasoning = 1.0
                penalty = 1.0
                if pen > 0:
                    if loan_age <= pen:
                        penalty = coef[C_PENALTY_FACTOR]
                    elif loan_age <= pen + coef[C_PENALTY_EXPIRY_MONTHS]:
                        penalty = coef[C_PENALTY_EXPIRY_MULT]
                static_smm = coef[C_BASE_SMM] * seasoning * penalty
                if spike_at >= 0:
                    d = t - spike_at
                    if d < 0 and d >= -coef[C_SPIKE_LEAD]:
                        spike_lead = coef[C_SPIKE_BASE]
                    elif d >= 0 and d < coef[C_SPIKE_MONTHS]:
                        spike_post = True
                age_clamped = min(max(loan_age, 1.0), coef[C_AGE_PEAK])
                logit_static = static + coef[C_AGE_SLOPE] * math.log(age_clamped / coef[C_AGE_PEAK])
                i_liq = min(t + lag, n_hpi - 1)
                i_sev = min(t + lag, n_periods - 1)

            col = acc[t]
            done = 0
            for p in range(n_paths):
                perf = performing[p]
                # -- monthly rates for this loan, path and month.
                if mode == MODE_VECTORS:
                    mdr = mdr_vector[t, p]
                    smm_raw = 0.0
                    sev = 0.0
                    adv_ok = True
                else:
                    # One division for the current LTV; the LTV at HPI 1 follows by a product.
                    hpi_now = hpi[region, t, p]
                    if perf > 0.0 and survival[p] > 0.0:
                        ltv = perf * inv_v / (survival[p] * hpi_now)
                    else:
                        ltv = 0.0
                    ltv0 = ltv * hpi_now
                    # default
                    x = logit_static + coef[C_LTV_SLOPE] * (ltv - coef[C_DEFAULT_LTV_REF]) \
                        + coef[C_SHOCK_SLOPE] * (payment_ratio[p] - 1.0)
                    mdr = _logistic(x, logistic_table, x0, inv_step)
                    if mdr > coef[C_MAX_MDR]:
                        mdr = coef[C_MAX_MDR]
                    # prepayment
                    incentive = rate[p] - mortgage_rate[t, p]
                    s_curve = _logistic(coef[C_REFI_SLOPE] * (incentive - coef[C_REFI_MID]),
                                        logistic_table, x0, inv_step)
                    burn = 1.0 / (1.0 + coef[C_BURNOUT] * cum_incentive[p])
                    if incentive > 0.0:
                        cum_incentive[p] += incentive
                    equity = 1.0 + coef[C_EQUITY_SLOPE] * (coef[C_PREPAY_LTV_REF] - ltv)
                    equity = min(max(equity, coef[C_EQUITY_FLOOR]), coef[C_EQUITY_CAP])
                    spike = spike_lead
                    if spike_post:
                        spike = coef[C_SPIKE_BASE] + coef[C_SPIKE_PER_SHOCK] * max(first_shock[p], 0.0)
                    smm_raw = static_smm * equity * (1.0 + coef[C_REFI_MAX] * s_curve * burn + spike)
                    if smm_raw > coef[C_MAX_SMM]:
                        smm_raw = coef[C_MAX_SMM]
                    # severity of a default this month, at its liquidation month
                    adv_rate = max(rate[p] - svc, 0.0)
                    if loss_free or ltv0 <= 0.0:
                        sev = 0.0
                        adv_ok = advancing
                    else:
                        proceeds = (1.0 - coef[C_HAIRCUT]) * hpi[region, i_liq, p] / ltv0
                        advances = lag * adv_rate / 12.0
                        adv_ok = advancing and proceeds >= coef[C_COST] + advances
                        claim = 1.0 + coef[C_COST] + advances  # accrued interest counts, advanced or not
                        sev = claim - proceeds - mi * claim
                        if scaled:
                            sev *= severity_vector[i_sev, p]
                        sev = max(0.0, min(coef[C_MAX_SEVERITY], sev))
                    if scaled:
                        mdr = min(1.0, mdr * mdr_vector[t, p])
                        smm_raw = min(1.0, smm_raw * smm_vector[t, p])

                begin = perf + delinquent[p]
                col[OUT_BALANCE_BEGIN, p] += begin
                col[OUT_GROSS_RATE_BALANCE, p] += begin * rate[p]
                col[OUT_NET_RATE_BALANCE, p] += begin * net_rate[p]
                col[OUT_PERFORMING_BEGIN, p] += perf

                # -- 3. defaults, before scheduled principal.
                defaulted = perf * mdr
                perf -= defaulted
                paying = perf
                payment[p] *= 1.0 - mdr
                # -- 2. scheduled interest and principal.
                interest = perf * monthly[p]
                if term - t <= 1:
                    scheduled = perf
                else:
                    scheduled = payment[p] - interest
                    if scheduled > perf:
                        scheduled = perf
                perf -= scheduled
                col[OUT_PREPAYABLE, p] += perf
                # -- 4. prepayments, after scheduled principal.
                smm = smm_vector[t, p] if mode == MODE_VECTORS else smm_raw
                prepaid = perf * smm
                perf -= prepaid
                payment[p] *= 1.0 - smm
                survival[p] *= (1.0 - mdr) * (1.0 - smm)

                # -- 3. pipeline: file this month's cohort, liquidate the one due now.
                slot_in = (t + lag) % ring_len
                slot_out = t % ring_len
                ring_balance[slot_in, p] += defaulted
                if adv_ok:
                    ring_advanced[slot_in, p] += defaulted
                    adv_in = defaulted
                else:
                    adv_in = 0.0
                if models:
                    ring_loss[slot_in, p] += defaulted * sev
                liquidated = ring_balance[slot_out, p]
                liquidated_adv = ring_advanced[slot_out, p]
                ring_balance[slot_out, p] = 0.0
                ring_advanced[slot_out, p] = 0.0
                if lag > 0:  # lag 0: nothing stays delinquent (as the one-path kernel)
                    delinquent[p] += defaulted - liquidated
                    if delinquent[p] < 0.0:
                        delinquent[p] = 0.0
                    delinquent_adv[p] += adv_in - liquidated_adv
                    if delinquent_adv[p] < 0.0:
                        delinquent_adv[p] = 0.0
                if models:
                    col[OUT_REALIZED_LOSS, p] += ring_loss[slot_out, p]
                    ring_loss[slot_out, p] = 0.0

                # -- 5. interest and fees.
                col[OUT_SCHEDULED_INTEREST, p] += interest
                col[OUT_SERVICING_FEE, p] += paying * (svc / 12.0)
                if advancing:
                    col[OUT_ADVANCED_INTEREST, p] += delinquent_adv[p] * advance_monthly[p]
                    fee_balance = paying + delinquent_adv[p]
                else:
                    fee_balance = paying
                col[_FEE_BALANCE, p] += fee_balance
                col[OUT_LPMI_PREMIUM, p] += fee_balance * (lpmi / 12.0)
                col[OUT_SCHEDULED_PRINCIPAL, p] += scheduled
                col[OUT_PREPAYMENT, p] += prepaid
                col[OUT_DEFAULT_BALANCE, p] += defaulted
                col[OUT_LIQUIDATED_BALANCE, p] += liquidated
                col[OUT_BALANCE_END, p] += perf + delinquent[p]

                # Paid off on this path: once its pipeline is empty it only adds exact zeros.
                if perf <= 0.0 or t >= term - 1:
                    perf = 0.0
                    after_payoff[p] += 1
                    if after_payoff[p] > lag:
                        delinquent[p] = 0.0
                        delinquent_adv[p] = 0.0
                        done += 1
                performing[p] = perf
            if done == n_paths:
                break

    # Pool-level terms linear in pool sums; then out[p, t, k].
    for t in range(n_periods):
        col = acc[t]
        for p in range(n_paths):
            fee_balance = col[_FEE_BALANCE, p]
            col[OUT_MASTER_SERVICING_FEE, p] = fee_balance * (master_servicing_fee_rate / 12.0)
            col[OUT_TRUSTEE_FEE, p] = fee_balance * (trustee_fee_rate / 12.0)
            if not models:
                col[OUT_REALIZED_LOSS, p] = col[OUT_LIQUIDATED_BALANCE, p] * severity_vector[t, p]
            col[OUT_RECOVERY, p] = col[OUT_LIQUIDATED_BALANCE, p] - col[OUT_REALIZED_LOSS, p]
            col[OUT_NET_INTEREST, p] = (
                col[OUT_SCHEDULED_INTEREST, p] + col[OUT_ADVANCED_INTEREST, p] - col[OUT_SERVICING_FEE, p]
                - col[OUT_MASTER_SERVICING_FEE, p] - col[OUT_TRUSTEE_FEE, p] - col[OUT_LPMI_PREMIUM, p]
            )
    n_out = min(out.shape[2], N_COLUMNS)
    for p in range(n_paths):
        for t in range(n_periods):
            for c in range(n_out):
                out[p, t, c] = acc[t, c, p]
