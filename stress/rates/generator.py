"""The Monte Carlo scenario generator: interest-rate and home-price paths.

The one interface the engine uses is :func:`generate_paths`; the short-rate
model behind it (Hull-White, G2++ or the deterministic curve) is chosen by the
scenario's ``[rates]`` table and invisible to the caller.

Randomness
----------
Path ``i`` draws all its standard normals from its own stream,
``Generator(PCG64(SeedSequence(seed, spawn_key=(i,))))``, keyed by the global
path index, never by chunk or worker: path 37 is the same whether simulated
alone, in a chunk of 7 or of 1,000. (Other modules wanting per-path streams
should use longer spawn keys, e.g. ``(i, 1)``, which never collide with these.)

Each path draws an array of shape ``(n_months - 1, 6)`` (time-major, so a
longer horizon keeps the earlier months' draws), whatever the model options;
step ``s`` moves month ``s`` to ``s + 1``. The columns are:

====  =====================================================================
0     first rate factor, end-of-month value (Hull-White x, G2++ x)
1     first rate factor, integral over the month (path discount factor)
2     second rate factor (G2++ y), end-of-month value
3     second rate factor, integral over the month
4     national home-price shock
5     California home-price shock
====  =====================================================================

So two scenarios with the same seed see the same draws (common random
numbers) even when one uses Hull-White and the other G2++, or has the
California factor off: their difference is not Monte Carlo noise.

Variance reduction (``[randomness]``):

- ``antithetic``: path ``2k + 1`` uses the negated draws of path ``2k``
  (keyed by global index, so chunking does not matter).
- ``quasi_random = "sobol"``: one scrambled Sobol sequence (scipy.stats.qmc,
  scrambling seeded from the scenario seed) of dimension ``6 * (n_months - 1)``;
  path ``i`` takes point ``i`` (``i // 2`` with antithetic pairs), mapped to
  normals by the inverse normal CDF. Without a Brownian bridge dimension
  ``6 s + c`` feeds step ``s``, column ``c``. With ``brownian_bridge`` the
  first dimensions set each column's terminal Brownian value, the next the
  midpoints, and so on (breadth-first), and the steps' normals are the
  bridge's increments: the low, best-distributed Sobol dimensions carry the
  paths' large-scale shape.

Importance sampling (``[randomness] tail_sampling``): after the steps above,
the national home-price normals (column 4) of the first ``12 * tail_years``
steps are shifted by ``-theta`` (and optionally columns 0 and 5 by their own
tilts) and each path gets its likelihood-ratio weight
(:mod:`stress.rates.tail_sampling`). With ``tail_sampling = "off"`` nothing
is shifted and every weight is exactly 1.

Realized history (``[rates] model = "history"``, ``[home_prices] source =
"history"``): the indices and home prices of the history files
(:mod:`stress.rates.history`) from ``history_from`` through ``history_to``,
flat after it, the same on every path; no normals are drawn for them.

Example
-------
>>> import numpy as np
>>> from stress.rates.curves import forward_curve
>>> from stress.rates.config import ScenarioDrivers
>>> paths = generate_paths(ScenarioDrivers(), path_ids=np.arange(4), seed=7, n_months=360,
...                        curve=forward_curve())
>>> paths.index_rates.shape
(4, 4, 360)
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtri

from stress.calendar import add_months
from stress.errors import ScenarioError
from stress.rates.config import RandomnessConfig, RateModelConfig, ScenarioDrivers
from stress.rates.curves import INDEX_NAMES, CurveSet
from stress.rates.g2pp import G2pp
from stress.rates.home_prices import simulate_home_prices
from stress.rates.hull_white import GaussianShortRate, HullWhite, ModelGrid
from stress.rates.indices import TENOR_MONTHS, IndexRules, index_rates, shock_weights
from stress.rates.tail_sampling import apply_tilt, likelihood_ratio, tilt_steps

#: Standard normals drawn per path and month (see the module docstring for the columns).
NORMALS_PER_MONTH = 6
RATE_COLUMN = 0
HPI_NATIONAL_COLUMN = 4
HPI_CALIFORNIA_COLUMN = 5

_BLOCK = 1024  # paths simulated together: the draws stay ~18 MB however large the chunk
_SOBOL_TAG = 0x736F626F6C  # "sobol": entropy word separating the scrambling seed from path streams
_SOBOL_MAX_DIM = 21201  # scipy.stats.qmc.Sobol's direction numbers


@dataclass(frozen=True)
class PathSet:
    """Rate and home-price paths for a set of global path indices.

    Attributes
    ----------
    path_ids : numpy.ndarray of int64, shape (p,)
        Global path indices, in the order requested.
    short_rate : numpy.ndarray, shape (p, m)
        The model's short rate at each month [annual, decimal, continuously compounded].
    index_rates : numpy.ndarray, shape (p, 4, m)
        Index values [annual, decimal] in :data:`stress.rates.curves.INDEX_NAMES`
        order, after basis spreads, deterministic shocks and the floor: per
        path, the same layout as ``CurveSet.rates``.
    hpi_national : numpy.ndarray, shape (p, m)
        National home-price index, 1.0 at month 0.
    hpi_california : numpy.ndarray, shape (p, m)
        California index (equal to ``hpi_national`` when the regional factor is off).
    discount : numpy.ndarray, shape (p, m)
        Path discount factor ``exp(-int_0^{t_m} r ds)`` from month 0 (unshocked model rates).
    weight : numpy.ndarray, shape (p,)
        Likelihood-ratio weight of each path's draws (importance sampling); 1.0 without it.
    """

    path_ids: np.ndarray
    short_rate: np.ndarray
    index_rates: np.ndarray
    hpi_national: np.ndarray
    hpi_california: np.ndarray
    discount: np.ndarray
    weight: np.ndarray | None = None

    def __post_init__(self):
        if self.weight is None:
            object.__setattr__(self, "weight", np.ones(self.path_ids.size))

    @property
    def n_paths(self) -> int:
        return self.path_ids.size

    @property
    def n_months(self) -> int:
        return self.short_rate.shape[1]

    def index(self, name: str) -> np.ndarray:
        """One index on every path, shape (p, m), by name (``"LIBOR_1M"`` ...)."""
        return self.index_rates[:, INDEX_NAMES.index(name)]

    def curve_set(self, k: int, dates: np.ndarray, *, name: str = "path") -> CurveSet:
        """Row ``k`` as a :class:`CurveSet` (for the deterministic engine)."""
        return CurveSet(np.asarray(dates)[: self.n_months], self.index_rates[k].copy(),
                        name=f"{name} {int(self.path_ids[k])}", discount=self.discount[k].copy())


# -- models and the curve grid ------------------------------------------------

def build_model(rates: RateModelConfig) -> GaussianShortRate:
    """The short-rate model named by the ``[rates]`` table (``"history"`` has none: realized paths)."""
    if rates.model == "history":
        raise ScenarioError('rates.model = "history": realized paths come from the history file, not a model')
    if rates.model == "hull_white":
        return HullWhite(rates.mean_reversion, rates.volatility)
    if rates.model == "g2pp":
        g = rates.g2pp
        return G2pp(a=g.a, sigma=g.sigma, b=g.b, eta=g.eta, rho=g.rho)
    # deterministic: the curve itself, i.e. Hull-White at zero volatility
    return HullWhite(rates.mean_reversion, 0.0)


def _grid_dates(curve: CurveSet, n: int) -> np.ndarray:
    start = curve.dates[0].astype("datetime64[D]").astype(dt.date)
    return np.array([add_months(start, m) for m in range(n)], dtype="datetime64[D]")


def model_grid(curve: CurveSet, n_months: int) -> tuple[ModelGrid, np.ndarray]:
    """The curve as the models see it, and the tenors' day counts.

    Forward bond prices come from the curve's own 1M, 6M and 12M LIBOR
    (``1 / (1 + L days / 360)``) and ``P(0, t)`` from chaining the 1M ones, so
    every :class:`CurveSet` works (forward, static, shocked, from CSV) and at
    zero volatility the paths reproduce its indices exactly. For the built-in
    forward curve the chained discount factors equal ``curve.discount``.

    Returns
    -------
    grid : ModelGrid
    days : numpy.ndarray of float, shape (3, n_months)
        Actual days from each grid date to 1, 6 and 12 months later.
    """
    if not 2 <= n_months <= curve.n_months:
        raise ScenarioError(f"n_months = {n_months}: must be in [2, {curve.n_months}] (the curve's length)")
    dates = _grid_dates(curve, n_months + max(TENOR_MONTHS) + 1)
    days = np.stack([(dates[k:k + n_months] - dates[:n_months]).astype(np.int64) for k in TENOR_MONTHS])
    days = days.astype(float)
    log_forward_bond = -np.log1p(curve.rates[:3, :n_months] * days / 360.0)
    times = (dates[:n_months + 1] - dates[0]).astype(np.int64) / 365.25
    log_discount = np.concatenate([[0.0], np.cumsum(log_forward_bond[0])])
    grid = ModelGrid(times=times, log_discount=log_discount, tenors=days / 365.25,
                     log_forward_bond=log_forward_bond)
    return grid, days


def curve_cmt_basis(curve: CurveSet, n_months: int | None = None) -> np.ndarray:
    """The curve's CMT minus its 12-month LIBOR restated bond-equivalent, per month [decimal].

    Constant for the built-in forward curve (its ``cmt_basis``); for other
    curves (static, CSV) whatever makes the zero-volatility paths reproduce
    the curve's ``cmt_1y``.
    """
    n = curve.n_months if n_months is None else n_months
    dates = _grid_dates(curve, n + 12)
    days = (dates[12:] - dates[:n]).astype(np.int64).astype(float)
    bey = 2.0 * ((1.0 + curve.rates[2, :n] * days / 360.0) ** (365.0 / days / 2.0) - 1.0)
    return curve.rates[3, :n] - bey


def index_rules(rates: RateModelConfig, curve: CurveSet, n_months: int) -> IndexRules:
    """Spreads, shocks and floor of the ``[rates]`` table as kernel inputs."""
    b = rates.basis_spreads
    spreads = np.empty((len(INDEX_NAMES), n_months))
    spreads[:3] = np.array([b.libor_1m, b.libor_6m, b.libor_12m])[:, None]
    spreads[3] = curve_cmt_basis(curve, n_months) if b.cmt_1y is None else b.cmt_1y
    shock = shock_weights(n_months, rates.shock_bp, from_month=rates.shock_from_month,
                          ramp_months=rates.shock_ramp_months)
    set_from = -1 if rates.all_indices_to is None else rates.all_indices_from_month
    return IndexRules(spreads=spreads, shock=shock, set_level=rates.all_indices_to or 0.0,
                      set_from=set_from, floor=rates.floor_at_zero)


# -- draws --------------------------------------------------------------------

def path_generator(seed: int, path_id: int) -> np.random.Generator:
    """The random stream of one global path index."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(int(path_id),))))


