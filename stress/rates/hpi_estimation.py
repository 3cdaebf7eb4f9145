"""Estimate the home-price model on monthly Case-Shiller history (maximum likelihood).

The data
--------
``stress/data/history/hpi_monthly.csv`` (source, licence and the California
composite's definition in ``stress/data/history/README.md``): S&P CoreLogic
Case-Shiller national, Los Angeles, San Diego and San Francisco index levels,
**not seasonally adjusted**, January 1987 - July 2024, and ``california``, the
equal-weight geometric mean of the three metros (100 in January 2000).

The model (one equation per region, national and California)
-------------------------------------------------------------
With ``h[t]`` the log NSA level, ``s[m]`` twelve monthly seasonal growth
effects summing to zero and ``S[m]`` their running sum (the seasonal level),
the deseasonalized log level is ``z[t] = h[t] - S[month(t)]`` and its monthly
growth ``u[t] = z[t] - z[t-1]``::

    u[t] = mu + phi (u[t-1] - mu) + beta (a[t-1] / 12 - mu) - kappa x[t-1] + sigma eps[t]
    a[t-1] = z[t-1] - z[t-13]            trailing 12-month growth (= h[t-1] - h[t-13])
    x[t-1] = z[t-1] - c - mu (t-1)       gap of the price level to its log-linear trend

``phi`` carries the month-to-month smoothing of a repeat-sales index, ``beta``
the multi-year momentum of annual appreciation, ``kappa`` the pull of the
price level back to its trend, which turns a boom into a bust (with ``beta``
and ``kappa`` the level is a damped oscillator). Seasonality is handled with
the monthly dummies ``s[m]`` (NSA data, never 12-month differences of the
dependent variable); the simulation runs the deseasonalized process, so the
simulated index is seasonally adjusted. The national and California
innovations are bivariate normal with correlation ``rho``.

Estimation is exact conditional maximum likelihood (conditioning on the first
13 months of the sample, the same observations for every variant), jointly for
both regions, with :func:`scipy.optimize.minimize` (L-BFGS-B on the mean
parameters with the innovation covariance concentrated out); standard errors
come from the inverse of the numerical Hessian of the full log-likelihood
(mean parameters, both ``sigma`` and ``rho``).

The index's own smoothing (Case-Shiller levels are three-month moving
averages of repeat sales) adds MA(2) terms to the innovations::

    ... + e[t] + theta1 e[t-1] + theta2 e[t-2],    e[t] = sigma eps[t]

Why this model
--------------
On 1987-01 - 2024-07 (438 monthly observations per region after
conditioning; ``stress calibrate hpi --compare`` reproduces these figures):

=====================================  ======  ==========  ==========
model (both regions, joint)             k      log-lik      AIC
=====================================  ======  ==========  ==========
AR(1) on monthly growth (the old one)   29     3892.34     -7726.69
+ momentum (beta)                       31     3894.32     -7726.64
+ error correction (kappa, c)           35     3903.34     -7736.68
+ MA(2) smoothing (the model used)      39     3975.92     -7873.84
=====================================  ======  ==========  ==========

The AR(1) has one root for both the smoothing and the cycle: fitted to
monthly data its persistence describes the month-to-month smoothing and it
has no mechanism that turns a boom into a bust. Once the MA terms absorb the
smoothing, momentum is large and precise (beta 0.37, SE 0.06 national) and
the error correction significant (kappa 0.0056/month, SE 0.0015): annual
appreciation persists for years and an over-valued level is pulled back,
with overshoot. Its simulated histories bracket the historical 1-, 5- and
10-year changes and 10-year drawdowns (``tests/test_hpi_calibration.py``);
from the January 2004 data state it gives the 2006-2012 national bust
(-27% within ten years) a probability of about 3.5% and the California one
(-43%) about 4.7%, against 0.015% and 0.7% for the old AR(1) defaults.
A Markov-switching model was not used: its regime draws would be extra
randomness outside the Gaussian shock columns the importance sampler tilts.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy.signal import lfilter

from stress.errors import HistoryFileError

log = logging.getLogger(__name__)

#: The history file shipped with the package.
DEFAULT_HISTORY = Path(__file__).resolve().parents[1] / "data" / "history" / "hpi_monthly.csv"
HISTORY_COLUMNS = ("month", "national", "los_angeles", "san_diego", "san_francisco", "california")
REGIONS = ("national", "california")
#: Months of data the likelihood conditions on (the trailing 12-month growth needs 13 levels).
CONDITIONING_MONTHS = 13
#: Model variants: which of (momentum, error correction) are free; the others are 0.
SPECS = {"ar1": (False, False), "momentum": (True, False), "momentum_ec": (True, True),
         "momentum_ec_ma": (True, True, True)}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# -- the history file ---------------------------------------------------------

@dataclass(frozen=True)
class HpiHistory:
    """Monthly home-price index levels.

    Attributes
    ----------
    months : numpy.ndarray of datetime64[M], shape (n,)
        Consecutive months.
    levels : dict of str to numpy.ndarray, shape (n,)
        Index levels by column (``national``, ``los_angeles``, ...,
        ``california``), all > 0.
    source : str
        The file name, for messages.
    """

    months: np.ndarray
    levels: dict
    source: str = "<history>"

    def window(self, start: str | None = None, end: str | None = None) -> "HpiHistory":
        """The months from ``start`` to ``end`` inclusive (``YYYY-MM``; None = the file's first/last)."""
        lo = self.months[0] if start is None else _parse_month(start, "start")
        hi = self.months[-1] if end is None else _parse_month(end, "end")
        keep = (self.months >= lo) & (self.months <= hi)
        if keep.sum() < 5 * 12:
            raise HistoryFileError(f"history file {self.source}: {start or self.months[0]} to {end or self.months[-1]} "
                                   f"holds {int(keep.sum())} months: need at least 60 to estimate the model")
        return HpiHistory(self.months[keep], {k: v[keep] for k, v in self.levels.items()}, self.source)

    def index_of(self, month: str) -> int:
        m = _parse_month(month, "month")
        hits = np.flatnonzero(self.months == m)
        if hits.size == 0:
            raise HistoryFileError(f"history file {self.source}: month {month} is not in the file "
                                   f"({self.months[0]} to {self.months[-1]})")
        return int(hits[0])


def _parse_month(text: str, what: str) -> np.datetime64:
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise HistoryFileError(f"{what} = {text!r}: must be a month written YYYY-MM")
    return np.datetime64(str(text).strip(), "M")


def load_hpi_history(path: str | Path | None = None) -> HpiHistory:
    """Read and check a monthly home-price history file.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A CSV with the columns of :data:`HISTORY_COLUMNS` (``month`` as
        ``YYYY-MM``, levels as positive numbers; lines starting with ``#`` are
        comments). Default: the shipped ``hpi_monthly.csv``.

    Raises
    ------
    HistoryFileError
        Missing file or column, a malformed month, a duplicate month, a gap
        (months must be consecutive and increasing), or a level that is not a
        positive number: the message names the file, the row (1-based line
        number) and the rule.
    """
    path = Path(DEFAULT_HISTORY if path is None else path)
    name = path.name
    if not path.is_file():
        raise HistoryFileError(f"history file {path}: not found")
    with path.open(newline="") as fh:
        rows = [(i, r) for i, r in enumerate(csv.reader(fh), start=1) if r and not r[0].lstrip().startswith("#")]
    if not rows:
        raise HistoryFileError(f"history file {name}: empty")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    missing = [c for c in HISTORY_COLUMNS if c not in header]
    if missing:
        raise HistoryFileError(f"history file {name}: row {header_line}: missing column(s) {', '.join(missing)} "
                               f"(need {', '.join(HISTORY_COLUMNS)})")
    col = {c: header.index(c) for c in HISTORY_COLUMNS}
    months, values = [], {c: [] for c in HISTORY_COLUMNS[1:]}
    seen: dict = {}
    for line, row in rows[1:]:
        if len(row) < len(header):
            raise HistoryFileError(f"history file {name}: row {line}: {len(row)} fields: need {len(header)}")
        text = row[col["month"]].strip()
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise HistoryFileError(f"history file {name}: row {line}: month = {text!r}: must be YYYY-MM")
        month = np.datetime64(text, "M")
        if month in seen:
            raise HistoryFileError(f"history file {name}: row {line}: month {text} duplicates row {seen[month]}: "
                                   "each month must appear once")
        if months and month != months[-1] + 1:
            want = str(months[-1] + 1)
            rule = "a gap" if month > months[-1] + 1 else "out of order"
            raise HistoryFileError(f"history file {name}: row {line}: month {text} follows {months[-1]} ({rule}): "
                                   f"months must be consecutive, expected {want}")
        seen[month] = line
        months.append(month)
        for c in HISTORY_COLUMNS[1:]:
            raw = row[col[c]].strip()
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value) or value <= 0.0:
                raise HistoryFileError(f"history file {name}: row {line} (month {text}): {c} = {raw!r}: "
                                       "index levels must be positive numbers")
            values[c].append(value)
    if len(months) < 5 * 12:
        raise HistoryFileError(f"history file {name}: {len(months)} months: need at least 60")
    return HpiHistory(np.array(months, dtype="datetime64[M]"), {c: np.array(v) for c, v in values.items()}, name)


