"""Assumptions: curve shapes, vectors, conversions and validation messages."""

import re

import numpy as np
import pytest

from stress.assumptions import Assumptions, CurveMultiple
from stress.errors import ScenarioError


def at_months(vector, months):
    return [float(vector[m - 1]) for m in months]


def test_psa_shape():
    cpr = Assumptions(prepayment="100 PSA").cpr(360)
    assert at_months(cpr, [1, 2, 30, 60, 120, 360]) == pytest.approx([0.002, 0.004, 0.06, 0.06, 0.06, 0.06])
    double = Assumptions(prepayment=CurveMultiple("PSA", 200)).cpr(360)
    assert at_months(double, [1, 30, 60, 120]) == pytest.approx([0.004, 0.12, 0.12, 0.12])


def test_sda_shape():
    cdr = Assumptions(default="100% SDA").cdr(360)
    assert at_months(cdr, [1, 30, 60, 61, 120, 121, 360]) == pytest.approx(
        [0.0002, 0.006, 0.006, 0.005905, 0.0003, 0.0003, 0.0003]
    )
    assert at_months(Assumptions(default="50 SDA").cdr(120), [1, 30, 60, 120]) == pytest.approx(
        [0.0001, 0.003, 0.003, 0.00015]
    )


def test_curve_age_starts_at_pool_wa_age():
    cpr = Assumptions(prepayment="100 PSA").cpr(3, wa_age=4.0)
    assert cpr == pytest.approx([0.010, 0.012, 0.014])  # ages 5, 6, 7


def test_ppc_is_30_cpr():
    a = Assumptions(prepayment="100 PPC")
    assert a.cpr(5) == pytest.approx([0.30] * 5)
    assert Assumptions(prepayment="50 PPC").cpr(1) == pytest.approx([0.15])
    assert a.smm(2) == pytest.approx([1 - 0.7 ** (1 / 12)] * 2, rel=1e-15)


def test_curve_multiple_held_at_100_percent():
    assert Assumptions(prepayment="2000 PSA").cpr(40)[-1] == 1.0


def test_constants_and_vectors():
    a = Assumptions(prepayment=0.25, default=[0.01, 0.02], severity=(0.3, 0.4, 0.5))
    assert a.cpr(3) == pytest.approx([0.25] * 3)
    assert a.cdr(4) == pytest.approx([0.01, 0.02, 0.02, 0.02])  # holds the last value
    assert a.severity_vector(2) == pytest.approx([0.3, 0.4])
    assert a.mdr(1) == pytest.approx([1 - 0.99 ** (1 / 12)], rel=1e-15)
    hash(a)  # frozen and hashable


def test_servicer_options_are_data_with_rules():
    plain = Assumptions(default=0.05, severity=0.4, liquidation_lag=12)
    assert not plain.servicer_options.active
    assert plain.severity_vector(2) == pytest.approx([0.4, 0.4])
    a = Assumptions(buyout_share=0.25, buyout_rule="share", fair_value_share=1.0, purchase_limit=0.01)
    o = a.servicer_options
    assert o.active and o.buyout_share == 0.25 and o.buyout_rule == "share" and o.fair_value_rule == "value"
    assert (o.buyout_months, o.fair_value_months, o.purchase_months) == (3, 3, 1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(buyout_share=1.5), "Assumptions.buyout_share = 1.5: must be in [0, 1]"),
    (dict(buyout_share=-0.1), "Assumptions.buyout_share = -0.1: must be in [0, 1]"),
    (dict(fair_value_share=2.0), "Assumptions.fair_value_share = 2.0: must be in [0, 1]"),
    (dict(purchase_limit=0.02), "Assumptions.purchase_limit = 0.02: must be in [0, 0.01]"),
    (dict(buyout_months=2), "Assumptions.buyout_months = 2: must be in [3, 120]"),
    (dict(buyout_rule="sometimes"), "Assumptions.buyout_rule = 'sometimes': must be 'share' or 'value'"),
    (dict(pricing_speed_cpr=1.2), "Assumptions.pricing_speed_cpr = 1.2: must be in (0, 1)"),
])
def test_servicer_option_out_of_range_is_one_clear_line(kwargs, message):
    with pytest.raises(ScenarioError) as err:
        Assumptions(**kwargs)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_ppc_reads_the_pricing_speed():
    # 100% PPC is the deal's pricing speed: the reference deal file's 30% CPR, or the one given.
    assert Assumptions(prepayment="100 PPC").cpr(1)[0] == pytest.approx(0.30)
    assert Assumptions(prepayment="150 PPC", pricing_speed_cpr=0.20).cpr(1)[0] == pytest.approx(0.30)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(prepayment=1.5), "prepayment"),
        (dict(prepayment=-0.1), "prepayment"),
        (dict(prepayment=float("nan")), "prepayment"),
        (dict(prepayment="100 SDA"), "prepayment"),
        (dict(prepayment="fast"), "prepayment"),
        (dict(default="100 PSA"), "default"),
        (dict(default=[0.01, 2.0]), "default[1]"),
        (dict(severity=[0.3, 1.2]), "severity[1]"),
        (dict(severity="100 SDA"), "severity"),
        (dict(severity=[]), "severity"),
        (dict(liquidation_lag=-1), "liquidation_lag"),
        (dict(liquidation_lag=2.5), "liquidation_lag"),
        (dict(liquidation_lag=True), "liquidation_lag"),
        (dict(advancing="yes"), "advancing"),
        (dict(rounding=0.5), "rounding"),
        (dict(prepayment=CurveMultiple("PSA", -5)), "prepayment"),
    ],
)
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(ScenarioError, match=re.escape(f"Assumptions.{field} = ")):
        Assumptions(**kwargs)


def test_error_message_gives_value_and_range():
    with pytest.raises(ScenarioError) as err:
        Assumptions(prepayment=1.5)
    assert "1.5" in str(err.value) and "[0, 1]" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        Assumptions(liquidation_lag=-1)
    assert "-1" in str(err.value) and "[0, 120]" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_numpy_scalars_accepted():
    a = Assumptions(prepayment=np.float64(0.1), liquidation_lag=np.int64(6), advancing=np.bool_(False))
    assert a.liquidation_lag == 6 and a.advancing is False
