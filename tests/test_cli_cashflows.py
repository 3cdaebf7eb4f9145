"""`stress cashflows`: the decrement table, --json keys, --periods CSV, and clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import small_tape_rows
from stress.cli import main
from stress.collateral.tape import validate_tape, write_tape


@pytest.fixture(scope="module")
def tape_file(tmp_path_factory):
    rows = [dict(r, loan_id=f"{r['loan_id']}-{k}") for k in range(20) for r in small_tape_rows()]
    tape = validate_tape(pd.DataFrame(rows))
    tape["balance"] *= 1_000_000_040.0 / tape["balance"].sum()
    return write_tape(tape, tmp_path_factory.mktemp("tape") / "tape.parquet")


def test_json_has_every_class_and_key(tape_file, capsys):
    assert main(["cashflows", "--tape", str(tape_file), "--ppc", "100,150", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["speed"] for r in out["runs"]] == ["100% PPC", "150% PPC"]
    first = out["runs"][0]
    assert list(first["classes"]) == ["A-1", "A-2", "M-1", "M-2", "M-3", "M-4"]
    keys = {"wal_years", "modified_duration", "dm_bp", "first_principal", "last_principal", "writedown",
            "interest_shortfall", "basis_risk_unpaid"}
    assert set(first["classes"]["A-1"]) == keys
    assert first["classes"]["A-1"]["first_principal"] == "2004-02"
    # faster speed, shorter life
    assert out["runs"][1]["classes"]["A-1"]["wal_years"] < first["classes"]["A-1"]["wal_years"]
    series = first["periods"]
    assert {"date", "libor_1m", "afr", "pool_balance", "bond_balance", "oc", "oc_target", "excess_cashflow",
            "cap_income", "cpr", "cdr"} <= set(series)
    assert series["date"][0] == "2004-02-25"
    # priced at par with no losses, the DM of A-1 is close to its 34 bp margin (AFR does not bind at 30% CPR)
    assert first["classes"]["A-1"]["dm_bp"] == pytest.approx(34.0, abs=1.0)


def test_text_table_and_periods_csv(tape_file, tmp_path, capsys):
    csv = tmp_path / "periods.csv"
    assert main(["cashflows", "--tape", str(tape_file), "--ppc", "100", "--cdr", "5", "--severity", "40",
                 "--lag", "6", "--to", "maturity", "--periods", str(csv)]) == 0
    text = capsys.readouterr().out
    assert "WAL (yr)" in text and "DM (bp)" in text and "M-4" in text and "to maturity" in text
    table = pd.read_csv(csv)
    assert {"speed", "date", "afr", "pool_balance", "A-1 balance", "M-4 writedown"} <= set(table.columns)
    assert table["realized_loss"].sum() > 0


@pytest.mark.parametrize("argv, message", [
    (["--cdr", "150"], "must be in [0, 100] percent"),
    (["--ppc", "abc"], "must be comma-separated numbers"),
    (["--curve", "nope.csv"], "curve file nope.csv: not found"),
])
def test_bad_options_fail_cleanly(tape_file, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        code = main(["cashflows", "--tape", str(tape_file), *argv])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_tape_file(capsys, tmp_path):
    assert main(["cashflows", "--tape", str(tmp_path / "none.parquet")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_rate_shock_options(tape_file, capsys):
    assert main(["cashflows", "--tape", str(tape_file), "--ppc", "100", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)["runs"][0]
    assert main(["cashflows", "--tape", str(tape_file), "--ppc", "100", "--all-indices-to", "20",
                 "--shock-from", "1", "--json"]) == 0
    spiked = json.loads(capsys.readouterr().out)["runs"][0]
    assert "all indices 20.00% from month 1" in spiked["curve"]
    assert spiked["periods"]["libor_1m"][0] == base["periods"]["libor_1m"][0]
    assert spiked["periods"]["libor_1m"][1] == 0.20
    # coupons of 20% + margin are capped: the AFR / 11.50% binds and basis risk builds up
    assert spiked["classes"]["M-4"]["dm_bp"] < base["classes"]["M-4"]["dm_bp"]
    assert main(["cashflows", "--tape", str(tape_file), "--ppc", "100", "--shock-bp", "300", "--shock-ramp", "12",
                 "--json"]) == 0
    ramp = json.loads(capsys.readouterr().out)["runs"][0]["periods"]["libor_1m"]
    assert ramp[12] - base["periods"]["libor_1m"][12] == pytest.approx(0.03, abs=1e-9)
    assert ramp[5] - base["periods"]["libor_1m"][5] == pytest.approx(0.015, abs=1e-9)
