"""Multi-path collateral kernel: loan-level behaviour driven by each rate / home-price path.

The one collateral kernel: the Monte Carlo run (:mod:`stress.pool_paths`)
and the deterministic run (:func:`stress.pool.project_pool`, one path, mode
0) both go through it. Numba only, but for :func:`project_tiles`: plain arrays
in, ``out`` filled, no exceptions, pandas, xarray or random draws inside. The
callers validate inputs; :func:`project_tiles` lays them out (one dtype and
layout per argument, so a process compiles the kernel once per tile width). The behaviour
models' coefficient layout and the formulas inlined here live in
:mod:`stress.behaviour.compiled`; the cash-flow helpers (reset, annuity,
option terms), ring rows and the first 20 output columns in
:mod:`stress.kernels.collateral`.

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
   (:func:`stress.mechanics.collateral_horizon`): 122 of 372 months;
5. issue 17: the passes as inlined helpers, the tile width a compile-time
   constant (1 for the deterministic run), ring and accumulator indexed as
   rows (no view per month), ``_project_tile`` without reference counting:
   the Monte Carlo speed unchanged, the deterministic run on this kernel
   (see :func:`stress.pool.project_pool`).

Each month of a loan runs a few short loops over the tile, each pass a
helper that numba inlines (``@kernel(inline="always")``) over the packed
state ``st``: ``_month_inputs``, the month's path inputs copied into the
state; ``_pass_a1``, the models' arguments (LTV, burnout, equity, spike);
``_pass_a2``, the two table logistics (scalar: a gather); ``_pass_a3``, SMM,
MDR, severity (mode 0: ``_vector_rates`` in place of A1-A3); ``_pass_a4_*``,
the servicer options' routes; ``_pass_b0``, the cohort due out of the
pipeline; ``_pass_b``, the cash flows; ``_pass_c``, the options' parts filed
in the ring. Each pass takes ``(st, w, ...)``, reads and writes rows
``S_* * w + q`` (``w`` the tile width, a compile-time constant, so the
offsets fold), loops ``q`` over the tile and stores unconditionally, so the
loops vectorize as before the split. The deterministic run (one path) uses
tiles of width 1: the same code, compiled once more for that width; every
Monte Carlo chunk, a one-path chunk included, uses :data:`TILE`. In
mode 1 about 55% of the time is pass B (16 accumulators read
and written per path and month), 23% the logistics, 22% the rest of the
models. A loan leaves the month loop once its pipeline is empty after its
last scheduled payment.

Conventions: exactly those of :mod:`stress.kernels.collateral` (timing, ARM
reset, level payment tracked by survival factors, default before scheduled
principal, prepayment after it, pipeline, advancing, fees, outputs), path by
path. ``mode`` selects where the monthly rates come from:

- ``0`` vectors: ``smm_vector``, ``mdr_vector`` are the SMM / MDR and
  ``severity`` the severity in the month of liquidation, applied to the
  pool's liquidations as the one-path reference twin
  (``tests/reference/collateral_reference.py``) does; each path is the
  deterministic run on its index path (paths that have paid off add exact
  zeros).
- ``1`` behaviour models: SMM, MDR and severity per loan, path and month from
  :mod:`stress.behaviour.compiled` (the fast twin of
  :mod:`stress.behaviour.prepayment`, ``default`` and ``severity``, which
  document every form). The vectors are not read.
- ``2`` models x vectors: the model SMM, MDR and severity times
  ``smm_vector``, ``mdr_vector``, ``severity_multiplier`` (the severity
  multiplier of the liquidation month), then held in [0, 1] (severity in
  [0, max_severity]).

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
principal, convention 3 of :mod:`stress.kernels.collateral`) are made on a cohort only if it
looks recoverable (see :mod:`stress.behaviour.severity`), and such a cohort is
kept in units of the loan's scheduled balance so that it amortizes (the
severity counts the lag's accrued interest either way). The drawdown that
deepens the REO discount and lengthens the foreclosure timeline is measured
from ``S_HPI_PEAK``, the running maximum of the loan's regional HPI on each
path (1 at cut-off), updated in pass A1. In mode 0 the loss is the ``severity``
of the liquidation month. Reset rates are
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
foreclosure severity. In mode 0 they compare the scenario's recovery
``1 - severity`` with the price (convention 3 of :mod:`stress.kernels.collateral`).

Transcendentals in the inner loop: none. The two logistics (refinance S-curve
and default hazard) read a 2049-point table with linear interpolation
(:mod:`stress.behaviour.logistic`, relative error < 3.1e-5, and the model
is defined that way); burnout is rational (one division); the level payment
is tracked by survival factors (an annuity with ``expm1`` / ``log1p`` only at
a rate change); the seasoning ramp, penalty, age term (one ``log``, skipped
past the peak age) and the spike window are per loan-month and computed
outside the path loop.

Extra output columns (after :data:`stress.kernels.collateral.OUTPUT_NAMES`):
``performing_balance_begin`` (performing balance at the start of the month,
the MDR base: ``MDR = default_balance / performing_balance_begin``) and
``prepayable_balance`` (performing balance after default and scheduled
principal, the SMM base: ``SMM = prepayment / prepayable_balance``).
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel
from stress.kernels.counter_rng import draw_pass
from stress.behaviour import compiled as bm
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
#: The deterministic run's single path uses tiles of width 1: with 32 lanes for
#: one path each month's accumulator rows would touch 22 cache lines for 22
#: numbers, and the run was 8x slower than with width 1.
TILE = 32

# Rows of the per-tile state ``st[S_* * w + q]``, ``w`` the tile width (one array, so the vectorizer
# sees fixed distances between rows instead of a dozen arrays that might alias).
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
# Ring buffers ``ring[(slot * N_RING + R_*) * w + q]`` (rows as the one-path reference twin's):
# slot (s + offset) % (lag + 1) holds the part of the cohort defaulted in period index s that leaves
# ``offset`` months later (lag: foreclosure; the option months: the servicer's routes).


@kernel
def _project_pool_paths(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
    index_rates, mortgage_rate, hpi,
    smm_vector, mdr_vector, severity, severity_multiplier,
    coef, logistic_table,
    mode, liquidation_lag, advancing, rounding, options, purchase_share, width,
    out,
    draws, seed, path_ids,
):
    """Project a pool on ``p`` paths at once and accumulate pool cash flows per path and month.

    # p = paths, l = loans, t = months

    Call it through :func:`project_tiles`, which gives every argument its one
    dtype and layout (one compiled specialization).

    Parameters
    ----------
    balance, gross_rate, servicing_fee_rate, lpmi_rate, margin : float64[l]
        Cut-off balance [USD]; note rate, fee rates, margin [annual, decimal].
    index_id : int64[l]
        Row of ``index_rates`` (0 LIBOR_1M, 1 LIBOR_6M, 2 LIBOR_12M, 3 CMT_1Y).
    months_to_reset, reset_frequency, remaining_term : int64[l]
        [months]; see :mod:`stress.kernels.collateral`.
    initial_cap, periodic_cap, max_rate, min_rate : float64[l]
        [decimal].
    master_servicing_fee_rate, trustee_fee_rate : float
        [annual, decimal] on every loan.
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
    smm_vector, mdr_vector : float64[T, p]
        SMM / MDR (mode 0) or their multipliers (mode 2); not read in mode 1.
    severity : float64[T, p]            (mode 0)
        Severity in the month of liquidation [decimal].
    severity_multiplier : float64[T, p] (mode 2)
        Multiplier of the model severity, read at the liquidation (or sale) month.
    coef : float64[N_COEF]
        Model coefficients (:mod:`stress.behaviour.compiled`).
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
    width : tuple of w ints
        Its length is the tile width ``w`` (:data:`TILE`, or 1 for a single
        path), a compile-time constant for the row offsets.
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
    w = len(width)  # the tile width, a compile-time constant (see width)
    # Flat scratch with compile-time row strides (w): see _project_tile.
    acc = np.zeros((n_periods, N_COLUMNS * w))
    st = np.zeros(N_STATE * w)
    ring = np.zeros((liquidation_lag + 1, N_RING * w))
    u_buf = np.zeros(4 * w)  # loan-level draws: each lane's block of four months' uniforms
    words = np.zeros(4 * w, dtype=np.uint64)  # and the generator's words
    for p0 in range(0, n_paths, w):
        n_tile = min(w, n_paths - p0)
        _project_tile(
            balance, gross_rate, servicing_fee_rate, lpmi_rate,
            margin, index_id, months_to_reset, reset_frequency,
            initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
            master_servicing_fee_rate, trustee_fee_rate,
            age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
            index_rates, mortgage_rate, hpi,
            smm_vector, mdr_vector, severity, severity_multiplier,
            coef, logistic_table,
            mode, liquidation_lag, advancing, rounding, options, purchase_share,
            p0, n_tile, acc, st, ring, width,
            draws, seed, path_ids, u_buf, words,
        )
        # Pool-level terms linear in pool sums; then out[p, t, k].
        n_out = min(out.shape[2], N_COLUMNS)
        acc3 = acc.reshape((n_periods, N_COLUMNS, w))
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


