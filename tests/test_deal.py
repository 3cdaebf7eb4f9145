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


def test_derivative_notionals_match_term_sheet_aggregates(deal):
    """$18,566,100 on 2004-04-25, $479,659,400 on 2004-05-25, declining, none past 55 months."""
    schedule = payment_schedule(deal, 120)
    total = sum(d.notional_schedule_on(schedule.unadjusted_dates) for d in deal.derivatives)
    assert total[:2].tolist() == [0.0, 0.0]
    assert total[2] == 18_566_100.0 and total[3] == 479_659_400.0
    assert np.all(np.diff(total[3:]) <= 0)
    last = np.flatnonzero(total)[-1]
    assert str(schedule.unadjusted_dates[last]) == "2008-08-25"     # 55 months after closing
    assert np.all(total <= deal.bond_balance)


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
        ('kind = "swap"\nfixed_rate = 0.0278', 'kind = "swaption"\nfixed_rate = 0.0278',
         r"derivatives\[0\]\.kind = 'swaption': must be 'cap', 'corridor' or 'swap'"),
        ("writedown_order = 5", "writedown_order = 7", r"writedown_order values above 0 must be 1, 2, \.\.\."),
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
