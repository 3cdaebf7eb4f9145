"""Read, validate and write loan tapes (CSV or Parquet) against the schema.

A tape that breaks any rule raises :class:`~stress.errors.TapeError` listing
every bad cell with its row number (1-based, counting data rows, so row 1 is
the first loan; in a CSV with a header that is file line 2), column, value
and rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stress.collateral.schema import COLUMNS, COLUMN_NAMES, PRODUCTS
from stress.errors import TapeError

_MAX_PROBLEMS_PER_RULE = 10_000


def read_tape(path: str | Path) -> pd.DataFrame:
    """Read and validate a loan tape.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file with the columns of
        :data:`stress.collateral.schema.COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per loan, columns in schema order, numeric columns as
        float64/int64, ``mi_insured`` as bool.

    Raises
    ------
    TapeError
        The file is missing or unreadable, a column is missing, or any row
        breaks a rule; the message lists every problem.
    """
    path = Path(path)
    if not path.exists():
        raise TapeError(str(path), ["file not found"])
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            raw = pd.read_parquet(path)
        elif suffix == ".csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            raise TapeError(str(path), [f"unknown file type {suffix!r}: expected .csv or .parquet"])
    except TapeError:
        raise
    except Exception as exc:  # pyarrow / csv parser errors carry no file name
        raise TapeError(str(path), [f"cannot read file: {exc}"]) from None
    return validate_tape(raw, source=str(path))


def validate_tape(frame: pd.DataFrame, *, source: str = "<tape>") -> pd.DataFrame:
    """Coerce a raw table to the schema and check every rule.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw columns; strings are accepted for numeric columns (as read from
        CSV). Extra columns are dropped.
    source : str
        Name used in error messages (a file path).

    Returns
    -------
    pandas.DataFrame
        The validated tape.

    Raises
    ------
    TapeError
        With one entry per bad cell and per missing column.
    """
    missing = [c for c in COLUMN_NAMES if c not in frame.columns]
    if missing:
        raise TapeError(source, [f"missing column {c!r}" for c in missing]
                        + [f"expected columns: {', '.join(COLUMN_NAMES)}"])
    problems: list[tuple[int, str]] = []
    out: dict[str, np.ndarray] = {}
    rows = np.arange(1, len(frame) + 1)

    def flag(mask: np.ndarray, column: str, values, rule: str) -> None:
        for i in np.flatnonzero(mask)[:_MAX_PROBLEMS_PER_RULE]:
            value = values[i].item() if isinstance(values[i], np.generic) else values[i]
            problems.append((int(rows[i]), f"row {rows[i]}, column {column!r}, value {value!r}: {rule}"))

    for col in COLUMNS:
        raw = frame[col.name]
        if col.kind in ("str", "category"):
            values = raw.astype(str).str.strip().to_numpy(dtype=object)
            empty = values == ""
            flag(empty, col.name, values, "must not be empty")
            if col.choices is not None:
                bad = ~np.isin(values, np.array(col.choices, dtype=object)) & ~empty
                flag(bad, col.name, values, f"must be one of {', '.join(col.choices)}")
            out[col.name] = values
        elif col.kind == "bool":
            text = raw.astype(str).str.strip().str.lower().to_numpy(dtype=object)
            truthy = np.isin(text, ["true", "1", "y", "yes"])
            falsy = np.isin(text, ["false", "0", "n", "no"])
            flag(~(truthy | falsy), col.name, raw.to_numpy(dtype=object), "must be true or false")
            out[col.name] = truthy
        else:
            text = raw.to_numpy(dtype=object)
            blank = np.array([v is None or (isinstance(v, str) and v.strip() == "") for v in text])
            numbers = pd.to_numeric(pd.Series(np.where(blank, np.nan, text)), errors="coerce").to_numpy(float)
            unparsable = np.isnan(numbers) & ~blank & ~pd.isna(text)
            flag(unparsable, col.name, text, "must be a number")
            missing_value = np.isnan(numbers) & ~unparsable
            if not col.nullable:
                flag(missing_value, col.name, text, "must not be empty")
            present = ~np.isnan(numbers)
            bad_range = present & ((numbers < col.low) | (numbers > col.high))
            flag(bad_range, col.name, text, f"must be in [{col.low:g}, {col.high:g}]")
            if col.kind == "int":
                not_whole = present & ~bad_range & (numbers != np.round(numbers))
                flag(not_whole, col.name, text, "must be a whole number")
                out[col.name] = np.where(present, np.round(numbers), 0).astype(np.int64)
            else:
                out[col.name] = numbers

    tape = pd.DataFrame(out, columns=list(COLUMN_NAMES))
    _check_row_rules(tape, rows, flag)
    if problems:
        problems.sort(key=lambda p: p[0])
        raise TapeError(source, [text for _, text in problems])
    return tape.reset_index(drop=True)


def _check_row_rules(tape: pd.DataFrame, rows: np.ndarray, flag) -> None:
    """Rules that tie columns together (run on coerced values)."""
    t = tape
    flag((t["max_rate"] < t["gross_rate"]).to_numpy(), "max_rate", t["max_rate"].to_numpy(),
         "must be >= gross_rate (the lifetime cap cannot be below the current rate)")
    flag((t["min_rate"] > t["max_rate"]).to_numpy(), "min_rate", t["min_rate"].to_numpy(),
         "must be <= max_rate")
    flag((t["remaining_term"] > t["original_term"]).to_numpy(), "remaining_term",
         t["remaining_term"].to_numpy(), "must be <= original_term")
    flag((t["age"] + t["remaining_term"] > t["original_term"]).to_numpy(), "age", t["age"].to_numpy(),
         "age + remaining_term must be <= original_term")
    implied = np.array([PRODUCTS.get(p, ("", 0))[0] for p in t["product"]], dtype=object)
    known = implied != ""
    flag(known & (t["index"].to_numpy(dtype=object) != implied), "index", t["index"].to_numpy(),
         "must match the product's index (LIB6M -> LIBOR_6M, LIB12M -> LIBOR_12M, CMT1Y -> CMT_1Y)")
    dup = t["loan_id"].duplicated(keep="first").to_numpy()
    flag(dup, "loan_id", t["loan_id"].to_numpy(), "must be unique")


def write_tape(tape: pd.DataFrame, path: str | Path) -> Path:
    """Write a validated tape to ``.parquet`` or ``.csv`` (chosen by suffix).

    Parquet output is deterministic for the same tape (no timestamps in the
    file metadata), so a synthesized tape is byte-for-byte reproducible.
    """
    path = Path(path)
    tape = validate_tape(tape, source=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(tape, preserve_index=False).replace_schema_metadata(None)
        pq.write_table(table, path, compression="zstd", write_statistics=False)
    elif path.suffix.lower() == ".csv":
        tape.to_csv(path, index=False, float_format="%.10g")
    else:
        raise TapeError(str(path), [f"unknown file type {path.suffix!r}: expected .csv or .parquet"])
    return path
