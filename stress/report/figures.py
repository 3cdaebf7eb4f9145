"""Charts of the stress report: one function per chart, data in, :class:`matplotlib.figure.Figure` out.

Every function takes the data it draws (a Monte Carlo results
:class:`xarray.Dataset`, a :class:`pandas.DataFrame` from
:mod:`stress.report.tables`) plus keyword-only labels, and returns a new
figure drawn with the Agg backend (no display needed). Conventions:

- the title names what is drawn and the scenario (or rate case) it shows;
- every axis carries its unit: rates and percentages in percent, money in
  USD millions, time as payment dates;
- fan charts shade the 5th-95th and 25th-75th percentiles across paths and
  draw the median; the x axis stops at the last payment date on which any
  path still has bonds outstanding.

Figures use the constrained layout engine, so the PDF writer can resize them
to a page and keep room for its header and footer.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter  # noqa: E402

from stress import conventions  # noqa: E402

__all__ = [
    "rate_fan", "cpr_cdr_paths", "pool_balance_and_loss", "tranche_balances", "oc_vs_target",
    "loss_histograms", "afr_fan", "afr_schedule_chart", "excess_spread_chart", "breakeven_chart",
    "class_losses_chart",
    "FIGSIZE",
]

#: Size of every chart [inches]; the PDF writer enlarges it to the page.
FIGSIZE = (10.0, 5.6)
_FAN = ((0.05, 0.95), (0.25, 0.75))
_RC = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8.5,
    "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12.5, "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
}
_MILLIONS = FuncFormatter(lambda x, _: f"{x / 1e6:,.0f}")
_COLORS = ("#1f4e79", "#2e86c1", "#28a745", "#e6a100", "#d35400", "#c0392b", "#7d3c98", "#5d6d7e")


def _figure(nrows: int = 1, ncols: int = 1, **kw):
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    for ax in axes.flat:
        ax.grid(True, alpha=_RC["grid.alpha"])
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def _title(fig: Figure, text: str, scenario: str) -> None:
    fig.suptitle(f"{text} \u2014 {scenario}", fontsize=_RC["figure.titlesize"], fontweight="bold")


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("payment date")


def live_periods(ds) -> int:
    """Number of leading periods in which any path still has bonds outstanding (at least 1)."""
    alive = np.asarray(ds["bond_balance"].max("path").values) > conventions.NO_LOSS_USD
    idx = np.flatnonzero(alive)
    # include the payment date that retires the last bond
    return int(min(idx[-1] + 2, alive.size)) if idx.size else 1


def _dates(ds, n: int) -> np.ndarray:
    return pd.to_datetime(np.asarray(ds["date"].values)[:n]).to_numpy()


def _weights(ds) -> np.ndarray | None:
    """The run's tail-sampling weights (:func:`stress.metrics.path_weights`), None for plain Monte Carlo."""
    from stress.metrics import path_weights

    return path_weights(ds)


def _median(ds, values: np.ndarray) -> np.ndarray:
    """Median over paths (axis 0) of each period, weighted when the run is importance-sampled."""
    from stress.metrics import path_quantiles

    return path_quantiles(values, [0.5], _weights(ds))[0]


def _fan(ax, x, values: np.ndarray, *, color: str, label: str, scale: float = 1.0,
         weights: np.ndarray | None = None) -> None:
    """Percentile bands over paths (axis 0) and the median; ``weights``: the paths' tail-sampling weights."""
    from stress.metrics import path_quantiles

    v = values * scale
    if v.shape[0] == 1:  # one path (a deterministic run): a single line, no bands
        ax.plot(x, v[0], color=color, lw=1.8, label=label)
        return
    share = "of probability" if weights is not None else "of paths"
    qs = path_quantiles(v, [lo for lo, _ in _FAN] + [hi for _, hi in _FAN] + [0.5], weights)
    k = len(_FAN)
    for i, ((lo, hi), alpha) in enumerate(zip(_FAN, (0.18, 0.35))):
        ax.fill_between(x, qs[i], qs[k + i], color=color, alpha=alpha, lw=0,
                        label=f"{label}: {lo:.0%}\u2013{hi:.0%} {share}")
    ax.plot(x, qs[-1], color=color, lw=1.8, label=f"{label}: median")


