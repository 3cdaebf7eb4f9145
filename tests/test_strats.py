"""The strat report: term-sheet tables beside the tape's, with flags where out of tolerance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stress.collateral import reference_pool
from stress.collateral.strats import compare_strats, compute_strats
from stress.collateral.termsheet import (
    bucket_labels, date_of_months_to_reset, load_termsheet, months_to_reset_of_date, parse_range_label,
)


@pytest.fixture(scope="module")
def tape():
    return reference_pool.reference_tape()


def test_termsheet_loads_every_table_and_totals_add_up():
    ts = load_termsheet()
    assert len(ts.tables) == 20
    for t in ts.tables.values():
        assert sum(r.loan_count for r in t.rows) == t.total.loan_count
        assert abs(sum(r.balance for r in t.rows) - t.total.balance) <= 2
    assert ts["prepay_penalty_months"].total.label == "20"
    assert ts["months_to_roll"].total.label == "27"
    assert ts.summary["wa_gross_margin"] == 3.477


def test_label_rules():
    assert months_to_reset_of_date("02/04") == 1
    assert list(date_of_months_to_reset(np.array([1, 24, 119]))) == ["02/04", "01/06", "12/13"]
    ltv = parse_range_label("75.01 - 80.00")
    assert list(ltv.contains(np.array([75.0, 75.01, 80.0, 80.004, 80.01]))) == [False, True, True, True, False]
    assert list(parse_range_label("> 55.00").contains(np.array([55.0, 55.01]))) == [False, True]
    assert list(parse_range_label("Unknown").contains(np.array([np.nan, 40.0]))) == [True, False]


def test_reference_tape_passes_and_reports(tape):
    c = compare_strats(tape)
    assert c.ok, "\n".join(c.failures())
    text = c.to_text()
    for t in load_termsheet().tables.values():
        assert t.title in text
    assert "all strats within tolerance" in text
    json.dumps(c.to_dict())
    strats = compute_strats(tape)
    assert strats["product"].loc["TOTAL", "loan_count"] == 3951


def test_broken_tape_flags_the_right_bucket(tape):
    broken = tape.copy()
    broken.loc[broken["state"] == "FL", "state"] = "TX"
    c = compare_strats(broken)
    assert not c.ok
    bad_tables = {tc.table.key for tc in c.tables if not tc.ok}
    assert bad_tables == {"state"}
    state = next(tc for tc in c.tables if tc.table.key == "state")
    assert set(state.flags) == {"FL", "TX"}
    assert "share" in state.flags["FL"] and "count" in state.flags["FL"]
    text = c.to_text()
    assert any(line.startswith("  * FL") for line in text.splitlines())


def test_loans_in_no_printed_row_are_flagged(tape):
    broken = tape.copy()
    broken.loc[0, "ltv"] = 1.20
    assert bucket_labels(load_termsheet()["ltv"], broken)[0] is None
    c = compare_strats(broken)
    assert not c.ok
    assert any("in no printed row" in f for f in c.failures())


def test_reference_tape_is_the_shipped_file():
    assert reference_pool.reference_tape_path() == reference_pool.SHIPPED_PATH


def test_missing_shipped_file_is_built_into_the_cache(tmp_path, monkeypatch, tape):
    import stress.collateral.synthesize as synth

    monkeypatch.setattr(reference_pool, "SHIPPED_PATH", tmp_path / "absent" / "seed0.parquet")
    monkeypatch.setenv("STRESS_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(synth, "synthesize_tape", lambda seed: calls.append(seed) or tape)
    path = reference_pool.reference_tape_path()
    assert path == tmp_path / "cache" / "seed0.parquet" and path.exists()
    assert reference_pool.reference_tape_path() == path and calls == [0]  # built once, then read
    assert reference_pool.reference_tape().equals(tape)
