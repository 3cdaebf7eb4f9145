"""Batch runs: a set of scenarios on the same paths, with a manifest that says what made each number.

``run_batch`` runs every scenario of a set with one seed and path count, so
all scenarios see the same underlying draws (common random numbers) and their
differences are differences of assumptions. Each scenario gets its own run
directory (``DIR/<name>/results.zarr`` and ``summary.json``, written chunk by
chunk by :func:`stress.engine.run_monte_carlo`); ``DIR/manifest.json``
records the provenance; ``DIR/comparison.json`` holds the comparison table.

Provenance (``manifest.json``)
------------------------------
Scenario and deal files (content and SHA-256), tape hash, seed, path count,
chunk size, package version, git commit when the package runs from a git
checkout, dependency versions, host, worker count, scheduler, and per
scenario its status, start and end times, wall time and failure reason. The
scenario files' exact text is also copied to ``DIR/inputs/`` so that
``run_batch(manifest=...)`` reproduces the results bit for bit.

Safety: scenario and deal files are TOML (data, never code); nothing is
unpickled from user files; an existing output is never deleted or replaced
without ``overwrite``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import socket
import subprocess
import time
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

import stress
from stress.errors import ScenarioError, StressInputError

log = logging.getLogger(__name__)

DEPENDENCIES = ("numpy", "numba", "scipy", "pandas", "xarray", "dask", "distributed", "zarr", "pydantic", "pyarrow")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def git_commit() -> str | None:
    """The commit of the git checkout the package runs from, or None."""
    root = Path(stress.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(scheduler: str, workers: int | None) -> dict:
    """Package, dependency, host and worker facts for the manifest."""
    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "stress_version": stress.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "dependencies": versions,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "scheduler": scheduler,
        "workers": workers or os.cpu_count(),
    }


def read_scenario_set(path: str | Path) -> list[str]:
    """Scenario names or files listed by a scenario-set TOML file (``scenarios = [...]``).

    Relative file paths are resolved against the set file's folder.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(f"scenario set {path}: not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario set {path}: not valid TOML: {exc}") from None
    entries = data.get("scenarios")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        raise ScenarioError(f"scenario set {path.name}: scenarios = {entries!r}: must be a non-empty list of "
                            "scenario names or files")
    resolved = []
    for entry in entries:
        candidate = path.parent / entry
        resolved.append(str(candidate) if entry.endswith(".toml") and candidate.exists() else entry)
    return resolved


def _scenario_record(spec: str) -> dict:
    """Load one scenario for the manifest; a bad file becomes a failed record, not an exception."""
    from stress.deal import deal_path
    from stress.scenario import load_scenario, scenario_path

    path = scenario_path(spec)
    record = {"spec": spec, "file": str(path)}
    try:
        scenario = load_scenario(spec)
    except StressInputError as exc:
        record.update(status="failed", reason=str(exc), name=Path(spec).stem)
        return record
    text = path.read_text()
    deal_file = deal_path(scenario.scenario.deal)
    record.update(
        name=scenario.name, status="pending", scenario=scenario, content=text, sha256=_sha256(text),
        deal_file=str(deal_file), deal_content=deal_file.read_text(), deal_sha256=_sha256(deal_file.read_text()),
    )
    return record


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "scenario"}