@kernel(_nrt=False)
def _project_tile(
    balance, gross_rate, servicing_fee_rate, lpmi_rate,
    margin, index_id, months_to_reset, reset_frequency,
    initial_cap, periodic_cap, max_rate, min_rate, remaining_term,
    master_servicing_fee_rate, trustee_fee_rate,
    age, region_id, inv_value, default_static, mi_coverage, penalty_months, spike_reset,
    index_rates, mortgage_rate, hpi,
    smm_vector, mdr_vector, severity, severity_multiplier,
    coef, logistic_table,
    mode, liquidation_lag, advancing, rounding, options, purchase_share,
    p0, n_tile, acc, st, ring, width,
    draws, seed, path_ids, u_buf, words,
):
    """Paths ``p0 .. p0 + n_tile - 1`` (one tile): fill ``acc`` (zeroed here), ``q = p - p0``.

    # q = paths of the tile, l = loans, t = months

    Scratch, all flat float64 with row length ``w = len(width)`` (a
    compile-time constant, so the vectorizer sees fixed distances between rows
    of one array instead of a dozen arrays that might alias): ``acc[(t *
    N_COLUMNS + k) * w + q]``, ``st[S_* * w + q]``, ``ring[(slot * N_RING +
    R_*) * w + q]``.

    The loan and month loops live here; each month of a loan runs the passes,
    each a helper numba inlines (``inline="always"``) over the packed state:
    ``_reset`` (the rare ARM reset, scalar), ``_month_inputs`` (the month's
    path inputs into ``st``), ``_pass_a1`` (model arguments), ``_pass_a2``
    (table logistics), ``_pass_a3`` (SMM, MDR, severity), ``_pass_a4_models`` /
    ``_pass_a4_vectors`` (servicer options), ``_pass_b0`` (ring out),
    ``_pass_b`` (cash flows), ``_pass_c`` (options filing). Mode 0 replaces
    A1-A3 by ``_vector_rates``. Every pass takes ``(st, w, ...)`` and loops
    ``q`` over ``n_tile``; a new one slots in between two of these calls (a
    per-path pass after A3 reads rows ``S_MDR``, ``S_SMM``, ``S_SEV`` there).

    Compiled without numba's reference counting (``_nrt=False``; it allocates
    nothing, its scratch comes from :func:`_project_pool_paths`): with it,
    every array an inlined pass takes costs an atomic incref / decref pair per
    loan-month, which perf measured at 74% of the one-path run's time.
    """
    w = len(width)  # the tile width, a compile-time constant: every row offset below folds
    # n_tile <= w always; saying so bounds every q loop at compile time (width 1: no vector loop set-up)
    n_tile = min(n_tile, w)
    n_loans = balance.shape[0]
    n_periods = acc.shape[0]
    n_hpi = hpi.shape[1]
    lag = liquidation_lag
    ring_len = lag + 1
    acc[:, :] = 0.0
    fixed_fees = master_servicing_fee_rate + trustee_fee_rate
    models = mode != MODE_VECTORS
    scaled = mode == MODE_SCALED
    adv_flag = 1.0 if advancing else 0.0
    c = bm.unpack(coef)
    x0 = c[bm.C_LOGISTIC_X0]
    inv_step = 1.0 / c[bm.C_LOGISTIC_STEP] if models else 0.0
    # With every option off the routes' fractions stay 0 and their passes are skipped (any_option).
    opts = _option_terms(options)
    any_option = opts[8]
    buy_m, fv_m, pur_m = opts[2], opts[5], opts[7]
    # lag 0: a cohort liquidates in its month and never enters the ring (see pass B).
    filed = 1.0 if lag > 0 else 0.0
    for q in range(w):
        st[S_SEV_MULT * w + q] = 1.0  # mode 1: no severity multiplier (x 1.0 is exact)
        st[S_SEV_FV * w + q] = 0.0
        st[S_FRAC_PURCHASE * w + q] = 0.0  # the options' fractions: 0 unless pass A4 sets them
        st[S_FRAC_BUYOUT * w + q] = 0.0
        st[S_FRAC_FAIR_VALUE * w + q] = 0.0
        st[S_ELIGIBLE * w + q] = 0.0
        st[S_OUT_BUY_NA * w + q] = 0.0  # the bought rows stay 0 unless an option is on (pass B0)
        st[S_OUT_BUY_UNITS * w + q] = 0.0
        st[S_OUT_BUY_INTEREST * w + q] = 0.0

    for l in range(n_loans):
        svc = servicing_fee_rate[l]
        lpmi = lpmi_rate[l]
        term = remaining_term[l]
        next_reset = months_to_reset[l]
        cap = initial_cap[l]
        region = region_id[l]
        spike_at = spike_reset[l]
        svc_monthly = svc / 12.0
        lpmi_monthly = lpmi / 12.0
        _start_loan(st, w, ring, balance[l], gross_rate[l], svc, lpmi, fixed_fees, term)

        # A loan's pipeline is empty ``lag`` months after its last scheduled payment: later months add
        # exact zeros, so the loan leaves the loop there (paths that paid off earlier add zeros meanwhile).
        t_end = min(n_periods, max(term, 1) + lag)
        slot = 0  # t % ring_len, kept by increment
        for t in range(t_end):
            if t == next_reset:  # same timing on every path; the rate is per path
                _reset(st, w, index_rates, index_id[l], t, p0, n_tile, margin[l], cap, min_rate[l], max_rate[l],
                       rounding, svc, lpmi, fixed_fees, term, models, t == spike_at)
                cap = periodic_cap[l]
                next_reset += reset_frequency[l]

            if models:
                # Per loan-month model terms (path independent).
                loan_age = age[l] + t + 1
                static_smm = bm.static_smm(c, loan_age, penalty_months[l])
                spike_lead, spike_post = bm.spike_window(c, t, spike_at)
                logit_static = bm.static_logit(c, default_static[l], loan_age)
                _month_inputs(st, w, hpi, mortgage_rate, severity_multiplier, region, t, min(t + lag, n_hpi - 1),
                              min(t + lag, n_periods - 1), p0, n_tile, scaled)
                _pass_a1(st, w, c, n_tile, inv_value[l], logit_static, static_smm, spike_lead, spike_post)
                _pass_a2(st, w, n_tile, logistic_table, x0, inv_step)
                _pass_a3(st, w, c, n_tile, svc, mi_coverage[l], lag, advancing)
                if scaled:
                    _scale_rates(st, w, smm_vector, mdr_vector, t, p0, n_tile)
                if any_option:
                    _pass_a4_models(st, w, c, hpi, severity_multiplier, region, t, p0, n_tile, svc,
                                    mi_coverage[l], scaled, lag, opts, purchase_share)
            else:
                _vector_rates(st, w, smm_vector, mdr_vector, severity, t, p0, n_tile, min(t + lag, n_periods - 1),
                              adv_flag)
                if any_option:
                    _pass_a4_vectors(st, w, severity, purchase_share, t, p0, n_tile, svc, lag, opts)

            # Pass D (draws on): each lane's MDR and SMM become 0 / 1 by one uniform of (seed, path, loan, month).
            if draws:
                draw_pass(st, S_MDR * w, S_SMM * w, n_tile, u_buf, words, seed, path_ids, p0, l, t, w)

            _pass_b0(st, w, ring, slot, n_tile, any_option)
            slot_c = slot - 1 if slot > 0 else lag  # (t + lag) % ring_len without a division
            _pass_b(st, w, acc, t, ring, slot_c, n_tile,
                    term - t <= 1, filed, lag, svc_monthly, lpmi_monthly)
            if any_option:
                _pass_c(st, w, ring, n_tile, (t + fv_m) % ring_len, (t + buy_m) % ring_len, (t + pur_m) % ring_len,
                        svc, buy_m, pur_m)
            slot = slot + 1 if slot < lag else 0  # t % ring_len for the next month

            # -- EXIT: the loan has left on every path of the tile (paid off, prepaid or defaulted, and its
            #    pipeline empty: ``after > lag``). Later months would add exact zeros: stop paying for them.
            #    With expected values this happens only at the term; with loan-level draws, early.
            left = 0
            for q in range(n_tile):
                left += 1 if st[S_AFTER_PAYOFF * w + q] > lag else 0
            if left == n_tile:
                break