def draw_normals(path_ids: np.ndarray, *, seed: int, n_steps: int,
                 randomness: RandomnessConfig = RandomnessConfig()) -> np.ndarray:
    """All standard normals of the given paths, shape (p, n_steps, :data:`NORMALS_PER_MONTH`).

    Row ``r`` depends only on ``(seed, path_ids[r], n_steps, randomness)``.
    With a tail-sampling tilt the national home-price column of the first
    tilted steps is shifted (and no longer standard: see
    :mod:`stress.rates.tail_sampling`).
    """
    path_ids = np.asarray(path_ids, dtype=np.int64)
    out = np.empty((path_ids.size, n_steps, NORMALS_PER_MONTH))
    if path_ids.size == 0:
        return out
    antithetic = randomness.antithetic
    source = path_ids // 2 if antithetic else path_ids
    negate = (path_ids % 2 == 1) if antithetic else np.zeros(path_ids.size, bool)
    if randomness.quasi_random == "sobol":
        out[:] = _sobol_normals(source, seed=seed, n_steps=n_steps, bridge=randomness.brownian_bridge)
    else:
        # with antithetic pairs, the even path's stream feeds both members of the pair
        streams = 2 * source if antithetic else source
        last_stream, last_row = -1, -1
        for row, stream in enumerate(streams):
            if stream == last_stream:
                out[row] = out[last_row]
            else:
                path_generator(seed, stream).standard_normal(out=out[row])
                last_stream, last_row = stream, row
    out[negate] *= -1.0
    apply_tilt(out, tilt_shifts(randomness), tilt_steps(randomness.tail_years, n_steps))
    return out


