"""Byte-compare a refactor's outputs with a saved baseline: ``stress cashflows --json`` and a seeded run.

Usage::

    python -m benchmarks.identical save DIR      # before the change
    python -m benchmarks.identical check DIR     # after: exit 1 on any difference

The run is ``stress run --paths 16 --seed 3`` (default scenario): every result variable and
coordinate must be equal (``np.testing.assert_array_equal``), and every attribute of the
baseline must be equal except the ones that name the run's place on disk; attributes the new
code adds are listed, not failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import xarray as xr

#: Attributes that differ between two runs of the same code (where the run sat on disk).
VOLATILE = {"scenario_file", "deal_file"}


def _produce(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cf = subprocess.run(["stress", "cashflows", "--json"], check=True, capture_output=True)
    (out / "cashflows.json").write_bytes(cf.stdout)
    subprocess.run(["stress", "run", "--paths", "16", "--seed", "3", "--out", str(out / "run"), "-q",
                    "--overwrite"], check=True)


def _settled(key: str, value):
    """An attribute without where the run sat on disk: the scenario JSON names its file (another checkout's path)."""
    if key == "scenario_json" and isinstance(value, str):
        import json

        return {k: v for k, v in json.loads(value).items() if k != "path"}
    return value


def _added_keys(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Dotted names of the keys in ``new`` that ``old`` lacks (nested dicts included)."""
    added = []
    for k, v in new.items():
        if k not in old:
            added.append(prefix + k)
        elif isinstance(v, dict) and isinstance(old[k], dict):
            added += _added_keys(old[k], v, prefix + k + ".")
    return added


def _restricted(new: dict, old: dict) -> dict:
    """``new`` cut to the keys of ``old`` (nested dicts included)."""
    return {k: _restricted(new[k], v) if isinstance(v, dict) and isinstance(new.get(k), dict) else new.get(k)
            for k, v in old.items()}


def check(base: Path, new: Path) -> list[str]:
    """The differences between two output folders (empty when identical)."""
    problems = []
    if (base / "cashflows.json").read_bytes() != (new / "cashflows.json").read_bytes():
        problems.append("stress cashflows --json: bytes differ")
    a = xr.open_zarr(base / "run" / "results.zarr", consolidated=False).load()
    b = xr.open_zarr(new / "run" / "results.zarr", consolidated=False).load()
    for name in sorted(set(a.variables) | set(b.variables)):
        if name not in a.variables or name not in b.variables:
            problems.append(f"variable {name}: only in {'baseline' if name in a.variables else 'new run'}")
            continue
        try:
            np.testing.assert_array_equal(a[name].values, b[name].values)
        except AssertionError as exc:
            problems.append(f"variable {name}: {str(exc).splitlines()[1:3]}")
        if a[name].attrs != b[name].attrs:
            problems.append(f"variable {name}: attrs differ")
    for key, value in a.attrs.items():
        if key in VOLATILE:
            continue
        old, new_value = _settled(key, value), _settled(key, b.attrs.get(key))
        if isinstance(old, dict) and isinstance(new_value, dict):
            # a settings key the new code adds (at its default) is listed, not failed: the baseline's must match
            new_keys = _added_keys(old, new_value)
            if new_keys:
                print(f"attr {key}: keys added by the new code: {', '.join(new_keys)}")
            new_value = _restricted(new_value, old)
        if new_value != old:
            problems.append(f"attr {key}: {value!r} -> {b.attrs.get(key)!r}")
    added = sorted(set(b.attrs) - set(a.attrs))
    if added:
        print(f"attributes added by the new code: {', '.join(added)}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    base = Path(argv[1])
    if argv[0] == "save":
        _produce(base)
        return 0
    new = base.with_name(base.name + "_new")
    _produce(new)
    problems = check(base, new)
    print("\n".join(problems) if problems else "identical: cashflows JSON bytes, every result variable and attr")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
