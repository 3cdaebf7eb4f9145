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

Importance-sampled runs
-----------------------
When the Dataset's ``weight`` variable (each path's likelihood ratio,
:mod:`stress.rates.tail_sampling`) is not identically 1, every reduction is
weighted; a plain run (no ``weight`` or all weights exactly 1) takes the
formulas above unchanged, so its figures are the same as before.

- Means and probabilities: the unbiased estimator ``mean(w x)``, standard
  error ``std(w x) / sqrt(n)``.
- Quantiles: the weighted empirical CDF estimated from the upper tail,
  ``F(x) = 1 - mean(w 1{X > x})`` (the importance-sampling quantile estimator
  of Glynn, 1996), inverted. Standard error by inverting the confidence
  interval of the tail probability at the quantile, the weighted analogue of
  the order-statistic rule above: with ``s = std(w 1{X > x_q}) / sqrt(n)``,
  ``(Q(q + 1.96 s) - Q(q - 1.96 s)) / (2 x 1.96)``. No density estimate.
- Expected shortfall: ``mean(w X 1{X in tail}) / (1 - q)``, the tail holding
  weight mass ``1 - q`` (the boundary path counted in part); standard error
  ``std(w X 1{tail}) / ((1 - q) sqrt(n))`` (the quantile's own error ignored,
  as above).
- Conditional figures (first-loss timing, WAL quantiles among paths,
  first-breach timing, AFR quantiles, capped-coupon probabilities):
  self-normalized weights ``w / sum w`` over the paths concerned, standard
  error by the delta method ``sqrt(sum w^2 (x - m)^2) / sum w``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from stress import conventions

LOSS_QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
AFR_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: Percentiles of the cumulative collateral loss in the summary.
COLLATERAL_QUANTILES = (0.5, 0.9, 0.99, 0.999)
#: Two fractions closer than this are the same value when a realized path is placed (float noise).
TIE_TOLERANCE = 1e-9


def path_weights(ds: xr.Dataset) -> np.ndarray | None:
    """The paths' likelihood-ratio weights, or None for plain Monte Carlo (none stored, or all exactly 1)."""
    if "weight" not in ds:
        return None
    w = np.asarray(ds["weight"].values, dtype=float)
    return None if np.all(w == 1.0) else w


