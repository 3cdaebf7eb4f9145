"""The tape reader accepts a good tape and lists every bad row of a bad one."""

from __future__ import annotations

import pytest

from stress.cli import main
from stress.collateral.tape import read_tape, validate_tape, write_tape
from stress.errors import TapeError


def test_round_trip_csv_and_parquet(tmp_path, small_tape):
    for suffix in (".csv", ".parquet"):
        path = write_tape(small_tape, tmp_path / f"tape{suffix}")
        back = read_tape(path)
        assert list(back["loan_id"]) == ["L1", "L2", "L3"]
        assert back["balance"].sum() == 900_000.0
        assert back["fico"].isna().tolist() == [False, True, False]
        assert back["mi_insured"].tolist() == [False, False, True]
        assert back["months_to_reset"].dtype.kind == "i"


def test_parquet_bytes_are_reproducible(tmp_path, small_tape):
    a = write_tape(small_tape, tmp_path / "a.parquet").read_bytes()
    b = write_tape(small_tape, tmp_path / "b.parquet").read_bytes()
    assert a == b


def test_every_bad_row_is_reported(tmp_path, small_tape):
    bad = small_tape.copy()
    bad.loc[0, "balance"] = -5.0
    bad.loc[1, "gross_rate"] = 0.31
    bad.loc[2, "max_rate"] = 0.05               # below gross_rate 0.0675
    bad.loc[0, "index"] = "PRIME"
    bad.loc[1, "remaining_term"] = 400          # > original_term 360
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(TapeError) as info:
        read_tape(path)
    problems = info.value.problems
    text = "\n".join(problems)
    assert "row 1, column 'balance', value '-5.0': must be in [0.01, 1e+08]" in text
    assert "row 2, column 'gross_rate', value '0.31': must be in [0, 0.25]" in text
    assert "row 3, column 'max_rate'" in text and "must be >= gross_rate" in text
    assert "row 1, column 'index', value 'PRIME': must be one of LIBOR_1M" in text
    assert "row 2, column 'remaining_term', value '400': must be in [1, 480]" not in text
    assert "row 2, column 'remaining_term', value 400: must be <= original_term" in text
    assert str(path) in str(info.value)


def test_missing_columns_and_unparsable_values(tmp_path, small_tape):
    with pytest.raises(TapeError, match="missing column 'fico'"):
        validate_tape(small_tape.drop(columns=["fico", "ltv"]), source="x.csv")
    bad = small_tape.astype(object)
    bad.loc[1, "ltv"] = "eighty"
    bad.loc[2, "mi_insured"] = "maybe"
    with pytest.raises(TapeError) as info:
        validate_tape(bad, source="x.csv")
    assert any("row 2, column 'ltv', value 'eighty': must be a number" in p for p in info.value.problems)
    assert any("row 3, column 'mi_insured', value 'maybe': must be true or false" in p
               for p in info.value.problems)


def test_unknown_file_type_and_missing_file(tmp_path):
    with pytest.raises(TapeError, match="file not found"):
        read_tape(tmp_path / "none.parquet")
    other = tmp_path / "tape.xlsx"
    other.write_text("x")
    with pytest.raises(TapeError, match="unknown file type '.xlsx'"):
        read_tape(other)


def test_cli_check_lists_problems_without_traceback(tmp_path, small_tape, capsys):
    bad = small_tape.copy()
    bad.loc[0, "fico"] = 900
    bad.loc[2, "fico"] = 250
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    assert main(["tape", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 1, column 'fico', value '900.0'" in err and "row 3, column 'fico', value '250.0'" in err
    assert "Traceback" not in err
    good = tmp_path / "good.csv"
    small_tape.to_csv(good, index=False)
    assert main(["tape", "check", str(good)]) == 0