@kernel(inline="always")
def _start_loan(st, w, ring, balance, rate0, svc, lpmi, fixed_fees, term):
    """A loan's state at cut-off on every path of the tile; its pipeline empty."""
    monthly0 = rate0 / 12.0
    payment0 = _level_payment(balance, monthly0, term)
    unit_payment0 = _level_payment(1.0, monthly0, term)
    for q in range(w):
        st[S_PERFORMING * w + q] = balance
        st[S_RATE * w + q] = rate0
        st[S_MONTHLY * w + q] = monthly0
        st[S_ADVANCE_MONTHLY * w + q] = max(rate0 - svc, 0.0) / 12.0
        st[S_NET_RATE * w + q] = rate0 - svc - lpmi - fixed_fees
        st[S_PAYMENT * w + q] = payment0
        st[S_DEL_NA * w + q] = 0.0
        st[S_DEL_UNITS * w + q] = 0.0
        st[S_UNIT * w + q] = 1.0
        st[S_UNIT_PAYMENT * w + q] = unit_payment0
        st[S_SURVIVAL * w + q] = 1.0
        st[S_CUM_INCENTIVE * w + q] = 0.0
        st[S_PAYMENT_RATIO * w + q] = 1.0
        st[S_FIRST_SHOCK * w + q] = 0.0
        st[S_AFTER_PAYOFF * w + q] = 0.0
        st[S_SEV * w + q] = 0.0
        st[S_ADV_OK * w + q] = 1.0
        st[S_HPI_PEAK * w + q] = 1.0  # HPI at cut-off: the drawdown is measured from the path's peak since then
        st[S_NAT_PEAK * w + q] = 1.0
    ring[:, :] = 0.0


