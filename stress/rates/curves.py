"""Deterministic index curves: the built-in forward curve, curve files, shocks.

A :class:`CurveSet` holds, for each month ``m = 0 .. n_months-1`` of a monthly
grid starting at the cut-off date, the value of the four ARM / bond indices
(1M, 6M and 12M LIBOR and 1Y CMT, decimals). Month 0 is the value at cut-off.

Conventions used by the engine
------------------------------
- A bond coupon for payment period ``t`` (1-based) uses 1M LIBOR at month
  ``t - 1``: the fixing two business days before the accrual period starts,
  on the monthly grid.
- A loan adjusting ``a`` months after cut-off reads its index at month
  ``a - lookback`` (deal file, ``reset_lookback_months``).

The Monte Carlo scenario generator produces the same arrays per path; the
curves here are its zero-volatility case.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from stress.calendar import add_months
from stress.errors import ScenarioError

INDEX_NAMES: tuple[str, ...] = ("LIBOR_1M", "LIBOR_6M", "LIBOR_12M", "CMT_1Y")
_COLUMNS = ("libor_1m", "libor_6m", "libor_12m", "cmt_1y")
BUILTIN_CURVE = "libor_2004-01-13"


@dataclass(frozen=True)
class CurveSet:
    """Monthly index paths on one grid.

    Attributes
    ----------
    dates : numpy.ndarray of datetime64[D]
        Month ``m`` of the grid (the 1st of each month from the curve date).
    rates : numpy.ndarray, shape (4, n_months)
        Index values [annual, decimal] in :data:`INDEX_NAMES` order.
    name : str
        Where the curve came from, for labels and provenance.
    discount : numpy.ndarray, shape (n_months,), optional
        Discount factor from the curve date to each month (forward curves only).
    """

    dates: np.ndarray
    rates: np.ndarray
    name: str
    discount: np.ndarray | None = None

    @property
    def n_months(self) -> int:
        return self.rates.shape[1]

    def index(self, name: str) -> np.ndarray:
        """One index path by name (``"LIBOR_1M"``...)."""
        return self.rates[INDEX_NAMES.index(name)]

    @property
    def libor_1m(self) -> np.ndarray:
        return self.rates[0]

    def static(self) -> "CurveSet":
        """Today's index values held flat: the dealer's "static" rate case."""
        flat = np.repeat(self.rates[:, :1], self.n_months, axis=1)
        return replace(self, rates=flat, name=f"{self.name} static", discount=None)

    def shifted(self, bp: float, *, from_month: int = 0, ramp_months: int = 0) -> "CurveSet":
        """Parallel shock of ``bp`` basis points to every index.

        Parameters
        ----------
        bp : float
            Size of the shock [basis points]; negative moves rates down.
        from_month : int
            First month the shock applies (0 = from cut-off).
        ramp_months : int
            If > 0, the shock grows linearly over this many months, reaching
            its full size at ``from_month + ramp_months``.
        """
        if from_month < 0 or ramp_months < 0:
            raise ScenarioError(f"shock: from_month = {from_month}, ramp_months = {ramp_months}: must be >= 0")
        months = np.arange(self.n_months)
        if ramp_months > 0:
            weight = np.clip((months - from_month + 1) / ramp_months, 0.0, 1.0)
        else:
            weight = (months >= from_month).astype(float)
        shocked = self.rates + bp / 10_000.0 * weight
        label = f"{self.name} {bp:+g}bp" + (f" from month {from_month}" if from_month else "")
        return replace(self, rates=shocked, name=label, discount=None)

    def set_all(self, level: float, *, from_month: int = 0) -> "CurveSet":
        """Every index set to ``level`` (decimal) from ``from_month`` on: the AFR-cap stress."""
        if not 0.0 <= level <= 0.5:
            raise ScenarioError(f"shock: all indices to {level}: level must be in [0, 0.5]")
        shocked = self.rates.copy()
        shocked[:, from_month:] = level
        return replace(self, rates=shocked, name=f"{self.name}; all indices {level:.2%} from month {from_month}",
                       discount=None)

    def floored(self, floor: float = 0.0) -> "CurveSet":
        """Indices floored at ``floor`` (negative shocks cannot push LIBOR below zero)."""
        return replace(self, rates=np.maximum(self.rates, floor))


def _builtin_curve_path(name: str) -> Path:
    return Path(str(resources.files("stress.scenarios").joinpath("curves", f"{name}.toml")))


def _year_fraction_days(start: dt.date, months: int) -> int:
    return (add_months(start, months) - start).days


def _bootstrap_discount(quotes: dict, curve_date: dt.date, n_months: int) -> np.ndarray:
    """Discount factors to each month 0..n_months-1 (see the curve file's construction notes).

    Time is measured in actual days / 365.25 so that monthly forwards, which
    use each month's actual day count, carry no calendar noise.
    """
    deposits = {int(k): float(v) for k, v in quotes["deposits"].items()}
    swaps = {float(k): float(v) for k, v in quotes["swaps"].items()}
    years = lambda months: _year_fraction_days(curve_date, int(months)) / 365.25  # noqa: E731
    pillar_t: list[float] = []
    pillar_df: list[float] = []
    for months, rate in sorted(deposits.items()):
        days = _year_fraction_days(curve_date, months)
        pillar_t.append(days / 365.25)
        pillar_df.append(1.0 / (1.0 + rate * days / 360.0))

    def zero(t_years: np.ndarray) -> np.ndarray:
        t = np.asarray(pillar_t)
        z = -np.log(np.asarray(pillar_df)) / t
        x = np.clip(np.asarray(t_years, float), t[0], t[-1])
        return PchipInterpolator(t, z)(x)

    last_deposit = max(deposits)
    if last_deposit % 12 == 0 and last_deposit / 12 < min(swaps):
        # the longest deposit, restated as a semi-annual par rate, anchors the
        # interpolation of par rates between it and the first swap
        t_dep = np.array([years(m) for m in range(6, last_deposit + 1, 6)])
        df_dep = np.exp(-zero(t_dep) * t_dep)
        swaps[last_deposit / 12] = (1.0 - df_dep[-1]) / (0.5 * df_dep.sum())
    tenors = np.array(sorted(swaps))
    par = np.array([swaps[k] for k in tenors])
    fixed_leg = 0.0
    for months in range(6, int(tenors[-1] * 12) + 1, 6):
        t = years(months)
        rate = float(np.interp(months / 12.0, tenors, par, left=np.nan))
        if months <= last_deposit or np.isnan(rate):
            # short end from deposits: accumulate the annuity with interpolated DFs
            fixed_leg += 0.5 * float(np.exp(-zero(np.array([t]))[0] * t))
            continue
        df = (1.0 - rate * fixed_leg) / (1.0 + 0.5 * rate)
        pillar_t.append(t)
        pillar_df.append(df)
        fixed_leg += 0.5 * df
    grid = np.array([years(m) for m in range(n_months)])
    return np.exp(-zero(grid) * grid)


def forward_curve(name_or_path: str | Path = BUILTIN_CURVE, *, n_months: int = 420) -> CurveSet:
    """Build monthly forward index curves from a market-quotes file.

    Parameters
    ----------
    name_or_path : str or Path
        A curve-quotes TOML file, or the name of a built-in one (default: the
        January 2004 curve of the reference deal).
    n_months : int
        Length of the monthly grid; longer than the longest loan so that
        12-month forwards exist at every reset.

    Returns
    -------
    CurveSet
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = _builtin_curve_path(str(name_or_path))
    if not path.exists():
        raise ScenarioError(f"curve file {path}: not found")
    quotes = tomllib.loads(path.read_text())
    for key in ("curve_date", "deposits", "swaps", "cmt"):
        if key not in quotes:
            raise ScenarioError(f"curve file {path.name}: {key}: missing (required)")
    curve_date = quotes["curve_date"]
    extra = 13
    df = _bootstrap_discount(quotes, curve_date, n_months + extra)
    dates = np.array([add_months(curve_date, m) for m in range(n_months + extra)], dtype="datetime64[D]")
    day_gaps = lambda k: (dates[k:] - dates[:-k]).astype(np.int64)  # noqa: E731

    def forward(k: int) -> np.ndarray:
        days = day_gaps(k)[:n_months]
        return (df[:n_months] / df[k:k + n_months] - 1.0) * 360.0 / days

    l1, l6, l12 = forward(1), forward(6), forward(12)
    days12 = day_gaps(12)[:n_months]
    bey = 2.0 * ((1.0 + l12 * days12 / 360.0) ** (365.0 / days12 / 2.0) - 1.0)
    cmt_basis = bey[0] - float(quotes["cmt"]["one_year"])
    cmt = bey - cmt_basis
    rates = np.vstack([l1, l6, l12, cmt])
    return CurveSet(dates[:n_months], rates, name=f"forward {path.stem}", discount=df[:n_months])


def read_curve_file(path: str | Path, *, n_months: int = 420) -> CurveSet:
    """Read a month-by-month curve from CSV.

    The file has a header with ``month`` (0, 1, 2, ...) and the columns
    ``libor_1m, libor_6m, libor_12m, cmt_1y`` as decimals. A shorter file is
    extended by holding its last row flat to ``n_months``.

    Raises
    ------
    ScenarioError
        Missing file or column, non-numeric value, month gaps, or a rate
        outside [-0.05, 0.5]; the message names the file, row and column.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"curve file {path}: not found")
    import pandas as pd

    frame = pd.read_csv(path)
    missing = [c for c in ("month",) + _COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError(f"curve file {path.name}: missing column(s) {missing}; "
                            f"expected month, {', '.join(_COLUMNS)}")
    problems = []
    months = pd.to_numeric(frame["month"], errors="coerce").to_numpy()
    if not np.array_equal(months, np.arange(len(frame))):
        problems.append("column 'month' must count 0, 1, 2, ... without gaps")
    values = np.empty((4, len(frame)))
    for k, col in enumerate(_COLUMNS):
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
        for row in np.flatnonzero(np.isnan(v) | (v < -0.05) | (v > 0.5))[:20]:
            problems.append(f"row {row + 1}, column {col!r}, value {frame[col].iloc[row]}: "
                            "must be a decimal rate in [-0.05, 0.5]")
        values[k] = v
    if problems:
        raise ScenarioError(f"curve file {path}:\n  " + "\n  ".join(problems))
    if values.shape[1] < n_months:
        values = np.hstack([values, np.repeat(values[:, -1:], n_months - values.shape[1], axis=1)])
    first = dt.date(2004, 1, 1)
    dates = np.array([add_months(first, m) for m in range(values.shape[1])], dtype="datetime64[D]")
    return CurveSet(dates, values, name=f"file {path.name}")


def load_curve(spec: str | Path = "forward", *, n_months: int = 420) -> CurveSet:
    """Resolve a ``--curve`` argument: ``forward``, ``static``, ``history``, a ``.toml`` quotes file or a ``.csv`` curve.

    ``history`` is the realized path of :mod:`stress.rates.history`: the
    indices' monthly averages from January 2004 (grid month 0, as the
    built-in curve) through December 2014, flat after it (the same path as
    ``scenarios/history_2004.toml``).
    """
    spec = str(spec)
    if spec == "forward":
        return forward_curve(n_months=n_months)
    if spec == "history":
        return history_curve(n_months=n_months)
    if spec == "static":
        return forward_curve(n_months=n_months).static()
    if spec.endswith(".csv"):
        return read_curve_file(spec, n_months=n_months)
    if spec.endswith(".toml"):
        return forward_curve(spec, n_months=n_months)
    raise ScenarioError(f"--curve {spec!r}: must be forward, static, history, a .toml quotes file or a .csv curve "
                        "file")


def history_curve(*, start: str = "2004-01", end: str = "2014-12", n_months: int = 420,
                  path: str | None = None) -> CurveSet:
    """The realized index path as a deterministic curve, on the built-in curve's monthly grid.

    Parameters
    ----------
    start, end : str
        ``YYYY-MM``: the realized month of grid month 0, and the last realized
        month (every index is held flat after it).
    n_months : int
        Grid length.
    path : str, optional
        A rates history file (default: the shipped ``rates_monthly.csv``).
    """
    from stress.rates.history import RATE_COLUMNS, load_history

    history = load_history("rates", path)
    grid = forward_curve(n_months=n_months)
    rates = np.stack([history.window(c, start, end, n_months) for c in RATE_COLUMNS])
    return CurveSet(grid.dates, rates, name=f"realized {start}..{end}, flat after")
