"""The Monte Carlo engine: chunks of paths through the kernels, under dask.

:func:`run_monte_carlo` splits ``n_paths`` into chunks of ``chunk_size``
global path indices and runs one dask task per chunk. A task

1. draws the chunk's rate and home-price paths (:func:`stress.rates.generator.generate_paths`,
   keyed by global path index, so a path's draws never depend on its chunk);
2. projects every loan on every path (the collateral kernels);
3. prices the derivative contracts and finds each path's clean-up call date;
4. runs the waterfall on all paths of the chunk at once;
5. reduces to the per-path results of :mod:`stress.variables`
   (:func:`stress.results.reduce_chunk`) and, when the run has an output
   directory, writes them into its region of ``results.zarr`` and drops a
   marker file (:mod:`stress.store`), so an interrupted run resumes without
   recomputing finished chunks.

Results are identical, bit for bit, whatever the chunk size, scheduler or
number of workers: every number of path ``i`` is computed from path ``i``'s
own inputs by the same code in the same order.

Conventions
-----------
- Importance sampling (``tail_sampling``): resolved to numeric tilts before
  any chunk runs (``auto``: a cross-entropy pilot on its own path streams),
  refused if the weights would be degenerate; each path's likelihood ratio
  is the ``weight`` result variable (exactly 1 in plain Monte Carlo, whose
  results are unchanged), and :mod:`stress.metrics` weights every estimate.
- A scenario whose rates and home prices are both realized history has no
  draws: it runs as one path whatever ``n_paths`` (a broadcast copy would
  only fake standard errors of zero).
- Periods are payment dates 1..n; ``n`` = the longest remaining term plus
  the liquidation lag, as in the deterministic engine.
- After a clean-up call the loans belong to the buyer: collateral outputs
  are zero from the period after the call.
- OC "build-up period": the OC target steps up after July 2004; breaches are
  counted from the deal file's ``overcollateralization.build_up_months`` after
  the first period with the stepped-up target (time for excess spread to build
  it), while bonds are outstanding.
- The Derivative Contracts settle inside the waterfall, each path's notional
  capped at its bonds before the Payment Date (pro rata across contracts).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from stress.behaviour.prep import BehaviourLoans, prepare_loans
from stress.calendar import Schedule, payment_schedule
from stress.collateral_model import BehaviourModel, CollateralModel
from stress.deal import Deal, load_deal
from stress.errors import ScenarioError, StressInputError
from stress.mechanics import (bond_inputs, clean_up_call_period, collateral_horizon, horizon, lookback_shifted,
                              oc_breach_from, stepup_period, waterfall_terms)
from stress.pool import loan_arrays
from stress.rates.curves import CurveSet
from stress.rates.generator import generate_paths
from stress.scenario import Scenario
from stress.tables import json_safe
from stress.results import chunk_dataset, reduce_chunk, run_attrs, summary_attrs
from stress.store import prepare_store, write_chunk
from stress.waterfall import run_waterfall

log = logging.getLogger(__name__)

SCHEDULERS = ("threads", "processes", "synchronous")


class ChunkError(RuntimeError):
    """A chunk failed; the message names the chunk and its paths. Finished chunks stay on disk."""


@dataclass(frozen=True)
class RunContext:
    """Everything a chunk task needs, built once per run (and pickled to workers)."""

    scenario: Scenario
    deal: Deal
    tape: pd.DataFrame
    curve: CurveSet
    schedule: Schedule
    n_periods: int
    to: str
    seed: int
    waterfall_terms: dict  # coupon rules and Derivative Contracts (stress.mechanics.waterfall_terms)
    tranche_names: tuple[str, ...]
    oc_target: np.ndarray
    oc_breach_from: int  # 0-based period index from which OC breaches count
    model: CollateralModel  # VectorModel or BehaviourModel (stress.collateral_model), built once per run
    collateral_loans: BehaviourLoans  # the loans as the collateral kernel reads them, prepared once per run
    call_rule: str = "always"  # "economic", "always" or "never" (stress.waterfall.WaterfallInputs.call_rule)
    original_ltv: float = 0.8  # balance-weighted original LTV of the tape (for stress.call_value)

    @property
    def n_tranches(self) -> int:
        return len(self.tranche_names)


def build_context(scenario: Scenario, *, seed: int | None = None, to: str | None = None,
                  tape: pd.DataFrame | None = None, deal: Deal | None = None, behaviour=None) -> RunContext:
    """Resolve a scenario's deal, tape, curve and schedule once for a run.

    ``behaviour`` (a :class:`stress.behaviour.params.BehaviourParams`) replaces
    the parameters file the scenario names, for exploring coefficients from
    Python without writing a file.
    """
    from stress.collateral import load_tape

    deal = deal or load_deal(scenario.scenario.deal)
    if tape is None:
        tape = load_tape(scenario.scenario.tape or None)
    to = to or scenario.scenario.to
    if to not in ("call", "maturity"):
        raise ScenarioError(f"--to {to!r}: must be 'call' or 'maturity'")
    seed = int(scenario.simulation.seed if seed is None else seed)
    if scenario.randomness.collateral_draws == "loan":
        from stress.kernels.counter_rng import check_seed

        check_seed(seed)  # the draws' key is one 64-bit word
    n_periods = horizon(tape, scenario.liquidation_lag(behaviour))
    curve = scenario.rates.load_curve(max(420, n_periods + 13), relative_to=Path(scenario.path).parent)
    schedule = payment_schedule(deal, n_periods)
    terms = waterfall_terms(deal, schedule)
    model = scenario.collateral_model(deal=deal, tape=tape, curve=curve, behaviour=behaviour)
    if isinstance(model, BehaviourModel):
        collateral_loans = prepare_loans(tape, model.params,
                                         master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                                         trustee_fee_rate=deal.collateral.trustee_fee_rate)
    else:  # the vectors read no per-loan behaviour terms
        collateral_loans = BehaviourLoans.vectors_only(
            loan_arrays(tape, master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                        trustee_fee_rate=deal.collateral.trustee_fee_rate))
    oc_target = deal.oc_target_on(schedule.unadjusted_dates)
    return RunContext(scenario=scenario, deal=deal, tape=tape, curve=curve, schedule=schedule,
                      n_periods=n_periods, to=to, seed=seed,
                      waterfall_terms=terms, tranche_names=tuple(deal.tranche_names),
                      oc_target=oc_target, oc_breach_from=oc_breach_from(deal, oc_target, n_periods), model=model,
                      collateral_loans=collateral_loans,
                      call_rule="never" if to == "maturity" else scenario.scenario.call,
                      original_ltv=float(np.average(tape["ltv"], weights=tape["balance"])))


# -- one chunk ----------------------------------------------------------------
def project_collateral(ctx: RunContext, index_rates: np.ndarray, hpi: np.ndarray,
                n_periods: int | None = None, path_ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Pool cash flows for every path of a chunk: dict of (p, t) arrays.

    ``index_rates`` is (p, 4, m) as generated; ``hpi`` is (p, regions, m).
    ``n_periods`` (default ``ctx.n_periods``) projects only the first months;
    they equal the first months of the full projection (a month never depends
    on later ones). ``path_ids`` (default ``0..p-1``): the paths' global
    indices, the loan-level draws' counter (``[randomness] collateral_draws =
    "loan"``).
    """
    from dataclasses import fields

    from stress.pool_paths import project_pool_paths

    n = ctx.n_periods if n_periods is None else int(n_periods)
    rates = lookback_shifted(index_rates, ctx.deal.collateral.reset_lookback_months)
    flows = project_pool_paths(ctx.collateral_loans, rates, hpi, ctx.model, n_periods=n,
                               rounding=ctx.deal.collateral.rate_rounding,
                               draws=ctx.scenario.randomness.collateral_draws == "loan", seed=ctx.seed,
                               path_ids=path_ids)
    return {f.name: getattr(flows, f.name) for f in fields(flows)}


