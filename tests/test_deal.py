"""The reference deal file loads with the term sheet's values; bad files fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from stress.calendar import payment_schedule
from stress.cli import main
from stress.derivatives import par_fixed_rate
from stress.rates.curves import forward_curve
from stress.deal import deal_path, load_deal
from stress.errors import DealFileError

REFERENCE = deal_path()


def test_reference_deal_matches_term_sheet(deal):
    assert deal.tranche_names == ["A-1", "A-2", "M-1", "M-2", "M-3", "M-4"]
    assert [t.balance for t in deal.tranches] == [869.0e6, 21.0e6, 48.5e6, 23.5e6, 21.5e6, 16.5e6]
    assert deal.bond_balance == 1_000_000_000.0
    assert [t.margin for t in deal.tranches] == [0.0034, 0.0045, 0.0060, 0.0085, 0.0105, 0.0120]
    assert [t.step_up_multiple for t in deal.tranches] == [2.0, 2.0, 1.5, 1.5, 1.5, 1.5]
    # losses hit M-4 first, A-2 last, never A-1
    order = sorted((t.writedown_order, t.name) for t in deal.tranches if t.writedown_order)
    assert [name for _, name in order] == ["M-4", "M-3", "M-2", "M-1", "A-2"]
    assert deal.coupon.fixed_cap == 0.115
    assert deal.collateral.cutoff_balance == 1_000_000_040.0
    assert deal.overcollateralization.target_fraction_of_cutoff == 0.005
    assert deal.clean_up_call.pool_fraction == 0.25
    assert str(deal.clean_up_call.date) == "2014-02-25"


# Term sheet, "Range of Months to Roll": balance, WA months to roll, gross WAC %, remaining term
# (months), for every bucket with a first roll after month 6 (the hybrids' fixed periods).
MONTHS_TO_ROLL = [(2_201_517, 17, 6.159, 353.43), (437_807_647, 23, 5.912, 359.16), (2_803_847, 30, 5.425, 353.90),
                  (173_296_205, 35, 5.802, 359.01), (2_503_529, 54, 5.891, 354.30), (150_288_688, 59, 5.928, 358.64),
                  (99_804, 75, 5.500, 351.00), (2_620_918, 82, 6.197, 358.47), (2_243_580, 115, 5.517, 354.82)]


def hybrid_fixed_period_balance(t: int) -> float:
    """Balance of the hybrids still in their fixed period, funding payment date t (1-based):
    level-pay amortization at each bucket's WAC for t - 1 months, 30% CPR, a bucket counted
    through payment date min(WA months to roll, 55)."""
    smm = 1 - 0.7 ** (1 / 12)
    total = 0.0
    for balance, roll, wac, term in MONTHS_TO_ROLL:
        if t <= min(roll, 55):
            r, n, m = wac / 1200, round(term), t - 1
            total += balance * ((1 + r) ** n - (1 + r) ** m) / ((1 + r) ** n - 1) * (1 - smm) ** m
    return total


def test_derivative_schedules_follow_the_hybrid_fixed_period_balance(deal):
    """$18,566,100 on 2004-04-25, $479,659,400 on 2004-05-25, then each contract a fixed share
    of the hybrids' fixed-period balance, stepping down as each cohort resets, none past 55 months."""
    schedule = payment_schedule(deal, 120)
    notional = np.array([d.notional_schedule_on(schedule.unadjusted_dates) for d in deal.derivatives])
    total = notional.sum(axis=0)
    assert total[:2].tolist() == [0.0, 0.0]
    assert total[2] == 18_566_100.0 and total[3] == 479_659_400.0
    april = 18_566_100 / hybrid_fixed_period_balance(3)
    may = 479_659_400 / hybrid_fixed_period_balance(4) - april
    for share, row in ((april, notional[0]), (may, notional[1])):
        live = np.flatnonzero(row)
        want = [round(share * hybrid_fixed_period_balance(t + 1), -2) for t in live[1:]]
        np.testing.assert_allclose(row[live[1:]], want, rtol=0, atol=0.5)
    # the 2/28s (19-24 months to roll) drop out after 2005-12, the 3/27s after 2006-12
    dates = schedule.unadjusted_dates.astype(str).tolist()
    jan06, jan07 = dates.index("2006-01-25"), dates.index("2007-01-25")
    assert total[jan06] < 0.45 * total[jan06 - 1] and total[jan07] < 0.5 * total[jan07 - 1]
    assert np.all(np.diff(total[3:]) <= 0)
    assert dates[np.flatnonzero(total)[-1]] == "2008-08-25"  # 55 months after the January 2004 closing


