"""The ``stress`` command line: parse, call the Python API, print.

Every command is a thin wrapper over a public function, so a notebook does
exactly what the command does. Bad input (a missing file, a malformed tape, an
out-of-range option) prints one clear message and exits with status 2, never
a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from stress.cli_args import month, name_list, percent, percent_list, percents, positive_int, seed, tail_sampling
from stress.errors import StressInputError

log = logging.getLogger("stress")


# -- tape ---------------------------------------------------------------------
def _cmd_tape_synthesize(args) -> int:
    from stress.collateral.synthesize import synthesize_tape
    from stress.collateral.tape import write_tape
    from stress.outputs import check_output_file

    check_output_file(args.out, overwrite=args.overwrite, suffixes=(".parquet", ".csv"))
    tape = synthesize_tape(seed=args.seed)
    path = write_tape(tape, args.out)
    print(f"wrote {len(tape):,} loans, balance ${tape['balance'].sum():,.2f}, seed {args.seed}: {path}")
    return 0


def _cmd_tape_strats(args) -> int:
    from stress.collateral.strats import compare_strats

    tape = _load_tape(args.file)
    comparison = compare_strats(tape)
    if args.json:
        print(json.dumps(comparison.to_dict(), indent=2, default=float))
    else:
        print(comparison.to_text())
    return 0 if comparison.ok else 1


def _cmd_tape_check(args) -> int:
    tape = _load_tape(args.file)
    print(f"{args.file}: {len(tape):,} loans, balance ${tape['balance'].sum():,.2f}: valid")
    return 0


def _load_tape(path):
    from stress.collateral import load_tape

    return load_tape(path)


# -- deal ---------------------------------------------------------------------
def _cmd_deal_show(args) -> int:
    from stress.deal import load_deal

    deal = load_deal(args.deal)
    if args.json:
        print(deal.model_dump_json(indent=2))
        return 0
    print(f"{deal.deal.name}  ({deal.source})")
    print(f"cut-off {deal.dates.cutoff}  closing {deal.dates.closing}  first payment {deal.dates.first_payment}")
    print(f"collateral ${deal.collateral.cutoff_balance:,.2f} in {deal.collateral.loan_count:,} loans; "
          f"pricing speed {deal.collateral.pricing_speed_cpr:.0%} CPR")
    print(f"{'class':<6}{'balance':>16}{'margin':>9}{'step-up':>9}{'ratings':>12}{'subord.':>9}")
    for t in deal.tranches:
        print(f"{t.name:<6}{t.balance:>16,.0f}{t.margin:>9.2%}{t.step_up_multiple:>8.1f}x"
              f"{t.rating_moodys + '/' + t.rating_sp:>12}{t.subordination:>9.2%}")
    print(f"coupon: least of 1M LIBOR + margin, AFR, {deal.coupon.fixed_cap:.2%}")
    oc = deal.overcollateralization
    print(f"OC target: {oc.initial_target:,.0f} through {oc.target_effective_after}, then "
          f"{oc.target_fraction_of_cutoff:.2%} of cut-off balance")
    call = deal.clean_up_call
    print(f"clean-up call: pool <= {call.pool_fraction:.0%} of cut-off or the {call.date} payment date")
    for d in deal.derivatives:
        rate = d.fixed_rate if d.kind == "swap" else d.strike
        print(f"derivative {d.name}: {d.kind} {d.initial_notional:,.0f} from {d.start} to {d.end} at {rate:.4%}")
    return 0


# -- cashflows ----------------------------------------------------------------
def _cmd_cashflows(args) -> int:
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows
    from stress.deal import load_deal
    from stress.rates.curves import load_curve
    from stress.tables import decrement_table, runs_to_json

    if args.periods:
        from stress.outputs import check_output_file

        check_output_file(args.periods, option="--periods", overwrite=args.overwrite, suffixes=(".csv",))
    deal = load_deal(args.deal)
    tape = _load_tape(args.tape)
    curve = load_curve(args.curve)
    if args.shock_bp:
        curve = curve.shifted(args.shock_bp, from_month=args.shock_from, ramp_months=args.shock_ramp).floored(0.0)
    if args.all_indices_to is not None:
        curve = curve.set_all(args.all_indices_to / 100.0, from_month=args.shock_from)
    options = {}
    if args.servicing:
        from stress.scenario import load_scenario
        from stress.servicing import OPTION_FIELDS

        chosen = load_scenario(args.servicing).servicing_assumptions()
        options = {name: getattr(chosen, name) for name in OPTION_FIELDS}
    if args.cpr is not None:
        speeds = [(f"{args.cpr:g}% CPR", args.cpr / 100.0)]
    else:
        speeds = [(f"{p:g}% PPC", f"{p:g} PPC") for p in args.ppc]
    runs = []
    for label, prepayment in speeds:
        assumptions = Assumptions(
            prepayment=prepayment, default=args.cdr / 100.0, severity=args.severity / 100.0,
            liquidation_lag=args.lag, advancing=not args.no_advancing, **options)
        runs.append((label, run_cashflows(deal, tape, curve, assumptions, to=args.to)))
    if args.periods:
        frames = []
        for label, run in runs:
            frame = run.period_table()
            frame.insert(0, "speed", label)
            frames.append(frame)
        import pandas as pd

        pd.concat(frames).to_csv(args.periods)
    if args.json:
        print(json.dumps(runs_to_json(runs, price=args.price), indent=2))
    else:
        print(decrement_table(runs, price=args.price))
    return 0


# -- Monte Carlo --------------------------------------------------------------
def _cmd_run(args) -> int:
    from stress.engine import run_monte_carlo
    from stress.metrics import summary
    from stress.scenario import load_scenario
    from stress.tables import monte_carlo_summary

    scenario = load_scenario(args.scenario)
    ds = run_monte_carlo(scenario, n_paths=args.paths, seed=args.seed, chunk_size=args.chunk_size,
                         scheduler=args.scheduler, out=args.out, resume=args.resume, overwrite=args.overwrite,
                         to=args.to, progress=not args.quiet, workers=args.workers, tail_sampling=args.tail_sampling,
                         collateral_draws=args.collateral_draws)
    if args.out is not None:
        result = json.loads((args.out / "summary.json").read_text())
    else:
        from stress.results import summary_attrs
        from stress.tables import json_safe

        result = json_safe({"attrs": summary_attrs(ds.attrs), "summary": summary(ds)})
    placement = None
    if args.place_history:
        placement = _place_history(ds, args.place_history, to=args.to or scenario.scenario.to)
        result["history_placement"] = placement
    print(json.dumps(result, indent=2) if args.json else monte_carlo_summary(result))
    if placement is not None and not args.json:
        print()
        print(_format_placement(placement))
    return 0


def _place_history(ds, name: str, *, to: str) -> dict:
    """Run the realized-history scenario ``name`` (one path) and place it in ``ds``'s distribution."""
    from stress.engine import run_monte_carlo
    from stress.metrics import place_in_distribution
    from stress.scenario import load_scenario

    history = load_scenario(name)
    if not history.drivers.deterministic:
        raise StressInputError(f"--place-history {name}: not a realized-history scenario (needs [rates] model = "
                               '"history" and [home_prices] source = "history")')
    placed = place_in_distribution(ds, run_monte_carlo(history, n_paths=1, to=to, scheduler="synchronous"))
    return {"scenario": history.name, "to": to,
            "measures": {str(m): {k: float(placed[k].sel(measure=m)) for k in placed.data_vars}
                         for m in placed["measure"].values}}


