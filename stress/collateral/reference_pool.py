"""The reference deal's synthesized loan tape, shipped with the package.

``stress/data/impac_cmb_2004_1_seed0.parquet`` is ``synthesize_tape(seed=0)``
written with :func:`~stress.collateral.tape.write_tape`; it is read from there,
not rebuilt on every call. If the file is missing (a trimmed install), the
tape is synthesized once and written to the user cache directory,
``$STRESS_CACHE_DIR`` or ``~/.cache/stress``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from stress.collateral.tape import read_tape, write_tape

SHIPPED_PATH = Path(__file__).resolve().parent.parent / "data" / "impac_cmb_2004_1_seed0.parquet"
REFERENCE_SEED = 0


def cache_dir() -> Path:
    """``$STRESS_CACHE_DIR`` if set, else ``~/.cache/stress``."""
    env = os.environ.get("STRESS_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "stress"


def reference_tape_path() -> Path:
    """Path of the seed-0 reference tape: the shipped file, else a cached copy (built if needed)."""
    if SHIPPED_PATH.exists():
        return SHIPPED_PATH
    cached = cache_dir() / SHIPPED_PATH.name
    if not cached.exists():
        from stress.collateral.synthesize import synthesize_tape

        tmp = cached.with_suffix(f".{os.getpid()}.tmp.parquet")
        write_tape(synthesize_tape(REFERENCE_SEED), tmp)
        os.replace(tmp, cached)  # atomic: concurrent callers never see half a file
    return cached


def reference_tape() -> pd.DataFrame:
    """The reference deal's synthesized loan tape (3,951 loans, $1,000,000,040.00), validated."""
    return read_tape(reference_tape_path())