def run_batch(specs: list[str] | None = None, *, out: str | Path, n_paths: int | None = None,
              seed: int | None = None, chunk_size: int | None = None, scheduler: str = "threads",
              workers: int | None = None, resume: bool = False, overwrite: bool = False,
              manifest: str | Path | None = None, base: str | None = None, progress: bool = False,
              collateral_draws: str | None = None) -> dict:
    """Run a scenario set with common random numbers.

    Parameters
    ----------
    specs : list of str
        Scenario names (built-in) or TOML files. Ignored with ``manifest``.
    out : path
        Batch directory.
    n_paths, seed, chunk_size : int, optional
        Shared by every scenario (default: the first scenario's ``[simulation]``).
    scheduler, workers
        As for :func:`stress.engine.run_monte_carlo`.
    resume : bool
        Skip finished scenarios and finished chunks of an interrupted one.
    overwrite : bool
        Replace an existing batch directory's results.
    manifest : path, optional
        A previous batch's ``manifest.json``: rerun exactly its scenarios
        (from the copies of their files), seed, paths and chunk size.
    base : str, optional
        Scenario the others are compared with (default: the first).
    collateral_draws : {"expected", "loan"}, optional
        Override every scenario's ``[randomness] collateral_draws`` (default:
        each scenario's own); recorded in the manifest.

    Returns
    -------
    dict
        The manifest.
    """
    from stress.engine import run_monte_carlo

    from stress.outputs import check_output_dir

    out = check_output_dir(out)
    if manifest is not None:
        manifest = Path(manifest)
        if not manifest.is_file():
            raise ScenarioError(f"--manifest {manifest}: not found (a batch's manifest.json)")
        old = json.loads(manifest.read_text())
        inputs = out / "inputs"
        inputs.mkdir(parents=True, exist_ok=True)
        specs = []
        for entry in old["scenarios"]:
            if entry.get("content") is None:
                continue
            copy = inputs / f"{entry['name']}.toml"
            copy.write_text(entry["content"])
            specs.append(str(copy))
        n_paths, seed, chunk_size = old["n_paths"], old["seed"], old["chunk_size"]
        collateral_draws = old.get("collateral_draws")
        base = base or old.get("base")
    if not specs:
        raise ScenarioError("batch: no scenarios given")
    manifest_path = out / "manifest.json"
    if manifest_path.exists() and not (resume or overwrite):
        raise ScenarioError(f"--out {out}: a batch already exists there; use --resume to continue it or "
                            "--overwrite to replace it")
    records = [_scenario_record(spec) for spec in specs]
    names = [r["name"] for r in records]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ScenarioError(f"batch: scenario names must be unique, {sorted(duplicates)} appear twice")
    first = next((r["scenario"] for r in records if r["status"] == "pending"), None)
    if first is None:
        raise ScenarioError("batch: every scenario failed to load:\n" + "\n".join(r["reason"] for r in records))
    n_paths = int(first.simulation.paths if n_paths is None else n_paths)
    seed = int(first.simulation.seed if seed is None else seed)
    chunk_size = int(first.simulation.chunk_size if chunk_size is None else chunk_size)
    previous = json.loads(manifest_path.read_text()) if (resume and manifest_path.exists()) else None
    if previous and (previous["n_paths"], previous["seed"], previous["chunk_size"]) != (n_paths, seed, chunk_size):
        raise ScenarioError(f"--resume {out}: the batch ran {previous['n_paths']} paths, seed {previous['seed']}, "
                            f"chunk size {previous['chunk_size']}; resume needs the same")
    done_before = {e["name"] for e in (previous or {}).get("scenarios", []) if e.get("status") == "done"}
    out.mkdir(parents=True, exist_ok=True)
    state = {
        "kind": "stress batch", "created": _now(), "finished": None, "n_paths": n_paths, "seed": seed,
        "chunk_size": chunk_size, "collateral_draws": collateral_draws, "base": base or first.name, "environment": environment(scheduler, workers),
        "scenarios": [_public(r) for r in records],
    }
    if previous:
        state["created"] = previous["created"]
    _write_manifest(manifest_path, state)
    tape_hash = None
    for k, record in enumerate(records):
        entry = state["scenarios"][k]
        if record["status"] == "failed":
            log.warning("scenario %s failed to load: %s", record["name"], record["reason"])
            continue
        if record["name"] in done_before and (out / record["name"] / "summary.json").exists():
            entry.update({e: v for e, v in next(p for p in previous["scenarios"] if p["name"] == record["name"]).items()
                          if e in ("status", "started", "ended", "wall_seconds", "tape_sha256")})
            continue
        entry["started"] = _now()
        started = time.perf_counter()
        try:
            ds = run_monte_carlo(record["scenario"], n_paths=n_paths, seed=seed, chunk_size=chunk_size,
                                 scheduler=scheduler, out=out / record["name"], workers=workers,
                                 resume=resume or record["name"] in done_before,
                                 overwrite=overwrite and not resume, progress=progress,
                                 collateral_draws=collateral_draws)
            tape_hash = ds.attrs.get("tape_hash")
            entry.update(status="done", tape_sha256=tape_hash)
        except Exception as exc:  # noqa: BLE001 - one scenario's failure must not stop the set
            entry.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            log.warning("scenario %s failed: %s", record["name"], exc)
        entry["ended"] = _now()
        entry["wall_seconds"] = round(time.perf_counter() - started, 3)
        _write_manifest(manifest_path, state)
    state["finished"] = _now()
    _write_manifest(manifest_path, state)
    finished = [e["name"] for e in state["scenarios"] if e.get("status") == "done"]
    if finished:
        comparison = compare_scenarios(out, finished, base=state["base"] if state["base"] in finished else finished[0])
        (out / "comparison.json").write_text(json.dumps(comparison, indent=2))
    return state