def test_swap_fixed_rates_are_par_on_the_builtin_curve(deal):
    curve = forward_curve()
    schedule = payment_schedule(deal, 120)
    t_pay = (schedule.payment_dates - curve.dates[0]).astype(int)
    t_grid = (curve.dates - curve.dates[0]).astype(int)
    df = np.exp(np.interp(t_pay, t_grid, np.log(curve.discount)))
    for d in deal.derivatives:
        par = par_fixed_rate(d.notional_schedule_on(schedule.unadjusted_dates), curve.libor_1m[:120],
                             schedule.accrual_days.astype(float), df)
        assert d.fixed_rate == pytest.approx(round(par, 4), abs=1e-12)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = REFERENCE.read_text()
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("margin = 0.0060", "margin = -0.006", r"broken\.toml: tranches\[2\]\.margin = -0\.006: must be in \[0, 0\.1\]"),
        ("cutoff_balance = 1_000_000_040.00", "", r"collateral\.cutoff_balance: missing \(required\)"),
        ("balance = 21_000_000.00", 'balance = "lots"', r"tranches\[1\]\.balance = 'lots': must be a valid number"),
        ("fixed_cap = 0.115", "fixed_cap = 0.115\nfixd_cap = 1", r"coupon\.fixd_cap = 1: unknown key"),
        ('kind = "swap"\nfixed_rate = 0.0228', 'kind = "swaption"\nfixed_rate = 0.0228',
         r"derivatives\[0\]\.kind = 'swaption': must be 'cap', 'corridor' or 'swap'"),
        ("writedown_order = 5", "writedown_order = 7", r"writedown_order values above 0 must be 1, 2, \.\.\."),
        ("[2004-07-25, 434_103_500.00]", "[2004-07-25, 490_000_000.00]",
         r"broken\.toml: derivatives\[1\]\.notional_schedule\[2\] = \[2004-07-25, 490,000,000\.00\]: the notional "
         r"rises; .* decline after the start \(allowed: \[0, 447,669,000\.00\]\)"),
        ("end = 2008-08-25\nnotional_schedule = [\n  [2004-05-25", "end = 2008-09-25\nnotional_schedule = [\n  [2004-05-25",
         r"broken\.toml: derivatives\[1\]\.end = 2008-09-25: 56 months after the closing date 2004-01-29: must be "
         r"at most 55 months \(derivative_rules\.max_term_months\)"),
        ("[2008-08-25, 745_800.00],", "[2008-08-25, 745_800.00], [2008-09-25, 700_000.00],",
         r"derivatives\[0\]\.notional_schedule\[53\] = \[2008-09-25, 700,000\.00\]: the date must be in \[start, end\]"),
    ],
)
def test_bad_deal_file_names_file_key_value_rule(tmp_path, old, new, expected):
    path = _broken(tmp_path, old, new)
    with pytest.raises(DealFileError, match=expected):
        load_deal(path)


def test_missing_and_malformed_deal_files(tmp_path):
    with pytest.raises(DealFileError, match="not found"):
        load_deal(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[deal\nname=")
    with pytest.raises(DealFileError, match="bad.toml: not valid TOML"):
        load_deal(bad)


def test_cli_reports_bad_deal_without_traceback(tmp_path, capsys):
    path = _broken(tmp_path, "margin = 0.0060", "margin = -0.006")
    assert main(["deal", str(path)]) == 2
    err = capsys.readouterr().err
    assert "tranches[2].margin = -0.006: must be in [0, 0.1]" in err
    assert "Traceback" not in err


def test_cli_shows_reference_deal(capsys):
    assert main(["deal"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"M-4\s+16,500,000\s+1\.20%", out)
