"""Reductions on a Monte Carlo results Dataset, each with its Monte Carlo standard error.

Every function takes the Dataset first and keyword-only options, and returns
labelled data whose ``std_error`` sits beside the estimate.

Standard errors
---------------
- Means: sample standard deviation / sqrt(n).
- Probabilities: sqrt(p (1 - p) / n).
- Quantiles: from the order statistics that bracket the quantile's 95%
  binomial confidence interval, ``(x[k+] - x[k-]) / (2 x 1.96)`` with
  ``k+- = n q +- 1.96 sqrt(n q (1 - q))``: distribution-free and stable in
  heavy tails where a density estimate is not.
- Expected shortfall beyond the q-quantile: sqrt(var(tail) / n_tail) (the
  estimation error of the quantile itself is second order and ignored).

With antithetic pairs the paths are not independent; the errors above then
assume independence and are conservative for the monotone quantities we
report (antithetic pairs are negatively correlated).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

LOSS_QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
AFR_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
LOSS_EPSILON = 1e-9  # fraction of original balance treated as "no loss" (float noise)


def _mean_se(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    se = x.std(axis=axis, ddof=1) / np.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


def _prob_se(hits: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n = hits.shape[axis]
    p = hits.mean(axis=axis)
    return p, np.sqrt(p * (1.0 - p) / n)


def quantile_with_se(x: np.ndarray, q: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Empirical quantile (linear interpolation) and its order-statistic standard error."""
    xs = np.sort(x, axis=axis)
    n = xs.shape[axis]
    estimate = np.quantile(x, q, axis=axis)
    half = 1.96 * np.sqrt(n * q * (1.0 - q))
    lo = int(np.clip(np.floor(n * q - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    se = (np.take(xs, hi, axis=axis) - np.take(xs, lo, axis=axis)) / (2 * 1.96)
    return estimate, se


def _estimate(values, se, dims, coords) -> xr.Dataset:
    return xr.Dataset({"estimate": (dims, np.asarray(values)), "std_error": (dims, np.asarray(se))}, coords=coords)


def expected_loss(ds: xr.Dataset) -> xr.Dataset:
    """Mean principal loss per tranche [fraction of original balance]."""
    mean, se = _mean_se(ds["loss_pct"].values)
    return _estimate(mean, se, ("tranche",), {"tranche": ds["tranche"].values})


def probability_of_loss(ds: xr.Dataset) -> xr.Dataset:
    """Probability that a tranche loses any principal."""
    p, se = _prob_se(ds["loss_pct"].values > LOSS_EPSILON)
    return _estimate(p, se, ("tranche",), {"tranche": ds["tranche"].values})


def loss_quantiles(ds: xr.Dataset, *, q=LOSS_QUANTILES) -> xr.Dataset:
    """Principal-loss quantiles per tranche [fraction of original balance]."""
    loss = ds["loss_pct"].values
    est, se = zip(*(quantile_with_se(loss, qq) for qq in q))
    return _estimate(np.array(est), np.array(se), ("quantile", "tranche"),
                     {"quantile": list(q), "tranche": ds["tranche"].values})


def expected_shortfall(ds: xr.Dataset, *, q: float = 0.99) -> xr.Dataset:
    """Mean loss in the worst ``1 - q`` of paths, per tranche (expected shortfall / CVaR)."""
    loss = ds["loss_pct"].values
    n = loss.shape[0]
    k = max(1, int(np.ceil(n * (1.0 - q))))
    tail = np.sort(loss, axis=0)[n - k:]
    mean = tail.mean(axis=0)
    se = tail.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.full_like(mean, np.nan)
    return _estimate(mean, se, ("tranche",), {"tranche": ds["tranche"].values})


def wal_distribution(ds: xr.Dataset, *, q=(0.05, 0.5, 0.95)) -> xr.Dataset:
    """Mean and quantiles of each tranche's WAL [years]."""
    wal = ds["wal_years"].values
    mean, mean_se = _mean_se(np.nan_to_num(wal, nan=0.0))
    est, se = zip(*(quantile_with_se(wal, qq) for qq in q))
    out = _estimate(np.array(est), np.array(se), ("quantile", "tranche"),
                    {"quantile": list(q), "tranche": ds["tranche"].values})
    out["mean"] = ("tranche", mean)
    out["mean_std_error"] = ("tranche", mean_se)
    return out


def first_loss_timing(ds: xr.Dataset) -> xr.Dataset:
    """Mean and median first-loss period among paths where the tranche loses [period]."""
    first = ds["first_loss_period"].values
    means, medians, ses = [], [], []
    for j in range(first.shape[1]):
        hit = first[:, j][np.isfinite(first[:, j])]
        means.append(hit.mean() if hit.size else np.nan)
        medians.append(np.median(hit) if hit.size else np.nan)
        ses.append(hit.std(ddof=1) / np.sqrt(hit.size) if hit.size > 1 else np.nan)
    out = _estimate(means, ses, ("tranche",), {"tranche": ds["tranche"].values})
    out["median"] = ("tranche", np.array(medians))
    return out


def afr_quantiles(ds: xr.Dataset, *, q=AFR_QUANTILES) -> xr.DataArray:
    """Quantiles of the Available Funds Rate per period (NaN where no bonds are outstanding)."""
    return ds["afr"].quantile(list(q), dim="path", skipna=True)


def probability_coupon_capped(ds: xr.Dataset) -> xr.Dataset:
    """Per period and tranche, the probability that the coupon is below LIBOR + margin (AFR or 11.5% binds).

    Only paths with the tranche outstanding before the payment count.
    """
    margin = ds["margin"] if "margin" in ds else xr.DataArray(np.asarray(ds.attrs["margins"]), dims="tranche")
    step = ds["step_up_multiple_applied"] if "step_up_multiple_applied" in ds else 1.0
    full = ds["libor_1m"] + margin * step
    outstanding = ds["balance"].shift(period=1, fill_value=1.0) > 0.005
    capped = (ds["coupon"] < full - 1e-12) & outstanding
    n = outstanding.sum("path")
    p = capped.sum("path") / n.where(n > 0)
    se = np.sqrt(p * (1 - p) / n.where(n > 0))
    return xr.Dataset({"estimate": p, "std_error": se})


def oc_breach_probability(ds: xr.Dataset) -> xr.Dataset:
    """Per period, the probability that OC is below target after the build-up period."""
    build_up = int(ds.attrs.get("oc_build_up_periods", 0))
    breach = (ds["oc"] < ds["oc_target"] - 0.005) & (ds["period"] > build_up) & (ds["bond_balance"] > 0.005)
    p = breach.mean("path")
    se = np.sqrt(p * (1 - p) / ds.sizes["path"])
    return xr.Dataset({"estimate": p, "std_error": se})


def oc_summary(ds: xr.Dataset) -> dict:
    """Probability OC is ever breached, of undercollateralization, and time-to-first-breach figures."""
    first = ds["first_oc_breach_period"].values
    ever, ever_se = _prob_se(np.isfinite(first))
    under, under_se = _prob_se(((ds["oc"] < -0.005) & (ds["bond_balance"] > 0.005)).any("period").values)
    hit = first[np.isfinite(first)]
    return {
        "probability_ever_breached": float(ever), "probability_ever_breached_se": float(ever_se),
        "probability_undercollateralized": float(under), "probability_undercollateralized_se": float(under_se),
        "first_breach_period_median": float(np.median(hit)) if hit.size else None,
        "first_breach_period_p10": float(np.quantile(hit, 0.1)) if hit.size else None,
        "first_breach_period_p90": float(np.quantile(hit, 0.9)) if hit.size else None,
    }


def summary(ds: xr.Dataset) -> dict:
    """Everything the printed summary and ``summary.json`` hold, as plain Python."""
    tranches = [str(t) for t in ds["tranche"].values]
    el, pl, es = expected_loss(ds), probability_of_loss(ds), expected_shortfall(ds)
    lq, wal, first = loss_quantiles(ds), wal_distribution(ds), first_loss_timing(ds)
    per_tranche = {}
    for j, name in enumerate(tranches):
        per_tranche[name] = {
            "expected_loss": float(el.estimate[j]), "expected_loss_se": float(el.std_error[j]),
            "probability_of_loss": float(pl.estimate[j]), "probability_of_loss_se": float(pl.std_error[j]),
            "loss_quantiles": {f"{q:g}": float(lq.estimate.sel(quantile=q)[j]) for q in lq["quantile"].values},
            "loss_quantiles_se": {f"{q:g}": float(lq.std_error.sel(quantile=q)[j]) for q in lq["quantile"].values},
            "expected_shortfall_99": float(es.estimate[j]), "expected_shortfall_99_se": float(es.std_error[j]),
            "wal_mean": float(wal["mean"][j]), "wal_mean_se": float(wal["mean_std_error"][j]),
            "wal_quantiles": {f"{q:g}": float(wal.estimate.sel(quantile=q)[j]) for q in wal["quantile"].values},
            "first_loss_period_mean": _none_if_nan(first.estimate[j]),
            "first_loss_period_median": _none_if_nan(first["median"][j]),
        }
    collateral_mean, collateral_se = _mean_se(ds["cumulative_collateral_loss_pct"].values)
    return {
        "paths": int(ds.sizes["path"]),
        "tranches": per_tranche,
        "collateral": {"cumulative_loss_mean": float(collateral_mean), "cumulative_loss_se": float(collateral_se),
                       "cumulative_loss_p99": float(np.quantile(ds["cumulative_collateral_loss_pct"].values, 0.99))},
        "oc": oc_summary(ds),
        "call": call_summary(ds),
    }


def call_summary(ds: xr.Dataset) -> dict:
    """Clean-up call: the rule, the share of paths that called (with its standard error), the median call period."""
    out = {"rule": str(ds.attrs.get("call_rule", ""))}
    if "call_exercised" not in ds:
        return out
    hits = np.asarray(ds["call_exercised"].values) > 0
    p, se = _prob_se(hits)
    periods = np.asarray(ds["call_period"].values)[hits]
    out.update(exercise_probability=float(p), exercise_probability_se=float(se),
               call_period_median=float(np.median(periods)) if periods.size else None)
    return out


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x