def _format_placement(placement: dict) -> str:
    lines = [f"where the realized path ({placement['scenario']}, to {placement['to']}) sits in this distribution",
             f"{'measure':<20}{'history':>12}{'percentile':>12}{'± s.e.':>10}"]
    for name, m in placement["measures"].items():
        unit = 1e4 if name == "min_afr_margin" else 100.0
        suffix = " bp" if name == "min_afr_margin" else "%"
        lines.append(f"{name:<20}{m['history_value'] * unit:>10.3f}{suffix:<2}{m['percentile'] * 100:>11.1f}%"
                     f"{m['std_error'] * 100:>9.1f}%")
    lines.append("percentile = share of Monte Carlo paths below the realized value plus half the share equal to it")
    return "\n".join(lines)


def _cmd_batch(args) -> int:
    import glob

    from stress.batch import read_scenario_set, run_batch

    specs = []
    for item in args.scenarios:
        if any(ch in item for ch in "*?["):
            matched = sorted(glob.glob(item))
            if not matched:
                raise StressInputError(f"scenario pattern {item!r}: matches no file")
            specs.extend(matched)
        else:
            specs.append(item)
    if args.set:
        specs.extend(read_scenario_set(args.set))
    if not specs and not args.manifest:
        raise StressInputError("stress batch: give scenario files or names, --set FILE or --manifest FILE")
    manifest = run_batch(specs, out=args.out, n_paths=args.paths, seed=args.seed, chunk_size=args.chunk_size,
                         scheduler=args.scheduler, workers=args.workers, resume=args.resume,
                         overwrite=args.overwrite, manifest=args.manifest, base=args.base,
                         progress=not args.quiet, collateral_draws=args.collateral_draws)
    _print_batch(args.out, manifest)
    failed = [e for e in manifest["scenarios"] if e.get("status") != "done"]
    return 1 if failed else 0