@kernel(inline="always")
def _reset(st, w, index_rates, k, t, p0, n_tile, margin, cap, min_rate, max_rate, rounding, svc, lpmi, fixed_fees,
           term, models, first_reset):
    """-- 1. ARM reset at period index ``t`` (rare: scalar); with the models, the payment shock."""
    for q in range(n_tile):
        old = st[S_RATE * w + q]
        new_rate = _reset_rate(old, index_rates[k, t - 1, p0 + q], margin, cap, min_rate, max_rate, rounding)
        if new_rate != old:
            st[S_RATE * w + q] = new_rate
            st[S_MONTHLY * w + q] = new_rate / 12.0
            st[S_ADVANCE_MONTHLY * w + q] = max(new_rate - svc, 0.0) / 12.0
            st[S_NET_RATE * w + q] = new_rate - svc - lpmi - fixed_fees
            new_payment = _level_payment(st[S_PERFORMING * w + q], new_rate / 12.0, term - t)
            st[S_UNIT_PAYMENT * w + q] = _level_payment(st[S_UNIT * w + q], new_rate / 12.0, term - t)
            pay_old = st[S_PAYMENT * w + q]
            if models and pay_old > 0.0:
                shock = new_payment / pay_old - 1.0
                st[S_PAYMENT_RATIO * w + q] *= 1.0 + shock
                if first_reset:  # the hybrid's first reset
                    st[S_FIRST_SHOCK * w + q] = shock
            st[S_PAYMENT * w + q] = new_payment


@kernel(inline="always")
def _month_inputs(st, w, hpi, mortgage_rate, severity_multiplier, region, t, i_liq, i_sev, p0, n_tile, scaled):
    """The month's path inputs copied into ``st``, contiguous (HPI now, at liquidation, national; mortgage
    rate; mode 2's severity multiplier of the liquidation month)."""
    for q in range(n_tile):
        st[S_HPI_NOW * w + q] = hpi[region, t, p0 + q]
    for q in range(n_tile):
        st[S_HPI_LIQ * w + q] = hpi[region, i_liq, p0 + q]
    for q in range(n_tile):
        st[S_HPI_NAT * w + q] = hpi[0, t, p0 + q]  # national (region 0): credit availability
    for q in range(n_tile):
        st[S_MORTGAGE_RATE * w + q] = mortgage_rate[t, p0 + q]
    if scaled:
        for q in range(n_tile):
            st[S_SEV_MULT * w + q] = severity_multiplier[i_sev, p0 + q]


@kernel(inline="always")
def _pass_a1(st, w, c, n_tile, inv_v, logit_static, static_smm, spike_lead, spike_post):
    """Pass A1: the logistics' arguments, burnout, LTV, spike, equity, gate and credit multiples."""
    for q in range(n_tile):
        perf = st[S_PERFORMING * w + q]
        surv = st[S_SURVIVAL * w + q]
        hpi_now = st[S_HPI_NOW * w + q]
        # One division for the current LTV; the LTV at HPI 1 follows by a product.
        ltv = perf * inv_v / (surv * hpi_now) if perf > 0.0 and surv > 0.0 else 0.0
        st[S_LTV0 * w + q] = ltv * hpi_now
        st[S_HPI_PEAK * w + q] = max(st[S_HPI_PEAK * w + q], hpi_now)
        st[S_X_DEFAULT * w + q] = bm.default_logit(c, logit_static, ltv, st[S_PAYMENT_RATIO * w + q])
        incentive = st[S_RATE * w + q] - st[S_MORTGAGE_RATE * w + q]
        st[S_X_REFI * w + q] = bm.refi_logit(c, incentive)
        cum = st[S_CUM_INCENTIVE * w + q]
        st[S_BURN * w + q] = bm.burnout_factor(c, cum)
        st[S_CUM_INCENTIVE * w + q] = bm.cumulative_incentive(cum, incentive)
        equity = bm.equity_factor(c, ltv)
        # refinancing needs equity (gate) and a lender: credit falls with the national drawdown
        gate = bm.refi_gate(c, ltv)
        hpi_nat = st[S_HPI_NAT * w + q]
        nat_peak = max(st[S_NAT_PEAK * w + q], hpi_nat)
        st[S_NAT_PEAK * w + q] = nat_peak
        credit = bm.credit_factor(c, hpi_nat, nat_peak)
        spike = bm.reset_spike(c, st[S_FIRST_SHOCK * w + q], spike_post, spike_lead)
        st[S_SMM_BASE * w + q] = static_smm * equity * credit
        st[S_BURN * w + q] *= gate
        st[S_SPIKE * w + q] = spike * gate