# -- the likelihood -----------------------------------------------------------

@dataclass(frozen=True)
class _Layout:
    """Positions of one region's mean parameters in the optimizer's vector."""

    momentum: bool
    error_correction: bool
    moving_average: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        names = ["mu", "phi"]
        if self.momentum:
            names.append("beta")
        if self.error_correction:
            names += ["kappa", "c"]
        if self.moving_average:
            names += ["theta1", "theta2"]
        return tuple(names) + tuple(f"s{m}" for m in range(1, 12))

    @property
    def size(self) -> int:
        return len(self.names)

    def unpack(self, theta: np.ndarray) -> dict:
        k = dict(zip(self.names, theta))
        s = np.concatenate([theta[-11:], [-theta[-11:].sum()]])
        return dict(mu=k["mu"], phi=k["phi"], beta=k.get("beta", 0.0), kappa=k.get("kappa", 0.0),
                    c=k.get("c", 0.0), theta1=k.get("theta1", 0.0), theta2=k.get("theta2", 0.0), seasonal=s)


def _deseasonalize(log_level: np.ndarray, month_of_year: np.ndarray, seasonal: np.ndarray) -> np.ndarray:
    """``z = h - S[month]`` with ``S`` the running sum of the seasonal growth effects."""
    return log_level - np.cumsum(seasonal)[month_of_year]