def tilt_shifts(randomness: RandomnessConfig) -> dict[int, float]:
    """The tail-sampling mean shifts by normals column (rate factor, national, California)."""
    rate, national, california = randomness.tilts
    return {RATE_COLUMN: rate, HPI_NATIONAL_COLUMN: national, HPI_CALIFORNIA_COLUMN: california}


_sobol_lock = threading.Lock()


@lru_cache(maxsize=4)
def _sobol_engine(seed: int, dim: int):
    from scipy.stats import qmc

    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), _SOBOL_TAG])))
    try:
        return qmc.Sobol(d=dim, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15
        return qmc.Sobol(d=dim, scramble=True, seed=rng)


def _sobol_normals(points: np.ndarray, *, seed: int, n_steps: int, bridge: bool) -> np.ndarray:
    """Normals from scrambled Sobol points ``points`` (any order, repeats allowed)."""
    dim = n_steps * NORMALS_PER_MONTH
    if dim > _SOBOL_MAX_DIM:
        raise ScenarioError(f"randomness.quasi_random = 'sobol': {n_steps + 1} months need {dim} Sobol "
                            f"dimensions; at most {_SOBOL_MAX_DIM} (<= {_SOBOL_MAX_DIM // 6 + 1} months)")
    unique, inverse = np.unique(points, return_inverse=True)
    uniforms = np.empty((unique.size, dim))
    runs = np.split(np.arange(unique.size), np.flatnonzero(np.diff(unique) != 1) + 1)
    with _sobol_lock:
        engine = _sobol_engine(int(seed), dim)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "balance properties ... power of 2"
            for run in runs:
                engine.reset()
                if unique[run[0]] > 0:  # scipy rejects fast_forward(0)
                    engine.fast_forward(int(unique[run[0]]))
                uniforms[run] = engine.random(run.size)
        bits = getattr(engine, "bits", 30)
    # points are multiples of 2^-bits (0 possible): use the cell midpoints so ndtri stays finite
    uniforms += 0.5 ** (bits + 1)
    z = ndtri(uniforms).reshape(unique.size, n_steps, NORMALS_PER_MONTH)
    if bridge:
        z = _brownian_bridge_increments(z)
    return z[inverse]


@lru_cache(maxsize=8)
def _bridge_plan(n: int) -> tuple[np.ndarray, ...]:
    """Breadth-first Brownian-bridge construction on times 0..n (unit steps).

    Step ``k`` sets ``W[target] = wl W[left] + wr W[right] + sd z_k``; step 0
    sets ``W[n] = sqrt(n) z_0`` (left = right = 0).
    """
    target, left, right, wl, wr, sd = [n], [0], [0], [0.0], [0.0], [np.sqrt(n)]
    queue = [(0, n)]
    while queue:
        nxt = []
        for lo, hi in queue:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            target.append(mid)
            left.append(lo)
            right.append(hi)
            wl.append((hi - mid) / (hi - lo))
            wr.append((mid - lo) / (hi - lo))
            sd.append(np.sqrt((mid - lo) * (hi - mid) / (hi - lo)))
            nxt += [(lo, mid), (mid, hi)]
        queue = nxt
    return tuple(np.asarray(a) for a in (target, left, right, wl, wr, sd))


def _brownian_bridge_increments(z: np.ndarray) -> np.ndarray:
    """Map normals in bridge order (p, n, c) to the Brownian increments (p, n, c) they construct."""
    p, n, c = z.shape
    target, left, right, wl, wr, sd = _bridge_plan(n)
    w = np.zeros((p, n + 1, c))
    for k in range(n):
        w[:, target[k]] = wl[k] * w[:, left[k]] + wr[k] * w[:, right[k]] + sd[k] * z[:, k]
    return np.diff(w, axis=1)


# -- the interface ------------------------------------------------------------

def generate_paths(config: ScenarioDrivers, *, path_ids: np.ndarray, seed: int, n_months: int,
                   curve: CurveSet) -> PathSet:
    """Rate and home-price paths for the given global path indices.

    Parameters
    ----------
    config : ScenarioDrivers
        The scenario's ``[rates]``, ``[home_prices]`` and ``[randomness]`` settings.
    path_ids : numpy.ndarray of int
        Global path indices (>= 0); each path's result depends only on its
        index, the seed and the settings, never on the other indices requested.
    seed : int
        Scenario seed (>= 0). The same seed gives the same draws to every scenario.
    n_months : int
        Months on the grid (month 0 = the curve date); at most the curve's length.
    curve : CurveSet
        The input curve the model is fitted to (before the scenario's shocks,
        which :func:`generate_paths` applies to the indices itself).

    Returns
    -------
    PathSet
    """
    path_ids = np.asarray(path_ids)
    if path_ids.ndim != 1 or not np.issubdtype(path_ids.dtype, np.integer) or (path_ids < 0).any():
        raise ScenarioError("path_ids: must be a 1-D array of non-negative integers")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"seed = {seed!r}: must be an integer >= 0")
    path_ids = path_ids.astype(np.int64)
    grid, days = model_grid(curve, n_months)
    p, m = path_ids.size, n_months
    rates_history = config.rates.model == "history"
    hpi_history = config.home_prices.source == "history"
    randomness = config.randomness
    if config.deterministic and randomness.tail_sampling != "off":
        raise ScenarioError("randomness.tail_sampling: the scenario's rates and home prices are both realized "
                            "history (no draws); tail sampling does not apply: set it to 'off'")
    shifts = tilt_shifts(randomness)
    n_tilt = tilt_steps(randomness.tail_years, m - 1)
    if rates_history:
        realized = _history_paths(config.rates, grid, days, m)
    else:
        model = build_model(config.rates)
        rules = index_rules(config.rates, curve, n_months)
        convexity, loadings = model.bond_coefficients(grid)

    short_rate = np.empty((p, m))
    rates = np.empty((p, len(INDEX_NAMES), m))
    national = np.empty((p, m))
    california = np.empty((p, m))
    discount = np.empty((p, m))
    weight = np.ones(p)
    if hpi_history:
        national[:], california[:] = _history_hpi(config.home_prices, m)
    for start in range(0, p, _BLOCK):
        block = slice(start, min(start + _BLOCK, p))
        if config.deterministic:
            normals = None
        else:
            normals = draw_normals(path_ids[block], seed=int(seed), n_steps=m - 1, randomness=randomness)
            weight[block] = likelihood_ratio(normals, shifts, n_tilt)
        if rates_history:
            short_rate[block], discount[block], rates[block] = realized
        else:
            state = model.simulate(normals, grid)
            short_rate[block] = state.short_rate
            discount[block] = state.discount
            rates[block] = index_rates(state.factors, grid.log_forward_bond, convexity, loadings, days, rules)
        if not hpi_history:
            national[block], california[block] = simulate_home_prices(
                normals, config.home_prices, rate_column=RATE_COLUMN, national_column=HPI_NATIONAL_COLUMN,
                california_column=HPI_CALIFORNIA_COLUMN)
    return PathSet(path_ids=path_ids, short_rate=short_rate, index_rates=rates, hpi_national=national,
                   hpi_california=california, discount=discount, weight=weight)


