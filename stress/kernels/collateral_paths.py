"""Multi-path collateral kernel: loan-level behaviour driven by each rate / home-price path.

Numba only: plain arrays in, ``out`` filled, no exceptions, pandas or xarray
inside; random draws only as counter-based uniforms of (seed, path, loan, month)
(loan-level draws, pass D: :mod:`stress.kernels.counter_rng`). The Python side (:mod:`stress.pool_paths`,
:mod:`stress.behaviour.prep`) validates inputs and lays them out.

Layout: ``# p = paths, l = loans, t = months``. Paths are cut into tiles of
``TILE`` (32); within a tile loans are the outer loop, months the middle one,
**paths the inner one**: each loan's state on the tile's paths lives in rows
of one small flat array (balance, rate, payment, survival, burnout, payment
ratio, ...; the delinquency pipeline in ring buffers), so the inner loops run
over contiguous memory and the per-loan-month work (reset dates, seasoning,
penalty, age terms) is done once for all paths of the tile. Path inputs
arrive transposed so that paths are the last axis (``index_rates[k, i, p]``,
``hpi[r, i, p]``, ``mortgage_rate[i, p]``, ``*_vector[i, p]``), and results
are accumulated per tile in ``acc[t, k, q]`` then written to ``out[p, t, k]``.
No loan x path x month array is ever built.

Designed for speed (issue 10; figures from ``python -m benchmarks``, 3,951
loans, one core of the 2-core AMD EPYC dev machine, M loan-months/s, mode 0 /
mode 1):

1. before: one loop over all ``p`` paths, a dozen separate state arrays,
   branches that store conditionally: 36 / 18 at 100 paths, 11 / 9 at 512
   (the ``acc`` of all paths, 20 columns x months x p, fell out of cache);
2. tiles of 32 paths: 57 / 35, flat in the number of paths;
3. state as rows of one flat array with a compile-time row length, every
   inner loop free of conditional stores, the hazards split from the cash
   flows (passes below), views with constant offsets for the ring and the
   accumulator (numba's negative-index wraparound on a computed offset hid
   the access pattern from LLVM): the loops vectorize (AVX-512, 8 lanes):
   100-117 / 57-67 (about 9 / 16 ns per loan-month);
4. in the engine, a to-call run stops the projection at the call date
   (:func:`stress.engine.collateral_horizon`): 122 of 372 months.

Each month of a loan runs a few short loops over the tile: the month's path
inputs copied into the state; pass A1, the models' arguments (LTV, burnout,
equity, spike); pass A2, the two table logistics (scalar: a gather); pass A3,
SMM, MDR, severity; pass B0, the cohort due out of the pipeline; pass B, the
cash flows. In mode 1 about 55% of the time is pass B (16 accumulators read
and written per path and month), 23% the logistics, 22% the rest of the
models. A loan leaves the month loop once its pipeline is empty after its
last scheduled payment, or earlier once it has left on every path of the tile
(the EXIT test at the end of the month).

Loan-level draws (``draws``; the scenario's ``[randomness] collateral_draws =
"loan"``): pass D, after the month's SMM and MDR (and the mode-2 multipliers),
turns each lane's MDR and SMM into 0 / 1 by one uniform (default if ``u <
MDR``, prepay in full if ``u < MDR + (1 - MDR) x SMM``; see
:func:`stress.kernels.counter_rng.draw_pass`); pass B then runs unchanged.
With expected values (the default) every loan keeps a fractional balance on
every path to its term; with draws a loan leaves a path whole and the tile
once every path has seen it leave.

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
  reset's shock of a hybrid loan drives its prepayment spike;
- prepayment's credit multiple reads the national drawdown
  ``1 - hpi[0] / S_NAT_PEAK`` of the month (``S_NAT_PEAK``: the running maximum
  of the national HPI, region 0, on the path; updated first, so the drawdown
  is >= 0), and its refinance gate the current LTV; the gate multiplies the
  burnout and spike rows in pass A1, the credit multiple the SMM base.

Severity is computed when the loan defaults, for the cohort that defaulted
that month, from the HPI of the liquidation month (known: the path is an
input; clamped to the last column) and the rate at default, and stored with the
cohort in the ring buffer with its loss; advances (interest and scheduled
principal, the one-path kernel's convention 3) are made on a cohort only if it
looks recoverable (see :mod:`stress.behaviour.severity`), and such a cohort is
kept in units of the loan's scheduled balance so that it amortizes (the
severity counts the lag's accrued interest either way). The drawdown that
deepens the REO discount and lengthens the foreclosure timeline is measured
from ``S_HPI_PEAK``, the running maximum of the loan's regional HPI on each
path (1 at cut-off), updated in pass A1. In mode 0 the loss is the severity
vector of the liquidation month, as in the one-path kernel. Reset rates are
rounded by ``rounding`` (the deal file's ``rate_rounding``).

Servicer options (:mod:`stress.servicing`, ``options``; pass A4, skipped when
all are off): each month's cohort is split among the 1% purchase, the 90+ day
buy-out, the fair-value sale and foreclosure, in that order, each part filed in
the ring at the month it leaves. With the models the ``"value"`` rules read the
path: the buy-out and purchase compare the home at the HPI of their month
(``ltv0``, less ``liquidation_cost``) with the Repurchase Price; the
fair-value sale compares its severity (``fair_value_cost``, its months of
interest and carrying cost with no timeline extension, the drawdown discount
at the HPI of its month, the mode-2 multiplier of its month) with the
foreclosure severity. In mode 0 they are the one-path kernel's tests.

Transcendentals in the inner loop: none. The two logistics (refinance S-curve
and default hazard) read a 2049-point table with linear interpolation
(:mod:`stress.behaviour.logistic`, relative error < 3.1e-5, and the model
is defined that way); burnout is rational (one division); the level payment
is tracked by survival factors (an annuity with ``expm1`` / ``log1p`` only at
a rate change); the seasoning ramp, penalty, age term (one ``log``, skipped
past the peak age) and the spike window are per loan-month and computed
outside the path loop.

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
from stress.kernels.counter_rng import draw_pass
from stress.kernels.collateral import (
    N_RING, OUT_ADVANCED_INTEREST,
    OUT_ADVANCED_PRINCIPAL, OUT_BALANCE_BEGIN, OUT_BALANCE_END, OUT_DEFAULT_BALANCE, OUT_GROSS_RATE_BALANCE,
    OUT_LIQUIDATED_BALANCE, OUT_LPMI_PREMIUM, OUT_MASTER_SERVICING_FEE, OUT_NET_INTEREST, OUT_NET_RATE_BALANCE,
    OUT_PREPAYMENT, OUT_REALIZED_LOSS, OUT_RECOVERY, OUT_REPURCHASE_INTEREST, OUT_REPURCHASED_BALANCE,
    OUT_SCHEDULED_INTEREST, OUT_SCHEDULED_PRINCIPAL, OUT_SERVICING_FEE, OUT_TRUSTEE_FEE,
    OUTPUT_NAMES as POOL_OUTPUT_NAMES, R_BUY_INTEREST, R_BUY_NA, R_BUY_UNITS, R_LOSS, R_NA, R_UNITS, _exercised,
    _level_payment, _option_terms, _reset_rate, _vector_value_covers_price,
)

OUTPUT_NAMES: tuple[str, ...] = POOL_OUTPUT_NAMES + ("performing_balance_begin", "prepayable_balance")
N_OUTPUTS = len(OUTPUT_NAMES)
OUT_PERFORMING_BEGIN = N_OUTPUTS - 2
OUT_PREPAYABLE = N_OUTPUTS - 1
_FEE_BALANCE = N_OUTPUTS  # scratch: balance the master servicing and trustee fees are charged on
_PURCHASE_ELIGIBLE = N_OUTPUTS + 1  # scratch: new defaults the 1% purchase rule selects
N_COLUMNS = N_OUTPUTS + 2

MODE_VECTORS, MODE_MODELS, MODE_SCALED = 0, 1, 2

#: Paths per tile: the kernel runs the pool on ``TILE`` paths at a time, so the
#: accumulator ``acc[t, k, q]`` of one tile (months x 20 columns x 32 paths,
#: 0.6 MB at 122 months, 1.9 MB at 372) stays in the L2 / L3 cache while every
#: loan sweeps it; 512 paths at once fell to a fifth of the speed (memory bound).
TILE = 32

# Rows of the per-tile state ``st[S_*, q]`` (one array, so the vectorizer sees
# fixed distances between rows instead of a dozen arrays that might alias).
(
    S_PERFORMING, S_RATE, S_MONTHLY, S_ADVANCE_MONTHLY, S_NET_RATE, S_PAYMENT, S_DEL_NA, S_DEL_UNITS,
    S_SURVIVAL, S_CUM_INCENTIVE, S_PAYMENT_RATIO, S_FIRST_SHOCK, S_AFTER_PAYOFF, S_MDR, S_SMM, S_SEV, S_ADV_OK,
    S_UNIT, S_UNIT_PAYMENT,
    # per month inputs and intermediates of the models and the servicer options
    S_HPI_NOW, S_HPI_LIQ, S_MORTGAGE_RATE, S_SEV_MULT, S_X_DEFAULT, S_X_REFI, S_LTV0, S_BURN, S_SPIKE, S_SMM_BASE,
    S_SEV_FV, S_FRAC_PURCHASE, S_FRAC_BUYOUT, S_FRAC_FAIR_VALUE, S_ELIGIBLE, S_DEFAULTED, S_INV_UNIT,
    # the month's cohorts due out of the ring (pass B0)
    S_OUT_NA, S_OUT_UNITS, S_OUT_LOSS, S_OUT_BUY_NA, S_OUT_BUY_UNITS, S_OUT_BUY_INTEREST,
    # running maximum of the loan's regional HPI on the path since cut-off (the drawdown's base)
    S_HPI_PEAK,
    # the path's national HPI and its running maximum since cut-off (credit availability, prepayment)
    S_HPI_NAT, S_NAT_PEAK,
) = range(45)
N_STATE = 45
# Ring buffers ``ring[(slot * N_RING + R_*) * TILE + q]`` (rows as the one-path kernel's):
# slot (s + offset) % (lag + 1) holds the part of the cohort defaulted in period index s that leaves
# ``offset`` months later (lag: foreclosure; the option months: the servicer's routes).

#: Coefficient vector layout (filled by :func:`stress.behaviour.prep.coefficients`).
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


@kernel
def _logistic(x, table, x0, inv_step):
    """Table logistic, same arithmetic as :func:`stress.behaviour.logistic.logistic` (min / max, no branch)."""
    n = table.shape[0]
    u = min(max((x - x0) * inv_step, 0.0), n - 1.0)
    j = min(int(u), n - 2)  # u >= 0 here, so truncation is the floor
    lo = table[j]
    return lo + (u - j) * (table[j + 1] - lo)


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
    mode, liquidation_lag, advancing, rounding, options, purchase_share,
    out,
    draws, seed, path_ids,
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
        Interest and scheduled principal advanced on delinquent loans.
    rounding : float
    options : float64[N_OPTIONS]
        Servicer options (:data:`stress.kernels.collateral.OPTION_NAMES`).
    purchase_share : float64[T, p]
        Share of each month's eligible new defaults bought under the 1% option.
    out : float64[p, T, >= N_OUTPUTS]
        Filled (zeroed here first).
    draws : bool
        Loan-level draws (:func:`stress.kernels.counter_rng.draw_pass`): each
        loan defaults, prepays in full or stays in each month on each path by
        one uniform from its MDR and SMM; False: expected values (fractions).
    seed : uint64
        The draws' key (the run's seed); ignored without draws.
    path_ids : int64[p]
        Global index of each path (the draws' counter), so a path's draws do
        not depend on its chunk; ignored without draws.
    """
    n_paths = out.shape[0]
    n_periods = out.shape[1]
    out[:, :, :] = 0.0
    # Flat scratch with compile-time row strides (TILE): see _project_tile.
    acc = np.zeros(n_periods * N_COLUMNS * TILE)
    st = np.zeros(N_STATE * TILE)
    ring = np.zeros((liquidation_lag + 1) * N_RING * TILE)
    u_buf = np.zeros(4 * TILE)  # loan-level draws: each lane's block of four months' uniforms
    words = np.zeros(4 * TILE, dtype=np.uint64)  # and the generator's words
    for p0 in range(0, n_paths, TILE):
        n_tile = min(TILE, n_paths - p0)
        _project_tile(
            balance, gross_rate, servicing_fee_rate, lpmi_rate,
            margin, index_id, months_to_reset, reset_frequency,
            initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
            master_servicing_fee_rate, trustee_fee_rate,
            age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
            index_rates, mortgage_rate, hpi,
            smm_vector, mdr_vector, severity_vector,
            coef, logistic_table,
            mode, liquidation_lag, advancing, rounding, options, purchase_share,
            p0, n_tile, acc, st, ring,
            draws, seed, path_ids, u_buf, words,
        )
        # Pool-level terms linear in pool sums; then out[p, t, k].
        n_out = min(out.shape[2], N_COLUMNS)
        acc3 = acc.reshape((n_periods, N_COLUMNS, TILE))
        for t in range(n_periods):
            col = acc3[t]
            for q in range(n_tile):
                fee_balance = col[_FEE_BALANCE, q]
                col[OUT_MASTER_SERVICING_FEE, q] = fee_balance * (master_servicing_fee_rate / 12.0)
                col[OUT_TRUSTEE_FEE, q] = fee_balance * (trustee_fee_rate / 12.0)
                col[OUT_RECOVERY, q] = col[OUT_LIQUIDATED_BALANCE, q] - col[OUT_REALIZED_LOSS, q]
                col[OUT_NET_INTEREST, q] = (
                    col[OUT_SCHEDULED_INTEREST, q] + col[OUT_ADVANCED_INTEREST, q] + col[OUT_REPURCHASE_INTEREST, q]
                    - col[OUT_SERVICING_FEE, q] - col[OUT_MASTER_SERVICING_FEE, q] - col[OUT_TRUSTEE_FEE, q]
                    - col[OUT_LPMI_PREMIUM, q]
                )
        for q in range(n_tile):
            for t in range(n_periods):
                for c in range(n_out):
                    out[p0 + q, t, c] = acc3[t, c, q]