def _w_mean_se(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unbiased importance-sampling mean ``mean(w x)`` along axis 0 and its standard error."""
    y = w.reshape((-1,) + (1,) * (x.ndim - 1)) * x
    n = y.shape[0]
    se = y.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(y.shape[1:], np.nan)
    return y.mean(axis=0), se


def weighted_quantile_with_se(x: np.ndarray, q: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Importance-sampling quantile of each column of ``x`` (axis 0 = paths) and its standard error.

    ``F(x) = 1 - mean(w 1{X > x})``; the quantile is the smallest sample value
    with ``F >= q``. See the module docstring for the standard error.
    """
    x2 = x.reshape(x.shape[0], -1)
    est, se = np.empty(x2.shape[1]), np.empty(x2.shape[1])
    for j in range(x2.shape[1]):
        col = x2[:, j]
        if np.isnan(col).any():
            est[j] = se[j] = np.nan
            continue
        order = np.argsort(col, kind="stable")
        xs, ws = col[order], w[order]
        n = xs.size
        # tail mass strictly above each sorted value (ties: above the last of the tie)
        above = np.concatenate([np.cumsum(ws[::-1])[::-1][1:], [0.0]]) / n
        last_of_tie = np.r_[xs[1:] != xs[:-1], True]
        cdf = np.where(last_of_tie, 1.0 - above, np.nan)
        cdf = np.fmax.accumulate(np.nan_to_num(cdf, nan=-np.inf))

        def inverse(level: float) -> float:
            k = int(np.searchsorted(cdf, min(max(level, 0.0), 1.0) - 1e-15, side="left"))
            return float(xs[min(k, n - 1)])

        est[j] = inverse(q)
        s = (w * (col > est[j])).std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        se[j] = (inverse(q + 1.96 * s) - inverse(q - 1.96 * s)) / (2 * 1.96) if np.isfinite(s) else np.nan
    return est.reshape(x.shape[1:]), se.reshape(x.shape[1:])


def _self_normalized(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Self-normalized weighted mean of a 1-D sample and its delta-method standard error."""
    if x.size == 0:
        return np.nan, np.nan
    m = float(np.sum(w * x) / np.sum(w))
    se = float(np.sqrt(np.sum(w ** 2 * (x - m) ** 2)) / np.sum(w)) if x.size > 1 else np.nan
    return m, se


def _self_normalized_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile of the self-normalized weighted empirical distribution of a 1-D sample."""
    if x.size == 0:
        return np.nan
    order = np.argsort(x, kind="stable")
    cdf = np.cumsum(w[order]) / np.sum(w)
    return float(x[order][min(int(np.searchsorted(cdf, q - 1e-15)), x.size - 1)])


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


def path_mean(x: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean over paths (axis 0) and its standard error: plain, or the importance-sampling ``mean(w x)``.

    Parameters
    ----------
    x : numpy.ndarray
        Values per path (axis 0), no NaN.
    w : numpy.ndarray, optional
        The paths' weights (:func:`path_weights`); None for plain Monte Carlo.
    """
    x = np.asarray(x, dtype=float)
    return _mean_se(x) if w is None else _w_mean_se(x, np.asarray(w, dtype=float))


def path_nanmean(x: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the paths where ``x`` is finite (a conditional mean, e.g. WAL of the paths that pay) and its SE.

    Plain: the sample mean and ``std / sqrt(n_finite)``; weighted: self-normalized
    over those paths with the delta-method error (module docstring). Columns of
    ``x`` (axis 1...) are reduced independently.
    """
    x = np.asarray(x, dtype=float)
    x2 = x.reshape(x.shape[0], -1)
    mean, se = np.full(x2.shape[1], np.nan), np.full(x2.shape[1], np.nan)
    for j in range(x2.shape[1]):
        ok = np.isfinite(x2[:, j])
        col = x2[ok, j]
        if not col.size:
            continue
        if w is None:
            mean[j] = col.mean()
            se[j] = col.std(ddof=1) / np.sqrt(col.size) if col.size > 1 else np.nan
        else:
            mean[j], se[j] = _self_normalized(col, np.asarray(w, dtype=float)[ok])
    return mean.reshape(x.shape[1:]), se.reshape(x.shape[1:])


def path_quantiles(x: np.ndarray, q, w: np.ndarray | None = None) -> np.ndarray:
    """Quantiles over paths (axis 0) of each column, NaN skipped, shape ``(len(q),) + x.shape[1:]``.

    Plain: ``numpy.nanquantile`` (linear interpolation); weighted: the
    self-normalized weighted empirical distribution of the finite values
    (the fan charts' bands, AFR percentiles). NaN where a column has no
    finite value.
    """
    x = np.asarray(x, dtype=float)
    q = list(np.atleast_1d(q))
    x2 = x.reshape(x.shape[0], -1)
    out = np.full((len(q), x2.shape[1]), np.nan)
    for j in range(x2.shape[1]):
        ok = np.isfinite(x2[:, j])
        if not ok.any():
            continue
        if w is None:
            out[:, j] = np.quantile(x2[ok, j], q)
        else:
            out[:, j] = [_self_normalized_quantile(x2[ok, j], np.asarray(w, dtype=float)[ok], qq) for qq in q]
    return out.reshape((len(q),) + x.shape[1:])


def paired_difference(base: np.ndarray, other: np.ndarray, w_base: np.ndarray | None = None,
                      w_other: np.ndarray | None = None) -> tuple[float, float]:
    """Mean of ``other - base`` over common paths and its standard error, each side weighted when it has weights.

    The estimator is ``mean(w_o x_o - w_b x_b)`` (each term unbiased for its
    run's mean; weights of 1 for a plain run), its error
    ``std(w_o x_o - w_b x_b) / sqrt(n)``: common random numbers make the two
    terms of a path positively correlated, which is what the pairing gains.
    """
    b = np.asarray(base, dtype=float) * (1.0 if w_base is None else np.asarray(w_base, dtype=float))
    o = np.asarray(other, dtype=float) * (1.0 if w_other is None else np.asarray(w_other, dtype=float))
    diff = o - b
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else float("nan")


def _estimate(values, se, dims, coords) -> xr.Dataset:
    return xr.Dataset({"estimate": (dims, np.asarray(values)), "std_error": (dims, np.asarray(se))}, coords=coords)


def expected_loss(ds: xr.Dataset) -> xr.Dataset:
    """Mean principal loss per tranche [fraction of original balance]."""
    w = path_weights(ds)
    mean, se = _mean_se(ds["loss_pct"].values) if w is None else _w_mean_se(ds["loss_pct"].values, w)
    return _estimate(mean, se, ("tranche",), {"tranche": ds["tranche"].values})


def loss_hits(ds: xr.Dataset) -> xr.DataArray:
    """Whether each path's class lost principal: more than :data:`stress.conventions.NO_LOSS_USD`.

    Returns
    -------
    xarray.DataArray
        bool, the dims of ``loss_pct`` (path, tranche, and any other, such as a
        scenario dim of combined runs). ``loss_pct`` is turned back into USD
        with the ``original_balances`` attribute; a Dataset without it (written
        before that attribute, or built by hand) counts any positive loss.
    """
    loss = ds["loss_pct"]
    if "original_balances" not in ds.attrs:
        return loss > 0.0
    original = xr.DataArray(np.asarray(ds.attrs["original_balances"], dtype=float), dims="tranche")
    return loss * original > conventions.NO_LOSS_USD


def probability_of_loss(ds: xr.Dataset) -> xr.Dataset:
    """Probability that a tranche loses any principal."""
    hits = loss_hits(ds).transpose("path", "tranche").values
    w = path_weights(ds)
    p, se = _prob_se(hits) if w is None else _w_mean_se(hits.astype(float), w)
    return _estimate(p, se, ("tranche",), {"tranche": ds["tranche"].values})


def loss_quantiles(ds: xr.Dataset, *, q=LOSS_QUANTILES) -> xr.Dataset:
    """Principal-loss quantiles per tranche [fraction of original balance]."""
    loss = ds["loss_pct"].values
    w = path_weights(ds)
    est, se = zip(*(quantile_with_se(loss, qq) if w is None else weighted_quantile_with_se(loss, qq, w)
                    for qq in q))
    return _estimate(np.array(est), np.array(se), ("quantile", "tranche"),
                     {"quantile": list(q), "tranche": ds["tranche"].values})


def expected_shortfall(ds: xr.Dataset, *, q: float = 0.99) -> xr.Dataset:
    """Mean loss in the worst ``1 - q`` of paths, per tranche (expected shortfall / CVaR)."""
    loss = ds["loss_pct"].values
    w = path_weights(ds)
    if w is not None:
        mean, se = _weighted_shortfall(loss, w, q)
        return _estimate(mean, se, ("tranche",), {"tranche": ds["tranche"].values})
    n = loss.shape[0]
    k = max(1, int(np.ceil(n * (1.0 - q))))
    tail = np.sort(loss, axis=0)[n - k:]
    mean = tail.mean(axis=0)
    se = tail.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.full_like(mean, np.nan)
    return _estimate(mean, se, ("tranche",), {"tranche": ds["tranche"].values})


def _weighted_shortfall(loss: np.ndarray, w: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Importance-sampling expected shortfall per column: the top weight mass ``1 - q``, boundary path in part."""
    n = loss.shape[0]
    alpha = 1.0 - q
    mean, se = np.empty(loss.shape[1]), np.empty(loss.shape[1])
    for j in range(loss.shape[1]):
        order = np.argsort(-loss[:, j], kind="stable")
        mass = w[order] / n
        before = np.concatenate([[0.0], np.cumsum(mass)[:-1]])
        share = np.clip((alpha - before) / np.where(mass > 0, mass, 1.0), 0.0, 1.0)  # fraction of each path in the tail
        y = np.zeros(n)
        y[order] = w[order] * share * loss[order, j] / alpha
        mean[j] = y.mean()
        se[j] = y.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return mean, se


def wal_distribution(ds: xr.Dataset, *, q=(0.05, 0.5, 0.95)) -> xr.Dataset:
    """Mean and quantiles of each tranche's WAL [years]."""
    wal = ds["wal_years"].values
    w = path_weights(ds)
    if w is None:
        mean, mean_se = _mean_se(np.nan_to_num(wal, nan=0.0))
        est, se = zip(*(quantile_with_se(wal, qq) for qq in q))
    else:
        mean, mean_se = _w_mean_se(np.nan_to_num(wal, nan=0.0), w)
        est, se = zip(*(weighted_quantile_with_se(wal, qq, w) for qq in q))
    out = _estimate(np.array(est), np.array(se), ("quantile", "tranche"),
                    {"quantile": list(q), "tranche": ds["tranche"].values})
    out["mean"] = ("tranche", mean)
    out["mean_std_error"] = ("tranche", mean_se)
    return out


def first_loss_timing(ds: xr.Dataset) -> xr.Dataset:
    """Mean and median first-loss period among paths where the tranche loses [period]."""
    first = ds["first_loss_period"].values
    w = path_weights(ds)
    means, medians, ses = [], [], []
    for j in range(first.shape[1]):
        finite = np.isfinite(first[:, j])
        hit = first[:, j][finite]
        if w is not None:
            m, e = _self_normalized(hit, w[finite])
            means.append(m)
            ses.append(e)
            medians.append(_self_normalized_quantile(hit, w[finite], 0.5))
            continue
        means.append(hit.mean() if hit.size else np.nan)
        medians.append(np.median(hit) if hit.size else np.nan)
        ses.append(hit.std(ddof=1) / np.sqrt(hit.size) if hit.size > 1 else np.nan)
    out = _estimate(means, ses, ("tranche",), {"tranche": ds["tranche"].values})
    out["median"] = ("tranche", np.array(medians))
    return out


def afr_quantiles(ds: xr.Dataset, *, q=AFR_QUANTILES) -> xr.DataArray:
    """Quantiles of the Available Funds Rate per period (NaN where no bonds are outstanding)."""
    w = path_weights(ds)
    if w is None:
        return ds["afr"].quantile(list(q), dim="path", skipna=True)
    afr = np.asarray(ds["afr"].transpose("path", "period").values)
    out = np.full((len(q), afr.shape[1]), np.nan)
    for t in range(afr.shape[1]):
        ok = np.isfinite(afr[:, t])
        for i, qq in enumerate(q):
            out[i, t] = _self_normalized_quantile(afr[ok, t], w[ok], qq)
    return xr.DataArray(out, dims=("quantile", "period"), coords={"quantile": list(q), "period": ds["period"].values})


def oc_breach_probability(ds: xr.Dataset) -> xr.Dataset:
    """Per period, the probability that OC is below target after the build-up period."""
    build_up = int(ds.attrs.get("oc_build_up_periods", 0))
    breach = ((ds["oc"] < ds["oc_target"] - conventions.NO_LOSS_USD) & (ds["period"] > build_up)
              & (ds["bond_balance"] > conventions.NO_LOSS_USD))
    w = path_weights(ds)
    if w is not None:
        y = xr.DataArray(w, dims="path") * breach
        n = ds.sizes["path"]
        return xr.Dataset({"estimate": y.mean("path"), "std_error": y.std("path", ddof=1) / np.sqrt(n)})
    p = breach.mean("path")
    se = np.sqrt(p * (1 - p) / ds.sizes["path"])
    return xr.Dataset({"estimate": p, "std_error": se})


def oc_summary(ds: xr.Dataset) -> dict:
    """Probability OC is ever breached, of undercollateralization, and time-to-first-breach figures."""
    first = ds["first_oc_breach_period"].values
    under_hits = ((ds["oc"] < -conventions.NO_LOSS_USD) & (ds["bond_balance"] > conventions.NO_LOSS_USD)).any("period").values
    w = path_weights(ds)
    hit = first[np.isfinite(first)]
    if w is not None:
        ever, ever_se = _w_mean_se(np.isfinite(first).astype(float), w)
        under, under_se = _w_mean_se(under_hits.astype(float), w)
        wh = w[np.isfinite(first)]
        return {
            "probability_ever_breached": float(ever), "probability_ever_breached_se": float(ever_se),
            "probability_undercollateralized": float(under), "probability_undercollateralized_se": float(under_se),
            **{f"first_breach_period_{k}": (_self_normalized_quantile(hit, wh, qq) if hit.size else None)
               for k, qq in (("median", 0.5), ("p10", 0.1), ("p90", 0.9))},
        }
    ever, ever_se = _prob_se(np.isfinite(first))
    under, under_se = _prob_se(under_hits)
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
    collateral = ds["cumulative_collateral_loss_pct"].values
    w = path_weights(ds)
    if w is None:
        collateral_mean, collateral_se = _mean_se(collateral)
        collateral_q = {q: float(np.quantile(collateral, q)) for q in COLLATERAL_QUANTILES}
    else:
        collateral_mean, collateral_se = _w_mean_se(collateral, w)
        collateral_q = {q: float(weighted_quantile_with_se(collateral[:, None], q, w)[0][0])
                        for q in COLLATERAL_QUANTILES}
    out = {
        "paths": int(ds.sizes["path"]),
        "tranches": per_tranche,
        "collateral": {"cumulative_loss_mean": float(collateral_mean), "cumulative_loss_se": float(collateral_se),
                       "cumulative_loss_p99": collateral_q[0.99],
                       "cumulative_loss_quantiles": {f"{q:g}": v for q, v in collateral_q.items()}},
        "oc": oc_summary(ds),
        "call": call_summary(ds),
    }
    if w is not None:
        from stress.rates.tail_sampling import effective_sample_size

        mean_w, se_w = _w_mean_se(np.ones_like(w), w)
        out["tail_sampling"] = {"tilt": float(ds.attrs.get("tail_tilt", np.nan)),
                                "rate_tilt": float(ds.attrs.get("tail_rate_tilt", 0.0)),
                                "california_tilt": float(ds.attrs.get("tail_california_tilt", 0.0)),
                                "tail_years": float(ds.attrs.get("tail_years", np.nan)),
                                "effective_sample_size": effective_sample_size(w),
                                "mean_weight": float(mean_w), "mean_weight_se": float(se_w)}
    return out


def place_in_distribution(ds: xr.Dataset, history: xr.Dataset) -> xr.Dataset:
    """Where one path (the realized history) sits in a Monte Carlo distribution.

    For the cumulative collateral loss, each class's principal loss and the
    minimum AFR margin (:func:`min_afr_margin`), the percentile of the
    ``history`` run's value among the Monte Carlo paths of ``ds``: the
    (weighted) fraction of paths below it plus half the fraction equal to it
    (mid-rank, so a class that never loses in either sits at half the
    Monte Carlo's no-loss probability, not at 0 or 1). Importance weights
    are self-normalized; the standard error is the delta method's
    ``sqrt(sum p_i^2 (h_i - P)^2)`` with ``p_i = w_i / sum w`` (plain Monte
    Carlo: ``sqrt(P (1 - P) / n)`` up to the ties' half counts).

    Parameters
    ----------
    ds : xarray.Dataset
        Monte Carlo results (plain or importance-sampled: weights are used).
    history : xarray.Dataset
        Results of a one-path run (e.g. ``scenarios/history_2004.toml``); its
        first path is used.

    Returns
    -------
    xarray.Dataset
        Dim ``measure`` (``collateral_loss``, ``loss_<class>`` ...,
        ``min_afr_margin``) with ``history_value``, ``below``, ``equal``,
        ``percentile`` [fraction, 0-1] and ``std_error`` of the percentile.
    """
    tranches = [str(t) for t in ds["tranche"].values]
    names = ["collateral_loss"] + [f"loss_{t}" for t in tranches] + ["min_afr_margin"]
    mc = np.column_stack([ds["cumulative_collateral_loss_pct"].values, ds["loss_pct"].values, min_afr_margin(ds)])
    hist = np.concatenate([history["cumulative_collateral_loss_pct"].values[:1], history["loss_pct"].values[0],
                           min_afr_margin(history)[:1]])
    w = path_weights(ds)
    w = np.ones(mc.shape[0]) if w is None else w
    # self-normalized (sum w = 1): a percentile stays in [0, 1] whatever the weights' sample mean
    p = w / w.sum()
    equal_hit = np.isclose(mc, hist[None, :], rtol=0.0, atol=TIE_TOLERANCE)
    below_hit = (mc < hist[None, :]) & ~equal_hit
    mid_hit = below_hit + 0.5 * equal_hit
    percentile = p @ mid_hit
    n = mc.shape[0]
    se = np.sqrt((p[:, None] ** 2 * (mid_hit - percentile[None, :]) ** 2).sum(axis=0)) if n > 1 \
        else np.full(len(names), np.nan)
    return xr.Dataset({"history_value": ("measure", hist), "below": ("measure", p @ below_hit),
                       "equal": ("measure", p @ equal_hit), "percentile": ("measure", percentile),
                       "std_error": ("measure", se)}, coords={"measure": names})


def min_afr_margin(ds: xr.Dataset) -> np.ndarray:
    """Per path, the smallest AFR minus one-month LIBOR over the periods with bonds outstanding [decimal].

    The Available Funds Rate's headroom over the index: a class whose margin
    exceeds it has its coupon capped that period. NaN for a path with no
    period with bonds outstanding.
    """
    margin = (ds["afr"] - ds["libor_1m"]).transpose("path", "period").values
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            return np.nanmin(margin, axis=1)


def call_summary(ds: xr.Dataset) -> dict:
    """Clean-up call: the rule, the share of paths that called (with its standard error), the median call period.

    Importance-sampled runs: the probability is ``mean(w 1{called})`` and the
    median is of the self-normalized weighted calling paths.
    """
    out = {"rule": str(ds.attrs.get("call_rule", ""))}
    if "call_exercised" not in ds:
        return out
    hits = np.asarray(ds["call_exercised"].values) > 0
    w = path_weights(ds)
    p, se = _prob_se(hits) if w is None else _w_mean_se(hits.astype(float), w)
    periods = np.asarray(ds["call_period"].values)[hits]
    median = (None if not periods.size else float(np.median(periods)) if w is None
              else _self_normalized_quantile(periods.astype(float), w[hits], 0.5))
    out.update(exercise_probability=float(p), exercise_probability_se=float(se), call_period_median=median)
    return out


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x