@kernel(inline="always")
def _pass_a2(st, w, n_tile, logistic_table, x0, inv_step):
    """Pass A2: the two table logistics (a gather from the table: LLVM cannot bound its index against the
    stores, so this loop stays scalar; branch-free, so it does not mispredict)."""
    for q in range(n_tile):
        st[S_MDR * w + q] = bm.table_logistic(st[S_X_DEFAULT * w + q], logistic_table, x0, inv_step)
        st[S_X_REFI * w + q] = bm.table_logistic(st[S_X_REFI * w + q], logistic_table, x0, inv_step)


@kernel(inline="always")
def _pass_a3(st, w, c, n_tile, svc, mi, lag, advancing):
    """Pass A3: MDR and SMM (capped), and the severity of a default this month at its liquidation month."""
    for q in range(n_tile):
        st[S_MDR * w + q] = bm.default_mdr(c, st[S_MDR * w + q])
        st[S_SMM * w + q] = bm.prepayment_smm(c, st[S_SMM_BASE * w + q], st[S_X_REFI * w + q], st[S_BURN * w + q], st[S_SPIKE * w + q])
        sev, recoverable = bm.foreclosure_severity(c, st[S_LTV0 * w + q], max(st[S_RATE * w + q] - svc, 0.0),
                                                   st[S_HPI_LIQ * w + q], st[S_HPI_PEAK * w + q], lag, mi, st[S_SEV_MULT * w + q])
        st[S_SEV * w + q] = sev
        st[S_ADV_OK * w + q] = 1.0 if advancing and recoverable else 0.0


@kernel(inline="always")
def _scale_rates(st, w, smm_vector, mdr_vector, t, p0, n_tile):
    """Mode 2: the model MDR and SMM times the month's multipliers, held in [0, 1]."""
    for q in range(n_tile):
        st[S_MDR * w + q] = min(1.0, st[S_MDR * w + q] * mdr_vector[t, p0 + q])
        st[S_SMM * w + q] = min(1.0, st[S_SMM * w + q] * smm_vector[t, p0 + q])


@kernel(inline="always")
def _pass_a4_models(st, w, c, hpi, severity_multiplier, region, t, p0, n_tile, svc, mi, scaled, lag, opts,
                    purchase_share):
    """Pass A4 with the models (options on): the servicer's routes for a default this month, the ``"value"``
    rules reading the path. Scalar (rare path)."""
    buy_share, buy_by_value, buy_m, fv_share, fv_by_value, fv_m, pur_by_value, pur_m, _ = opts
    n_hpi = hpi.shape[1]
    i_fv = min(t + fv_m, n_hpi - 1)
    i_buy = min(t + buy_m, n_hpi - 1)
    i_pur = min(t + pur_m, n_hpi - 1)
    i_fv_sev = min(t + fv_m, severity_multiplier.shape[0] - 1)
    for q in range(n_tile):
        ltv0 = st[S_LTV0 * w + q]
        adv_rate = max(st[S_RATE * w + q] - svc, 0.0)
        mult = severity_multiplier[i_fv_sev, p0 + q] if scaled else 1.0
        sev_fv = bm.fair_value_severity(c, ltv0, adv_rate, hpi[region, i_fv, p0 + q], st[S_HPI_PEAK * w + q], fv_m, mi,
                                        mult)
        st[S_SEV_FV * w + q] = sev_fv
        # buy-out and purchase: the home at the path's HPI, less costs, vs the Repurchase Price
        pays_buy = bm.value_covers_price(c, ltv0, hpi[region, i_buy, p0 + q], adv_rate, buy_m)
        pays_pur = bm.value_covers_price(c, ltv0, hpi[region, i_pur, p0 + q], adv_rate, pur_m)
        st[S_FRAC_PURCHASE * w + q] = _exercised(purchase_share[t, p0 + q], pur_by_value, pays_pur, pur_m < lag)
        st[S_ELIGIBLE * w + q] = 1.0 if pur_m < lag and (pays_pur or not pur_by_value) else 0.0
        st[S_FRAC_BUYOUT * w + q] = _exercised(buy_share, buy_by_value, pays_buy, buy_m < lag)
        st[S_FRAC_FAIR_VALUE * w + q] = _exercised(fv_share, fv_by_value, sev_fv <= st[S_SEV * w + q], fv_m < lag)


@kernel(inline="always")
def _vector_rates(st, w, smm_vector, mdr_vector, severity, t, p0, n_tile, i_sev, adv_flag):
    """Mode 0 in place of passes A1-A3: the vectors' MDR and SMM of the month, and the severity of the
    liquidation month for the cohort's loss."""
    for q in range(n_tile):
        st[S_MDR * w + q] = mdr_vector[t, p0 + q]
    for q in range(n_tile):
        st[S_SMM * w + q] = smm_vector[t, p0 + q]
    for q in range(n_tile):
        st[S_SEV * w + q] = severity[i_sev, p0 + q]
        st[S_ADV_OK * w + q] = adv_flag


