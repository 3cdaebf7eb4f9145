"""Reporting measures against the Impac CMB 2002-8 remittance report's own figures (December 2002)."""

import numpy as np
import pytest

from stress import conventions as c

# Figures printed in seeds/impac_cmb_2002-8_remittance_report_2002-12.txt
PAID_IN_FULL = 372_470.04
REPURCHASES = 390_000.00
CURTAILMENTS = 3_265.88
BEGINNING_BALANCE = 342_705_940.3
SCHEDULED_PRINCIPAL = 107_190.94
WAS = 1.88608338
REPORT_SMM = 0.002235081
REPORT_CPR = 0.026493706
REPORT_PSA = 7.023471612


def test_smm_cpr_psa_reproduce_the_report():
    prepayments = PAID_IN_FULL + REPURCHASES + CURTAILMENTS
    assert prepayments == pytest.approx(765_735.92, abs=1e-9)
    smm = c.smm(prepayments, BEGINNING_BALANCE, SCHEDULED_PRINCIPAL)
    assert float(smm) == pytest.approx(REPORT_SMM, abs=5e-10)
    cpr = c.cpr(smm)
    assert float(cpr) == pytest.approx(REPORT_CPR, abs=5e-10)
    psa = c.psa(cpr, WAS)
    assert float(psa) == pytest.approx(REPORT_PSA, abs=5e-9)


def test_printed_psa_is_a_multiple_of_the_curve_not_the_printed_formula():
    # The methodology page prints CPR/(0.02*min(30,WAS)); with a decimal CPR that is a tenth of
    # the published 7.0235. The figure is CPR over 100% PSA's CPR at that age (0.2% x WAS).
    literal = REPORT_CPR / (0.02 * min(30.0, WAS))
    assert literal == pytest.approx(REPORT_PSA / 10, rel=1e-8)
    assert float(c.psa(REPORT_CPR, WAS)) == pytest.approx(REPORT_CPR / float(c.psa_base_cpr(WAS)))


def test_averages_over_one_period_equal_the_period_figures():
    # The report's "Avg ... Since Cut-off" after the first distribution equals the period figure.
    smm = np.atleast_1d(c.smm(PAID_IN_FULL + REPURCHASES + CURTAILMENTS, BEGINNING_BALANCE, SCHEDULED_PRINCIPAL))
    assert float(c.average_smm(smm)) == pytest.approx(REPORT_SMM, abs=5e-10)
    assert float(c.average_cpr(smm)) == pytest.approx(REPORT_CPR, abs=5e-10)
    assert float(c.average_psa(smm, np.array([WAS]))) == pytest.approx(REPORT_PSA, rel=1e-7)


def test_average_smm_is_one_minus_geometric_mean_survival():
    smms = np.array([0.01, 0.02, 0.03])
    expected = 1 - (0.99 * 0.98 * 0.97) ** (1 / 3)
    assert float(c.average_smm(smms)) == pytest.approx(expected, rel=1e-14)
    assert float(c.average_cpr(smms)) == pytest.approx(1 - (1 - expected) ** 12, rel=1e-14)
    # PSA average caps each month's WAS at 30 before averaging.
    was = np.array([29.0, 30.0, 31.0])
    avg_was = (29 + 30 + 30) / 3
    assert float(c.average_psa(smms, was)) == pytest.approx(float(c.average_cpr(smms)) / (0.002 * avg_was))


def test_average_over_axis_of_paths():
    smms = np.array([[0.01, 0.02], [0.0, 0.0]])
    out = c.average_smm(smms, axis=-1)
    assert out.shape == (2,)
    assert out[1] == 0.0


def test_smm_from_cpr_round_trips():
    cprs = np.linspace(0.0, 0.99, 23)
    np.testing.assert_allclose(c.cpr(c.smm_from_cpr(cprs)), cprs, rtol=1e-12, atol=1e-15)
    assert float(c.smm_from_cpr(0.30)) == pytest.approx(1 - 0.7 ** (1 / 12), rel=1e-15)


def test_mdr_cdr():
    mdr = c.mdr(1_000_000.0, 200_000_000.0)
    assert float(mdr) == pytest.approx(0.005)
    assert float(c.cdr(mdr)) == pytest.approx(1 - 0.995**12)
    assert float(c.mdr_from_cdr(c.cdr(mdr))) == pytest.approx(0.005, rel=1e-12)


@pytest.mark.parametrize(
    "was, percent",  # 100% SDA CDR in percent, from the report's IF(...) formula
    [(1, 0.02), (15, 0.30), (30, 0.60), (45, 0.60), (60, 0.60), (61, 0.5905), (90, 0.315), (120, 0.03), (200, 0.03)],
)
def test_sda_base_follows_the_report_formula(was, percent):
    assert float(c.sda_base_cdr(was)) == pytest.approx(percent / 100, rel=1e-12)


def test_sda_multiple():
    assert float(c.sda(0.006, 45)) == pytest.approx(1.0)
    assert float(c.sda(0.012, 20)) == pytest.approx(0.012 / 0.004)
    mdrs = np.full(3, float(c.mdr_from_cdr(0.006)))
    # Average WAS for SDA is not capped at 30: mean(30, 45, 60) = 45 -> still the plateau.
    assert float(c.average_sda(mdrs, np.array([30.0, 45.0, 60.0]))) == pytest.approx(1.0, rel=1e-12)


def test_loss_severity():
    sev = c.loss_severity(np.array([40.0, 0.0, 10.0]), np.array([100.0, 0.0, 50.0]))
    assert sev[0] == pytest.approx(0.4)
    assert np.isnan(sev[1])
    assert sev[2] == pytest.approx(0.2)
    # Average: mean of the periods that had liquidations.
    avg = c.average_loss_severity(np.array([40.0, 0.0, 10.0]), np.array([100.0, 0.0, 50.0]))
    assert float(avg) == pytest.approx(0.3)
    assert np.isnan(c.average_loss_severity(np.zeros(2), np.zeros(2)))
