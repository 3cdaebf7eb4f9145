"""Importance sampling vs plain Monte Carlo: variance-reduction factor at equal CPU time.

    python benchmarks/bench_tail_sampling.py [--scenario base] [--paths 1000] [--tilt auto] [--tranches M-4,M-3]

Runs the scenario twice on the same number of paths: plain Monte Carlo
(``--tail-sampling off``) and importance sampling (``--tilt``: ``auto``, whose
cross-entropy pilot is counted in its CPU time, or a number), both on dask's
synchronous scheduler so that wall time is CPU time. For each tranche's
expected loss, P(loss), 99.9% loss quantile and expected shortfall beyond the
99th percentile it prints both estimates with their standard errors and the
variance-reduction factor at equal CPU time,

    VRF = (var_plain x cpu_plain) / (var_IS x cpu_IS)

(>= 10 is the issue's target). When plain Monte Carlo sees too few losses
for its own standard error to mean anything (zero losses give a standard
error of zero), its variance is computed from the importance-sampled
distribution instead: P(loss): ``p (1 - p) / n``; the quantile: the
order-statistic rule of :mod:`stress.metrics` applied to the IS quantile
function; ES: ``var(X 1{tail}) / ((1 - q)^2 n)`` with the moments estimated
by IS. Both are printed; the VRF uses the model-based plain variance, which
is what plain Monte Carlo at this size would achieve on average.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np


def plain_variances(loss: np.ndarray, hit: np.ndarray, w: np.ndarray, n_plain: int, q_quantile: float,
                    q_es: float) -> dict:
    """Plain Monte Carlo's variances at ``n_plain`` paths, from an importance-sampled sample (loss, hits, weights)."""
    from stress.metrics import weighted_quantile_with_se

    p = float(np.mean(w * hit))

    def quantile(level):
        return float(weighted_quantile_with_se(loss[:, None], min(max(level, 0.0), 1.0), w)[0][0])

    half = 1.96 * math.sqrt(q_quantile * (1 - q_quantile) / n_plain)
    se_q = (quantile(q_quantile + half) - quantile(q_quantile - half)) / (2 * 1.96)
    var_at = quantile(q_es)
    alpha = 1 - q_es
    tail = loss >= var_at
    es = float(np.mean(w * loss * tail)) / alpha
    second = float(np.mean(w * loss ** 2 * tail)) / alpha ** 2
    el2 = float(np.mean(w * loss ** 2))
    el = float(np.mean(w * loss))
    return {"expected": (el2 - el ** 2) / n_plain, "p_loss": p * (1 - p) / n_plain, "quantile": se_q ** 2,
            "shortfall": max(second - es ** 2, 0.0) / n_plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="base")
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--tilt", default="auto")
    parser.add_argument("--tranches", default="M-4,M-3")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    from stress.engine import run_monte_carlo
    from stress.metrics import expected_loss, expected_shortfall, loss_hits, loss_quantiles, probability_of_loss
    from stress.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    run_monte_carlo(scenario, n_paths=2, chunk_size=2, scheduler="synchronous")  # compile outside the timing
    runs = {}
    for label, option in (("plain", "off"), ("IS", args.tilt)):
        start = time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            ds = run_monte_carlo(scenario, n_paths=args.paths, seed=args.seed, scheduler="synchronous",
                                 tail_sampling=option)
        cpu = time.process_time() - start
        runs[label] = (ds, cpu, [str(c.message) for c in caught])
    names = [str(t) for t in runs["plain"][0]["tranche"].values]
    tranches = [t.strip() for t in args.tranches.split(",") if t.strip()]

    print(f"scenario {args.scenario}, {args.paths} paths each, synchronous scheduler (CPU time measured)")
    for label, (ds, cpu, caught) in runs.items():
        extra = ""
        if label == "IS":
            w = ds["weight"].values
            extra = (f", tilts national {ds.attrs['tail_tilt']:.4f}, California {ds.attrs['tail_california_tilt']:.4f},"
                     f" rate {ds.attrs['tail_rate_tilt']:.4f} over {ds.attrs['tail_years']:g} years, ESS "
                     f"{(w.sum() ** 2 / (w ** 2).sum()):.0f}, mean weight {w.mean():.3f}")
        hits = loss_hits(ds).transpose("path", "tranche").values
        losers = ", ".join(f"{t} {int(hits[:, names.index(t)].sum())}" for t in tranches)
        print(f"  {label:<5} CPU {cpu:7.1f} s{extra}; paths with a loss: {losers}")
        for message in caught:
            print(f"        warning: {message}")
    ds_is = runs["IS"][0]
    for tranche in tranches:
        j = names.index(tranche)
        figures = {}
        for label, (ds, cpu, _) in runs.items():
            el, pl = expected_loss(ds), probability_of_loss(ds)
            lq, es = loss_quantiles(ds, q=(0.999,)), expected_shortfall(ds, q=0.99)
            figures[label] = {"cpu": cpu, "expected": (float(el.estimate[j]), float(el.std_error[j])),
                              "p_loss": (float(pl.estimate[j]), float(pl.std_error[j])),
                              "quantile": (float(lq.estimate[0, j]), float(lq.std_error[0, j])),
                              "shortfall": (float(es.estimate[j]), float(es.std_error[j]))}
        hit = loss_hits(ds_is).transpose("path", "tranche").values[:, j]
        model_var = plain_variances(ds_is["loss_pct"].values[:, j], hit, ds_is["weight"].values, args.paths, 0.999,
                                    0.99)
        print(f"\n  {tranche:<20}{'plain (± s.e.)':>24}{'IS (± s.e.)':>24}{'plain s.e. from IS':>20}{'VRF':>8}")
        for key, name in (("expected", "expected loss"), ("p_loss", "P(loss)"), ("quantile", "99.9% loss"),
                          ("shortfall", "ES 99%")):
            (pe, ps), (ie, is_) = figures["plain"][key], figures["IS"][key]
            var_plain = model_var[key]
            vrf = (var_plain * figures["plain"]["cpu"]) / (is_ ** 2 * figures["IS"]["cpu"]) if is_ > 0 else math.nan
            print(f"  {name:<20}{pe:>13.4%} ±{ps:<9.4%}{ie:>13.4%} ±{is_:<9.4%}{math.sqrt(var_plain):>19.4%}"
                  f"{vrf:>8.1f}")
    print("\n  VRF = plain variance (from the IS sample) x plain CPU / (IS variance x IS CPU incl. pilot)")


if __name__ == "__main__":
    main()