def _write_manifest(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, default=str))
    tmp.replace(path)


def open_batch(out: str | Path, names: list[str] | None = None) -> xr.Dataset:
    """The batch's results as one Dataset with a ``scenario`` dimension (lazy, from Zarr)."""
    from stress.store import open_results

    out = Path(out)
    if names is None:
        manifest = json.loads((out / "manifest.json").read_text())
        names = [e["name"] for e in manifest["scenarios"] if e.get("status") == "done"]
    datasets = [open_results(out / name) for name in names]
    combined = xr.concat(datasets, dim="scenario", join="outer", combine_attrs="drop_conflicts",
                         data_vars="all", coords="different", compat="equals")
    return combined.assign_coords(scenario=("scenario", names))


def compare_scenarios(out: str | Path, names: list[str], *, base: str) -> dict:
    """:func:`compare_datasets` of the runs ``out/<name>`` of a batch directory."""
    from stress.store import open_results

    out = Path(out)
    return compare_datasets({name: open_results(out / name) for name in names}, base=base)


def compare_datasets(datasets: dict, *, base: str) -> dict:
    """Per tranche and scenario: expected loss, P(loss), 99% and 99.9% loss, WAL, and per scenario the mean
    collateral loss and OC-breach probability, each with its standard error, and the difference from ``base``
    with the standard error of the paired difference. Importance-sampled runs (a ``weight`` variable not all 1)
    are weighted throughout (:mod:`stress.metrics`: ``path_mean``, ``path_nanmean``, ``paired_difference``).

    The difference is paired (computed path by path) only when the two runs share their paths: the same
    path count and seed, which common random numbers give (``stress batch``); otherwise the ``*_diff`` keys
    are absent.

    Parameters
    ----------
    datasets : dict of str to xarray.Dataset
        Results of each scenario, by name.
    base : str
        The name the others are compared with.
    """
    from stress import metrics
    from stress.tables import json_safe

    ref = datasets[base]
    ref_w = metrics.path_weights(ref)
    ref_loss = ref["loss_pct"].values
    ref_hits = metrics.loss_hits(ref).transpose("path", "tranche").values
    ref_breach = np.isfinite(ref["first_oc_breach_period"].values).astype(float)
    ref_collateral = ref["cumulative_collateral_loss_pct"].values
    result = {"base": base, "scenarios": {}}
    for name, ds in datasets.items():
        w = metrics.path_weights(ds)
        el, pl = metrics.expected_loss(ds), metrics.probability_of_loss(ds)
        q = metrics.loss_quantiles(ds, q=(0.99, 0.999))
        q99, q999 = q.isel(quantile=0), q.isel(quantile=1)
        loss, wal = ds["loss_pct"].values, ds["wal_years"].values
        wal_mean, wal_se = metrics.path_nanmean(wal, w)
        paired = ref_loss.shape == loss.shape and ref.attrs.get("seed") == ds.attrs.get("seed")
        hits = metrics.loss_hits(ds).transpose("path", "tranche").values

        def diff(a, b):
            return metrics.paired_difference(a, b, ref_w, w)

        per = {}
        for j, tranche in enumerate(str(t) for t in ds["tranche"].values):
            row = {
                "expected_loss": el.estimate.values[j], "expected_loss_se": el.std_error.values[j],
                "probability_of_loss": pl.estimate.values[j], "probability_of_loss_se": pl.std_error.values[j],
                "loss_99": q99.estimate.values[j], "loss_99_se": q99.std_error.values[j],
                "loss_999": q999.estimate.values[j], "loss_999_se": q999.std_error.values[j],
                "wal": wal_mean[j], "wal_se": wal_se[j] if np.isfinite(wal_se[j]) else None,
            }
            if paired:
                hit = hits[:, j].astype(float)
                row["expected_loss_diff"], row["expected_loss_diff_se"] = diff(ref_loss[:, j], loss[:, j])
                row["probability_of_loss_diff"], row["probability_of_loss_diff_se"] = diff(
                    ref_hits[:, j].astype(float), hit)
                row["wal_diff"], row["wal_diff_se"] = diff(np.nan_to_num(ref["wal_years"].values[:, j]),
                                                           np.nan_to_num(wal[:, j]))
            per[tranche] = row
        breach = np.isfinite(ds["first_oc_breach_period"].values).astype(float)
        collateral = ds["cumulative_collateral_loss_pct"].values
        p_breach, p_breach_se = metrics.path_mean(breach, w)
        if w is None:  # plain Monte Carlo: the binomial error, as before
            p_breach_se = np.sqrt(p_breach * (1 - p_breach) / breach.size)
        c_mean, c_se = metrics.path_mean(collateral, w)
        entry = {"tranches": per, "oc_breach_probability": p_breach, "oc_breach_probability_se": p_breach_se,
                 "collateral_loss": c_mean, "collateral_loss_se": c_se if np.isfinite(c_se) else None}
        if paired:
            entry["oc_breach_probability_diff"], entry["oc_breach_probability_diff_se"] = diff(ref_breach, breach)
            entry["collateral_loss_diff"], entry["collateral_loss_diff_se"] = diff(ref_collateral, collateral)
        result["scenarios"][name] = entry
    return json_safe(result)