def _mean(ds, values: np.ndarray) -> np.ndarray:
    """Mean over paths (axis 0), importance-weighted when the run is (:func:`stress.metrics.path_mean`)."""
    from stress.metrics import path_mean

    return path_mean(np.asarray(values, dtype=np.float64), _weights(ds))[0]


def _quantile_all(ds, values: np.ndarray, q: float) -> float:
    """One quantile over every path and period together (NaN skipped), weighted when the run is."""
    from stress.metrics import path_quantiles

    w = _weights(ds)
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return float(path_quantiles(flat, [q], None if w is None else np.repeat(w, values.shape[1]))[0])


def _paths(ds) -> str:
    n = ds.sizes["path"]
    return "one path" if n == 1 else f"{n:,} paths"


def _np(ds, name: str, n: int) -> np.ndarray:
    return np.asarray(ds[name].isel(period=slice(0, n)).values, dtype=np.float64)


# -- Monte Carlo charts -------------------------------------------------------
def rate_fan(ds, *, scenario: str) -> Figure:
    """1M LIBOR across paths: median and percentile bands [percent, annual]."""
    n = live_periods(ds)
    x = _dates(ds, n)
    fig, axes = _figure()
    ax = axes[0, 0]
    _fan(ax, x, _np(ds, "libor_1m", n), color=_COLORS[0], label="1M LIBOR", scale=100.0, weights=_weights(ds))
    ax.set_ylabel("1M LIBOR (annual rate, %)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper left", frameon=False)
    _title(fig, f"1M LIBOR over {_paths(ds)}" if ds.sizes["path"] > 1 else "1M LIBOR (one path)", scenario)
    return fig


def cpr_cdr_paths(ds, *, scenario: str, n_sample: int = 5) -> Figure:
    """Realized CPR and CDR by period: percentile bands, median and a few sample paths [percent, annual]."""
    n = live_periods(ds)
    x = _dates(ds, n)
    fig, axes = _figure(1, 2)
    for ax, name, label, color in ((axes[0, 0], "cpr", "CPR", _COLORS[1]), (axes[0, 1], "cdr", "CDR", _COLORS[5])):
        values = _np(ds, name, n) * 100.0
        bonds = _np(ds, "bond_balance", n)
        # a path's rate after its call or pay-off is not a rate of anything
        prior = np.concatenate([np.full((bonds.shape[0], 1), 1.0), bonds[:, :-1]], axis=1)
        values = np.where(prior > conventions.NO_LOSS_USD, values, np.nan)
        _fan(ax, x, values, color=color, label=label, weights=_weights(ds))
        for k in range(min(n_sample, values.shape[0]) if values.shape[0] > 1 else 0):
            ax.plot(x, values[k], color="0.35", lw=0.6, alpha=0.7, label="sample paths" if k == 0 else None)
        ax.set_ylabel(f"{label} (annual rate, %)")
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        top = np.nanmax(values) if np.isfinite(values).any() else 0.0
        ax.set_ylim(0, max(1.0, top * 1.25))
        ax.set_title(f"{label} by period (remittance-report method)")
        _date_axis(ax)
        ax.legend(fontsize=_RC["legend.fontsize"], loc="upper right", frameon=False)
    _title(fig, "Prepayment and default rates", scenario)
    return fig


def pool_balance_and_loss(ds, *, scenario: str, cutoff_balance: float) -> Figure:
    """Pool balance [USD millions] and cumulative collateral loss [percent of cut-off balance]."""
    n = live_periods(ds)
    x = _dates(ds, n)
    fig, axes = _figure(1, 2)
    ax = axes[0, 0]
    _fan(ax, x, _np(ds, "pool_balance", n), color=_COLORS[0], label="pool balance", weights=_weights(ds))
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set_ylabel("pool balance (USD millions)")
    ax.set_ylim(bottom=0)
    ax.set_title("Pool balance at the end of the due period")
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper right", frameon=False)
    ax = axes[0, 1]
    cum = np.cumsum(_np(ds, "collateral_loss", n), axis=1) / cutoff_balance * 100.0
    _fan(ax, x, cum, color=_COLORS[5], label="cumulative loss", weights=_weights(ds))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=2))
    ax.set_ylabel("cumulative realized loss (% of cut-off balance)")
    ax.set_ylim(bottom=0)
    ax.set_title("Cumulative collateral loss")
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper left", frameon=False)
    _title(fig, "Pool balance and cumulative loss", scenario)
    return fig