@kernel(inline="always")
def _pass_a4_vectors(st, w, severity, purchase_share, t, p0, n_tile, svc, lag, opts):
    """Pass A4 with the vectors (options on): recovery ``1 - severity`` vs the Repurchase Price, the
    fair-value month's severity vs the foreclosure one's."""
    buy_share, buy_by_value, buy_m, fv_share, fv_by_value, fv_m, pur_by_value, pur_m, _ = opts
    i_fv_sev = min(t + fv_m, severity.shape[0] - 1)
    for q in range(n_tile):
        sev_fc = st[S_SEV * w + q]
        sev_fv = severity[i_fv_sev, p0 + q]
        adv_rate = max(st[S_RATE * w + q] - svc, 0.0)
        pays_pur = _vector_value_covers_price(sev_fc, adv_rate, pur_m)
        st[S_SEV_FV * w + q] = sev_fv
        st[S_FRAC_PURCHASE * w + q] = _exercised(purchase_share[t, p0 + q], pur_by_value, pays_pur, pur_m < lag)
        st[S_ELIGIBLE * w + q] = 1.0 if pur_m < lag and (pays_pur or not pur_by_value) else 0.0
        st[S_FRAC_BUYOUT * w + q] = _exercised(buy_share, buy_by_value,
                                 _vector_value_covers_price(sev_fc, adv_rate, buy_m), buy_m < lag)
        st[S_FRAC_FAIR_VALUE * w + q] = _exercised(fv_share, fv_by_value, sev_fv <= sev_fc, fv_m < lag)


@kernel(inline="always")
def _pass_b0(st, w, ring, slot, n_tile, any_option):
    """Pass B0: take the cohorts due now (ring row ``slot``) out of the pipeline and clear the row. The ring
    is 2-D (slot, ``R_* * w + q``): the row index is the same for the whole loop and the column one is
    non-negative by construction, so numba's negative-index wraparound does not hide the access pattern
    from the vectorizer (as it did on a flat computed offset), and no view is made per month."""
    for q in range(n_tile):
        st[S_OUT_NA * w + q] = ring[slot, R_NA * w + q]
        st[S_OUT_UNITS * w + q] = ring[slot, R_UNITS * w + q]
        st[S_OUT_LOSS * w + q] = ring[slot, R_LOSS * w + q]
    if any_option:
        for q in range(n_tile):
            st[S_OUT_BUY_NA * w + q] = ring[slot, R_BUY_NA * w + q]
            st[S_OUT_BUY_UNITS * w + q] = ring[slot, R_BUY_UNITS * w + q]
            st[S_OUT_BUY_INTEREST * w + q] = ring[slot, R_BUY_INTEREST * w + q]
    for j in range(N_RING * w):
        ring[slot, j] = 0.0