def format_comparison(comparison: dict) -> str:
    """The comparison as text: one block per tranche, a row per scenario."""
    base = comparison["base"]
    lines = [f"scenario comparison (difference from {base}, paired over common paths; ± one standard error)"]
    scenarios = comparison["scenarios"]
    tranches = list(next(iter(scenarios.values()))["tranches"])
    from stress.tables import percent as pct

    for tranche in tranches:
        lines.append("")
        lines.append(f"{tranche:<6}{'scenario':<20}{'E[loss]':>10}{'± se':>9}{'diff':>10}{'± se':>9}"
                     f"{'P(loss)':>9}{'99% loss':>10}{'WAL':>7}")
        for name, entry in scenarios.items():
            r = entry["tranches"][tranche]
            lines.append(f"{'':<6}{name:<20}{pct(r['expected_loss']):>10}{pct(r['expected_loss_se']):>9}"
                         f"{pct(r.get('expected_loss_diff')):>10}{pct(r.get('expected_loss_diff_se')):>9}"
                         f"{pct(r['probability_of_loss']):>9}{pct(r['loss_99']):>10}{r['wal']:>7.2f}")
    lines.append("")
    lines.append("OC ever below target after build-up: " + ", ".join(
        f"{name} {pct(e['oc_breach_probability'])}" for name, e in scenarios.items()))
    return "\n".join(lines)


def format_manifest(manifest: dict) -> str:
    """The provenance in a few lines (for ``stress summary`` and the report)."""
    env = manifest["environment"]
    lines = [
        f"batch of {len(manifest['scenarios'])} scenarios, {manifest['n_paths']:,} paths each, seed "
        f"{manifest['seed']}, chunk size {manifest['chunk_size']}; started {manifest['created']}, finished "
        f"{manifest['finished']}",
        f"stress {env['stress_version']} (git {env['git_commit'] or 'n/a'}), Python {env['python']}, on "
        f"{env['host']} ({env['cpu_count']} cores, scheduler {env['scheduler']}, {env['workers']} workers)",
    ]
    for e in manifest["scenarios"]:
        status = e.get("status")
        wall = f"{e['wall_seconds']:.1f} s" if e.get("wall_seconds") is not None else ""
        sha = (e.get("sha256") or "")[:12]
        lines.append(f"  {e['name']:<20} {status:<8} {wall:>9}  scenario sha256 {sha}"
                     + (f"  reason: {e['reason'].splitlines()[0]}" if e.get("reason") else ""))
    return "\n".join(lines)