def tranche_balances(ds, *, scenario: str) -> Figure:
    """Mean class balance after each payment date, stacked [USD millions], with the mean pool balance."""
    n = live_periods(ds)
    x = _dates(ds, n)
    balance = _mean(ds, ds["balance"].isel(period=slice(0, n)).transpose("path", ...).values)  # (t, j)
    names = [str(t) for t in ds["tranche"].values]
    fig, axes = _figure(1, 2, width_ratios=(2, 1))
    ax = axes[0, 0]
    ax.stackplot(x, balance.T[::-1], labels=names[::-1], colors=_COLORS[: len(names)][::-1], alpha=0.85)
    ax.plot(x, _mean(ds, _np(ds, "pool_balance", n)), color="k", lw=1.2,
            ls="--", label="pool balance (mean)" if ds.sizes["path"] > 1 else "pool balance")
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set_ylabel("balance (USD millions)")
    many = ds.sizes["path"] > 1
    ax.set_title("Mean class balance over paths (stacked)" if many else "Class balance (stacked)")
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper right", frameon=False, ncol=2)
    ax = axes[0, 1]
    original = balance[0] + _mean(ds, ds["principal_paid"].isel(period=0).transpose("path", ...).values)
    share = np.where(original[None, :] > 0, balance / np.where(original > 0, original, 1.0)[None, :], 0.0)
    for j, name in enumerate(names):
        ax.plot(x, share[:, j] * 100.0, color=_COLORS[j % len(_COLORS)], lw=1.4, label=name)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel(("mean " if many else "") + "balance (% of first-period balance)")
    ax.set_ylim(0, 105)
    ax.set_title("Class factor")
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper right", frameon=False)
    _title(fig, "Tranche balances", scenario)
    return fig


def oc_vs_target(ds, *, scenario: str) -> Figure:
    """Overcollateralization across paths against the OC target [USD millions]."""
    n = live_periods(ds)
    x = _dates(ds, n)
    fig, axes = _figure()
    ax = axes[0, 0]
    _fan(ax, x, _np(ds, "oc", n), color=_COLORS[2], label="OC", weights=_weights(ds))
    target = _median(ds, _np(ds, "oc_target", n))
    ax.step(x, target, where="post", color="k", lw=1.5, ls="--",
            label="OC target" + (" (median)" if ds.sizes["path"] > 1 else ""))
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}"))
    ax.set_ylabel("overcollateralization (USD millions)")
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="best", frameon=False)
    _title(fig, "Overcollateralization vs target", scenario)
    return fig