def _print_batch(out: Path, manifest: dict) -> None:
    """A batch's provenance and, when it exists, its comparison table."""
    from stress.batch import format_comparison, format_manifest

    print(format_manifest(manifest))
    comparison = out / "comparison.json"
    if comparison.exists():
        print()
        print(format_comparison(json.loads(comparison.read_text())))


def _cmd_summary(args) -> int:
    from stress.tables import monte_carlo_summary

    if (args.run_dir / "manifest.json").exists():
        _print_batch(args.run_dir, json.loads((args.run_dir / "manifest.json").read_text()))
        return 0
    path = args.run_dir / "summary.json"
    if not path.exists():
        raise StressInputError(f"run directory {args.run_dir}: no summary.json (is it a finished `stress run --out`?)")
    result = json.loads(path.read_text())
    print(json.dumps(result, indent=2) if args.json else monte_carlo_summary(result))
    return 0


def _cmd_rates(args) -> int:
    from stress.rates.netcdf import write_rates_dataset
    from stress.outputs import check_output_file
    from stress.scenario import load_scenario

    check_output_file(args.out, overwrite=args.overwrite, suffixes=(".nc",))
    scenario = load_scenario(args.scenario)
    write_rates_dataset(args.out, scenario.drivers, n_paths=args.paths, seed=args.seed, n_months=args.months,
                        scenario=scenario.name, relative_to=Path(scenario.path).parent)
    print(f"wrote {args.paths:,} paths x {args.months} months: {args.out}")
    return 0


# -- scenarios and breakevens -------------------------------------------------
def _cmd_scenarios(args) -> int:
    from stress.scenario import builtin_scenarios, load_scenario

    for path in builtin_scenarios():
        scenario = load_scenario(path)
        print(f"{scenario.name:<18} {scenario.scenario.description}")
    return 0