@kernel(inline="always")
def _pass_b(st, w, acc, t, ring, slot_c, n_tile, last, filed, lag, svc_monthly, lpmi_monthly):
    """Pass B: the month's cash flows into ``acc[t]`` (the month's accumulator row), this month's foreclosure
    cohort into ring row ``slot_c`` (its liquidation slot); the options' parts are filed by pass C (more
    ring rows in this loop would stop the vectorizer: they may alias)."""
    for q in range(n_tile):
        perf = st[S_PERFORMING * w + q]
        rate_q = st[S_RATE * w + q]
        mdr = st[S_MDR * w + q]
        smm = st[S_SMM * w + q]
        unit_start = st[S_UNIT * w + q]
        delinquent_na = st[S_DEL_NA * w + q]
        delinquent_units = st[S_DEL_UNITS * w + q]
        begin = perf + delinquent_na + delinquent_units * unit_start
        acc[t, OUT_BALANCE_BEGIN * w + q] += begin
        acc[t, OUT_GROSS_RATE_BALANCE * w + q] += begin * rate_q
        acc[t, OUT_NET_RATE_BALANCE * w + q] += begin * st[S_NET_RATE * w + q]
        acc[t, OUT_PERFORMING_BEGIN * w + q] += perf

        # -- 3. defaults, before scheduled principal.
        defaulted = perf * mdr
        perf -= defaulted
        paying = perf
        payment = st[S_PAYMENT * w + q] * (1.0 - mdr)
        # -- 2. scheduled interest and principal (and the loan's unit schedule).
        interest = perf * st[S_MONTHLY * w + q]
        scheduled = payment - interest
        if last or scheduled > perf:  # the last payment takes what is left
            scheduled = perf
        unit_scheduled = st[S_UNIT_PAYMENT * w + q] - unit_start * st[S_MONTHLY * w + q]
        if last or unit_scheduled > unit_start:
            unit_scheduled = unit_start
        perf -= scheduled
        unit = unit_start - unit_scheduled
        acc[t, OUT_PREPAYABLE * w + q] += perf
        # -- 4. prepayments, after scheduled principal.
        prepaid = perf * smm
        perf -= prepaid
        st[S_PAYMENT * w + q] = payment * (1.0 - smm)
        st[S_SURVIVAL * w + q] *= (1.0 - mdr) * (1.0 - smm)

        # -- 3. pipeline: split this month's cohort among the routes and file the foreclosure part where it
        #       leaves (lag 0: foreclosed at once; x 1.0 / x 0.0 and + 0.0 are exact).
        d_purchase = defaulted * st[S_FRAC_PURCHASE * w + q]
        rest = defaulted - d_purchase
        d_buyout = rest * st[S_FRAC_BUYOUT * w + q]
        rest -= d_buyout
        d_foreclosure = rest - rest * st[S_FRAC_FAIR_VALUE * w + q]
        inv_unit = 1.0 / unit_start if unit_start > 0.0 else 0.0
        adv = st[S_ADV_OK * w + q]
        na = 1.0 - adv
        acc[t, _PURCHASE_ELIGIBLE * w + q] += defaulted * st[S_ELIGIBLE * w + q]
        ring[slot_c, R_UNITS * w + q] += d_foreclosure * inv_unit * adv * filed
        ring[slot_c, R_NA * w + q] += d_foreclosure * na * filed
        ring[slot_c, R_LOSS * w + q] += d_foreclosure * st[S_SEV * w + q] * filed
        st[S_DEFAULTED * w + q] = defaulted
        st[S_INV_UNIT * w + q] = inv_unit
        now = 1.0 - filed
        liq_na = st[S_OUT_NA * w + q] + d_foreclosure * na * now
        liq_units = st[S_OUT_UNITS * w + q] + d_foreclosure * inv_unit * adv * now
        # Stated balance liquidated; the servicer's advanced principal is repaid out of the proceeds
        # first, so the trust's loss stays severity x the defaulted balance (at most the stated one).
        liquidated = liq_na + liq_units * unit_start
        loss = min(st[S_OUT_LOSS * w + q] + d_foreclosure * st[S_SEV * w + q] * now, liquidated)
        buy_na = st[S_OUT_BUY_NA * w + q]
        buy_units = st[S_OUT_BUY_UNITS * w + q]
        repurchased = buy_na + buy_units * unit_start
        delinquent_na += defaulted * na - (liq_na + buy_na)
        if delinquent_na < 0.0:  # rounding residue once the pipeline is empty
            delinquent_na = 0.0
        delinquent_units += defaulted * inv_unit * adv - (liq_units + buy_units)
        if delinquent_units < 0.0:
            delinquent_units = 0.0

        # -- 5. interest, advances and fees.
        acc[t, OUT_SCHEDULED_INTEREST * w + q] += interest
        acc[t, OUT_SERVICING_FEE * w + q] += paying * svc_monthly
        advanced = delinquent_units * unit_start
        acc[t, OUT_ADVANCED_INTEREST * w + q] += advanced * st[S_ADVANCE_MONTHLY * w + q]
        acc[t, OUT_ADVANCED_PRINCIPAL * w + q] += delinquent_units * unit_scheduled
        fee_balance = paying + advanced
        acc[t, _FEE_BALANCE * w + q] += fee_balance
        acc[t, OUT_LPMI_PREMIUM * w + q] += fee_balance * lpmi_monthly
        acc[t, OUT_SCHEDULED_PRINCIPAL * w + q] += scheduled
        acc[t, OUT_PREPAYMENT * w + q] += prepaid
        acc[t, OUT_DEFAULT_BALANCE * w + q] += defaulted
        acc[t, OUT_LIQUIDATED_BALANCE * w + q] += liquidated
        acc[t, OUT_REALIZED_LOSS * w + q] += loss
        acc[t, OUT_REPURCHASED_BALANCE * w + q] += repurchased
        acc[t, OUT_REPURCHASE_INTEREST * w + q] += st[S_OUT_BUY_INTEREST * w + q]
        acc[t, OUT_BALANCE_END * w + q] += perf + delinquent_na + delinquent_units * unit

        # Paid off on this path: once its pipeline is empty it only adds exact zeros.
        gone = perf <= 0.0 or last
        after = st[S_AFTER_PAYOFF * w + q] + 1.0 if gone else st[S_AFTER_PAYOFF * w + q]
        st[S_AFTER_PAYOFF * w + q] = after
        empty = after > lag
        st[S_DEL_NA * w + q] = 0.0 if empty else delinquent_na
        st[S_DEL_UNITS * w + q] = 0.0 if empty else delinquent_units
        st[S_UNIT * w + q] = unit
        st[S_PERFORMING * w + q] = 0.0 if gone else perf


@kernel(inline="always")
def _pass_c(st, w, ring, n_tile, s_fv, s_buy, s_pur, svc, buy_m, pur_m):
    """Pass C (options on): the servicer's routes, each part filed in the ring where it leaves (``o_*``:
    its slot's offset), in the reference twin's order."""
    for q in range(n_tile):
        defaulted = st[S_DEFAULTED * w + q]
        d_purchase = defaulted * st[S_FRAC_PURCHASE * w + q]
        rest = defaulted - d_purchase
        d_buyout = rest * st[S_FRAC_BUYOUT * w + q]
        rest -= d_buyout
        d_fair_value = rest * st[S_FRAC_FAIR_VALUE * w + q]
        inv_unit = st[S_INV_UNIT * w + q]
        adv = st[S_ADV_OK * w + q]
        na = 1.0 - adv
        adv_rate = max(st[S_RATE * w + q] - svc, 0.0)
        ring[s_fv, R_UNITS * w + q] += d_fair_value * inv_unit * adv
        ring[s_buy, R_BUY_UNITS * w + q] += d_buyout * inv_unit * adv
        ring[s_pur, R_BUY_UNITS * w + q] += d_purchase * inv_unit * adv
        ring[s_fv, R_NA * w + q] += d_fair_value * na
        ring[s_buy, R_BUY_NA * w + q] += d_buyout * na
        ring[s_pur, R_BUY_NA * w + q] += d_purchase * na
        ring[s_buy, R_BUY_INTEREST * w + q] += d_buyout * (buy_m * adv_rate / 12.0) * na
        ring[s_pur, R_BUY_INTEREST * w + q] += d_purchase * (pur_m * adv_rate / 12.0) * na
        ring[s_fv, R_LOSS * w + q] += d_fair_value * st[S_SEV_FV * w + q]


def _floats(a, ndim: int) -> np.ndarray:
    """``a`` as the kernel's one float layout: float64, C-contiguous, writeable, ``ndim`` dimensions."""
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if not arr.flags.writeable:  # numba types a read-only array apart: another specialization
        arr = arr.copy()
    assert arr.ndim == ndim, (arr.shape, ndim)
    return arr


