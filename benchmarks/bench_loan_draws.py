"""Loan-level draws against expected values: Monte Carlo error per metric, kernel time, run time, profile.

    python benchmarks/bench_loan_draws.py [--error-paths 500] [--kernel-paths 64] [--cli-paths 2000]
                                          [--profile-paths 250] [--skip error,kernel,profile,cli]
                                          [--before /work/wt/base]

1. **Monte Carlo error** (base scenario, to call and to maturity): the same
   macro paths (rates, home prices) run with ``collateral_draws = "expected"``
   (EV) and ``"loan"`` (draws). Per metric: the estimate and its standard error
   in each mode, the ratio of the two standard errors (its square is how many
   more paths the draws need for the same precision) and the share of the
   draws' variance that is idiosyncratic, ``Var(draws - EV) / Var(draws)`` on
   paired paths (the pool's own default / prepayment luck given the macro
   path; it would be ``1 - Var(EV) / Var(draws)`` if EV were the draws'
   conditional mean exactly, printed beside it). Metrics: collateral
   cumulative loss (mean), each class's expected loss and probability of
   loss, the call exercise probability (to call), the mean of each path's
   minimum AFR margin over LIBOR and the mean AFR of the first 24 periods.
2. **Kernel alone**: :func:`stress.engine.project_collateral` on the base
   pool (3,951 loans) at the to-call horizon (122 months) and to maturity
   (372), both modes, best of 3.
3. **Profile**: one in-process chunk of ``--profile-paths`` to maturity and to
   call in each mode, split into path generation, collateral kernel, call
   dates, call valuation, waterfall inputs, waterfall, reduction, result
   Dataset and Zarr write.
4. **CLI**: ``stress run --paths N --to call|maturity --collateral-draws MODE
   -q --out DIR`` in a fresh process, wall time; with ``--before DIR`` also
   that checkout's ``stress`` (its own ``.venv``) for the before figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 20040129


# -- 1. Monte Carlo error ------------------------------------------------------------------------------------
def per_path_metrics(ds) -> dict[str, np.ndarray]:
    """Per-path values whose path mean is each metric (probabilities as 0 / 1 per path)."""
    from stress.metrics import loss_hits, min_afr_margin

    out = {"collateral cumulative loss [%]": 100.0 * ds["cumulative_collateral_loss_pct"].values}
    loss = ds["loss_pct"].transpose("path", "tranche").values
    hits = loss_hits(ds).transpose("path", "tranche").values
    for k, name in enumerate(ds["tranche"].values):
        out[f"{name} EL [%]"] = 100.0 * loss[:, k]
        out[f"{name} P(loss) [%]"] = 100.0 * hits[:, k]
    if ds.attrs.get("call_rule") != "never":
        out["call exercised [%]"] = 100.0 * ds["call_exercised"].values
    out["min AFR margin [bp]"] = 1e4 * min_afr_margin(ds)
    afr = ds["afr"].transpose("path", "period").values[:, :24]
    with np.errstate(all="ignore"):
        out["AFR, periods 1-24 [%]"] = 100.0 * np.nanmean(afr, axis=1)
    return out


def error_table(n_paths: int, to: str) -> list[tuple]:
    """Rows (metric, EV mean, EV SE, draws mean, draws SE, SE ratio, idiosyncratic share, 1 - var ratio)."""
    from stress.engine import run_monte_carlo
    from stress.scenario import load_scenario

    scenario = load_scenario("base")
    runs = {mode: run_monte_carlo(scenario, n_paths=n_paths, seed=SEED, to=to, collateral_draws=mode,
                                  scheduler="threads")
            for mode in ("expected", "loan")}
    ev, dr = per_path_metrics(runs["expected"]), per_path_metrics(runs["loan"])
    rows = []
    for name in ev:
        e, d = ev[name], dr[name]
        ok = np.isfinite(e) & np.isfinite(d)
        e, d = e[ok], d[ok]
        n = e.size
        se_e, se_d = e.std(ddof=1) / np.sqrt(n), d.std(ddof=1) / np.sqrt(n)
        var_d = d.var(ddof=1)
        share = (d - e).var(ddof=1) / var_d if var_d > 0 else np.nan
        rest = 1.0 - e.var(ddof=1) / var_d if var_d > 0 else np.nan
        rows.append((name, e.mean(), se_e, d.mean(), se_d, se_d / se_e if se_e > 0 else np.nan, share, rest))
    return rows


def print_error(n_paths: int) -> None:
    for to in ("call", "maturity"):
        print(f"Monte Carlo error, base scenario, to {to}, {n_paths} paths, seed {SEED}, same macro paths:")
        print(f"  {'metric':32s} {'EV mean':>9s} {'EV SE':>8s} {'draws':>9s} {'draws SE':>8s} {'SE x':>6s} "
              f"{'idio':>6s} {'1-vE/vD':>7s}")
        for name, me, se_e, md, se_d, ratio, share, rest in error_table(n_paths, to):
            print(f"  {name:32s} {me:9.4f} {se_e:8.4f} {md:9.4f} {se_d:8.4f} {ratio:6.2f} {share:6.1%} {rest:7.1%}")


# -- 2. kernel ------------------------------------------------------------------------------------------------
def kernel_times(n_paths: int, repeat: int = 3) -> None:
    from stress.engine import build_context, project_collateral, with_collateral_draws
    from stress.rates.generator import generate_paths
    from stress.scenario import load_scenario

    scenario = load_scenario("base")
    ids = np.arange(n_paths, dtype=np.int64)
    print(f"collateral kernel alone, base pool, {n_paths} paths, one thread, best of {repeat}:")
    for mode in ("expected", "loan"):
        ctx = build_context(with_collateral_draws(scenario, mode), to="maturity")
        paths = generate_paths(ctx.scenario.drivers, path_ids=ids, seed=ctx.seed, n_months=ctx.n_periods + 1,
                               curve=ctx.curve)
        hpi = np.stack([paths.hpi_national, paths.hpi_california], axis=1)
        project_collateral(ctx, paths.index_rates[:2], hpi[:2], 12, path_ids=ids[:2])  # compile / load
        n_loans = ctx.tape.shape[0]
        for horizon in (122, ctx.n_periods):
            best = np.inf
            for _ in range(repeat):
                start = time.perf_counter()
                project_collateral(ctx, paths.index_rates, hpi, horizon, path_ids=ids)
                best = min(best, time.perf_counter() - start)
            rate = n_loans * horizon * n_paths / best / 1e6
            print(f"  {mode:9s} {horizon:4d} months  {best:7.3f} s  {best / n_paths * 1e3:6.2f} ms/path  "
                  f"{rate:6.1f} M loan-months/s (nominal: every loan, every month)")


def lane_utilization(n_paths: int = 64, n_sample: int = 300) -> None:
    """How much of the draws kernel's work is on paths where the loan has already left.

    Each of ``n_sample`` loans (every k-th of the tape) is run alone on ``n_paths`` paths to maturity with
    draws; a lane is live until the month its balance (performing and in the pipeline) reaches 0, a tile
    of 32 lanes until its last lane leaves (the EXIT test). Live lane-months / computed lane-months is what
    compacting live lanes could save at most.
    """
    from stress.engine import build_context, with_collateral_draws
    from stress.kernels.collateral_paths import TILE
    from stress.pool_paths import project_pool_paths
    from stress.rates.generator import generate_paths
    from stress.scenario import load_scenario

    ctx = build_context(with_collateral_draws(load_scenario("base"), "loan"), to="maturity")
    ids = np.arange(n_paths, dtype=np.int64)
    paths = generate_paths(ctx.scenario.drivers, path_ids=ids, seed=ctx.seed, n_months=ctx.n_periods + 1,
                           curve=ctx.curve)
    hpi = np.stack([paths.hpi_national, paths.hpi_california], axis=1)
    from stress.mechanics import lookback_shifted

    rates = lookback_shifted(paths.index_rates, ctx.deal.collateral.reset_lookback_months)
    n = ctx.n_periods
    rows = np.linspace(0, ctx.collateral_loans.n_loans - 1, n_sample).astype(int)
    live = computed = 0
    for horizon in (122, n):
        live = computed = 0
        for row in rows:
            cf = project_pool_paths(ctx.collateral_loans.subset([row]), rates, hpi, ctx.model, n_periods=horizon,
                                    rounding=ctx.deal.collateral.rate_rounding, draws=True, seed=ctx.seed,
                                    path_ids=ids)
            gone = cf.pool_balance_end <= 0.0
            months = np.where(gone.any(1), gone.argmax(1) + 1, horizon)  # months each lane is computed
            live += months.sum()
            for a in range(0, n_paths, TILE):
                computed += months[a:a + TILE].max() * min(TILE, n_paths - a)
        print(f"  lane utilization, draws, {horizon} months, {n_sample} loans x {n_paths} paths: live lane-months "
              f"/ computed = {live / computed:.1%} (compacting live lanes saves at most {1 - live / computed:.0%} "
              "of the loan-month work)")


# -- 3. profile -----------------------------------------------------------------------------------------------
def profile(n_paths: int) -> None:
    """One chunk's stage split (:func:`benchmarks.bench_horizon.stage_seconds`) for each horizon and draws mode."""
    try:
        from benchmarks.bench_horizon import stage_seconds
    except ImportError:  # run as a script: its own folder is on sys.path
        from bench_horizon import stage_seconds
    from stress.engine import with_collateral_draws
    from stress.scenario import load_scenario

    scenario = load_scenario("base")
    for to in ("call", "maturity"):
        for mode in ("expected", "loan"):
            stages, whole = stage_seconds(with_collateral_draws(scenario, mode), to, n_paths)
            print(f"profile, one chunk of {n_paths} paths, to {to}, {mode}: {whole:.2f} s "
                  f"({whole / n_paths * 1e3:.1f} ms/path)")
            for label, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
                print(f"    {label:34s} {seconds:7.3f} s  {seconds / whole:6.1%}")


