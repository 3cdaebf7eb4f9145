"""Monte Carlo runs as the report sees them: read a run directory, run scenarios, tell deterministic runs apart.

A run is *deterministic* when it has one path, or when nothing in its
scenario draws random numbers (:func:`has_randomness`). The report shows a
deterministic run as single lines and plain figures: no percentile bands,
no "±", no probability of loss.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from stress.errors import ScenarioError

log = logging.getLogger(__name__)

__all__ = ["RunData", "load_run", "run_scenarios", "has_randomness", "is_deterministic"]


@dataclass
class RunData:
    """A finished Monte Carlo run: its directory, attributes, summary and (lazy) results."""

    name: str
    path: Path
    attrs: dict
    summary: dict
    ds: object
    scenario: object = None
    run_date: str = ""

    @property
    def n_paths(self) -> int:
        return int(self.attrs.get("n_paths", self.summary.get("paths", 0)))

    @property
    def deterministic(self) -> bool:
        return is_deterministic(self)

    def footer(self) -> str:
        a = self.attrs
        paths = f"{self.n_paths:,} path{'s' if self.n_paths != 1 else ''}"
        return (f"scenario {self.name}: {paths}, seed {a.get('seed')}, to {a.get('to')}, "
                f"run {self.run_date}")


def has_randomness(scenario) -> bool:
    """Whether any driver of ``scenario`` draws random numbers.

    A scenario whose drivers are realized history (rates model ``"history"``
    and home prices ``source = "history"``, e.g. ``history_2004``:
    ``scenario.drivers.deterministic``, the engine's own test) draws nothing.
    Otherwise rates are random unless the model is ``"deterministic"`` or
    ``"history"`` (or Hull-White with zero volatility); home prices matter only
    to the loan-level models (``behaviour.mode`` "models" or "scaled") and are
    random when they come from the model with the national or an enabled
    California volatility above zero. Vector behaviour (CPR/CDR/severity
    vectors, rating stresses) draws nothing.
    """
    if scenario.drivers.deterministic:
        return False
    r, hp, b = scenario.rates, scenario.home_prices, scenario.behaviour
    random_rates = not (r.model in ("deterministic", "history") or (r.model == "hull_white" and r.volatility == 0.0))
    california = hp.california.enabled and hp.california.volatility > 0.0
    random_hpi = b.mode != "vectors" and hp.source != "history" and (hp.volatility > 0.0 or california)
    return bool(random_rates or random_hpi)


def is_deterministic(run: RunData) -> bool:
    """A run with one path, or whose scenario has no randomness (:func:`has_randomness`)."""
    return run.n_paths == 1 or (run.scenario is not None and not has_randomness(run.scenario))


def load_run(run_dir: str | Path) -> RunData:
    """Read a finished run directory (``summary.json`` + ``results.zarr``)."""
    from stress.store import open_results
    from stress.scenario import parse_scenario

    run_dir = Path(run_dir)
    path = run_dir / "summary.json"
    if not path.exists():
        raise ScenarioError(f"run directory {run_dir}: no summary.json (is it a finished `stress run --out`?)")
    result = json.loads(path.read_text())
    ds = open_results(run_dir)
    attrs = {**result.get("attrs", {}), **ds.attrs}  # summary.json also has the wall time
    scenario = None
    if attrs.get("scenario_json"):
        try:
            data = json.loads(attrs["scenario_json"])
            data.pop("path", None)
            scenario = parse_scenario(data, source=attrs.get("scenario_file", ""))
        except (ScenarioError, ValueError, TypeError):  # an older or foreign scenario: show the attrs only
            scenario = None
    when = attrs.get("run_date") or attrs.get("created")
    if not when:  # summary.json is written when the run finishes
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return RunData(name=str(attrs.get("scenario", run_dir.name)), path=run_dir, attrs=attrs,
                   summary=result["summary"], ds=ds, scenario=scenario, run_date=str(when))


def run_scenarios(scenarios: list, *, n_paths: int | None, runs_dir, tape, progress=None) -> list[RunData]:
    """Run each scenario (name, path or Scenario) into ``runs_dir/<name>`` and load it.

    A scenario without randomness runs one path whatever ``n_paths`` says:
    more paths would repeat the same one.
    """
    if not scenarios:
        return []
    from stress.engine import run_monte_carlo
    from stress.report.progress import Progress
    from stress.scenario import Scenario, load_scenario

    progress = progress or Progress()
    if runs_dir is None:
        raise ScenarioError("report --scenarios: needs a directory for the runs (runs_dir / --runs-dir)")
    out = []
    for item in scenarios:
        sc = item if isinstance(item, Scenario) else load_scenario(item)
        target = Path(runs_dir) / sc.name
        paths = 1 if not has_randomness(sc) else n_paths
        shown = paths or sc.simulation.paths
        with progress.step("scenario runs", f"run scenario {sc.name} ({shown:,} path{'s' if shown != 1 else ''})"
                                            f" into {target}", announce=True):
            run_monte_carlo(sc, n_paths=paths, out=target, overwrite=True, tape=tape, progress=progress.enabled)
        out.append(load_run(target))
    return out