def _cmd_breakeven(args) -> int:
    from stress.breakeven import breakeven_table, implied_ratings
    from stress.deal import load_deal
    from stress.rates.curves import load_curve

    deal = load_deal(args.deal)
    tape = _load_tape(args.tape)
    base = load_curve("forward")
    curves = {}
    for case in args.rate_cases:
        if case == "forward":
            curves[case] = base
        elif case.startswith("forward+") or case.startswith("forward-"):
            curves[case] = base.shifted(float(case[len("forward"):]), from_month=1).floored(0.0)
        else:
            raise StressInputError(f"--rate-cases {case!r}: must be forward or forward+N / forward-N (bp)")
    from stress.assumptions import Assumptions

    if args.servicing:
        from stress.scenario import load_scenario

        base_assumptions = load_scenario(args.servicing).servicing_assumptions()
    else:
        base_assumptions = Assumptions(liquidation_lag=12)
    table = breakeven_table(deal, tape, curves, severities=[s / 100 for s in args.severities],
                            prepayments=[f"{p:g} PPC" for p in args.ppc], to=args.to,
                            loss_threshold=args.loss_threshold / 100.0, base=base_assumptions)
    ratings = implied_ratings(deal, tape) if not args.no_ratings else None
    if args.json:
        out = {"breakeven": table.to_dict(orient="records")}
        if ratings is not None:
            out["implied_ratings"] = ratings.reset_index(names="tranche").to_dict(orient="records")
        print(json.dumps(out, indent=2, default=float))
        return 0
    pivot = table.pivot_table(index=["rate_case", "prepayment", "severity"], columns="tranche",
                              values="breakeven_cdr", sort=False)[list(deal.tranche_names)]
    what = ("first-dollar principal loss" if args.loss_threshold == 0
            else f"principal loss above {args.loss_threshold:g}% of original balance")
    b = base_assumptions
    servicing = f"{b.liquidation_lag}-month lag, {'advancing' if b.advancing else 'no advancing'}"
    if b.servicer_options.active:
        servicing += (f"; servicer options ({args.servicing}): buy-out {b.buyout_share:g} by {b.buyout_rule}, "
                      f"fair-value sale {b.fair_value_share:g} by {b.fair_value_rule}, "
                      f"purchase up to {b.purchase_limit:.2%} a month by {b.purchase_rule}")
    print(f"{deal.deal.name}: breakeven CDR ({what}), to {args.to}, {servicing}; CDR in %")
    print((pivot * 100).round(2).to_string())
    cum = table.pivot_table(index=["rate_case", "prepayment", "severity"], columns="tranche",
                            values="cumulative_loss", sort=False)[list(deal.tranche_names)]
    print("\ncumulative collateral loss at the breakeven CDR, % of cut-off balance")
    print((cum * 100).round(2).to_string())
    if ratings is not None:
        print("\nimplied rating (highest rating-level stress passed with no principal loss); losses in %")
        shown = ratings.copy()
        for column in shown.columns[:-1]:
            shown[column] = (shown[column] * 100).round(3)
        print(shown.to_string())
    return 0