@kernel
def _project_tile(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
    index_rates, mortgage_rate, hpi,
    smm_vector, mdr_vector, severity_vector,
    coef, logistic_table,
    mode, liquidation_lag, advancing, rounding, options, purchase_share,
    p0, n_tile, acc, st, ring,
    draws, seed, path_ids, u_buf, words,
):
    """Paths ``p0 .. p0 + n_tile - 1`` (one tile): fill ``acc`` (zeroed here), ``q = p - p0``.

    # q = paths of the tile, l = loans, t = months

    Scratch, all flat float64 with row length ``TILE`` (a compile-time
    constant, so the vectorizer sees fixed distances between rows of one array
    instead of a dozen arrays that might alias): ``acc[(t * N_COLUMNS + k) *
    TILE + q]``, ``st[S_* * TILE + q]``, ``ring[(slot * N_RING + R_*) * TILE + q]``.

    Each month of a loan runs a few short loops over ``q``, each touching one
    or two arrays and storing unconditionally, so LLVM vectorizes them (AVX2 /
    AVX-512): copy the month's path inputs into ``st``; pass A1, the model
    arguments; pass A2, the two table logistics (a gather from the table: kept
    scalar); pass A3, the rates; pass B, the cash flows. The rare ARM reset
    (``pow``-like annuity, per path) stays scalar.
    """
    n_loans = balance.shape[0]
    n_periods = acc.shape[0] // (N_COLUMNS * TILE)
    n_hpi = hpi.shape[1]
    lag = liquidation_lag
    ring_len = lag + 1
    acc[:] = 0.0
    fixed_fees = master_servicing_fee_rate + trustee_fee_rate
    models = mode != MODE_VECTORS
    scaled = mode == MODE_SCALED
    adv_flag = 1.0 if advancing else 0.0
    x0 = coef[C_LOGISTIC_X0]
    inv_step = 1.0 / coef[C_LOGISTIC_STEP]
    fv_cost = coef[C_FV_COST]
    # With every option off the routes' fractions stay 0 and their pass is skipped (any_option).
    (buy_share, buy_by_value, buy_m, fv_share, fv_by_value, fv_m, pur_by_value, pur_m,
     any_option) = _option_terms(options)
    ltv_slope = coef[C_LTV_SLOPE]
    ltv_ref = coef[C_DEFAULT_LTV_REF]
    shock_slope = coef[C_SHOCK_SLOPE]
    max_mdr = coef[C_MAX_MDR]
    refi_slope = coef[C_REFI_SLOPE]
    refi_mid = coef[C_REFI_MID]
    refi_max = coef[C_REFI_MAX]
    burnout = coef[C_BURNOUT]
    equity_slope = coef[C_EQUITY_SLOPE]
    prepay_ltv_ref = coef[C_PREPAY_LTV_REF]
    equity_floor = coef[C_EQUITY_FLOOR]
    equity_cap = coef[C_EQUITY_CAP]
    refi_ltv_zero = coef[C_REFI_LTV_ZERO]
    refi_gate_inv_width = coef[C_REFI_GATE_INV_WIDTH]
    credit_slope = coef[C_CREDIT_SLOPE]
    credit_floor = coef[C_CREDIT_FLOOR]
    spike_base = coef[C_SPIKE_BASE]
    spike_per_shock = coef[C_SPIKE_PER_SHOCK]
    max_smm = coef[C_MAX_SMM]
    haircut = coef[C_HAIRCUT]
    cost = coef[C_COST]
    max_severity = coef[C_MAX_SEVERITY]
    age_peak = coef[C_AGE_PEAK]
    neg_equity_slope = coef[C_NEG_EQUITY_SLOPE]
    haircut_per_decline = coef[C_HAIRCUT_PER_DECLINE]
    carry_rate = coef[C_CARRY_RATE]
    timeline_per_decline = coef[C_TIMELINE_PER_DECLINE]
    max_extension = coef[C_MAX_EXTENSION]
    # Row offsets into st.
    o_perf = S_PERFORMING * TILE
    o_rate = S_RATE * TILE
    o_monthly = S_MONTHLY * TILE
    o_adv_monthly = S_ADVANCE_MONTHLY * TILE
    o_net = S_NET_RATE * TILE
    o_pay = S_PAYMENT * TILE
    o_del_na = S_DEL_NA * TILE
    o_del_units = S_DEL_UNITS * TILE
    o_unit = S_UNIT * TILE
    o_unit_pay = S_UNIT_PAYMENT * TILE
    o_sev_fv = S_SEV_FV * TILE
    o_g = S_FRAC_PURCHASE * TILE
    o_b = S_FRAC_BUYOUT * TILE
    o_f = S_FRAC_FAIR_VALUE * TILE
    o_elig = S_ELIGIBLE * TILE
    o_def = S_DEFAULTED * TILE
    o_inv_unit = S_INV_UNIT * TILE
    o_out_na = S_OUT_NA * TILE
    o_out_units = S_OUT_UNITS * TILE
    o_out_loss = S_OUT_LOSS * TILE
    o_out_buy_na = S_OUT_BUY_NA * TILE
    o_out_buy_units = S_OUT_BUY_UNITS * TILE
    o_out_buy_int = S_OUT_BUY_INTEREST * TILE
    o_surv = S_SURVIVAL * TILE
    o_cum = S_CUM_INCENTIVE * TILE
    o_ratio = S_PAYMENT_RATIO * TILE
    o_first = S_FIRST_SHOCK * TILE
    o_after = S_AFTER_PAYOFF * TILE
    o_mdr = S_MDR * TILE
    o_smm = S_SMM * TILE
    o_sev = S_SEV * TILE
    o_adv_ok = S_ADV_OK * TILE
    o_hpi = S_HPI_NOW * TILE
    o_hpi_liq = S_HPI_LIQ * TILE
    o_mrate = S_MORTGAGE_RATE * TILE
    o_sev_mult = S_SEV_MULT * TILE
    o_xd = S_X_DEFAULT * TILE
    o_xr = S_X_REFI * TILE
    o_ltv0 = S_LTV0 * TILE
    o_burn = S_BURN * TILE
    o_spike = S_SPIKE * TILE
    o_smm_base = S_SMM_BASE * TILE
    o_peak = S_HPI_PEAK * TILE
    o_hpi_nat = S_HPI_NAT * TILE
    o_nat_peak = S_NAT_PEAK * TILE
    # lag 0: a cohort liquidates in its month and never enters the ring (see pass B).
    filed = 1.0 if lag > 0 else 0.0
    for q in range(TILE):
        st[o_sev_mult + q] = 1.0  # mode 1: no severity multiplier (x 1.0 is exact)
        st[o_sev_fv + q] = 0.0
        st[o_g + q] = 0.0  # the options' fractions: 0 unless pass A4 sets them
        st[o_b + q] = 0.0
        st[o_f + q] = 0.0
        st[o_elig + q] = 0.0
        st[o_out_buy_na + q] = 0.0  # the bought rows stay 0 unless an option is on (pass B0)
        st[o_out_buy_units + q] = 0.0
        st[o_out_buy_int + q] = 0.0

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
        unit_payment0 = _level_payment(1.0, monthly0, term)
        svc_monthly = svc / 12.0
        lpmi_monthly = lpmi / 12.0
        for q in range(TILE):
            st[o_perf + q] = balance[l]
            st[o_rate + q] = rate0
            st[o_monthly + q] = monthly0
            st[o_adv_monthly + q] = max(rate0 - svc, 0.0) / 12.0
            st[o_net + q] = rate0 - svc - lpmi - fixed_fees
            st[o_pay + q] = payment0
            st[o_del_na + q] = 0.0
            st[o_del_units + q] = 0.0
            st[o_unit + q] = 1.0
            st[o_unit_pay + q] = unit_payment0
            st[o_surv + q] = 1.0
            st[o_cum + q] = 0.0
            st[o_ratio + q] = 1.0
            st[o_first + q] = 0.0
            st[o_after + q] = 0.0
            st[o_sev + q] = 0.0
            st[o_adv_ok + q] = 1.0
            st[o_peak + q] = 1.0  # HPI at cut-off: the drawdown is measured from the path's peak since then
            st[o_nat_peak + q] = 1.0
        ring[:] = 0.0

        # A loan's pipeline is empty ``lag`` months after its last scheduled payment: later months add
        # exact zeros, so the loan leaves the loop there (paths that paid off earlier add zeros meanwhile).
        t_end = min(n_periods, max(term, 1) + lag)
        for t in range(t_end):
            # -- 1. ARM reset (same timing on every path; the rate is per path). Rare: scalar.
            if t == next_reset:
                for q in range(n_tile):
                    old = st[o_rate + q]
                    new_rate = _reset_rate(old, index_rates[k, t - 1, p0 + q], margin[l], cap,
                                           min_rate[l], max_rate[l], rounding)
                    if new_rate != old:
                        st[o_rate + q] = new_rate
                        st[o_monthly + q] = new_rate / 12.0
                        st[o_adv_monthly + q] = max(new_rate - svc, 0.0) / 12.0
                        st[o_net + q] = new_rate - svc - lpmi - fixed_fees
                        new_payment = _level_payment(st[o_perf + q], new_rate / 12.0, term - t)
                        st[o_unit_pay + q] = _level_payment(st[o_unit + q], new_rate / 12.0, term - t)
                        pay_old = st[o_pay + q]
                        if models and pay_old > 0.0:
                            shock = new_payment / pay_old - 1.0
                            st[o_ratio + q] *= 1.0 + shock
                            if t == spike_at:  # the hybrid's first reset
                                st[o_first + q] = shock
                        st[o_pay + q] = new_payment
                cap = periodic_cap[l]
                next_reset += freq

            # -- 2. monthly rates for this loan and month on every path of the tile.
            if models:
                # Per loan-month model terms (path independent).
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
                spike_lead = 0.0
                spike_post = False
                if spike_at >= 0:
                    d = t - spike_at
                    if d < 0 and d >= -coef[C_SPIKE_LEAD]:
                        spike_lead = coef[C_SPIKE_BASE]
                    elif d >= 0 and d < coef[C_SPIKE_MONTHS]:
                        spike_post = True
                age_clamped = min(max(loan_age, 1.0), age_peak)
                # log(1) = 0 exactly: past the peak age the transcendental is skipped.
                age_log = 0.0 if age_clamped == age_peak else math.log(age_clamped / age_peak)
                logit_static = static + coef[C_AGE_SLOPE] * age_log
                i_liq = min(t + lag, n_hpi - 1)
                i_sev = min(t + lag, n_periods - 1)

                # The month's path inputs, contiguous.
                for q in range(n_tile):
                    st[o_hpi + q] = hpi[region, t, p0 + q]
                for q in range(n_tile):
                    st[o_hpi_liq + q] = hpi[region, i_liq, p0 + q]
                for q in range(n_tile):
                    st[o_hpi_nat + q] = hpi[0, t, p0 + q]  # national (region 0): credit availability
                for q in range(n_tile):
                    st[o_mrate + q] = mortgage_rate[t, p0 + q]
                if scaled:
                    for q in range(n_tile):
                        st[o_sev_mult + q] = severity_vector[i_sev, p0 + q]

                # Pass A1: the logistics' arguments, burnout, LTV, spike.
                for q in range(n_tile):
                    perf = st[o_perf + q]
                    surv = st[o_surv + q]
                    hpi_now = st[o_hpi + q]
                    # One division for the current LTV; the LTV at HPI 1 follows by a product.
                    ltv = perf * inv_v / (surv * hpi_now) if perf > 0.0 and surv > 0.0 else 0.0
                    st[o_ltv0 + q] = ltv * hpi_now
                    st[o_peak + q] = max(st[o_peak + q], hpi_now)
                    st[o_xd + q] = logit_static + ltv_slope * (ltv - ltv_ref) \
                        + neg_equity_slope * max(ltv - 1.0, 0.0) + shock_slope * (st[o_ratio + q] - 1.0)
                    incentive = st[o_rate + q] - st[o_mrate + q]
                    st[o_xr + q] = refi_slope * (incentive - refi_mid)
                    cum = st[o_cum + q]
                    st[o_burn + q] = 1.0 / (1.0 + burnout * cum)
                    st[o_cum + q] = cum + incentive if incentive > 0.0 else cum
                    equity = 1.0 + equity_slope * (prepay_ltv_ref - ltv)
                    equity = min(max(equity, equity_floor), equity_cap)
                    # refinancing needs equity (gate) and a lender: credit falls with the national drawdown
                    gate = min(max((refi_ltv_zero - ltv) * refi_gate_inv_width, 0.0), 1.0)
                    hpi_nat = st[o_hpi_nat + q]
                    nat_peak = max(st[o_nat_peak + q], hpi_nat)
                    st[o_nat_peak + q] = nat_peak
                    credit = max(credit_floor, 1.0 - credit_slope * (1.0 - hpi_nat / nat_peak))
                    spike = spike_base + spike_per_shock * max(st[o_first + q], 0.0) if spike_post \
                        else spike_lead
                    st[o_smm_base + q] = static_smm * equity * credit
                    st[o_burn + q] *= gate
                    st[o_spike + q] = spike * gate
                # Pass A2: the table logistics (a gather from the table: LLVM cannot bound its index against
                # the stores, so this loop stays scalar; branch-free, so it does not mispredict).
                for q in range(n_tile):
                    st[o_mdr + q] = _logistic(st[o_xd + q], logistic_table, x0, inv_step)
                    st[o_xr + q] = _logistic(st[o_xr + q], logistic_table, x0, inv_step)
                # Pass A3: SMM, MDR, severity.
                for q in range(n_tile):
                    mdr = st[o_mdr + q]
                    st[o_mdr + q] = mdr if mdr <= max_mdr else max_mdr
                    smm = st[o_smm_base + q] * (1.0 + refi_max * st[o_xr + q] * st[o_burn + q] + st[o_spike + q])
                    st[o_smm + q] = smm if smm <= max_smm else max_smm
                    # severity of a default this month, at its liquidation month
                    ltv0 = st[o_ltv0 + q]
                    adv_rate = max(st[o_rate + q] - svc, 0.0)
                    adv_amount = lag * adv_rate / 12.0  # advances over the lag
                    hpi_liq = st[o_hpi_liq + q]
                    # the path's drawdown from its peak: a deeper REO discount and a longer timeline
                    decline = max(0.0, 1.0 - hpi_liq / st[o_peak + q])
                    proceeds = (1.0 - (haircut + haircut_per_decline * decline)) * hpi_liq \
                        / (ltv0 if ltv0 > 0.0 else 1.0)
                    months = lag + min(timeline_per_decline * decline, max_extension)
                    # accrued interest counts, advanced or not, with taxes, insurance and upkeep
                    claim = 1.0 + cost + months * (adv_rate + carry_rate) / 12.0
                    sev = (claim - proceeds - mi * claim) * st[o_sev_mult + q]
                    sev = max(0.0, min(max_severity, sev))
                    no_loss = ltv0 <= 0.0
                    st[o_sev + q] = 0.0 if no_loss else sev
                    st[o_adv_ok + q] = 1.0 if advancing and (no_loss or proceeds >= cost + adv_amount) else 0.0
                if scaled:
                    for q in range(n_tile):
                        st[o_mdr + q] = min(1.0, st[o_mdr + q] * mdr_vector[t, p0 + q])
                        st[o_smm + q] = min(1.0, st[o_smm + q] * smm_vector[t, p0 + q])
                # Pass A4 (options on): the servicer's routes for a default this month. Scalar (rare path).
                if any_option:
                    i_fv = min(t + fv_m, n_hpi - 1)
                    i_buy = min(t + buy_m, n_hpi - 1)
                    i_pur = min(t + pur_m, n_hpi - 1)
                    i_fv_sev = min(t + fv_m, n_periods - 1)
                    for q in range(n_tile):
                        ltv0 = st[o_ltv0 + q]
                        denom = ltv0 if ltv0 > 0.0 else 1.0
                        adv_rate = max(st[o_rate + q] - svc, 0.0)
                        # fair-value sale: its cost, its months of accrued interest and carrying cost (no
                        # timeline extension: no foreclosure), the HPI of its month and its drawdown discount
                        hpi_fv = hpi[region, i_fv, p0 + q]
                        decline = max(0.0, 1.0 - hpi_fv / st[o_peak + q])
                        claim = 1.0 + fv_cost + fv_m * (adv_rate + carry_rate) / 12.0
                        proceeds = (1.0 - (haircut + haircut_per_decline * decline)) * hpi_fv / denom
                        mult = severity_vector[i_fv_sev, p0 + q] if scaled else 1.0
                        sev_fv = max(0.0, min(max_severity, (claim - proceeds - mi * claim) * mult))
                        sev_fv = 0.0 if ltv0 <= 0.0 else sev_fv
                        st[o_sev_fv + q] = sev_fv
                        # buy-out and purchase: the home at the path's HPI, less costs, vs the Repurchase Price
                        pays_buy = hpi[region, i_buy, p0 + q] / denom * (1.0 - cost) >= 1.0 + buy_m * adv_rate / 12.0
                        pays_pur = hpi[region, i_pur, p0 + q] / denom * (1.0 - cost) >= 1.0 + pur_m * adv_rate / 12.0
                        st[o_g + q] = _exercised(purchase_share[t, p0 + q], pur_by_value, pays_pur, pur_m < lag)
                        st[o_elig + q] = 1.0 if pur_m < lag and (pays_pur or not pur_by_value) else 0.0
                        st[o_b + q] = _exercised(buy_share, buy_by_value, pays_buy, buy_m < lag)
                        st[o_f + q] = _exercised(fv_share, fv_by_value, sev_fv <= st[o_sev + q], fv_m < lag)
            else:
                for q in range(n_tile):
                    st[o_mdr + q] = mdr_vector[t, p0 + q]
                for q in range(n_tile):
                    st[o_smm + q] = smm_vector[t, p0 + q]
                # The vectors' severity of the liquidation month, for the cohort's loss.
                i_sev = min(t + lag, n_periods - 1)
                for q in range(n_tile):
                    st[o_sev + q] = severity_vector[i_sev, p0 + q]
                    st[o_adv_ok + q] = adv_flag
                if any_option:  # as the one-path kernel: recovery 1 - severity vs the Repurchase Price
                    i_fv_sev = min(t + fv_m, n_periods - 1)
                    for q in range(n_tile):
                        sev_fc = st[o_sev + q]
                        sev_fv = severity_vector[i_fv_sev, p0 + q]
                        adv_rate = max(st[o_rate + q] - svc, 0.0)
                        pays_pur = _vector_value_covers_price(sev_fc, adv_rate, pur_m)
                        st[o_sev_fv + q] = sev_fv
                        st[o_g + q] = _exercised(purchase_share[t, p0 + q], pur_by_value, pays_pur, pur_m < lag)
                        st[o_elig + q] = 1.0 if pur_m < lag and (pays_pur or not pur_by_value) else 0.0
                        st[o_b + q] = _exercised(buy_share, buy_by_value,
                                                 _vector_value_covers_price(sev_fc, adv_rate, buy_m), buy_m < lag)
                        st[o_f + q] = _exercised(fv_share, fv_by_value, sev_fv <= sev_fc, fv_m < lag)

            # Pass D (draws on): each lane's MDR and SMM become 0 / 1 by one uniform of (seed, path, loan, month).
            if draws:
                draw_pass(st, o_mdr, o_smm, n_tile, u_buf, words, seed, path_ids, p0, l, t, TILE)

            # Pass B0: take the cohorts due now out of the pipeline.
            # Views with non-negative constant offsets inside: numba's negative-index wraparound on a
            # computed offset would hide the access pattern from the vectorizer.
            o_out = (t % ring_len) * N_RING * TILE
            ring_out = ring[o_out:o_out + N_RING * TILE]
            for q in range(n_tile):
                st[o_out_na + q] = ring_out[R_NA * TILE + q]
                st[o_out_units + q] = ring_out[R_UNITS * TILE + q]
                st[o_out_loss + q] = ring_out[R_LOSS * TILE + q]
            if any_option:
                for q in range(n_tile):
                    st[o_out_buy_na + q] = ring_out[R_BUY_NA * TILE + q]
                    st[o_out_buy_units + q] = ring_out[R_BUY_UNITS * TILE + q]
                    st[o_out_buy_int + q] = ring_out[R_BUY_INTEREST * TILE + q]
            for j in range(N_RING * TILE):
                ring_out[j] = 0.0
            o_c = ((t + lag) % ring_len) * N_RING * TILE
            ring_c = ring[o_c:o_c + N_RING * TILE]
            # Pass B: the cash flows.
            col = acc[t * N_COLUMNS * TILE:(t + 1) * N_COLUMNS * TILE]
            last = term - t <= 1
            for q in range(n_tile):
                perf = st[o_perf + q]
                rate_q = st[o_rate + q]
                mdr = st[o_mdr + q]
                smm = st[o_smm + q]
                unit_start = st[o_unit + q]
                delinquent_na = st[o_del_na + q]
                delinquent_units = st[o_del_units + q]
                begin = perf + delinquent_na + delinquent_units * unit_start
                col[OUT_BALANCE_BEGIN * TILE + q] += begin
                col[OUT_GROSS_RATE_BALANCE * TILE + q] += begin * rate_q
                col[OUT_NET_RATE_BALANCE * TILE + q] += begin * st[o_net + q]
                col[OUT_PERFORMING_BEGIN * TILE + q] += perf

                # -- 3. defaults, before scheduled principal.
                defaulted = perf * mdr
                perf -= defaulted
                paying = perf
                payment = st[o_pay + q] * (1.0 - mdr)
                # -- 2. scheduled interest and principal (and the loan's unit schedule).
                interest = perf * st[o_monthly + q]
                scheduled = payment - interest
                if last or scheduled > perf:  # the last payment takes what is left
                    scheduled = perf
                unit_scheduled = st[o_unit_pay + q] - unit_start * st[o_monthly + q]
                if last or unit_scheduled > unit_start:
                    unit_scheduled = unit_start
                perf -= scheduled
                unit = unit_start - unit_scheduled
                col[OUT_PREPAYABLE * TILE + q] += perf
                # -- 4. prepayments, after scheduled principal.
                prepaid = perf * smm
                perf -= prepaid
                st[o_pay + q] = payment * (1.0 - smm)
                st[o_surv + q] *= (1.0 - mdr) * (1.0 - smm)

                # -- 3. pipeline: split this month's cohort among the routes and file each part where it
                #       leaves (lag 0: foreclosed at once; x 1.0 / x 0.0 and + 0.0 are exact).
                d_purchase = defaulted * st[o_g + q]
                rest = defaulted - d_purchase
                d_buyout = rest * st[o_b + q]
                rest -= d_buyout
                d_foreclosure = rest - rest * st[o_f + q]
                inv_unit = 1.0 / unit_start if unit_start > 0.0 else 0.0
                adv = st[o_adv_ok + q]
                na = 1.0 - adv
                col[_PURCHASE_ELIGIBLE * TILE + q] += defaulted * st[o_elig + q]
                # foreclosure part into the ring here (lag 0: it leaves now, x 0.0); the options' parts in
                # pass C (more views of the ring in this loop would stop the vectorizer: they may alias)
                ring_c[R_UNITS * TILE + q] += d_foreclosure * inv_unit * adv * filed
                ring_c[R_NA * TILE + q] += d_foreclosure * na * filed
                ring_c[R_LOSS * TILE + q] += d_foreclosure * st[o_sev + q] * filed
                st[o_def + q] = defaulted
                st[o_inv_unit + q] = inv_unit
                now = 1.0 - filed
                liq_na = st[o_out_na + q] + d_foreclosure * na * now
                liq_units = st[o_out_units + q] + d_foreclosure * inv_unit * adv * now
                # Stated balance liquidated; the servicer's advanced principal is repaid out of the proceeds
                # first, so the trust's loss stays severity x the defaulted balance (at most the stated one).
                liquidated = liq_na + liq_units * unit_start
                loss = min(st[o_out_loss + q] + d_foreclosure * st[o_sev + q] * now, liquidated)
                buy_na = st[o_out_buy_na + q]
                buy_units = st[o_out_buy_units + q]
                repurchased = buy_na + buy_units * unit_start
                delinquent_na += defaulted * na - (liq_na + buy_na)
                if delinquent_na < 0.0:  # rounding residue once the pipeline is empty
                    delinquent_na = 0.0
                delinquent_units += defaulted * inv_unit * adv - (liq_units + buy_units)
                if delinquent_units < 0.0:
                    delinquent_units = 0.0

                # -- 5. interest, advances and fees.
                col[OUT_SCHEDULED_INTEREST * TILE + q] += interest
                col[OUT_SERVICING_FEE * TILE + q] += paying * svc_monthly
                advanced = delinquent_units * unit_start
                col[OUT_ADVANCED_INTEREST * TILE + q] += advanced * st[o_adv_monthly + q]
                col[OUT_ADVANCED_PRINCIPAL * TILE + q] += delinquent_units * unit_scheduled
                fee_balance = paying + advanced
                col[_FEE_BALANCE * TILE + q] += fee_balance
                col[OUT_LPMI_PREMIUM * TILE + q] += fee_balance * lpmi_monthly
                col[OUT_SCHEDULED_PRINCIPAL * TILE + q] += scheduled
                col[OUT_PREPAYMENT * TILE + q] += prepaid
                col[OUT_DEFAULT_BALANCE * TILE + q] += defaulted
                col[OUT_LIQUIDATED_BALANCE * TILE + q] += liquidated
                col[OUT_REALIZED_LOSS * TILE + q] += loss
                col[OUT_REPURCHASED_BALANCE * TILE + q] += repurchased
                col[OUT_REPURCHASE_INTEREST * TILE + q] += st[o_out_buy_int + q]
                col[OUT_BALANCE_END * TILE + q] += perf + delinquent_na + delinquent_units * unit

                # Paid off on this path: once its pipeline is empty it only adds exact zeros.
                gone = perf <= 0.0 or last
                after = st[o_after + q] + 1.0 if gone else st[o_after + q]
                st[o_after + q] = after
                empty = after > lag
                st[o_del_na + q] = 0.0 if empty else delinquent_na
                st[o_del_units + q] = 0.0 if empty else delinquent_units
                st[o_unit + q] = unit
                st[o_perf + q] = 0.0 if gone else perf

            # Pass C: the servicer's routes, filed where each part leaves, in the one-path kernel's order.
            if any_option:
                o_fv = ((t + fv_m) % ring_len) * N_RING * TILE
                o_buy = ((t + buy_m) % ring_len) * N_RING * TILE
                o_pur = ((t + pur_m) % ring_len) * N_RING * TILE
                for q in range(n_tile):
                    defaulted = st[o_def + q]
                    d_purchase = defaulted * st[o_g + q]
                    rest = defaulted - d_purchase
                    d_buyout = rest * st[o_b + q]
                    rest -= d_buyout
                    d_fair_value = rest * st[o_f + q]
                    inv_unit = st[o_inv_unit + q]
                    adv = st[o_adv_ok + q]
                    na = 1.0 - adv
                    adv_rate = max(st[o_rate + q] - svc, 0.0)
                    ring[o_fv + R_UNITS * TILE + q] += d_fair_value * inv_unit * adv
                    ring[o_buy + R_BUY_UNITS * TILE + q] += d_buyout * inv_unit * adv
                    ring[o_pur + R_BUY_UNITS * TILE + q] += d_purchase * inv_unit * adv
                    ring[o_fv + R_NA * TILE + q] += d_fair_value * na
                    ring[o_buy + R_BUY_NA * TILE + q] += d_buyout * na
                    ring[o_pur + R_BUY_NA * TILE + q] += d_purchase * na
                    ring[o_buy + R_BUY_INTEREST * TILE + q] += d_buyout * (buy_m * adv_rate / 12.0) * na
                    ring[o_pur + R_BUY_INTEREST * TILE + q] += d_purchase * (pur_m * adv_rate / 12.0) * na
                    ring[o_fv + R_LOSS * TILE + q] += d_fair_value * st[o_sev_fv + q]

            # -- EXIT: the loan has left on every path of the tile (paid off, prepaid or defaulted, and its
            #    pipeline empty: ``after > lag``). Later months would add exact zeros: stop paying for them.
            #    With expected values this happens only at the term; with loan-level draws, early.
            left = 0
            for q in range(n_tile):
                left += 1 if st[o_after + q] > lag else 0
            if left == n_tile:
                break