def _ints(a) -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=np.int64)
    if not arr.flags.writeable:
        arr = arr.copy()
    assert arr.ndim == 1, arr.shape
    return arr


def project_tiles(bl, index_rates, mortgage_rate, hpi, smm_vector, mdr_vector, severity, severity_multiplier,
                  coef, logistic_table, *, mode: int, liquidation_lag: int, advancing: bool, rounding: float,
                  options, draws: bool = False, seed: int = 0, path_ids=None, tile_width: int = TILE) -> np.ndarray:
    """Run :func:`_project_pool_paths` on validated inputs; the one place that lays them out for it.

    # p = paths, t = months, r = HPI regions

    Every argument reaches the kernel with one dtype and layout whatever the
    caller holds (int64 / float64, C-contiguous, writeable, fixed ndim; paths
    moved to the last axis here), so a process compiles the kernel once per
    tile width (:data:`TILE` for every Monte Carlo chunk, 1 for the
    deterministic run; issue 18).
    Arrays not read in ``mode`` may be None (an empty array goes in their
    place).

    Parameters
    ----------
    bl : stress.behaviour.prep.BehaviourLoans
        The loans and their behaviour arrays.
    index_rates : float64 (p, 4, >= t - 1)
    mortgage_rate : float64 (p, >= t) or None
    hpi : float64 (p, r, >= t) or None
    smm_vector, mdr_vector : float64 (p, t)
        Rates (mode 0) or multipliers (mode 2).
    severity : float64 (p, t) or None
        Mode 0: the severity of the liquidation month [decimal].
    severity_multiplier : float64 (p, t) or None
        Mode 2: the model severity's multiplier.
    coef : float64 (N_COEF,)
        :func:`stress.behaviour.compiled.coefficients` (not read in mode 0).
    logistic_table : float64 (n,)
    mode, liquidation_lag, advancing, rounding
        As :func:`_project_pool_paths`.
    options : stress.servicing.ServicerOptions
        With a 1% purchase limit the kernel runs twice: the cap needs the
        month's pool sums (see :func:`stress.servicing.purchase_share`).
    draws : bool
        Loan-level draws (pass D); False: expected values.
    seed : int
        The draws' key, in [0, 2**64 - 1] (checked by the caller).
    path_ids : int64 (p,), optional
        Global path indices, the draws' counter (default ``0..p-1``).
    tile_width : int
        :data:`TILE` (default: every Monte Carlo chunk, one specialization
        whatever its number of paths) or 1 (the deterministic run's single
        path, which keeps its state in registers at that width).

    Returns
    -------
    numpy.ndarray
        ``out[p, t, k]``, columns :data:`OUTPUT_NAMES` then scratch.
    """
    from stress.servicing import purchase_share

    loans = bl.loans
    n_paths, n_periods = np.shape(smm_vector)
    t_ = lambda a, ndim: _floats(np.moveaxis(np.asarray(a, dtype=np.float64), 0, -1), ndim)  # noqa: E731
    empty = lambda ndim: np.zeros((0,) * (ndim - 1) + (n_paths,))  # noqa: E731  (not read in this mode)
    out = np.zeros((n_paths, n_periods, N_COLUMNS))
    args = (
        _floats(loans.balance, 1), _floats(loans.gross_rate, 1), _floats(loans.servicing_fee_rate, 1),
        _floats(loans.lpmi_rate, 1), _floats(loans.margin, 1), _ints(loans.index_id),
        _ints(loans.months_to_reset), _ints(loans.reset_frequency), _floats(loans.initial_cap, 1),
        _floats(loans.periodic_cap, 1), _floats(loans.max_rate, 1), _floats(loans.min_rate, 1),
        _ints(loans.remaining_term), float(loans.master_servicing_fee_rate), float(loans.trustee_fee_rate),
        _ints(loans.age), _ints(bl.region_id), _floats(bl.inv_value, 1), _floats(bl.default_static, 1),
        _floats(bl.mi_coverage, 1), _ints(bl.penalty_months), _ints(bl.spike_reset),
        t_(index_rates, 3),
        empty(2) if mortgage_rate is None else t_(mortgage_rate, 2),
        empty(3) if hpi is None else t_(hpi, 3),
        t_(smm_vector, 2), t_(mdr_vector, 2),
        empty(2) if severity is None else t_(severity, 2),
        empty(2) if severity_multiplier is None else t_(severity_multiplier, 2),
        _floats(coef, 1), _floats(logistic_table, 1),
        int(mode), int(liquidation_lag), bool(advancing), float(rounding), _floats(options.kernel_array(), 1),
    )
    # The tile width as the length of a tuple: a compile-time constant in the kernel (numba types a tuple
    # by its length), so every row offset folds; one specialization per width, 1 only for a single path.
    if tile_width not in (1, TILE) or (tile_width == 1 and n_paths != 1):
        raise ValueError(f"tile_width = {tile_width!r}: must be {TILE}, or 1 with a single path (got {n_paths})")
    width = (0,) * tile_width
    ids = np.arange(n_paths, dtype=np.int64) if path_ids is None else _ints(path_ids)
    rng = (bool(draws), np.uint64(seed if draws else 0), ids)
    _project_pool_paths(*args, np.zeros((n_periods, n_paths)), width, out, *rng)
    if options.purchase_limit > 0:
        # The 1% purchase is capped by pool sums of a month, which a loan-by-loan pass cannot know in advance:
        # the first pass finds the eligible new defaults (they do not depend on the purchases, which take only
        # delinquent loans), the second buys min(1, cap / eligible) of them.
        share = purchase_share(options.purchase_limit, out[:, :, _PURCHASE_ELIGIBLE], out[:, :, OUT_PERFORMING_BEGIN])
        _project_pool_paths(*args, t_(share, 2), width, out, *rng)
    return out
