"""Collateral: the loan tape schema, its reader and writer, the synthesizer and strats."""

from stress.collateral.reference_pool import reference_tape, reference_tape_path
from stress.collateral.tape import read_tape, validate_tape, write_tape

__all__ = ["read_tape", "validate_tape", "write_tape", "reference_tape", "reference_tape_path"]
