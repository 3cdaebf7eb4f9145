"""The Zarr store of a Monte Carlo run and its resume markers.

``DIR/results.zarr`` holds every result variable, allocated empty when the run
starts (:func:`prepare_store`); each finished chunk writes its region of paths
and drops ``DIR/chunks/NNNNNN.done`` (:func:`write_chunk`), so ``--resume``
reruns only the chunks without a marker, after checking that the stored run is
the same run (scenario, behaviour, seed, paths, chunk size, horizon, tape).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from stress.errors import ScenarioError
from stress.results import result_coords, run_attrs

if TYPE_CHECKING:
    from stress.engine import RunContext

__all__ = ["template", "prepare_store", "write_chunk", "open_results"]


def template(ctx: RunContext, n_paths: int, chunk_size: int) -> xr.Dataset:
    """The empty, lazily allocated results Dataset of a run: every registered variable, chunked by path."""
    import dask.array as da

    from stress.variables import VARIABLES

    sizes = {"path": n_paths, "period": ctx.n_periods, "tranche": ctx.n_tranches,
             "contract": len(ctx.waterfall_terms["contracts"])}
    data = {}
    for name, spec in VARIABLES.items():
        shape = tuple(sizes[d] for d in spec.dims)
        chunks = tuple(chunk_size if d == "path" else sizes[d] for d in spec.dims)
        data[name] = xr.Variable(spec.dims, da.zeros(shape, chunks=chunks, dtype=spec.dtype),
                                 attrs={"units": spec.units, "long_name": spec.long_name})
    return xr.Dataset(data, coords=result_coords(ctx, np.arange(n_paths)),
                      attrs=run_attrs(ctx, n_paths, chunk_size))


def prepare_store(out: Path, ctx: RunContext, n_paths: int, chunk_size: int, resume: bool,
                   overwrite: bool) -> set[int]:
    """Create or reopen ``out/results.zarr``; return the chunks already finished."""
    store = out / "results.zarr"
    done_dir = out / "chunks"
    if store.exists() and resume:
        attrs = xr.open_zarr(store, consolidated=False).attrs
        expected = run_attrs(ctx, n_paths, chunk_size)
        for key in ("scenario_hash", "behaviour_hash", "seed", "n_paths", "chunk_size", "to", "tape_hash"):
            if attrs.get(key) != expected[key]:
                raise ScenarioError(f"--resume {out}: the stored run has {key} = {attrs.get(key)!r}, this run "
                                    f"{expected[key]!r}; resume needs the same scenario, seed, paths, chunk size "
                                    "and tape (or use a new --out)")
        return {int(p.stem) for p in done_dir.glob("*.done")}
    if store.exists() and not overwrite:
        raise ScenarioError(f"--out {out}: results.zarr already exists; use --resume to continue it or "
                            "--overwrite to replace it")
    if store.exists():
        shutil.rmtree(store)
        shutil.rmtree(done_dir, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    # Zarr format 2: its fixed-width string coordinates (tranche names) are stable across readers.
    template(ctx, n_paths, chunk_size).to_zarr(store, compute=False, mode="w", consolidated=False,
                                               zarr_format=2)
    done_dir.mkdir(exist_ok=True)
    return set()


def write_chunk(store: str, k: int, start: int, stop: int, ds: xr.Dataset) -> None:
    """Write chunk ``k`` (paths ``start``..``stop - 1``) into its region of ``store`` and mark it done."""
    region = ds.drop_vars(["period", "tranche", "contract", "date"])
    region.to_zarr(store, region={"path": slice(start, stop)}, mode="r+", consolidated=False)
    Path(store, "..", "chunks").resolve().mkdir(exist_ok=True)
    Path(store).parent.joinpath("chunks", f"{k:06d}.done").write_text(json.dumps({"paths": [start, stop]}))


def open_results(run_dir: str | Path) -> xr.Dataset:
    """Open a finished (or partial) run's ``results.zarr`` lazily."""
    store = Path(run_dir) / "results.zarr"
    if not store.exists():
        raise ScenarioError(f"run directory {run_dir}: no results.zarr")
    return xr.open_zarr(store, consolidated=False)