def simulate_chunk(ctx: RunContext, path_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Run paths ``path_ids`` end to end and return the per-path result arrays.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays named as in :mod:`stress.variables`, leading dim = path.
    """
    return reduce_chunk(ctx, *chunk_cashflows(ctx, path_ids, after_call=False))


def chunk_cashflows(ctx: RunContext, path_ids: np.ndarray, *, after_call: bool = True):
    """Every cash flow of a chunk before reduction: ``(paths, pool, bonds, call)``.

    ``after_call=False`` (what :func:`simulate_chunk` uses) leaves the pool's
    months after the latest possible call date of a to-call run at zero
    instead of projecting them (see :func:`stress.mechanics.collateral_horizon`): the bonds,
    the call dates and every reduced result are the same, bit for bit.

    ``pool`` is a dict of (p, t) collateral arrays, ``bonds`` the
    :class:`~stress.waterfall.WaterfallResult`, ``call`` the 0-based call
    period per path (-1: not exercised in this run).
    """
    n = ctx.n_periods
    paths = generate_paths(ctx.scenario.drivers, path_ids=np.asarray(path_ids, dtype=np.int64), seed=ctx.seed,
                           n_months=n + 1, curve=ctx.curve)
    hpi = np.stack([paths.hpi_national, paths.hpi_california], axis=1)  # regions as stress.behaviour.prep.REGIONS
    p = len(path_ids)
    n_pool = n if after_call else collateral_horizon(ctx.deal, ctx.schedule, n, ctx.call_rule)
    pool = project_collateral(ctx, paths.index_rates, hpi, n_pool, path_ids=path_ids)
    if n_pool < n:  # months after the latest possible call: never read (see collateral_horizon)
        pool = {name: np.concatenate([x, np.zeros((p, n - n_pool))], axis=1) for name, x in pool.items()}
    libor = np.ascontiguousarray(paths.index_rates[:, 0, :n])
    first_call = np.array([clean_up_call_period(ctx.deal, ctx.schedule, pool["pool_balance_begin"][k])
                           for k in range(p)], dtype=np.int64)
    rule = ctx.call_rule
    value = None
    if rule == "economic":
        from stress.call_value import pool_value

        v = ctx.scenario.call_valuation
        value = pool_value(pool, libor, paths.hpi_national[:, :n], discount_margin=v.discount_margin,
                           rate_duration_years=v.rate_duration_years, liquidation_cost=v.liquidation_cost,
                           original_ltv=ctx.original_ltv)
    inputs = bond_inputs(ctx.deal, ctx.schedule, pool, libor, oc_target=ctx.oc_target, terms=ctx.waterfall_terms,
                         stepup_period=stepup_period(first_call, rule, n),
                         call_period=first_call, call_rule=rule, pool_value=value)
    bonds = run_waterfall(inputs)
    exercised = bonds.call_exercised > 0
    return paths, pool, bonds, np.where(exercised.any(axis=1), exercised.argmax(axis=1), -1)


# -- the run ------------------------------------------------------------------
def chunk_ranges(n_paths: int, chunk_size: int) -> list[tuple[int, int]]:
    """[start, stop) global path ranges of each chunk."""
    return [(a, min(a + chunk_size, n_paths)) for a in range(0, n_paths, chunk_size)]


def _run_chunk_task(ctx: RunContext, k: int, start: int, stop: int, store: str | None):
    """One dask task: simulate a chunk; write it into the store if there is one."""
    path_ids = np.arange(start, stop, dtype=np.int64)
    try:
        arrays = simulate_chunk(ctx, path_ids)
    except StressInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the chunk named
        raise ChunkError(f"chunk {k} (paths {start}-{stop - 1}) failed: {type(exc).__name__}: {exc}") from exc
    ds = chunk_dataset(ctx, path_ids, arrays)
    if store is None:
        return ds
    write_chunk(store, k, start, stop, ds)
    return k


def run_monte_carlo(scenario: Scenario, *, n_paths: int | None = None, seed: int | None = None,
                    chunk_size: int | None = None, scheduler: str = "threads", out: str | Path | None = None,
                    resume: bool = False, overwrite: bool = False, to: str | None = None,
                    progress: bool = False, tape: pd.DataFrame | None = None, workers: int | None = None,
                    security=None, behaviour=None, tail_sampling: str | float | None = None,
                    collateral_draws: str | None = None) -> xr.Dataset:
    """Run a scenario's Monte Carlo simulation.

    Parameters
    ----------
    scenario : Scenario
        From :func:`stress.scenario.load_scenario`.
    n_paths, seed, chunk_size : int, optional
        Override the scenario's ``[simulation]`` values.
    scheduler : str
        ``"threads"`` (default: every core, numba releases the GIL),
        ``"processes"``, ``"synchronous"``, or a ``tcp://HOST:PORT`` /
        ``tls://HOST:PORT`` address of a running ``dask.distributed`` scheduler.
    out : path, optional
        Directory for ``results.zarr`` (written chunk by chunk as chunks
        finish) and ``summary.json``.
    resume : bool
        Continue a run in ``out``: finished chunks are not recomputed.
    overwrite : bool
        Replace an existing ``out/results.zarr``; without it an existing
        store is never touched except by ``resume``.
    to : {"call", "maturity"}, optional
        Override the scenario's ``to``.
    progress : bool
        Show a progress bar (chunks done, paths per second, time left).
    tape : pandas.DataFrame, optional
        A loan tape instead of the scenario's.
    behaviour : stress.behaviour.params.BehaviourParams, optional
        Behaviour parameters instead of the file the scenario names (modes
        ``models`` and ``scaled``), e.g. ``load_behaviour().model_copy(...)``;
        recorded in the results' ``behaviour_json`` attribute.
    workers : int, optional
        Worker threads/processes for the local schedulers (default: all cores).
    security : distributed.Security, optional
        TLS settings for a remote scheduler.
    tail_sampling : {"off", "auto"} or float, optional
        Override the scenario's ``[randomness] tail_sampling`` (importance
        sampling of the national home-price shocks,
        :mod:`stress.rates.tail_sampling`). ``"auto"`` runs a cross-entropy
        pilot first (``2 x tail_pilot_paths`` paths on their own streams);
        the tilt used is in the results' ``tail_tilt`` attribute and every
        path's likelihood ratio in the ``weight`` variable.

    Returns
    -------
    xarray.Dataset
        Dims ``path``, ``period``, ``tranche``; lazily backed by
        ``results.zarr`` when ``out`` is given.

    A scenario whose rates and home prices are both realized history
    (``[rates] model = "history"`` and ``[home_prices] source = "history"``)
    is one deterministic path: it runs as one path whatever ``n_paths``.

    Raises
    ------
    ScenarioError
        A bad option (including a tail-sampling tilt whose weights would be
        degenerate); raised before any work starts.
    ChunkError
        A chunk failed; chunks already written stay on disk for ``resume``.
    """
    sim = scenario.simulation
    n_paths = int(sim.paths if n_paths is None else n_paths)
    chunk_size = int(sim.chunk_size if chunk_size is None else chunk_size)
    if n_paths < 1:
        raise ScenarioError(f"--paths {n_paths}: must be >= 1")
    if chunk_size < 1:
        raise ScenarioError(f"--chunk-size {chunk_size}: must be >= 1")
    if not (scheduler in SCHEDULERS or scheduler.startswith(("tcp://", "tls://"))):
        raise ScenarioError(f"--scheduler {scheduler!r}: must be threads, processes, synchronous or "
                            "tcp://HOST:PORT")
    if resume and out is None:
        raise ScenarioError("--resume needs --out DIR (the run to continue)")
    if out is not None:
        from stress.outputs import check_output_dir

        check_output_dir(out)  # before the context is built: a bad --out fails in milliseconds
    if scenario.drivers.deterministic:
        # realized rates and home prices: every path would be the same path; run it once (see module docstring)
        if n_paths != 1:
            log.info("scenario %s: realized history, one deterministic path (asked for %d)", scenario.name, n_paths)
        n_paths = chunk_size = 1
    scenario = with_collateral_draws(scenario, collateral_draws)
    ctx = build_context(scenario, seed=seed, to=to, tape=tape, behaviour=behaviour)
    ctx = _resolve_tail_sampling(ctx, tail_sampling)
    ranges = chunk_ranges(n_paths, chunk_size)
    store = None
    done: set[int] = set()
    if out is not None:
        out = Path(out)
        done = prepare_store(out, ctx, n_paths, chunk_size, resume, overwrite)
        store = str(out / "results.zarr")
    todo = [(k, a, b) for k, (a, b) in enumerate(ranges) if k not in done]
    started = time.perf_counter()
    log.info("scenario %s: %d paths in %d chunks (%d to run), scheduler %s", scenario.name, n_paths,
             len(ranges), len(todo), scheduler)
    results = _execute(ctx, todo, store, scheduler, progress, workers, security, n_paths=n_paths)
    elapsed = time.perf_counter() - started
    if store is None:
        ordered = [results[k] for k, _, _ in todo]
        ds = xr.concat(ordered, dim="path", data_vars="all", coords="minimal", compat="override",
                       join="override") if len(ordered) > 1 else ordered[0]
        ds.attrs.update(run_attrs(ctx, n_paths, chunk_size))
    else:
        ds = xr.open_zarr(store, consolidated=False)
    ds.attrs["wall_seconds"] = float(elapsed)
    _report_weights(ds)
    if out is not None:
        from stress.metrics import summary

        # Load the per-path results only; the few (path, period) variables the summary reads (OC, bond
        # balance) are read lazily: loading everything took 5.6 s and 1.5 GiB at 10,000 paths.
        per_path = [name for name, var in ds.data_vars.items() if "period" not in var.dims]
        stats = summary(ds.assign({name: ds[name].load() for name in per_path}))
        with open(Path(out) / "summary.json", "w") as fh:
            json.dump(json_safe({"attrs": summary_attrs(ds.attrs), "summary": stats}), fh, indent=2)
    return ds


COLLATERAL_DRAWS = ("expected", "loan")


def with_collateral_draws(scenario: Scenario, mode: str | None) -> Scenario:
    """``scenario`` with ``[randomness] collateral_draws = mode`` (None: unchanged), so results record it."""
    if mode is None or mode == scenario.randomness.collateral_draws:
        return scenario
    if mode not in COLLATERAL_DRAWS:
        raise ScenarioError(f"--collateral-draws {mode!r}: must be one of {', '.join(COLLATERAL_DRAWS)}")
    randomness = scenario.randomness.model_copy(update={"collateral_draws": mode})
    return scenario.model_copy(update={"randomness": randomness})


def _resolve_tail_sampling(ctx: RunContext, option: str | float | None) -> RunContext:
    """The run context with a numeric tilt: the CLI/API override applied, ``"auto"`` resolved, the ESS checked."""
    from dataclasses import replace

    from stress.rates.config import RandomnessConfig
    from stress.rates.tail_sampling import check_tilt, cross_entropy_tilt, tilt_steps

    scenario = ctx.scenario
    randomness = scenario.randomness
    if option is not None:
        value = option if option in ("off", "auto") else _tilt_number(option)
        try:
            randomness = RandomnessConfig(**{**randomness.model_dump(), "tail_sampling": value})
        except ValueError as exc:
            raise ScenarioError(f"--tail-sampling {option!r}: must be off, auto or a tilt in [0, 3] "
                                f"({exc})") from None
    if randomness.tail_sampling == "off":
        return ctx if randomness is scenario.randomness else replace(
            ctx, scenario=scenario.model_copy(update={"randomness": randomness}))
    if scenario.drivers.deterministic:
        raise ScenarioError(f"--tail-sampling / randomness.tail_sampling = {randomness.tail_sampling!r}: scenario "
                            f"{scenario.name} is realized history (no draws); use 'off'")
    n_tilt = tilt_steps(randomness.tail_years, ctx.n_periods)  # the engine draws n_periods monthly steps
    if randomness.tail_sampling == "auto":
        rate, national, california = cross_entropy_tilt(lambda t: _pilot(ctx, randomness, t), n_tilt)
        log.info("tail sampling auto: tilts rate %.4f, national %.4f, California %.4f over %d months", rate,
                 national, california, n_tilt)
        randomness = randomness.model_copy(update={"tail_sampling": float(national),
                                                   "tail_rate_tilt": float(rate),
                                                   "tail_california_tilt": float(california)})
    check_tilt(randomness.tilts, n_tilt, option="--tail-sampling / randomness.tail_sampling")
    return replace(ctx, scenario=scenario.model_copy(update={"randomness": randomness}))


def _tilt_number(option) -> float:
    try:
        return float(option)
    except (TypeError, ValueError):
        raise ScenarioError(f"--tail-sampling {option!r}: must be off, auto or a number (the tilt)") from None


def _pilot(ctx: RunContext, randomness, thetas):
    """One cross-entropy pilot batch at tilts ``thetas`` (rate, national, California): (score, weight, zbar).

    Score: the most junior class's principal loss plus the cumulative
    collateral loss (fractions); zbar: each tilted column's mean tilted
    normal over the tilted steps, shape (p, 3).

    Pilot paths use plain pseudo-random draws on their own streams (indices
    from :data:`~stress.rates.tail_sampling.PILOT_PATH_OFFSET`), so the pilot
    never reuses a run path's draws, whatever the run's antithetic or Sobol
    settings.
    """
    from dataclasses import replace

    from stress.rates.generator import HPI_CALIFORNIA_COLUMN, HPI_NATIONAL_COLUMN, RATE_COLUMN, draw_normals
    from stress.rates.tail_sampling import PILOT_PATH_OFFSET, tilt_steps

    rate, national, california = (float(t) for t in thetas)
    pilot_randomness = randomness.model_copy(update={"tail_sampling": national, "tail_rate_tilt": rate,
                                                     "tail_california_tilt": california, "antithetic": False,
                                                     "quasi_random": "none", "brownian_bridge": False})
    pilot_ctx = replace(ctx, scenario=ctx.scenario.model_copy(update={"randomness": pilot_randomness}))
    ids = PILOT_PATH_OFFSET + np.arange(randomness.tail_pilot_paths, dtype=np.int64)
    arrays = simulate_chunk(pilot_ctx, ids)
    n_tilt = tilt_steps(randomness.tail_years, ctx.n_periods)
    normals = draw_normals(ids, seed=ctx.seed, n_steps=ctx.n_periods, randomness=pilot_randomness)
    zbar = normals[:, :n_tilt, [RATE_COLUMN, HPI_NATIONAL_COLUMN, HPI_CALIFORNIA_COLUMN]].mean(axis=1)
    score = arrays["loss_pct"][:, -1] + arrays["cumulative_collateral_loss_pct"]
    return score, arrays["weight"], zbar


def _report_weights(ds: xr.Dataset) -> None:
    """Record the tilt and the weights' effective sample size; warn when the weights are degenerate."""
    import warnings

    from stress.rates.tail_sampling import MIN_ESS_FRACTION, effective_sample_size

    randomness = json.loads(ds.attrs["scenario_json"])["randomness"]
    option = randomness.get("tail_sampling", "off")
    ds.attrs["tail_sampling"] = str(option)
    ds.attrs["tail_tilt"] = 0.0 if option == "off" else float(option)
    for key in ("tail_rate_tilt", "tail_california_tilt"):
        ds.attrs[key] = 0.0 if option == "off" else float(randomness.get(key, 0.0))
    ds.attrs["tail_years"] = float(randomness.get("tail_years", 2.0))
    if option == "off":
        return
    weights = np.asarray(ds["weight"].values)
    ess = effective_sample_size(weights)
    ds.attrs["effective_sample_size"] = ess
    if ess < MIN_ESS_FRACTION * weights.size:
        message = (f"--tail-sampling / randomness.tail_sampling = {option}: the weights' effective sample size is "
                   f"{ess:.0f} of {weights.size} paths (< {MIN_ESS_FRACTION:.0%}): the estimates are unreliable; "
                   "lower the tilt or use 'auto'")
        log.warning(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _execute(ctx, todo, store, scheduler, progress, workers, security, *, n_paths: int) -> dict:
    """Run the chunk tasks on the chosen scheduler; return {chunk: Dataset or chunk index}."""
    import dask

    if todo and not scheduler.startswith(("tcp://", "tls://")):
        # first run: compile every kernel here, two at a time, so that no worker compiles (stress.warmup);
        # a remote cluster's workers have their own caches
        from stress.warmup import precompile

        _, a, b = todo[0]
        precompile(ctx, b - a, announce=progress)
    elif progress and _kernels_to_compile():
        print("compiling kernels (first run only) ...", file=sys.stderr, flush=True)
    bar = _progress_bar(progress, len(todo), sum(b - a for _, a, b in todo))
    results = {}
    if scheduler.startswith(("tcp://", "tls://")):
        from distributed import Client, as_completed

        with Client(scheduler, security=security, timeout="30s") as client:
            futures = {client.submit(_run_chunk_task, ctx, k, a, b, store, key=f"stress-chunk-{k}-{a}",
                                     retries=2): (k, a, b) for k, a, b in todo}
            for future in as_completed(futures):
                k, a, b = futures[future]
                results[k] = future.result()
                bar.update(b - a)
        bar.close()
        return results
    tasks = [dask.delayed(_run_chunk_task)(ctx, k, a, b, store, dask_key_name=f"chunk-{k}") for k, a, b in todo]
    sizes = {f"chunk-{k}": b - a for k, a, b in todo}
    from dask.callbacks import Callback

    class _Progress(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            if key in sizes:
                bar.update(sizes[key])

    kwargs = {"scheduler": scheduler}
    if workers is not None and scheduler != "synchronous":
        kwargs["num_workers"] = workers
    with _Progress():
        computed = dask.compute(*tasks, **kwargs)
    bar.close()
    for (k, _, _), value in zip(todo, computed):
        results[k] = value
    return results


#: The kernels a Monte Carlo chunk calls itself, (module, name); the kernels they call are compiled and cached
#: with them. Only these decide whether a run compiles: a kernel no run calls (the single-path derivative
#: payments of ``stress cashflows``) has no cache entry after a run, and counting it made every run look
#: like a first run.
_RUN_KERNELS = (("stress.kernels.rates", "_simulate_factors"), ("stress.kernels.home_prices", "_hpi_paths"),
                ("stress.kernels.rates", "_index_rates"), ("stress.kernels.collateral_paths", "_project_pool_paths"),
                ("stress.kernels.waterfall", "_waterfall_paths"))


def _run_kernels() -> list:
    """The dispatchers of :data:`_RUN_KERNELS` (found by name, so a kernel moved to another module still counts)."""
    import importlib

    from stress.accelerate import KERNELS

    for module, _ in _RUN_KERNELS:
        try:
            importlib.import_module(module)
        except ImportError:  # moved: found below if its new module is imported
            pass
    names = {name for _, name in _RUN_KERNELS}
    return [k for k in KERNELS if k.py_func.__name__ in names]


def _kernels_to_compile() -> bool:
    """Whether this run will compile kernels (nothing in numba's on-disk cache yet) rather than load them."""
    from stress.accelerate import compile_pending

    return compile_pending(_run_kernels())


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(enabled: bool, n_chunks: int, n_paths: int):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=n_paths, unit="path", desc=f"{n_chunks} chunks", smoothing=0.1)
