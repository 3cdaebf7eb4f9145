"""Behaviour models: monotonicity, hand-computed hazards, validation, the base scenario on the reference pool."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stress.behaviour import default as dm
from stress.behaviour import prepayment as pm
from stress.behaviour import severity as sm
from stress.behaviour.logistic import logistic, logistic_exact
from stress.behaviour.params import BehaviourFileError, BehaviourParams, load_behaviour, parse_behaviour

P = load_behaviour()
unit = st.floats(0.0, 1.0)


def test_base_file_equals_model_defaults():
    assert P.model_dump(exclude={"source"}) == BehaviourParams().model_dump(exclude={"source"})


def test_logistic_table_accuracy():
    x = np.linspace(-15.9, 15.9, 20001)
    assert np.max(np.abs(logistic(x) / logistic_exact(x) - 1)) < 3.2e-5


# -- monotonicity on random loans ------------------------------------------------------------------------


loan_state = dict(age=st.integers(1, 120), penalty=st.sampled_from([0, 12, 24, 36]), cum=st.floats(0, 0.5),
                  ltv=st.floats(0.2, 1.4), d=st.integers(-20, 20), shock=st.floats(-0.3, 1.0))


@settings(max_examples=200, deadline=None)
@given(inc=st.floats(-0.05, 0.05), more=st.floats(1e-4, 0.03), **loan_state)
def test_more_incentive_prepays_faster(inc, more, age, penalty, cum, ltv, d, shock):
    kw = dict(age=age, penalty_months=penalty, cum_incentive=cum, ltv=ltv, months_from_reset=d, first_shock=shock,
              params=P)
    assert pm.smm(incentive=inc + more, **kw) >= pm.smm(incentive=inc, **kw)


@settings(max_examples=200, deadline=None)
@given(inc=st.floats(-0.05, 0.05), more_ltv=st.floats(1e-4, 1.0), dd=st.floats(0.0, 0.6), **loan_state)
def test_more_negative_equity_never_prepays_faster(inc, more_ltv, dd, age, penalty, cum, ltv, d, shock):
    # less equity: less turnover (equity multiple) and less refinancing (the gate closes toward 105% LTV)
    kw = dict(age=age, penalty_months=penalty, incentive=inc, cum_incentive=cum, months_from_reset=d,
              first_shock=shock, params=P, drawdown=dd)
    assert pm.smm(ltv=ltv + more_ltv, **kw) <= pm.smm(ltv=ltv, **kw)


@settings(max_examples=200, deadline=None)
@given(inc=st.floats(-0.05, 0.05), dd=st.floats(0.0, 0.6), deeper=st.floats(1e-4, 0.4), **loan_state)
def test_deeper_drawdown_never_prepays_faster(inc, dd, deeper, age, penalty, cum, ltv, d, shock):
    kw = dict(age=age, penalty_months=penalty, incentive=inc, cum_incentive=cum, ltv=ltv, months_from_reset=d,
              first_shock=shock, params=P)
    assert pm.smm(drawdown=dd + deeper, **kw) <= pm.smm(drawdown=dd, **kw)


def test_underwater_borrower_cannot_refinance():
    # At 105% LTV and above the refinance gate is shut: a 3% rate incentive and a reset spike add nothing, the
    # rate is the turnover part alone: base 32% CPR x equity clip(1 + 1.5 (0.8 - 1.1), 0.3, 1.6) = 0.55
    # x credit max(0.12, 1 - 15 x 0.05) = 0.25, seasoned, no penalty.
    kw = dict(age=60, penalty_months=0, cum_incentive=0.0, ltv=1.10, params=P, drawdown=0.05)
    turnover = (1 - (1 - 0.32) ** (1 / 12)) * 0.55 * 0.25
    assert pm.smm(incentive=0.03, months_from_reset=0, first_shock=0.5, **kw) == pytest.approx(turnover, rel=1e-12)
    # at 80% LTV the full refinance term is open: 1 + 2 S(300 x (0.03 - 0.0075)) ~ 3 x the turnover x 1.0 equity
    open_ = pm.smm(incentive=0.03, months_from_reset=-10_000, first_shock=0.0, age=60, penalty_months=0,
                   cum_incentive=0.0, ltv=0.80, params=P, drawdown=0.0)
    assert open_ == pytest.approx((1 - (1 - 0.32) ** (1 / 12)) * (1 + 2 * _logistic(300 * 0.0225)), rel=4e-5)


def test_refi_gate_order_is_checked():
    with pytest.raises(BehaviourFileError, match="refi_ltv_zero"):
        parse_behaviour({"prepayment": {"refi_ltv_full": 1.0, "refi_ltv_zero": 0.9}}, source="x.toml")


def _static(fico=700.0, dti=0.35, doc="FULL", occ="OWNER OCC", purpose="PUR"):
    return dm.static_logit(fico=[fico], dti=[dti], doc_type=[doc], occupancy=[occ], purpose=[purpose], params=P)[0]


@settings(max_examples=200, deadline=None)
@given(fico=st.floats(500, 820), drop=st.floats(1, 200), age=st.integers(1, 120), ltv=st.floats(0.2, 1.4),
       more_ltv=st.floats(0.01, 0.5), ratio=st.floats(0.7, 2.0), more_shock=st.floats(0.01, 0.5),
       doc=st.integers(0, 3))
def test_default_monotone(fico, drop, age, ltv, more_ltv, ratio, more_shock, doc):
    kw = dict(age=age, params=P)
    base = dm.mdr(static=_static(fico), ltv=ltv, payment_ratio=ratio, **kw)
    assert dm.mdr(static=_static(fico - drop), ltv=ltv, payment_ratio=ratio, **kw) >= base  # lower FICO
    assert dm.mdr(static=_static(fico), ltv=ltv + more_ltv, payment_ratio=ratio, **kw) >= base  # higher LTV
    assert dm.mdr(static=_static(fico), ltv=ltv, payment_ratio=ratio + more_shock, **kw) >= base  # payment shock
    ladder = [("FULL",), ("REDUCED",), ("SISA", "NO RATIO"), ("NISA", "NINA")]  # weaker documentation
    for weaker in ladder[doc + 1:]:
        for name in weaker:
            for stronger in ladder[doc]:
                assert dm.mdr(static=_static(fico, doc=name), ltv=ltv, payment_ratio=ratio, **kw) >= \
                    dm.mdr(static=_static(fico, doc=stronger), ltv=ltv, payment_ratio=ratio, **kw)
    assert _static(occ="INV HM") > _static() and _static(purpose="REFI/CO") > _static()
    # strictly higher where the cap does not bind
    assert dm.mdr(static=_static(fico - drop), ltv=0.8, payment_ratio=1.0, **kw) > \
        dm.mdr(static=_static(fico), ltv=0.8, payment_ratio=1.0, **kw)


@settings(max_examples=300, deadline=None)
@given(ltv=st.floats(0.3, 2.5), more=st.floats(0.0, 1.0), ratio=st.floats(0.5, 2.5), more_shock=st.floats(0.0, 1.5),
       age=st.integers(1, 120), fico=st.floats(500, 820))
def test_negative_equity_and_payment_shock_never_lower_default(ltv, more, ratio, more_shock, age, fico):
    """Issue 15: more negative equity never lowers the default hazard; a larger payment shock never does."""
    kw = dict(static=_static(fico), age=age, params=P)
    base = dm.mdr(ltv=ltv, payment_ratio=ratio, **kw)
    assert dm.mdr(ltv=ltv + more, payment_ratio=ratio, **kw) >= base
    assert dm.mdr(ltv=ltv, payment_ratio=ratio + more_shock, **kw) >= base
    # the negative-equity slope adds to the LTV slope above 100%: the logit rises faster there
    x = lambda v: float(dm.logit(static=0.0, age=60, ltv=v, payment_ratio=1.0, params=P))  # noqa: E731
    assert x(1.3) - x(1.2) == pytest.approx(0.1 * (P.default.ltv_slope + P.default.negative_equity_slope))
    assert x(0.9) - x(0.8) == pytest.approx(0.1 * P.default.ltv_slope)


@settings(max_examples=300, deadline=None)
@given(ltv0=st.floats(0.2, 1.3), more_ltv=st.floats(0.0, 0.8), hpi=st.floats(0.3, 2.0), fall=st.floats(0.0, 0.5),
       peak=st.floats(1.0, 2.5), rate=st.floats(0.0, 0.12), cov=st.floats(0.05, 0.4))
def test_severity_monotone(ltv0, more_ltv, hpi, fall, peak, rate, cov):
    kw = dict(advance_rate=rate, params=P)
    peak = max(peak, hpi)  # the peak is a running maximum: at least the current index
    s = sm.severity(ltv0=ltv0, hpi_liquidation=hpi, hpi_peak=peak, coverage=0.0, **kw)
    # lower home prices at liquidation (a deeper drawdown from the same peak)
    assert sm.severity(ltv0=ltv0, hpi_liquidation=hpi * (1 - fall), hpi_peak=peak, coverage=0.0, **kw) >= s
    # more negative equity: a higher balance against the same house
    assert sm.severity(ltv0=ltv0 + more_ltv, hpi_liquidation=hpi, hpi_peak=peak, coverage=0.0, **kw) >= s
    # the same index after a higher peak: a crowded market, a longer timeline and a deeper discount
    assert sm.severity(ltv0=ltv0, hpi_liquidation=hpi, hpi_peak=peak * (1 + fall), coverage=0.0, **kw) >= s
    assert sm.severity(ltv0=ltv0, hpi_liquidation=hpi, hpi_peak=peak, coverage=cov, **kw) <= s  # MI lowers it
    assert 0.0 <= s <= 1.0


def test_severity_in_the_published_range_under_a_35pct_decline():
    """Alt-A liquidations in 2008-2011 lost 40-60% (issue 15); prices rising: a modest severity.

    By hand from base.toml: an uninsured loan at LTV0 0.75 (balance / original value), note rate less
    servicing 5.4%, liquidated with the index 35% below its peak: discount 0.27 + 0.15 x 0.35 = 0.3225,
    proceeds 0.6775 x 0.65 / 0.75 = 0.58717, timeline 12 + min(36 x 0.35, 24) = 24.6 months, claim
    1 + 0.08 + 24.6 x (0.054 + 0.02) / 12 = 1.2317, severity 0.6445. Ten points more equity (LTV0 0.65):
    proceeds 0.67750, severity 0.5542. Prices up 10% and never down: proceeds 0.73 x 1.1 / 0.75 = 1.07067,
    claim 1 + 0.08 + 12 x 0.074 / 12 = 1.154, severity 0.0833.
    """
    kw = dict(advance_rate=0.054, coverage=0.0, params=P)
    assert sm.severity(ltv0=0.75, hpi_liquidation=0.65, hpi_peak=1.0, **kw) == pytest.approx(0.64453, abs=1e-4)
    assert sm.severity(ltv0=0.65, hpi_liquidation=0.65, hpi_peak=1.0, **kw) == pytest.approx(0.55417, abs=1e-4)
    assert sm.severity(ltv0=0.75, hpi_liquidation=1.1, hpi_peak=1.1, **kw) == pytest.approx(0.08333, abs=1e-4)
    # MI on a 95% LTV loan: coverage 30% x (1 - 20% claim haircut) = 24% of the claim
    cov = float(sm.mi_coverage(0.95, True, P))
    assert cov == pytest.approx(0.24)


def test_fair_value_sale_takes_the_drawdown_discount_but_no_foreclosure_timeline():
    """The same loan as above sold at fair value (stress.servicing) instead of foreclosed.

    By hand from base.toml: sold fair_value_months = 3 after default with the index 35% below its peak:
    discount 0.27 + 0.15 x 0.35 = 0.3225 (the buyer prices the home in the same market), proceeds
    0.6775 x 0.65 / 0.75 = 0.58717, months 3 (no crowding extension: no foreclosure), claim
    1 + 0.03 + 3 x (0.054 + 0.02) / 12 = 1.0485, severity 0.46133 (foreclosure: 0.64453, above). Prices up
    10% and never down: proceeds 1.07067 > claim 1.0485, severity 0. The buy test for a buy-out after 3
    months compares the home less foreclosure_cost, 0.65 / 0.75 x 0.92 = 0.79733, with the Repurchase Price
    1 + 3 x 0.054 / 12 = 1.0135 (no: the servicer does not buy), and 1.1 / 0.75 x 0.92 = 1.34933 (yes).
    """
    kw = dict(advance_rate=0.054, coverage=0.0, params=P, fair_value_sale=True)
    assert sm.severity(ltv0=0.75, hpi_liquidation=0.65, hpi_peak=1.0, **kw) == pytest.approx(0.46133, abs=1e-4)
    assert sm.severity(ltv0=0.75, hpi_liquidation=1.1, hpi_peak=1.1, **kw) == 0.0
    assert float(sm.timeline_months(0.35, P, fair_value_sale=True)) == 3.0
    assert float(sm.timeline_months(0.35, P)) == pytest.approx(12 + 12.6)
    assert not sm.value_covers_price(ltv0=0.75, hpi=0.65, advance_rate=0.054, months=3, params=P)
    assert sm.value_covers_price(ltv0=0.75, hpi=1.1, advance_rate=0.054, months=3, params=P)


# -- hand-computed hazards: three loans at three months ----------------------------------------------------

LOANS = [  # fico, dti, doc, occupancy, purpose, penalty months, age at cut-off, LTV, insured
    dict(fico=720.0, dti=0.30, doc="FULL", occ="OWNER OCC", purpose="PUR", pen=0, age0=0, ltv=0.80, mi=False),
    dict(fico=640.0, dti=math.nan, doc="NINA", occ="INV HM", purpose="REFI/CO", pen=24, age0=2, ltv=0.95, mi=True),
    dict(fico=math.nan, dti=0.45, doc="REDUCED", occ="2ND HM", purpose="REFI", pen=12, age0=10, ltv=0.70, mi=False),
]


def _logistic(x):
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize("j", [0, 1, 2])
@pytest.mark.parametrize("month", [1, 13, 36])
def test_hazards_by_hand(j, month):
    loan = LOANS[j]
    age = loan["age0"] + month
    ltv = loan["ltv"] * 0.98 / 1.05  # some amortization, home prices up 5%
    incentive = 0.0050
    # Default logit by hand from base.toml.
    fico = 650.0 if math.isnan(loan["fico"]) else loan["fico"]
    x = -6.9 - 0.9 * (fico - 700) / 100
    x += {"FULL": 0.0, "NINA": 0.70, "REDUCED": 0.25}[loan["doc"]]
    x += {"OWNER OCC": 0.0, "INV HM": 0.45, "2ND HM": 0.20}[loan["occ"]]
    x += {"PUR": 0.0, "REFI/CO": 0.25, "REFI": 0.05}[loan["purpose"]]
    x += 0.0 if math.isnan(loan["dti"]) else 1.5 * (loan["dti"] - 0.35)
    x += 1.0 * math.log(min(age, 30) / 30)
    x += 1.6 * (ltv - 0.80) + 2.0 * max(ltv - 1.0, 0.0) + 1.6 * (1.10 - 1.0)
    expected_mdr = _logistic(x)
    static = _static(loan["fico"], loan["dti"], loan["doc"], loan["occ"], loan["purpose"])
    got = dm.mdr(static=static, age=age, ltv=ltv, payment_ratio=1.10, params=P)
    assert got == pytest.approx(expected_mdr, rel=4e-5)
    # Prepayment by hand: base 32% CPR, ramp 0.6 -> 1 over 6 months, penalty 0.5 / expiry 1.5 x 3 months,
    # equity clip(1 + 1.5 (0.8 - LTV), 0.3, 1.6), refi 2 S(300 (0.005 - 0.0075)) / (1 + 4.2 x 0.02), no spike;
    # refinance gate clip((1.05 - LTV) / 0.25, 0, 1) (0.65 on loan 1); credit max(0.12, 1 - 15 x 0.03) = 0.55
    # at a 3% drawdown from the peak.
    base = 1 - (1 - 0.32) ** (1 / 12)
    ramp = min(1.0, 0.6 + 0.4 * age / 6)
    pen = loan["pen"]
    penalty = 0.5 if 0 < pen and age <= pen else (1.5 if 0 < pen and age <= pen + 3 else 1.0)
    equity = min(max(1 + 1.5 * (0.8 - ltv), 0.3), 1.6)
    gate = min(max((1.05 - ltv) / 0.25, 0.0), 1.0)
    refi = 2.0 * _logistic(300 * (incentive - 0.0075)) / (1 + 4.2 * 0.02)
    expected_smm = base * ramp * penalty * equity * 0.55 * (1 + gate * refi)
    got = pm.smm(age=age, penalty_months=pen, incentive=incentive, cum_incentive=0.02, ltv=ltv,
                 months_from_reset=-10_000, first_shock=0.0, params=P, drawdown=0.03)
    assert got == pytest.approx(expected_smm, rel=4e-5)
    # Severity by hand at liquidation 12 months on, the index 10% below its peak of 1.05: discount
    # 0.27 + 0.15 x 0.10, costs 8%, 12 + 36 x 0.10 months of interest at 5.5% and carry at 2%, MI 30% (LTV 95%)
    # less the 20% claim haircut on loan 2.
    ltv0, hpi_liq, adv = loan["ltv"] * 0.98, 1.05 * 0.9, 0.055
    proceeds = (1 - 0.27 - 0.15 * 0.10) * hpi_liq / ltv0
    claim = 1 + 0.08 + (12 + 36 * 0.10) * (adv + 0.02) / 12
    cov = 0.30 * 0.8 if loan["mi"] else 0.0
    expected_sev = max(0.0, min(1.0, claim - proceeds - cov * claim))
    got = sm.severity(ltv0=ltv0, hpi_liquidation=hpi_liq, advance_rate=adv, hpi_peak=1.05,
                      coverage=sm.mi_coverage(loan["ltv"], loan["mi"], P), params=P)
    assert got == pytest.approx(expected_sev, rel=1e-12, abs=1e-15)


# -- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, message", [
    ({"prepayment": {"base_cpr": 1.5}}, "prepayment.base_cpr = 1.5: must be in [0, 0.99]"),
    ({"default": {"fico_per_100": 0.5}}, "default.fico_per_100 = 0.5: must be in [-10, 0]"),
    ({"severity": {"haircut": 0.2}}, "severity.haircut = 0.2: unknown key"),
    ({"mortgage_rate": {"index": "PRIME"}}, "must be one of LIBOR_1M"),
    ({"default": {"doc_type": {"FULL": 0.0}}}, "missing category 'REDUCED'"),
])
def test_validation_errors_name_key_value_and_rule(data, message):
    with pytest.raises(BehaviourFileError, match="behaviour file x.toml") as exc:
        parse_behaviour(data, source="x.toml")
    assert message in str(exc.value)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(BehaviourFileError, match="not found"):
        load_behaviour(tmp_path / "nope.toml")


# -- the base scenario on the reference pool at the forward curve --------------------------------------------


def test_base_scenario_on_reference_pool(capsys):
    reference_pool = pytest.importorskip("stress.collateral.reference_pool",
                                         reason="the reference tape module is not built yet")
    curves = pytest.importorskip("stress.rates.curves", reason="the forward curve is not available")
    from stress.collateral_model import BehaviourModel
    from stress.pool_paths import base_hpi, project_pool_paths

    n = 360
    rates = curves.forward_curve(n_months=420).rates[None, :, :n]
    hpi = base_hpi(1, n, drift=P.hpi.base_drift)
    cf = project_pool_paths(reference_pool.reference_tape(), rates, hpi, BehaviourModel(P), n_periods=n)
    cpr1 = float(cf.cpr(slice(0, 12))[0])
    cdef = float(cf.cumulative_default(60)[0])
    closs = float(cf.cumulative_loss(60)[0])
    monthly_cpr = 1 - (1 - cf.smm[0]) ** 12
    with capsys.disabled():
        print(f"\nbase scenario, reference pool, forward curve, HPI +{P.hpi.base_drift:.0%}/yr: "
              f"year-one CPR {cpr1:.2%}, 5y cumulative default {cdef:.2%}, 5y cumulative loss {closs:.3%}, "
              f"lifetime CPR {float(cf.lifetime_cpr()[0]):.2%}; CPR months 20-27 (2/28 resets): "
              + " ".join(f"{c:.0%}" for c in monthly_cpr[19:27]))
    t = P.targets
    assert t.year_one_cpr[0] <= cpr1 <= t.year_one_cpr[1]
    assert t.cumulative_default_5y[0] <= cdef <= t.cumulative_default_5y[1]
    assert t.cumulative_loss_5y[0] <= closs <= t.cumulative_loss_5y[1]
    # The spike around the 2/28 resets (months 22-25) stands out from the months before.
    assert monthly_cpr[22:26].max() > 1.3 * monthly_cpr[14:18].mean()


def test_calibration_hits_targets():
    reference_pool = pytest.importorskip("stress.collateral.reference_pool")
    from stress.behaviour.calibrate import calibrate
    from stress.pool_paths import base_hpi
    from stress.rates.curves import forward_curve

    tape = reference_pool.reference_tape().iloc[::20]
    rates = forward_curve(n_months=420).rates[None, :, :240]
    c = calibrate(tape, rates, base_hpi(1, 240, drift=0.05), P, target_cpr=0.35, target_loss=0.01, n_periods=240)
    assert c.lifetime_cpr == pytest.approx(0.35, abs=0.0025)
    assert c.cumulative_loss == pytest.approx(0.01, abs=0.0002)


@pytest.mark.parametrize("fall", [0.30, 0.35])
def test_pool_severity_in_the_alt_a_bust_range(fall):
    """Issue 15: Alt-A liquidations in 2008-2011 lost 40-60% (Clayton: 41.4% already by May 2008, see
    stress/data/alt_a_2004_vintage_published.csv). The reference pool (every 5th loan) on the forward curve,
    home prices flat for two years, then down ``fall`` over four and flat after: the liquidations of years
    6-10 lose 40-60%; with prices rising 5% a year they lose under 5%."""
    from stress.collateral.reference_pool import reference_tape
    from stress.collateral_model import BehaviourModel
    from stress.pool_paths import project_pool_paths
    from stress.rates.curves import forward_curve

    tape = reference_tape().iloc[::5]
    n = 132
    rates = forward_curve(n_months=420).rates[None, :, :n]
    bust = np.ones(n)
    bust[24:72] = np.linspace(1.0, 1.0 - fall, 48)
    bust[72:] = 1.0 - fall
    rising = 1.05 ** (np.arange(n) / 12)
    after = slice(60, 120)
    for path, low, high in ((bust, 0.40, 0.60), (rising, 0.0, 0.05)):
        cf = project_pool_paths(tape, rates, np.broadcast_to(path, (1, 2, n)).copy(), BehaviourModel(P), n_periods=n)
        severity = cf.realized_loss[0, after].sum() / cf.liquidated_balance[0, after].sum()
        assert low <= severity <= high


def test_kernel_coefficient_tuple_follows_the_layout():
    # The kernel reads coefficient C_x as element C_x of unpack(coef): a name added to COEF_NAMES without its
    # element in unpack would shift every coefficient after it.
    from stress.behaviour.compiled import COEF_NAMES, N_COEF, coefficients, unpack

    coef = np.arange(N_COEF, dtype=np.float64) * 1.5
    assert unpack(coef) == tuple(coef)
    packed = coefficients(BehaviourParams())
    assert packed.shape == (len(COEF_NAMES),) and packed.dtype == np.float64
    assert packed[COEF_NAMES.index("max_smm")] == BehaviourParams().prepayment.max_smm