def _residuals(theta: np.ndarray, layout: _Layout, log_level: np.ndarray, month_of_year: np.ndarray, *,
               clock: int = 0) -> np.ndarray:
    """One region's innovations ``sigma eps[t]`` for t = 13 .. n-1 (``clock``: the trend's time of row 0)."""
    p = layout.unpack(theta)
    mu = p["mu"]
    z = _deseasonalize(log_level, month_of_year, p["seasonal"])
    u = np.diff(z)                                  # u[t-1] at position t-2
    t = np.arange(CONDITIONING_MONTHS, log_level.size)
    annual = z[t - 1] - z[t - 13]
    gap = z[t - 1] - p["c"] - mu * (t - 1 + clock)
    predicted = mu + p["phi"] * (u[t - 2] - mu) + p["beta"] * (annual / 12.0 - mu) - p["kappa"] * gap
    w = u[t - 1] - predicted
    if p["theta1"] == 0.0 and p["theta2"] == 0.0:
        return w
    # w[t] = e[t] + theta1 e[t-1] + theta2 e[t-2], e = 0 before the sample
    return lfilter([1.0], [1.0, p["theta1"], p["theta2"]], w)


def _residual_matrix(theta, layouts, data) -> np.ndarray:
    out, k = [], 0
    for layout, (log_level, moy) in zip(layouts, data):
        out.append(_residuals(theta[k:k + layout.size], layout, log_level, moy))
        k += layout.size
    return np.stack(out, axis=1)


