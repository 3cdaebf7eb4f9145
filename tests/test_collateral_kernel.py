"""The collateral kernel on one path (the deterministic run): reference twin, hand-computed resets, closed forms,
invariants."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.collateral_reference import OUTPUTS, project_pool_reference
from stress.assumptions import Assumptions
from stress.behaviour.compiled import N_COEF
from stress.behaviour.logistic import LOGISTIC_TABLE
from stress.behaviour.prep import BehaviourLoans
from stress.kernels.collateral import OUTPUT_NAMES
from stress.kernels.collateral_paths import MODE_VECTORS, project_tiles
from stress.pool import INDEX_IDS, LoanArrays, PoolCashflows, loan_arrays, project_pool
from stress.servicing import ServicerOptions

MASTER = 0.0003
TRUSTEE = 0.000043


def make_loans(**columns) -> LoanArrays:
    """LoanArrays with defaults for every column not given (one loan unless arrays are longer)."""
    n = max(len(np.atleast_1d(v)) for v in columns.values()) if columns else 1
    defaults = dict(
        balance=100_000.0, gross_rate=0.05, servicing_fee_rate=0.00375, lpmi_rate=0.0, margin=0.0275,
        index_id=INDEX_IDS["LIBOR_6M"], months_to_reset=1000, reset_frequency=6, initial_cap=0.02,
        periodic_cap=0.01, max_rate=0.11, min_rate=0.0275, remaining_term=360, age=0,
    )
    values = {k: np.broadcast_to(np.asarray(columns.get(k, v)), (n,)).copy() for k, v in defaults.items()}
    return LoanArrays(**values, master_servicing_fee_rate=MASTER, trustee_fee_rate=TRUSTEE)


def random_loans(rng, n, n_periods) -> LoanArrays:
    gross = rng.uniform(0.0, 0.09, n)
    gross[rng.random(n) < 0.1] = 0.0  # zero-rate loans take the B / n branch
    return make_loans(
        balance=rng.uniform(1_000.0, 900_000.0, n),
        gross_rate=gross,
        servicing_fee_rate=rng.choice([0.00375, 0.005], n),
        lpmi_rate=np.where(rng.random(n) < 0.3, rng.uniform(0.0, 0.01, n), 0.0),
        margin=rng.uniform(0.0, 0.05, n),
        index_id=rng.integers(0, 4, n),
        months_to_reset=rng.integers(1, n_periods + 10, n),
        reset_frequency=rng.choice([1, 6, 12], n),
        initial_cap=rng.uniform(0.0, 0.06, n),
        periodic_cap=rng.uniform(0.0, 0.03, n),
        max_rate=gross + rng.uniform(0.0, 0.06, n),
        min_rate=gross * rng.uniform(0.0, 1.0, n),
        remaining_term=rng.integers(1, n_periods + 20, n),
        age=rng.integers(0, 60, n),
    )


def flat_index(n_periods, value=0.03):
    return np.full((4, max(n_periods, 2)), value)


def assert_conservation(cf: PoolCashflows, starting_balance: float):
    np.testing.assert_allclose(
        cf.pool_balance_begin - cf.scheduled_principal - cf.advanced_principal - cf.prepayment
        - cf.liquidated_balance - cf.repurchased_balance,
        cf.pool_balance_end, rtol=1e-12, atol=1e-6,
    )
    np.testing.assert_allclose(cf.pool_balance_begin[1:], cf.pool_balance_end[:-1], rtol=1e-12, atol=1e-6)
    assert cf.pool_balance_begin[0] == pytest.approx(starting_balance, rel=1e-13)
    np.testing.assert_allclose(cf.recovery + cf.realized_loss, cf.liquidated_balance, rtol=1e-12, atol=1e-9)
    fees = cf.servicing_fee + cf.master_servicing_fee + cf.trustee_fee + cf.lpmi_premium
    np.testing.assert_allclose(cf.scheduled_interest + cf.advanced_interest + cf.repurchase_interest - fees,
                               cf.net_interest, rtol=1e-12, atol=1e-6)
    for name in OUTPUT_NAMES:
        if name not in ("net_interest", "net_rate_balance"):  # negative when fees exceed a near-zero coupon
            assert np.all(getattr(cf, name) >= 0.0), name
    assert np.all(cf.realized_loss <= cf.liquidated_balance + 1e-9)
    # Every defaulted dollar is liquidated, bought, advanced or still in the pool: what left never exceeds defaults.
    left = cf.liquidated_balance + cf.repurchased_balance + cf.advanced_principal
    assert np.all(np.cumsum(left) <= np.cumsum(cf.default_balance) * (1 + 1e-12) + 1e-6)


# -- the reference twin ------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_loans=st.integers(1, 6),
    n_periods=st.integers(1, 130),
    cpr=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 0.6)),
    cdr=st.one_of(st.just(0.0), st.floats(0.0, 0.3)),
    vector_prepay=st.booleans(),
    severity=st.floats(0.0, 1.0),
    lag=st.integers(0, 14),
    advancing=st.booleans(),
    rounding=st.sampled_from([0.0, 0.00125, 0.0025]),
    vector_severity=st.booleans(),
    options=st.fixed_dictionaries({
        "buyout_share": st.sampled_from([0.0, 0.5, 1.0]), "buyout_rule": st.sampled_from(["share", "value"]),
        "buyout_months": st.integers(3, 6),
        "fair_value_share": st.sampled_from([0.0, 0.3, 1.0]), "fair_value_rule": st.sampled_from(["share", "value"]),
        "fair_value_months": st.integers(1, 4),
        "purchase_limit": st.sampled_from([0.0, 0.001, 0.01]), "purchase_rule": st.sampled_from(["share", "value"]),
        "purchase_months": st.integers(1, 3),
    }),
)
def test_kernel_equals_reference(seed, n_loans, n_periods, cpr, cdr, vector_prepay, severity, lag, advancing,
                                 rounding, vector_severity, options):
    rng = np.random.default_rng(seed)
    loans = random_loans(rng, n_loans, n_periods)
    index_rates = rng.uniform(-0.005, 0.12, (4, n_periods))
    prepayment = tuple(rng.uniform(0.0, 0.5, n_periods)) if vector_prepay else cpr
    # a severity that changes by month makes the fair-value rule (sale month vs foreclosure month) bite
    severity = tuple(rng.uniform(0.0, 1.0, n_periods)) if vector_severity else severity
    a = Assumptions(prepayment=prepayment, default=cdr, severity=severity, liquidation_lag=lag,
                    advancing=advancing, rounding=rounding, **options)
    cf = project_pool(loans, index_rates, a, n_periods=n_periods)
    ref = project_pool_reference(
        loans, index_rates, a.smm(n_periods, wa_age=loans.wa_age), a.mdr(n_periods, wa_age=loans.wa_age),
        a.severity_vector(n_periods), lag, advancing, rounding, a.servicer_options,
    )
    assert set(OUTPUTS) == set(OUTPUT_NAMES)
    for name in OUTPUTS:
        np.testing.assert_allclose(getattr(cf, name), ref[name], rtol=1e-12, atol=1e-6, err_msg=name)
    assert_conservation(cf, loans.balance.sum())


# -- ARM resets worked by hand -----------------------------------------------------------------


def run_kernel(loans: LoanArrays, index_rates, n_periods, *, smm=0.0, mdr=0.0, rounding=0.00125):
    """The raw kernel on one path (no validation), so unobserved index months can be NaN."""
    out = project_tiles(
        BehaviourLoans.vectors_only(loans), np.asarray(index_rates)[None], None, None,
        np.full((1, n_periods), smm), np.full((1, n_periods), mdr), np.zeros((1, n_periods)), None,
        np.zeros(N_COEF), LOGISTIC_TABLE, mode=MODE_VECTORS, liquidation_lag=0, advancing=True,
        rounding=rounding, options=ServicerOptions(),
    )
    return PoolCashflows(**{name: out[0, :, k].copy() for k, name in enumerate(OUTPUT_NAMES)})


def test_reset_caps_by_hand():
    # 4% loan, margin 2.75%, first adjustment 1 month after cut-off then every 6, LIBOR_6M.
    loans = make_loans(gross_rate=0.04, margin=0.0275, months_to_reset=1, reset_frequency=6, initial_cap=0.02,
                       periodic_cap=0.01, max_rate=0.085, min_rate=0.0275, index_id=INDEX_IDS["LIBOR_6M"])
    index = np.full((4, 40), np.nan)  # only the observed months are set: any other lookup gives NaN
    index[1, 0] = 0.05     # adj. at month 1 (rate from month 2): 7.75%, initial cap +2% -> 6.00%
    index[1, 6] = 0.0563   # adj. at month 7: 8.38% rounds to 8.375%, periodic cap +1% -> 7.00%
    index[1, 12] = 0.0601  # adj. at month 13: 8.76% rounds to 8.75%, periodic cap -> 8.00%
    index[1, 18] = 0.09    # adj. at month 19: 11.75%, periodic cap 9.00%, lifetime cap -> 8.50%
    index[1, 24] = 0.0     # adj. at month 25: 2.75%, periodic cap -1% -> 7.50%
    index[1, 30] = 0.0475  # adj. at month 31: 7.50%, unchanged
    index[1, 36] = 0.0475  # adj. at month 37: 7.50%, unchanged
    cf = run_kernel(loans, index, 40)
    expected = [0.04] + [0.06] * 6 + [0.07] * 6 + [0.08] * 6 + [0.085] * 6 + [0.075] * 6 + [0.075] * 9
    np.testing.assert_allclose(cf.wac, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(cf.net_wac, np.array(expected) - 0.00375 - MASTER - TRUSTEE, rtol=0, atol=1e-15)


def test_reset_rounding_and_floor_by_hand():
    # 3.5% loan, margin 2.25%, floor 3.25%, first adjustment 2 months after cut-off, then yearly, LIBOR_12M.
    loans = make_loans(gross_rate=0.035, margin=0.0225, months_to_reset=2, reset_frequency=12, initial_cap=0.05,
                       periodic_cap=0.02, max_rate=0.10, min_rate=0.0325, index_id=INDEX_IDS["LIBOR_12M"])
    index = np.full((4, 30), np.nan)
    index[2, 1] = 0.01063   # 3.313% -> nearest 1/8 is 3.375% (3.25% is 0.063 away, 3.375% is 0.062)
    index[2, 13] = 0.0051   # 2.76% -> 2.75%, within the 2% cap, below the 3.25% floor -> 3.25%
    index[2, 25] = 0.019375  # 4.1875% is half-way between 4.125% and 4.25%: rounds up to 4.25%
    cf = run_kernel(loans, index, 30)
    expected = [0.035] * 2 + [0.03375] * 12 + [0.0325] * 12 + [0.0425] * 4
    np.testing.assert_allclose(cf.wac, expected, rtol=0, atol=1e-15)
    # Without rounding the unrounded sum is used.
    cf = run_kernel(loans, index, 4, rounding=0.0)
    assert cf.wac[2] == pytest.approx(0.03313, abs=1e-15)


def test_payment_recast_at_reset_by_hand():
    loans = make_loans(balance=100_000.0, gross_rate=0.04, months_to_reset=1, initial_cap=0.02)
    index = flat_index(3, 0.05)  # 7.75% capped at 6.00% from month 2
    cf = run_kernel(loans, index, 3)
    # Month 1 at 4%: payment 477.4152955, interest 333.3333333, principal 144.0819621.
    assert cf.scheduled_interest[0] == pytest.approx(333.3333333, abs=1e-6)
    assert cf.scheduled_principal[0] == pytest.approx(144.0819621, abs=1e-6)
    # Month 2 at 6% on 99,855.9180379 over 359 months: payment 599.2832706, interest 499.2795902.
    assert cf.pool_balance_begin[1] == pytest.approx(99_855.9180379, abs=1e-6)
    assert cf.scheduled_interest[1] == pytest.approx(499.2795902, abs=1e-6)
    assert cf.scheduled_principal[1] == pytest.approx(100.0036804, abs=1e-6)
    # Fees on the performing balance.
    assert cf.servicing_fee[0] == pytest.approx(100_000 * 0.00375 / 12)
    assert cf.master_servicing_fee[0] == pytest.approx(100_000 * MASTER / 12)
    assert cf.trustee_fee[0] == pytest.approx(100_000 * TRUSTEE / 12)


# -- closed forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.0575, 0.12])
def test_level_pay_loan_amortizes_to_exactly_zero(rate):
    loans = make_loans(balance=250_000.0, gross_rate=rate, remaining_term=360)
    cf = project_pool(loans, flat_index(360), Assumptions(), n_periods=361)
    assert cf.pool_balance_end[359] == 0.0
    assert np.all(cf.pool_balance_end[359:] == 0.0) and cf.scheduled_principal[360] == 0.0
    assert cf.scheduled_principal.sum() == pytest.approx(250_000.0, rel=1e-13)
    # The scheduled balance equals the closed-form annuity balance.
    r, n, k = rate / 12, 360, np.arange(1, 361)
    closed = 250_000.0 * (1 - k / n) if r == 0 else 250_000.0 * ((1 + r) ** n - (1 + r) ** k) / ((1 + r) ** n - 1)
    np.testing.assert_allclose(cf.pool_balance_end[:360], closed, rtol=1e-10, atol=1e-6)
    payments = cf.scheduled_interest[:360] + cf.scheduled_principal[:360]
    np.testing.assert_allclose(payments, payments[0], rtol=1e-10)  # level


def test_arm_with_resets_and_prepayments_amortizes_to_zero():
    rng = np.random.default_rng(7)
    loans = random_loans(rng, 20, 200)  # remaining terms up to 219 months
    cf = project_pool(loans, rng.uniform(0.0, 0.1, (4, 230)), Assumptions(prepayment=0.1), n_periods=230)
    last = loans.remaining_term.max()
    assert np.all(cf.pool_balance_end[last - 1:] == 0.0)
    assert (cf.scheduled_principal + cf.prepayment).sum() == pytest.approx(loans.balance.sum(), rel=1e-12)


def test_zero_cpr_cdr_gives_scheduled_balance_pool():
    # A pool at zero CPR/CDR is the sum of each loan's own schedule.
    rng = np.random.default_rng(11)
    loans = random_loans(rng, 5, 80)
    index = rng.uniform(0.0, 0.1, (4, 80))
    pool = project_pool(loans, index, Assumptions(), n_periods=80)
    alone = sum(
        project_pool(make_loans(**{f: getattr(loans, f)[[i]] for f in (
            "balance", "gross_rate", "servicing_fee_rate", "lpmi_rate", "margin", "index_id", "months_to_reset",
            "reset_frequency", "initial_cap", "periodic_cap", "max_rate", "min_rate", "remaining_term", "age")}),
            index, Assumptions(), n_periods=80).pool_balance_end
        for i in range(5)
    )
    np.testing.assert_allclose(pool.pool_balance_end, alone, rtol=1e-13)
    assert np.all(pool.default_balance == 0) and np.all(pool.prepayment == 0)


# -- defaults, lag, advancing, servicing options -------------------------------------------------


def test_defaults_liquidate_after_the_lag():
    loans = make_loans(balance=1_000_000.0, gross_rate=0.06, remaining_term=360)
    a = Assumptions(default=0.12, severity=0.4, liquidation_lag=4)
    cf = project_pool(loans, flat_index(60), a, n_periods=60)
    # Advanced principal: a cohort defaulted in month s is liquidated at its stated balance, the defaulted
    # balance x B_{s+3} / B_{s-1} (closed-form annuity balances of a 6%, 360-month loan) ...
    g = 1.005
    sched = (g ** 360 - g ** np.arange(61)) / (g ** 360 - 1.0)
    np.testing.assert_allclose(cf.liquidated_balance[4:], cf.default_balance[:-4] * sched[4:60] / sched[:56],
                               rtol=1e-11)
    assert np.all(cf.liquidated_balance[:4] == 0.0)
    # ... and loses 40% of the defaulted balance (the servicer is repaid its advanced principal first).
    np.testing.assert_allclose(cf.realized_loss[4:], 0.4 * cf.default_balance[:-4], rtol=1e-12)
    off = project_pool(loans, flat_index(60), replace(a, advancing=False), n_periods=60)
    np.testing.assert_allclose(off.liquidated_balance[4:], off.default_balance[:-4], rtol=1e-13)
    np.testing.assert_allclose(off.realized_loss, 0.4 * off.liquidated_balance, rtol=1e-13)
    # Month 1: MDR on the full balance, before scheduled principal.
    assert cf.default_balance[0] == pytest.approx(1_000_000.0 * (1 - 0.88 ** (1 / 12)), rel=1e-13)
    # Advanced interest at (gross - servicing) on the delinquent balance; the pool keeps net rate on it.
    delinquent_m1 = cf.default_balance[0]
    assert cf.advanced_interest[0] == pytest.approx(delinquent_m1 * (0.06 - 0.00375) / 12, rel=1e-12)
    assert_conservation(cf, 1_000_000.0)


def test_lag_zero_liquidates_in_the_month_of_default():
    loans = make_loans()
    cf = project_pool(loans, flat_index(24), Assumptions(default=0.1, severity=0.3), n_periods=24)
    np.testing.assert_allclose(cf.liquidated_balance, cf.default_balance, rtol=1e-15)
    assert np.all(cf.advanced_interest == 0.0) and np.all(cf.advanced_principal == 0.0)


def test_no_advancing_collects_nothing_on_delinquent_loans():
    loans = make_loans(lpmi_rate=0.005)
    on = project_pool(loans, flat_index(36), Assumptions(default=0.1, liquidation_lag=6), n_periods=36)
    off = project_pool(loans, flat_index(36), Assumptions(default=0.1, liquidation_lag=6, advancing=False),
                       n_periods=36)
    assert np.all(off.advanced_interest == 0.0) and np.all(off.advanced_principal == 0.0)
    # Without advancing the delinquent balance does not amortize: month 1 differs by the principal advanced.
    assert off.pool_balance_end[0] - on.pool_balance_end[0] == pytest.approx(on.advanced_principal[0], rel=1e-9)
    assert np.all(off.pool_balance_end >= on.pool_balance_end)
    np.testing.assert_allclose(off.servicing_fee, on.servicing_fee, rtol=0)
    assert np.all(off.lpmi_premium[1:] < on.lpmi_premium[1:])
    assert np.all(off.net_interest < on.net_interest)


# -- advancing and the servicer options, worked by hand ----------------------------------------------
# One loan of $100,000 at 6% (servicing fee 0.375%: advance rate 5.625%), 360 months, no reset, that
# defaults whole in month 1 (CDR 100% in month 1, 0 after). Its scheduled balance after k payments is the
# closed-form annuity balance B_k = B (1.005^360 - 1.005^k) / (1.005^360 - 1).

B0, R, SVC = 100_000.0, 0.06, 0.00375
ADVANCE = (R - SVC) / 12  # 0.0046875 a month


def scheduled_balance(k):
    g = 1.0 + R / 12
    return B0 * (g ** 360 - g ** k) / (g ** 360 - 1.0)


def one_default(n_periods, **kw):
    loans = make_loans(balance=B0, gross_rate=R, servicing_fee_rate=SVC)
    a = Assumptions(default=[1.0] + [0.0] * (n_periods - 1), **kw)
    return project_pool(loans, flat_index(n_periods), a, n_periods=n_periods)


def test_principal_advanced_each_month_and_recovered_at_liquidation():
    # Lag 4, severity 30%: delinquent months 1-4, liquidated in month 5.
    on = one_default(8, severity=0.3, liquidation_lag=4)
    off = one_default(8, severity=0.3, liquidation_lag=4, advancing=False)
    b = [scheduled_balance(k) for k in range(6)]
    # Principal advanced: the scheduled principal of months 1..4, B_{k-1} - B_k (month 1: $99.55).
    np.testing.assert_allclose(on.advanced_principal[:4], [b[k - 1] - b[k] for k in range(1, 5)], rtol=1e-12)
    assert on.advanced_principal[0] == pytest.approx(99.55, abs=0.005)
    # Interest advanced on the Stated Principal Balance at the start of each month (month 1: $468.75).
    np.testing.assert_allclose(on.advanced_interest[:4], [b[k - 1] * ADVANCE for k in range(1, 5)], rtol=1e-12)
    assert on.advanced_interest[0] == pytest.approx(468.75, abs=1e-9)
    # Month 5: the stated balance B_4 is liquidated; the servicer takes its 4 months of principal back out
    # of the proceeds 70% x $100,000, so the trust recovers $70,000 - (B_0 - B_4) and loses $30,000.
    assert on.liquidated_balance[4] == pytest.approx(b[4], rel=1e-12)
    assert on.realized_loss[4] == pytest.approx(30_000.0, rel=1e-12)
    assert on.recovery[4] == pytest.approx(70_000.0 - (B0 - b[4]), rel=1e-12)
    # Severity unchanged in total: the same loss and the same principal, earlier with advancing.
    assert on.realized_loss.sum() == pytest.approx(off.realized_loss.sum(), rel=1e-12)
    assert on.principal_remittance.sum() == pytest.approx(70_000.0, rel=1e-12)
    assert off.principal_remittance.sum() == pytest.approx(70_000.0, rel=1e-12)
    np.testing.assert_allclose(off.principal_remittance[:4], 0.0, atol=0)
    assert off.recovery[4] == pytest.approx(70_000.0, rel=1e-12)
    assert off.liquidated_balance[4] == pytest.approx(B0, rel=1e-12)
    # The delinquent stated balance amortizes: end of month 2 is B_2 with advancing, B_0 without.
    assert on.pool_balance_end[1] == pytest.approx(b[2], rel=1e-12)
    assert off.pool_balance_end[1] == pytest.approx(B0, rel=1e-12)


def test_buyout_share_at_the_repurchase_price():
    # Half of the loan is bought at 90 days (month 4), the rest foreclosed in month 13 at 50% severity.
    off = one_default(14, severity=0.5, liquidation_lag=12, advancing=False, buyout_share=0.5, buyout_rule="share")
    assert off.repurchased_balance[3] == pytest.approx(50_000.0, rel=1e-12)
    # Without advancing the accrued interest of the 3 missed months reaches the trust: 50,000 x 3 x 5.625% / 12.
    assert off.repurchase_interest[3] == pytest.approx(703.125, rel=1e-12)
    assert off.net_interest[3] == pytest.approx(703.125, rel=1e-12)
    assert off.realized_loss.sum() == pytest.approx(25_000.0, rel=1e-12)
    on = one_default(14, severity=0.5, liquidation_lag=12, buyout_share=0.5, buyout_rule="share")
    # With advancing the trust had the interest and principal already: it gets the stated balance, no interest.
    assert on.repurchased_balance[3] == pytest.approx(0.5 * scheduled_balance(3), rel=1e-12)
    assert np.all(on.repurchase_interest == 0.0)
    assert on.realized_loss.sum() == pytest.approx(25_000.0, rel=1e-12)


def test_value_rules_with_vectors():
    # A positive severity says the loan recovers less than par: a "value" buy-out never pays.
    cf = one_default(14, severity=0.3, liquidation_lag=12, buyout_share=1.0, buyout_rule="value",
                     purchase_limit=0.01, purchase_rule="value")
    assert np.all(cf.repurchased_balance == 0.0)
    assert cf.realized_loss[12] == pytest.approx(30_000.0, rel=1e-12)
    # Fair-value sale by value: sold in month 4 when its severity (20%) beats month 13's (50%) ...
    rising = [0.2] * 10 + [0.5]
    sold = one_default(14, severity=rising, liquidation_lag=12, fair_value_share=1.0)
    assert sold.liquidated_balance[3] == pytest.approx(scheduled_balance(3), rel=1e-12)
    assert sold.realized_loss[3] == pytest.approx(20_000.0, rel=1e-12)
    # ... and kept for foreclosure when it does not (severity falling from 50% to 20%).
    kept = one_default(14, severity=[0.5] * 10 + [0.2], liquidation_lag=12, fair_value_share=1.0)
    assert kept.liquidated_balance[3] == 0.0 and kept.realized_loss[12] == pytest.approx(20_000.0, rel=1e-12)


def test_one_percent_purchase_is_capped():
    # All $100,000 default in month 1; the 1% option may take 1% of the $100,000 performing balance that month:
    # $1,000 bought in month 2 at par plus one month of interest at 5.625% (advancing off).
    cf = one_default(14, severity=0.4, liquidation_lag=12, advancing=False, purchase_limit=0.01,
                     purchase_rule="share")
    assert cf.repurchased_balance[1] == pytest.approx(1_000.0, rel=1e-12)
    assert cf.repurchase_interest[1] == pytest.approx(1_000.0 * ADVANCE, rel=1e-12)
    assert cf.repurchased_balance.sum() == pytest.approx(1_000.0, rel=1e-12)
    assert cf.realized_loss[12] == pytest.approx(0.4 * 99_000.0, rel=1e-12)


def test_full_prepayment_pays_off_the_pool():
    cf = project_pool(make_loans(balance=[1e5, 2e5]), flat_index(3), Assumptions(prepayment=1.0), n_periods=3)
    assert cf.pool_balance_end[0] == 0.0 and np.all(cf.pool_balance_begin[1:] == 0.0)
    assert cf.prepayment[0] + cf.scheduled_principal[0] == pytest.approx(3e5, rel=1e-15)


def test_kernel_runs_in_threads_with_same_results():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    loans = random_loans(rng, 300, 120)
    index = rng.uniform(0.0, 0.1, (4, 120))
    a = Assumptions(prepayment="150 PSA", default="100 SDA", severity=0.35, liquidation_lag=9)
    expected = project_pool(loans, index, a, n_periods=120)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: project_pool(loans, index, a, n_periods=120), range(8)))
    for cf in results:
        for name in OUTPUT_NAMES:
            np.testing.assert_array_equal(getattr(cf, name), getattr(expected, name))


# -- the Python side ---------------------------------------------------------------------------


def test_loan_arrays_from_a_tape():
    import pandas as pd

    tape = pd.DataFrame({
        "balance": [100_000.0, 50_000.0], "gross_rate": [0.05, 0.06], "servicing_fee_rate": [0.00375, 0.005],
        "lpmi_rate": [0.0, 0.0049], "margin": [0.0275, 0.025], "index": ["LIBOR_6M", "CMT_1Y"],
        "months_to_reset": [5, 59], "reset_frequency": [6, 12], "initial_cap": [0.01, 0.05],
        "periodic_cap": [0.01, 0.02], "max_rate": [0.11, 0.11], "min_rate": [0.0275, 0.025],
        "remaining_term": [357, 360], "age": [3, 0],
    })
    loans = loan_arrays(tape, master_servicing_fee_rate=MASTER, trustee_fee_rate=TRUSTEE)
    assert loans.index_id.tolist() == [1, 3]
    assert loans.index_id.dtype == np.int64 and loans.balance.flags.c_contiguous
    assert loans.wa_age == pytest.approx(2.0)
    np.testing.assert_allclose(loans.net_rate, [0.05 - 0.00375 - MASTER - TRUSTEE,
                                                0.06 - 0.005 - 0.0049 - MASTER - TRUSTEE])


def test_project_pool_validates_inputs():
    from stress.errors import ScenarioError

    loans = make_loans()
    with pytest.raises(ScenarioError, match="index_rates"):
        project_pool(loans, np.zeros((3, 10)), Assumptions(), n_periods=10)
    with pytest.raises(ScenarioError, match="n_periods - 1 = 19"):
        project_pool(loans, np.zeros((4, 10)), Assumptions(), n_periods=20)
    with pytest.raises(ScenarioError, match="LIBOR_6M"):
        project_pool(loans, {"LIBOR_1M": np.zeros(10)}, Assumptions(), n_periods=10)
    with pytest.raises(ScenarioError, match="n_periods"):
        project_pool(loans, np.zeros((4, 10)), Assumptions(), n_periods=0)
    cf = project_pool(loans, {"LIBOR_6M": np.full(10, 0.03)}, Assumptions(), n_periods=10)
    assert cf.n_periods == 10