# -- 4. CLI ---------------------------------------------------------------------------------------------------
def cli_time(stress_dir: Path, n_paths: int, to: str, mode: str | None) -> float:
    out = Path(tempfile.mkdtemp(prefix="stress_draws_cli_"))
    exe = stress_dir / ".venv" / "bin" / "stress"
    cmd = [str(exe), "run", "--paths", str(n_paths), "--to", to, "-q", "--out", str(out / "run")]
    if mode is not None:
        cmd += ["--collateral-draws", mode]
    try:
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=stress_dir, capture_output=True)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)


def print_cli(n_paths: int, before: Path | None) -> None:
    print(f"`stress run --paths {n_paths} --to call|maturity -q --out DIR`, base scenario, fresh process, "
          f"{os.cpu_count()} cores:")
    cases = [(ROOT, mode) for mode in ("expected", "loan")]
    if before is not None:
        cases.insert(0, (before, None))
    for where, mode in cases:
        walls = {to: cli_time(where, n_paths, to, mode) for to in ("call", "maturity")}
        label = f"before ({where.name})" if mode is None else f"after, {mode}"
        print(f"  {label:22s} to call {walls['call']:7.1f} s   to maturity {walls['maturity']:7.1f} s   "
              f"ratio {walls['maturity'] / walls['call']:5.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--error-paths", type=int, default=500)
    parser.add_argument("--kernel-paths", type=int, default=64)
    parser.add_argument("--profile-paths", type=int, default=250)
    parser.add_argument("--cli-paths", type=int, default=2000)
    parser.add_argument("--before", type=Path, default=None, help="another checkout with its own .venv")
    parser.add_argument("--skip", default="", help="comma-separated: error, kernel, profile, cli")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    if "kernel" not in skip:
        kernel_times(args.kernel_paths)
        lane_utilization()
    if "profile" not in skip:
        profile(args.profile_paths)
    if "error" not in skip:
        print_error(args.error_paths)
    if "cli" not in skip:
        print_cli(args.cli_paths, args.before)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