def _gaussian_loglik(e: np.ndarray, cov: np.ndarray) -> float:
    n, d = e.shape
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        return -np.inf
    quad = np.einsum("ti,ij,tj->", e, np.linalg.inv(cov), e)
    return float(-0.5 * (n * d * np.log(2 * np.pi) + n * logdet + quad))


def _concentrated_negloglik(theta, layouts, data) -> float:
    e = _residual_matrix(theta, layouts, data)
    n = e.shape[0]
    sign, logdet = np.linalg.slogdet(e.T @ e / n)
    if sign <= 0 or not np.isfinite(logdet):
        return 1e10
    return 0.5 * n * logdet  # the constant n d (1 + log 2 pi) / 2 dropped


def _full_loglik(full, layouts, data) -> float:
    k = sum(layout.size for layout in layouts)
    theta, (s1, s2, rho) = full[:k], full[k:]
    if s1 <= 0 or s2 <= 0 or abs(rho) >= 1:
        return -np.inf
    cov = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    return _gaussian_loglik(_residual_matrix(theta, layouts, data), cov)


def _hessian(f, x: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    n = x.size
    h = rel_step * np.maximum(np.abs(x), 1e-2)
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
    return hess


def _start_values(layout: _Layout, log_level: np.ndarray, moy: np.ndarray) -> np.ndarray:
    """Crude starting point: calendar-month mean growth, OLS trend, modest dynamics."""
    g = np.diff(log_level)
    mu = g.mean()
    s = np.array([g[moy[1:] == m].mean() for m in range(12)]) - mu
    z = _deseasonalize(log_level, moy, s)
    t = np.arange(z.size)
    c = (z - mu * t).mean()
    named = {"mu": mu, "phi": 0.5, "beta": 0.3, "kappa": 0.005, "c": c, "theta1": 0.0, "theta2": 0.0}
    return np.array([named[n] for n in layout.names[:-11]] + list(s[:11]))


# -- the fit ------------------------------------------------------------------

@dataclass(frozen=True)
class RegionEstimate:
    """One region's estimates [monthly units] and their standard errors."""

    mu: float
    phi: float
    beta: float
    kappa: float
    c: float
    theta1: float
    theta2: float
    sigma: float
    seasonal: np.ndarray
    se: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HpiFit:
    """Result of :func:`fit_hpi_model`.

    Attributes
    ----------
    spec : str
        ``"ar1"``, ``"momentum"`` or ``"momentum_ec"`` (see :data:`SPECS`).
    national, california : RegionEstimate
    rho, rho_se : float
        Correlation of the national and California innovations, and its SE.
    loglik : float
        Maximized log-likelihood (both regions).
    n_params, n_obs : int
        Free parameters (mean parameters, two sigmas, rho); observations per region.
    history : HpiHistory
        The sample estimated on.
    """

    spec: str
    national: RegionEstimate
    california: RegionEstimate
    rho: float
    rho_se: float
    loglik: float
    n_params: int
    n_obs: int
    history: HpiHistory

    @property
    def aic(self) -> float:
        return 2.0 * self.n_params - 2.0 * self.loglik

    def region(self, name: str) -> RegionEstimate:
        return self.national if name == "national" else self.california

    def state(self, month: str, region: str, *, history: HpiHistory | None = None) -> "HpiState":
        """The model's state at ``month``, from the data (the simulation's month 0).

        ``history`` (default: the estimation sample) must hold ``month`` and
        the 13 months before it; the trend's clock starts at the estimation
        sample's first month.
        """
        data = self.history if history is None else history
        est = self.region(region)
        k = data.index_of(month)
        if k < CONDITIONING_MONTHS + 1:
            raise HistoryFileError(f"history file {data.source}: the state at {month} needs the "
                                   f"{CONDITIONING_MONTHS + 1} months before it")
        h = np.log(data.levels[region])
        moy = _month_of_year(data.months)
        z = _deseasonalize(h, moy, est.seasonal)
        growth = 12.0 * np.diff(z[k - 12:k + 1])
        offset = int((data.months[0] - self.history.months[0]).astype(int))
        gap = float(z[k] - est.c - est.mu * (k + offset)) if est.kappa != 0.0 else 0.0
        # innovations of the last two months (the MA terms carry them into months 1 and 2), filtered
        # from the file's first month: the MA filter forgets its zero start within a few months
        theta = np.array([est.mu, est.phi, est.beta, est.kappa, est.c, est.theta1, est.theta2] + list(est.seasonal[:11]))
        e = _residuals(theta, _Layout(True, True, True), h[:k + 1], moy[:k + 1], clock=offset)
        return HpiState(growth=growth, gap=gap, innovations=(float(e[-2]), float(e[-1])))


@dataclass(frozen=True)
class HpiState:
    """One region's state at a month, from the data.

    Attributes
    ----------
    growth : numpy.ndarray, shape (12,)
        Deseasonalized monthly log growth of the 12 months ending at the
        month, oldest first, annualized (x 12) [decimal per year].
    gap : float
        Log gap of the deseasonalized level to the estimated trend [decimal];
        0 without error correction.
    innovations : (float, float)
        The model's innovations of the month before and of the month
        [decimal, monthly log growth].
    """

    growth: np.ndarray
    gap: float
    innovations: tuple


def _month_of_year(months: np.ndarray) -> np.ndarray:
    return (months.astype(int) % 12).astype(np.int64)


def fit_hpi_model(history: HpiHistory, *, spec: str = "momentum_ec_ma", start: str | None = None,
                  end: str | None = None) -> HpiFit:
    """Maximum-likelihood estimates of the national + California home-price model.

    Parameters
    ----------
    history : HpiHistory
        From :func:`load_hpi_history`.
    spec : {"momentum_ec_ma", "momentum_ec", "momentum", "ar1"}
        The full model (momentum, error correction, MA(2) smoothing), the
        same without the MA terms, without error correction either, or the
        AR(1) on monthly growth (all with monthly seasonal dummies).
    start, end : str, optional
        First and last month of the estimation sample (``YYYY-MM``).

    Returns
    -------
    HpiFit
        Estimates in monthly units (``mu`` [log growth per month], ``sigma``
        [per month], ``kappa`` [per month]) with standard errors.
    """
    if spec not in SPECS:
        raise ValueError(f"spec = {spec!r}: must be one of {', '.join(SPECS)}")
    sample = history.window(start, end)
    moy = _month_of_year(sample.months)
    layout = _Layout(*SPECS[spec])
    layouts = (layout, layout)
    data = [(np.log(sample.levels[r]), moy) for r in REGIONS]
    x0 = np.concatenate([_start_values(layout, *d) for d in data])
    result = optimize.minimize(_concentrated_negloglik, x0, args=(layouts, data), method="L-BFGS-B",
                               options=dict(maxiter=20_000, maxfun=200_000, ftol=1e-14, gtol=1e-9))
    theta = result.x
    e = _residual_matrix(theta, layouts, data)
    n = e.shape[0]
    cov = e.T @ e / n
    s1, s2 = np.sqrt(np.diag(cov))
    rho = cov[0, 1] / (s1 * s2)
    full = np.concatenate([theta, [s1, s2, rho]])
    loglik = _full_loglik(full, layouts, data)
    hess = _hessian(lambda v: _full_loglik(v, layouts, data), full)
    try:
        se_all = np.sqrt(np.diag(np.linalg.inv(-hess)))
    except np.linalg.LinAlgError:
        se_all = np.full(full.size, np.nan)
    log.info("hpi fit %s: loglik %.2f (%s)", spec, loglik, result.message)

    estimates = []
    for r, (sig, sig_se) in enumerate(((s1, se_all[-3]), (s2, se_all[-2]))):
        chunk = slice(r * layout.size, (r + 1) * layout.size)
        p = layout.unpack(theta[chunk])
        se = dict(zip(layout.names, se_all[chunk]))
        se["sigma"] = sig_se
        estimates.append(RegionEstimate(mu=p["mu"], phi=p["phi"], beta=p["beta"], kappa=p["kappa"], c=p["c"],
                                        theta1=p["theta1"], theta2=p["theta2"],
                                        sigma=float(sig), seasonal=p["seasonal"], se=se))
    return HpiFit(spec=spec, national=estimates[0], california=estimates[1], rho=float(rho), rho_se=float(se_all[-1]),
                  loglik=loglik, n_params=full.size, n_obs=n, history=sample)


# -- reporting ----------------------------------------------------------------

#: The rows of :func:`format_fit`: (name, attribute, scale to the config's unit, unit).
_ROWS = (("drift", "mu", 12.0, "log growth per year"),
         ("monthly_ar", "phi", 1.0, "1"),
         ("momentum", "beta", 1.0, "1"),
         ("error_correction", "kappa", 1.0, "per month"),
         ("moving_average[0]", "theta1", 1.0, "1"),
         ("moving_average[1]", "theta2", 1.0, "1"),
         ("volatility", "sigma", np.sqrt(12.0), "per sqrt(year)"),
         ("trend intercept c", "c", 1.0, "log level at the sample's first month"))


def _numbers(values) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def format_fit(fit: HpiFit, *, state_month: str = "2004-01", history: HpiHistory | None = None,
               comparison: list[HpiFit] | None = None) -> str:
    """The estimates with standard errors and the ``[home_prices]`` TOML block to paste into a scenario.

    Parameters
    ----------
    fit : HpiFit
        A ``"momentum_ec_ma"`` fit.
    state_month : str
        The month whose data state (trailing growth, gap, last innovations)
        becomes the scenario's initial state (the deal's cut-off, YYYY-MM).
    history : HpiHistory, optional
        The full file (default: the estimation sample), for a state month
        outside the sample.
    comparison : list of HpiFit, optional
        Other variants to list with their log-likelihood and AIC.
    """
    first, last = fit.history.months[0], fit.history.months[-1]
    lines = [f"home-price model {fit.spec}: {fit.history.source}, {first} to {last}, "
             f"{fit.n_obs} months per region after conditioning on {CONDITIONING_MONTHS}",
             f"log-likelihood {fit.loglik:.2f}, {fit.n_params} parameters, AIC {fit.aic:.2f}", "",
             f"{'parameter':<22}{'national':>12}{'(SE)':>10}{'california':>12}{'(SE)':>10}  unit"]
    for name, attr, scale, unit in _ROWS:
        cells = []
        for r in REGIONS:
            est = fit.region(r)
            cells.append(f"{getattr(est, attr) * scale:>12.5f}{est.se.get(attr, np.nan) * scale:>10.5f}")
        lines.append(f"{name:<22}{''.join(cells)}  {unit}")
    lines.append(f"{'correlation':<22}{fit.rho:>12.5f}{fit.rho_se:>10.5f}  national-California innovations")
    if comparison:
        lines += ["", f"{'variant':<16}{'params':>8}{'log-lik':>12}{'AIC':>12}"]
        for other in comparison + [fit]:
            lines.append(f"{other.spec:<16}{other.n_params:>8}{other.loglik:>12.2f}{other.aic:>12.2f}")
    states = {r: fit.state(state_month, r, history=history) for r in REGIONS}
    lines += ["", f"# estimated by `stress calibrate hpi` on {fit.history.source}, {first} to {last}",
              f"# (conditional Gaussian MLE, NSA data with monthly seasonal dummies); initial state: the data at {state_month}"]
    for table, r in (("[home_prices]", "national"), ("[home_prices.california]", "california")):
        est, st = fit.region(r), states[r]
        lines.append(table)
        if r == "california":
            lines.append("enabled = true")
            lines.append(f"correlation = {fit.rho:.4f}")
        lines += [f"drift = {12 * est.mu:.5f}",
                  f"volatility = {np.sqrt(12) * est.sigma:.5f}",
                  f"monthly_ar = {est.phi:.4f}",
                  f"momentum = {est.beta:.4f}",
                  f"error_correction = {est.kappa:.5f}",
                  f"moving_average = {_numbers([est.theta1, est.theta2])}",
                  f"initial_growth = {_numbers(st.growth)}",
                  f"initial_gap = {st.gap:.4f}",
                  f"initial_innovations = [{st.innovations[0]:.5f}, {st.innovations[1]:.5f}]", ""]
    return "\n".join(lines)