def _cmd_ratings(args) -> int:
    import pandas as pd

    from stress.deal import load_deal
    from stress.ratings import load_criteria, rating_stress_table

    deal = load_deal(args.deal)
    criteria = load_criteria(args.criteria)
    table = rating_stress_table(deal, _load_tape(args.tape), criteria)
    if args.json:
        print(json.dumps({"to": "maturity", "call": "never", "pool": table.attrs["pool"],
                          "classes": table.reset_index(names="tranche").to_dict(orient="records")},
                         indent=2, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
        return 0
    print(f"{deal.deal.name}: rating-level stresses by the loan-level method of {Path(criteria.path).name}; "
          "run to maturity, no credit for the clean-up call")
    speeds = criteria.timing.prepayment
    print("pool stress per level: cumulative default x severity = collateral loss (% of cut-off balance); "
          "realized collateral loss at each prepayment speed")
    for rating, p in table.attrs["pool"].items():
        realized = "  ".join(f"{speed}: {p[f'realized_loss {speed}']:6.2%}" for speed in speeds)
        print(f"  {rating:<4} {p['cumulative_default']:7.2%} x {p['severity']:7.2%} = {p['loss']:6.2%}   {realized}")
    print(f"\nclass principal loss (% of original balance, worst of {', '.join(map(str, speeds))}) "
          "and pass/fail per level")
    shown = pd.DataFrame(index=table.index)
    for rating in criteria.ratings:
        shown[rating] = [f"{loss:6.2%} {'pass' if ok else 'FAIL'}"
                         for loss, ok in zip(table[f"loss_{rating}"], table[f"pass_{rating}"])]
    shown["implied"] = table["implied_rating"]
    shown["S&P"] = table["rating_sp"]
    shown["Moody's"] = table["rating_moodys"]
    print(shown.to_string())
    return 0


# -- parser -------------------------------------------------------------------
def _add_monte_carlo_options(parser: argparse.ArgumentParser, *, paths_help: str, seed_help: str) -> None:
    """The options every Monte Carlo command shares: paths, seed, chunking, scheduler and workers."""
    parser.add_argument("--paths", type=positive_int, default=None, help=paths_help)
    parser.add_argument("--seed", type=seed, default=None, help=seed_help)
    parser.add_argument("--chunk-size", type=positive_int, default=None, help="paths per dask task")
    parser.add_argument("--scheduler", default="threads",
                        help="threads | processes | synchronous | tcp://HOST:PORT of a dask scheduler")
    parser.add_argument("--workers", type=positive_int, default=None, help="local worker threads/processes")
    parser.add_argument("--collateral-draws", choices=("expected", "loan"), default=None,
                        help="expected: each loan a fraction at its monthly hazards; loan: each loan defaults, "
                             "prepays or stays by a random draw (default: the scenario's [randomness] setting)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stress", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tape = sub.add_parser("tape", help="loan tapes: synthesize, check, stratify")
    tape_sub = tape.add_subparsers(dest="tape_command", metavar="TAPE_COMMAND", required=True)
    p = tape_sub.add_parser("synthesize", help="build a representative tape for the reference deal")
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0: the shipped tape)")
    p.add_argument("--out", required=True, type=Path, help="output .parquet or .csv")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file at --out")
    p.set_defaults(func=_cmd_tape_synthesize)
    p = tape_sub.add_parser("strats", help="term-sheet tables beside the tape's; exit 1 if outside tolerance")
    p.add_argument("file", nargs="?", default=None, help="tape (.parquet/.csv); default: the built-in tape")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_tape_strats)
    p = tape_sub.add_parser("check", help="validate a tape and report every bad row")
    p.add_argument("file", help="tape to check (.parquet/.csv)")
    p.set_defaults(func=_cmd_tape_check)

    deal = sub.add_parser("deal", help="show a deal file's terms")
    deal.add_argument("deal", nargs="?", default=None, help="deal TOML; default: the reference deal")
    deal.add_argument("--json", action="store_true", help="machine-readable output")
    deal.set_defaults(func=_cmd_deal_show)

    cf = sub.add_parser("cashflows", help="deterministic run: decrement and price/DM table per class")
    cf.add_argument("--deal", default=None, help="deal TOML (default: the reference deal)")
    cf.add_argument("--tape", default=None, help="loan tape .parquet/.csv (default: the built-in tape)")
    cf.add_argument("--ppc", type=percent_list, default=[0.0, 80.0, 100.0, 150.0, 180.0],
                    help="speeds in percent of the pricing speed (100 = 30%% CPR); default 0,80,100,150,180")
    cf.add_argument("--cpr", type=percent(0, 100), default=None, help="constant CPR in percent (overrides --ppc)")
    cf.add_argument("--cdr", type=percent(0, 100), default=0.0, help="constant CDR in percent")
    cf.add_argument("--severity", type=percent(0, 100), default=0.0, help="loss severity in percent")
    cf.add_argument("--lag", type=int, choices=range(0, 121), metavar="MONTHS", default=0,
                    help="months from default to liquidation [0-120]")
    cf.add_argument("--no-advancing", action="store_true",
                    help="servicer does not advance delinquent interest and scheduled principal")
    cf.add_argument("--servicing", default=None, metavar="SCENARIO",
                    help="scenario TOML or name whose [behaviour] servicer options (buy-out, fair-value sale, "
                         "1%% purchase; stress.servicing) apply, e.g. servicer_options")
    cf.add_argument("--curve", default="forward",
                    help="forward | static | history (realized 2004-01..2014-12, then flat) | FILE.toml (quotes) | "
                         "FILE.csv (monthly)")
    cf.add_argument("--shock-bp", type=float, default=0.0, help="parallel shock to every index [bp]")
    cf.add_argument("--shock-from", type=month, default=0, help="first curve month the shock applies")
    cf.add_argument("--shock-ramp", type=month, default=0,
                    help="months over which the --shock-bp shock ramps in linearly (0: at once)")
    cf.add_argument("--all-indices-to", type=percent(0, 50), default=None,
                    help="set every index to this level (percent) from --shock-from on: the AFR-cap stress")
    cf.add_argument("--to", choices=("call", "maturity"), default="call",
                    help="project to the clean-up call (default) or to maturity")
    cf.add_argument("--price", type=percent(1, 200), default=100.0, help="price for the discount margin [%% of par]")
    cf.add_argument("--json", action="store_true", help="machine-readable output")
    cf.add_argument("--periods", type=Path, default=None, help="write the per-period cash-flow table to CSV")
    cf.add_argument("--overwrite", action="store_true", help="replace an existing --periods file")
    cf.set_defaults(func=_cmd_cashflows)
    run = sub.add_parser("run", help="Monte Carlo run of a scenario (default: the reference deal's base case)")
    run.add_argument("scenario", nargs="?", default=None, help="scenario TOML or built-in name (default: base)")
    _add_monte_carlo_options(run, paths_help="number of paths (default: the scenario's)",
                             seed_help="random seed (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None, help="write DIR/results.zarr and DIR/summary.json")
    run.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    run.add_argument("--overwrite", action="store_true", help="replace existing results in --out")
    run.add_argument("--to", choices=("call", "maturity"), default=None,
                     help="project to the clean-up call or to maturity (default: the scenario's)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--tail-sampling", type=tail_sampling, default=None, metavar="auto|off|TILT",
                     help="importance sampling of the national home-price shocks: off (plain Monte Carlo), auto "
                          "(cross-entropy pilot) or a tilt theta; default: the scenario's [randomness] setting")
    run.add_argument("--place-history", nargs="?", const="history_2004", default=None, metavar="SCENARIO",
                     help="also run a realized-history scenario (default history_2004) and print its percentile "
                          "in this run's distribution of collateral loss, class losses and minimum AFR margin")
    run.set_defaults(func=_cmd_run)

    batch = sub.add_parser("batch", help="run a scenario set on common paths, with a provenance manifest")
    batch.add_argument("scenarios", nargs="*", help="scenario files, names or glob patterns")
    batch.add_argument("--set", type=Path, default=None, help="scenario-set TOML: scenarios = [...]")
    batch.add_argument("--manifest", type=Path, default=None, help="rerun a previous batch's manifest.json")
    batch.add_argument("--base", default=None, help="scenario to compare the others with (default: the first)")
    _add_monte_carlo_options(batch, paths_help="paths per scenario (default: the first scenario's)",
                             seed_help="random seed shared by every scenario")
    batch.add_argument("--out", type=Path, required=True, help="batch directory (one run folder per scenario)")
    batch.add_argument("--resume", action="store_true", help="continue an interrupted batch in --out")
    batch.add_argument("--overwrite", action="store_true", help="replace an existing batch in --out")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(func=_cmd_batch)

    summ = sub.add_parser("summary", help="print a finished run's (or batch's) summary again from disk")
    summ.add_argument("run_dir", type=Path, help="a `stress run --out` or `stress batch --out` directory")
    summ.add_argument("--json", action="store_true", help="print the summary as JSON")
    summ.set_defaults(func=_cmd_summary)

    rates = sub.add_parser("rates", help="simulate rate and home-price paths to a NetCDF file")
    rates.add_argument("--scenario", default=None, help="scenario TOML or built-in name (default: base)")
    rates.add_argument("--paths", type=positive_int, default=1000, help="number of paths (default 1000)")
    rates.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    rates.add_argument("--months", type=positive_int, default=360, help="months per path (default 360)")
    rates.add_argument("--out", type=Path, required=True, help="output .nc file (its folder is created)")
    rates.add_argument("--overwrite", action="store_true", help="replace an existing file at --out")
    rates.set_defaults(func=_cmd_rates)
    sc = sub.add_parser("scenarios", help="list the named scenarios, one line each")
    sc.set_defaults(func=_cmd_scenarios)

    be = sub.add_parser("breakeven", help="breakeven CDR per class over severity x speed x rate case")
    be.add_argument("--deal", default=None, help="deal TOML (default: the reference deal)")
    be.add_argument("--tape", default=None, help="loan tape .parquet/.csv (default: the built-in tape)")
    be.add_argument("--severities", type=percents("35,45,55", high=100.0), default=[35.0, 45.0, 55.0],
                    help="loss severities in percent, e.g. 35,45,55")
    be.add_argument("--ppc", type=percents("75,100,150"), default=[75.0, 100.0, 150.0],
                    help="speeds in percent of the pricing speed, e.g. 75,100,150")
    be.add_argument("--rate-cases", type=name_list, default=["forward", "forward+200"],
                    help="comma-separated: forward, forward+N, forward-N (parallel shift in bp)")
    be.add_argument("--to", choices=("call", "maturity"), default="maturity",
                    help="run to maturity (default; agencies give no call credit) or to the clean-up call")
    be.add_argument("--loss-threshold", type=percent(0, 100), default=0.0,
                    help="loss (%% of original balance) still counted as none; 0 = first dollar")
    be.add_argument("--no-ratings", action="store_true", help="skip the implied-rating runs")
    be.add_argument("--servicing", default=None, metavar="SCENARIO",
                    help="scenario TOML or name whose [behaviour] liquidation lag, advancing and servicer options "
                         "(stress.servicing) the grid uses, e.g. servicer_options; default: 12-month lag, "
                         "advancing, no options")
    be.add_argument("--json", action="store_true", help="machine-readable output")
    be.set_defaults(func=_cmd_breakeven)

    rt = sub.add_parser("ratings", help="rating-level stresses (loan-level FF x LS) per class, to maturity")
    rt.add_argument("--deal", default=None, help="deal TOML (default: the reference deal)")
    rt.add_argument("--tape", default=None, help="loan tape .parquet/.csv (default: the built-in tape)")
    rt.add_argument("--criteria", default=None, help="rating-criteria TOML (default: scenarios/ratings/agency_levels)")
    rt.add_argument("--json", action="store_true", help="machine-readable output")
    rt.set_defaults(func=_cmd_ratings)

    cal = sub.add_parser("calibrate", help="estimate model parameters on history")
    cal_sub = cal.add_subparsers(dest="what")
    hpi = cal_sub.add_parser("hpi", help="home-price model by maximum likelihood on Case-Shiller history")
    hpi.add_argument("--data", type=Path, default=None, help="history CSV (default: the shipped hpi_monthly.csv)")
    hpi.add_argument("--start", default=None, help="first month YYYY-MM (default: the file's)")
    hpi.add_argument("--end", default=None, help="last month YYYY-MM (default: the file's)")
    hpi.add_argument("--state-at", default="2004-01", help="month of the initial state (default: 2004-01, cut-off)")
    hpi.add_argument("--compare", action="store_true", help="also fit the simpler variants (log-lik, AIC)")
    hpi.set_defaults(func=_cmd_calibrate_hpi)

    from stress.report.cli_hook import add_report_parser

    add_report_parser(sub)
    return parser


def _cmd_calibrate_hpi(args) -> int:
    from stress.rates.hpi_estimation import SPECS, fit_hpi_model, format_fit, load_hpi_history

    history = load_hpi_history(args.data)
    fit = fit_hpi_model(history, start=args.start, end=args.end)
    others = [fit_hpi_model(history, spec=s, start=args.start, end=args.end) for s in SPECS if s != fit.spec] \
        if args.compare else None
    print(format_fit(fit, state_month=args.state_at, history=history, comparison=others))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except StressInputError as exc:
        print(f"stress: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_interrupted(args, sys.argv[1:] if argv is None else list(argv)), file=sys.stderr)
        return 130
    except BrokenPipeError:  # `stress ... | head`
        return 0


def _interrupted(args, argv: list[str]) -> str:
    """What a Ctrl-C leaves behind, and the command that carries on from there."""
    import shlex

    if args.command in ("run", "batch") and getattr(args, "out", None) is not None:
        again = [a for a in argv if a != "--overwrite"]
        if "--resume" not in again:
            again.append("--resume")
        return (f"stress: interrupted; finished chunks are kept in {args.out}. Continue with:\n"
                f"  stress {shlex.join(again)}")
    if args.command == "run":
        return "stress: interrupted; nothing was kept (with --out DIR finished chunks are kept and --resume continues)"
    return "stress: interrupted"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