def _log_count_axis(ax, top: float, weighted: bool) -> None:
    """Log y axis of path counts (whole counts only: no 7x10^-1 ticks) or, weighted, of probability in percent."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0,)))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if weighted:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        ax.set_ylabel("probability (%, weighted, log scale)")
    else:
        ax.set_ylim(0.8, top * 1.5)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else ""))
        ax.set_ylabel("paths (log scale)")


def _bar_heights(values: np.ndarray, bins: np.ndarray, w: np.ndarray | None, total: float | None = None) -> np.ndarray:
    """Paths per bin, or (importance-sampled) the bin's share of probability [percent]: weights / ``total``
    (default: the sum of ``w``; pass the run's total when ``values`` are a subset of its paths)."""
    if w is None:
        return np.histogram(values, bins=bins)[0].astype(float)
    return np.histogram(values, bins=bins, weights=w)[0] / (w.sum() if total is None else total) * 100.0


def loss_histograms(ds, *, scenario: str) -> Figure:
    """Distribution of principal loss per class over paths [percent of original balance].

    Plain Monte Carlo: path counts. Importance-sampled (weights not all 1):
    each bar is the bin's probability [percent], the paths weighted by their
    likelihood ratios (self-normalized), and P(loss) and the mean in the
    panel titles are weighted (:func:`stress.metrics.path_mean`).
    """
    from stress.metrics import path_mean

    loss = np.asarray(ds["loss_pct"].values, dtype=np.float64) * 100.0
    w = _weights(ds)
    names = [str(t) for t in ds["tranche"].values]
    ncols = 3
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = _figure(nrows, ncols)
    n_paths = loss.shape[0]
    for j, ax in enumerate(axes.flat):
        if j >= len(names):
            ax.set_visible(False)
            continue
        values = loss[:, j]
        hit = values > 1e-7
        top = float(values.max()) if hit.any() else 1.0
        bins = np.linspace(0.0, top * 1.05, 26)
        none = float((~hit).sum()) if w is None else float(w[~hit].sum() / w.sum() * 100.0)
        ax.bar(0.0, none, width=bins[1], align="edge", color="0.6", label="no loss")
        if hit.any():
            heights = _bar_heights(values[hit], bins, None if w is None else w[hit], None if w is None else w.sum())
            ax.bar(bins[:-1], heights, width=np.diff(bins), align="edge", color=_COLORS[j % len(_COLORS)],
                   alpha=0.9, label="paths with a loss")
        ax.legend(fontsize=7.5, loc="upper right", frameon=False)
        _log_count_axis(ax, n_paths, w is not None)
        p_loss, mean = path_mean(hit.astype(float), w)[0], path_mean(values, w)[0]
        ax.set_title(f"{names[j]}: P(loss) {float(p_loss):.1%}, mean {float(mean):.3f}%")
        ax.set_xlabel("principal loss (% of original balance)")
        if not hit.any():  # a readable 0-1% axis and a plain statement instead of a lone bar at 0
            ax.set_xlim(0.0, 1.0)
            ax.text(0.5, 0.5, "no path lost principal", transform=ax.transAxes, ha="center", va="center",
                    fontsize=9, color="0.3")
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=3 if top < 0.1 else (1 if top < 10 else 0)))
        ax.tick_params(axis="x", labelrotation=30)
    _title(fig, f"Principal loss distribution by class, {n_paths:,} paths"
           + (" (importance-weighted)" if w is not None else ""), scenario)
    return fig