# -- realized history ---------------------------------------------------------

def _history_paths(rates: RateModelConfig, grid: ModelGrid, days: np.ndarray, n_months: int):
    """Short rate, discount factor and indices of the realized path, each shape (m,) or (4, m).

    The indices are the history file's monthly averages from ``history_from``,
    flat after ``history_to``; then the ``[rates]`` basis spreads (CMT: the
    ``basis_spreads.cmt_1y`` value, 0 when unset: the realized CMT needs no
    basis), shocks and floor, as for the model paths. The short rate is the
    realized 1M LIBOR continuously compounded over the month's actual days,
    and the discount factor chains it (unshocked, like the model's).
    """
    from stress.rates.history import RATE_COLUMNS, load_history

    history = load_history("rates", rates.history_file or None)
    raw = np.stack([history.window(c, rates.history_from, rates.history_to, n_months) for c in RATE_COLUMNS])
    b = rates.basis_spreads
    spreads = np.array([b.libor_1m, b.libor_6m, b.libor_12m, b.cmt_1y or 0.0])[:, None]
    shock = shock_weights(n_months, rates.shock_bp, from_month=rates.shock_from_month,
                          ramp_months=rates.shock_ramp_months)
    out = raw + spreads + shock[None, :]
    if rates.all_indices_to is not None:
        out[:, rates.all_indices_from_month:] = rates.all_indices_to
    if rates.floor_at_zero:
        out = np.maximum(out, 0.0)
    dt = np.diff(grid.times)[:n_months]
    short = np.log1p(raw[0] * days[0] / 360.0) / dt
    discount = np.exp(-np.concatenate([[0.0], np.cumsum(short[:-1] * dt[:-1])]))
    return short, discount, out


def _history_hpi(home_prices, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """Realized national and California indices, 1.0 at ``history_from``, flat after ``history_to``."""
    from stress.rates.history import load_history

    history = load_history("hpi", home_prices.history_file or None)
    start, end = home_prices.history_from, home_prices.history_to
    national = history.window("national", start, end, n_months)
    california = history.window("california", start, end, n_months)
    return national / national[0], california / california[0]
