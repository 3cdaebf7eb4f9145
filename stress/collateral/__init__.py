"""Collateral: the loan tape schema, its reader and writer, the synthesizer and strats."""

from __future__ import annotations

from stress.collateral.reference_pool import reference_tape, reference_tape_path
from stress.collateral.tape import read_tape, validate_tape, write_tape

__all__ = ["load_tape", "read_tape", "validate_tape", "write_tape", "reference_tape", "reference_tape_path"]


def load_tape(path=None):
    """A validated tape from ``path`` (.csv/.parquet), or the built-in reference tape when ``path`` is None."""
    return reference_tape() if path is None else read_tape(path)