def collateral_loss_histogram(ds, *, scenario: str, history: float | None = None,
                              history_label: str = "realized path") -> Figure:
    """Distribution of cumulative collateral loss over paths [percent of cut-off balance], the realized path marked.

    ``history`` [fraction of the cut-off balance]: one path's loss (the
    realized 2004-2014 path), drawn as a vertical line. Weighted runs: bars
    are probability [percent] (see :func:`loss_histograms`).
    """
    values = np.asarray(ds["cumulative_collateral_loss_pct"].values, dtype=np.float64) * 100.0
    w = _weights(ds)
    fig, axes = _figure()
    ax = axes[0, 0]
    top = max(float(values.max()), (history or 0.0) * 100.0, 1e-3)
    bins = np.linspace(0.0, top * 1.05, 41)
    ax.bar(bins[:-1], _bar_heights(values, bins, w), width=np.diff(bins), align="edge", color=_COLORS[5],
           alpha=0.85, label="Monte Carlo paths")
    _log_count_axis(ax, values.size, w is not None)
    if history is not None:
        ax.axvline(history * 100.0, color="k", lw=2.0, ls="--", label=f"{history_label}: {history:.3%}")
    ax.set_xlabel("cumulative collateral loss (% of cut-off balance)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=1 if top < 10 else 0))
    ax.legend(fontsize=_RC["legend.fontsize"], loc="upper right", frameon=False)
    _title(fig, f"Collateral loss distribution, {values.size:,} paths"
           + (" (importance-weighted)" if w is not None else ""), scenario)
    return fig


def afr_fan(ds, *, scenario: str, margins=None, coupon_cap: float | None = None, history=None,
            history_label: str = "realized path") -> Figure:
    """Available Funds Rate across paths against the classes' LIBOR + margin [percent, annual, actual/360].

    ``history``: the results Dataset of a one-path run (the realized
    2004-2014 path), whose AFR is drawn as a marked black line over the fan.
    """
    n = live_periods(ds)
    x = _dates(ds, n)
    fig, axes = _figure()
    ax = axes[0, 0]
    _fan(ax, x, _np(ds, "afr", n), color=_COLORS[0], label="AFR", scale=100.0, weights=_weights(ds))
    if history is not None:
        h = np.asarray(history["afr"].isel(path=0).values, dtype=np.float64)[:n] * 100.0
        hx = _dates(history, min(n, h.size))
        ax.plot(hx, h[: hx.size], color="k", lw=1.6, ls="-", marker="o", markersize=2.0, markevery=12,
                label=f"AFR on the {history_label}")
    names = [str(t) for t in ds["tranche"].values]
    margins = list(ds.attrs.get("margins", [])) if margins is None else list(margins)
    libor = _median(ds, _np(ds, "libor_1m", n))
    if margins:
        for j in sorted({0, len(margins) - 1}):
            ax.plot(x, (libor + margins[j]) * 100.0, color=_COLORS[5 if j else 3], lw=1.4, ls="--",
                    label=f"{names[j]} coupon before AFR cap: {'median ' if ds.sizes['path'] > 1 else ''}"
                          f"1M LIBOR + {margins[j]:.2%}")
    if coupon_cap is not None:
        afr = _np(ds, "afr", n)
        high = float(np.nanmax(_quantile_all(ds, afr, 0.95))) * 100.0 if np.isfinite(afr).any() else 0.0
        if coupon_cap * 100.0 <= 1.3 * high:
            ax.axhline(coupon_cap * 100.0, color="0.3", lw=1.0, ls=":", label=f"fixed coupon cap {coupon_cap:.2%}")
        else:  # far above the rates drawn: say so rather than squash the chart
            ax.plot([], [], color="0.3", lw=1.0, ls=":", label=f"fixed coupon cap {coupon_cap:.2%} (above the chart)")
    ax.set_ylabel("rate (annual, %, actual/360)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="best", frameon=False)
    _title(fig, "Available Funds Rate " + ("fan " if ds.sizes["path"] > 1 else "") + "vs bond coupon", scenario)
    return fig


# -- deterministic charts -----------------------------------------------------
def afr_schedule_chart(frame: pd.DataFrame, *, scenario: str) -> Figure:
    """AFR by payment date for each rate case, without and with derivative income [percent, annual].

    ``frame`` is :func:`stress.report.tables.afr_schedule` output: a ``date``
    column and, per rate case ``C``, columns ``"C"`` and ``"C + cap income"``
    [annual rate, decimal].
    """
    fig, axes = _figure()
    ax = axes[0, 0]
    x = pd.to_datetime(frame["date"]).to_numpy()
    cases = [c for c in frame.columns if c not in ("period", "date") and not c.endswith("+ cap income")]
    for k, case in enumerate(cases):
        color = _COLORS[(2 * k) % len(_COLORS)]
        ax.plot(x, frame[case] * 100.0, color=color, lw=1.6, label=f"{case}: AFR without cap income")
        with_cap = f"{case} + cap income"
        if with_cap in frame:
            ax.plot(x, frame[with_cap] * 100.0, color=color, lw=1.2, ls="--", label=f"{case}: AFR with cap income")
    ax.set_ylabel("Available Funds Rate (annual, %, actual/360)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="best", frameon=False)
    _title(fig, "Available Funds Rate schedule", scenario)
    return fig


def excess_spread_chart(frame: pd.DataFrame, *, scenario: str) -> Figure:
    """Excess spread by payment date for each rate case [percent of pool balance, annualized].

    ``frame`` is :func:`stress.report.tables.excess_spread` output: a
    ``date`` column and one column per rate case [annual, decimal].
    """
    fig, axes = _figure()
    ax = axes[0, 0]
    x = pd.to_datetime(frame["date"]).to_numpy()
    for k, case in enumerate(c for c in frame.columns if c not in ("period", "date")):
        ax.plot(x, frame[case] * 100.0, color=_COLORS[(2 * k) % len(_COLORS)], lw=1.6, label=case)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_ylabel("excess spread (% of pool balance, annualized)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    _date_axis(ax)
    ax.legend(fontsize=_RC["legend.fontsize"], loc="best", frameon=False)
    _title(fig, "Excess spread", scenario)
    return fig


def breakeven_chart(table: pd.DataFrame, *, scenario: str, material: pd.DataFrame | None = None,
                    threshold: float | None = None) -> Figure:
    """Breakeven CDR against loss severity, one panel per speed and rate case [percent].

    ``table`` is :func:`stress.breakeven.breakeven_table` output (first-dollar,
    solid lines); ``material`` the same at a loss ``threshold`` [fraction of the
    class balance] (dashed). Classes whose lines coincide are drawn once and
    labelled together ("A-1 … M-4 (identical)"), so a tie is stated, not hidden.
    """
    from stress.report.sources import identical_groups
    from stress.report.tables import group_label

    groups = list(table.groupby(["rate_case", "prepayment"], sort=False))
    fig, axes = _figure(1, max(1, len(groups)), sharey=True)
    order = list(dict.fromkeys(table["tranche"]))
    for ax, ((case, speed), cell) in zip(axes.flat, groups):
        sets = [(cell, "-", "first dollar")]
        if material is not None:
            m = material[(material["rate_case"] == case) & (material["prepayment"] == speed)]
            sets.append((m, "--", f"{threshold:.0%} loss" if threshold is not None else "threshold"))
        k = 0
        for frame, style, what in sets:
            series = {name: rows.sort_values("severity")["breakeven_cdr"].to_numpy() * 100.0
                      for name, rows in frame.groupby("tranche", sort=False)}
            sev = np.sort(frame["severity"].unique()) * 100.0
            for group in identical_groups(series, atol=1e-9):
                label = group_label(group, order) + (" (identical)" if len(group) > 1 else "")
                ax.plot(sev, series[group[0]], ls=style, marker="osD^vP*X"[k % 8], ms=5, mfc="none", mew=1.2,
                        color=_COLORS[k % len(_COLORS)], lw=1.5 if len(group) > 1 else 1.2,
                        label=f"{what}: {label}")
                k += 1
        ax.set_xticks(sorted(cell["severity"].unique() * 100.0))
        ax.set_title(f"{speed}, {case} curve")
        ax.set_xlabel("loss severity (%)")
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
        if len(cell["severity"].unique()) == 1:
            s = float(cell["severity"].iloc[0]) * 100.0
            ax.set_xlim(s - 10, s + 10)
        ax.legend(fontsize=7.5, loc="upper right", frameon=False)
    # one scale for every panel, set once all are drawn, with headroom for the legends above the lines
    top = max([float(table["breakeven_cdr"].max())]
              + ([float(material["breakeven_cdr"].max())] if material is not None else [])) * 100.0
    axes[0, 0].set_ylim(0.0, max(top * 1.45, 1.0))
    axes[0, 0].set_ylabel("breakeven CDR (annual, %)")
    _title(fig, "Breakeven CDR vs loss severity", scenario)
    return fig


def class_losses_chart(losses: dict[str, float], *, scenario: str) -> Figure:
    """Principal loss of each class in a one-path run, as bars [percent of original balance]."""
    fig, axes = _figure()
    ax = axes[0, 0]
    names = list(losses)
    values = np.array([losses[n] for n in names]) * 100.0
    bars = ax.bar(names, values, color=[_COLORS[k % len(_COLORS)] for k in range(len(names))])
    for bar, v in zip(bars, values):
        ax.annotate(f"{v:.2f}%", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                    fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.set_ylabel("principal loss (% of original balance)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1 if values.max(initial=0) < 10 else 0))
    ax.set_ylim(0, max(1.0, float(values.max(initial=0)) * 1.15))
    ax.set_xlabel("class")
    _title(fig, "Principal loss by class (one path)", scenario)
    return fig
