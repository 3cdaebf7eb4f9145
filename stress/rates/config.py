"""Scenario-file settings of the Monte Carlo scenario generator, validated on load.

A scenario file's ``[rates]``, ``[home_prices]`` and ``[randomness]`` tables
become one :class:`ScenarioDrivers`::

    [rates]
    model = "hull_white"          # "hull_white" | "g2pp" | "deterministic" | "history"
    curve = "forward"             # "forward" | "static" | a .toml quotes or .csv curve file
    mean_reversion = 0.10         # Hull-White a [1/year]
    volatility = 0.0145           # Hull-White sigma [absolute normal vol, decimal/year]
    history_from = "2004-01"      # model = "history": realized month of grid month 0
    history_to = "2014-12"        #   last realized month; flat after it
    floor_at_zero = true
    shock_bp = 0.0                # deterministic parallel shock on top of every path

    [rates.basis_spreads]         # added to the model's index values [decimal]
    libor_1m = 0.0

    [rates.g2pp]                  # only read when model = "g2pp"
    a = 0.5
    b = 0.03

    [home_prices]
    drift = 0.03
    volatility = 0.05

    [home_prices.california]
    enabled = true

    [randomness]
    antithetic = true
    tail_sampling = "off"         # "off" | "auto" | a tilt theta >= 0 (importance sampling)
    tail_years = 6.0              # months of the tilt: the first 12 * tail_years

Every key has a default, so an empty table (or none) is valid. Errors name the
file, the key, the value and what is allowed::

    scenario file base.toml: rates.volatility = 0.5: must be <= 0.05

Default parameters and where they come from
-------------------------------------------
Hull-White (``mean_reversion`` 0.10/yr, ``volatility`` 0.0145/yr)
    Calibrated to the *realized* (physical) behaviour of the indices, because
    the Monte Carlo is a physical-measure loss distribution: the drift comes
    from the input forward curve, the dispersion around it from history.
    Realized standard deviations of h-month changes of monthly averages,
    1M LIBOR 1986-01 .. 2021-09 and 1Y CMT 1986-01 .. 2023-11
    (``stress/data/history/rates_monthly.csv``) [bp]::

        h [months]       1      3     12     24     60
        1M LIBOR      26.0   50.2  136.9  220.3  253.3
        1Y CMT        22.1   50.9  140.6  218.8  228.0

    The model's standard deviation of the 1M rate h months after the curve
    date is ``sigma sqrt((1 - exp(-2 a h)) / (2 a))`` (times ``B(1m)/1m``);
    fitting it to the 12- and 60-month figures gives a = 0.106, sigma =
    0.01448, rounded to 0.10 and 0.0145: 41 / 71 / 138 / 185 / 257 bp for the
    1M LIBOR horizons above (131 / 245 for 12 / 60 months of the CMT). A
    one-factor Gaussian model cannot show the momentum of policy cycles
    (realized vol per sqrt(year) rises from 90 bp at one month to 156 bp at
    two years): it overstates one-month changes (41 vs 26 bp), which a
    monthly-reset deal does not feel, and understates 24-month ones by 16%.
    Realized vs implied: the January 2004 swaption market's normal vols were
    about 80-100 bp/yr for short expiries; the old default (0.03, 0.008)
    matched that (79 bp for 12-month changes) and gave 58% of the realized
    12-month dispersion. The forward curve does not narrow the dispersion:
    the 6-month LIBOR's 6-month-ahead forward missed by 80 bp (std) against a
    raw 6-month change of 83 bp, so the realized change std is the right
    target for dispersion around the forward. The implied (risk-neutral) vol
    matters for pricing, not for a loss distribution; with these defaults the
    paths are *not* swaption-calibrated (do not use them for option-adjusted
    spreads). Instantaneous normal vol of the 1-year / 10-year zero rate:
    138 / 92 bp a year. ``tests/test_rates_history.py`` checks the
    simulated 12- and 60-month statistics against the shipped data.
G2++ (a 0.5, sigma 0.021, b 0.03, eta 0.014, rho -0.6)
    The usual G2++ shape (Brigo & Mercurio, *Interest Rate Models*, ch. 4):
    a fast factor (half-life ~1.4 years) and a slow one, negatively
    correlated, so short and long rates do not move in lockstep. The
    volatilities (0.012 and 0.008 before) are scaled by 1.75 so that the 1M
    rate's 12-month change has the realized 137 bp standard deviation (47 /
    78 / 138 / 176 / 257 bp at 1 / 3 / 12 / 24 / 60 months; 1-year / 10-year
    zero-rate vol 138 / 102 bp a year, 1y-10y correlation below one). A free fit of all
    five parameters to both series ran to rho = -0.99 with offsetting 4%
    vols, which we do not trust.
CMT basis (``basis_spreads.cmt_1y`` unset)
    The input curve's own LIBOR-CMT basis: its cmt_1y minus its 12-month LIBOR
    restated bond-equivalent, month by month (for the built-in curve a
    constant: the quoted 1Y CMT minus the bond-equivalent 12-month LIBOR,
    about -24 bp). So the zero-volatility case reproduces the curve's
    ``cmt_1y`` for any input curve.
Home prices (``[home_prices]``, national, and ``[home_prices.california]``)
    Estimated, not assumed: conditional Gaussian maximum likelihood
    (:mod:`stress.rates.hpi_estimation`, ``stress calibrate hpi``) on
    ``stress/data/history/hpi_monthly.csv``: S&P CoreLogic Case-Shiller
    national and Los Angeles / San Diego / San Francisco indices (California =
    their equal-weight geometric mean), not seasonally adjusted with monthly
    seasonal dummies, 1987-01 to 2024-07 (438 months per region after
    conditioning on 13), both regions jointly. Estimates (SE):

    ==================  ==================  ==================
    parameter           national            California
    ==================  ==================  ==================
    drift [/yr]         0.0402 (0.0031)     0.0494 (0.0046)
    monthly_ar          0.555 (0.050)       0.487 (0.081)
    momentum            0.367 (0.061)       0.400 (0.086)
    error_correction    0.0056 (0.0015)     0.0082 (0.0022)
    moving_average      0.595 (0.051),      0.523 (0.080),
                        0.438 (0.046)       0.410 (0.070)
    volatility          0.00637 (0.00022)   0.01479 (0.00050)
    correlation                             0.524 (0.037)
    ==================  ==================  ==================

    Log-likelihood 3975.9 (39 parameters, AIC -7873.8) against 3892.3 (29
    parameters, AIC -7726.7) for the AR(1) on monthly growth estimated on the
    same months. The initial state is the data's at January 2004 (the deal's
    cut-off): trailing 12-month growth 9.7% national and 16.0% California, the
    deseasonalized level 14.5% (national) and 26.4% (California) above its
    estimated trend, and the last two months' innovations.
Rate correlation (0)
    The estimation does not include rates; no correlation is imposed.

These are approximate, documented starting points; a production scenario
should state its own calibration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from stress.config_files import describe_validation_error
from stress.errors import ScenarioError


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasisSpreads(_Settings):
    """Spreads added to each index the model produces [decimal, annual].

    ``cmt_1y = None`` (the default) means the input curve's own LIBOR-CMT
    basis at each month (cmt_1y minus the bond-equivalent 12-month LIBOR).
    """

    libor_1m: float = Field(0.0, ge=-0.05, le=0.05)
    libor_6m: float = Field(0.0, ge=-0.05, le=0.05)
    libor_12m: float = Field(0.0, ge=-0.05, le=0.05)
    cmt_1y: float | None = Field(None, ge=-0.05, le=0.05)


class G2ppParameters(_Settings):
    """G2++: r = x + y + phi(t), dx = -a x dt + sigma dW1, dy = -b y dt + eta dW2, dW1 dW2 = rho dt.

    Units: a, b [1/year]; sigma, eta [absolute normal vol, decimal/year].
    """

    a: float = Field(0.5, ge=0.001, le=5.0)
    sigma: float = Field(0.021, ge=0.0, le=0.05)
    b: float = Field(0.03, ge=0.001, le=5.0)
    eta: float = Field(0.014, ge=0.0, le=0.05)
    rho: float = Field(-0.6, ge=-0.99, le=0.99)


class RateModelConfig(_Settings):
    """The ``[rates]`` table: short-rate model, curve, index spreads, floor and shocks."""

    model: Literal["hull_white", "g2pp", "deterministic", "history"] = "hull_white"
    curve: str = "forward"
    mean_reversion: float = Field(0.10, ge=0.001, le=5.0)
    volatility: float = Field(0.0145, ge=0.0, le=0.05)
    history_from: str = Field("2004-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    history_to: str = Field("2014-12", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    history_file: str = ""
    g2pp: G2ppParameters = G2ppParameters()
    basis_spreads: BasisSpreads = BasisSpreads()
    floor_at_zero: bool = True
    shock_bp: float = Field(0.0, ge=-2000.0, le=2000.0)
    shock_from_month: int = Field(0, ge=0, le=480)
    shock_ramp_months: int = Field(0, ge=0, le=480)
    all_indices_to: float | None = Field(None, ge=0.0, le=0.5)
    all_indices_from_month: int = Field(0, ge=0, le=480)

    @field_validator("curve")
    @classmethod
    def _curve_spec(cls, value: str) -> str:
        if value in ("forward", "static") or value.endswith((".toml", ".csv")):
            return value
        raise ValueError('must be "forward", "static", a .toml quotes file or a .csv curve file')

    def load_curve(self, n_months: int = 420, *, relative_to: str | Path | None = None):
        """The :class:`~stress.rates.curves.CurveSet` named by ``curve``.

        A relative file path is resolved against ``relative_to`` (the scenario
        file's folder) when given.
        """
        from stress.rates.curves import load_curve

        spec = self.curve
        if relative_to is not None and spec.endswith((".toml", ".csv")) and not Path(spec).is_absolute():
            spec = str(Path(relative_to) / spec)
        return load_curve(spec, n_months=n_months)


def _twelve_growths(value):
    """``initial_growth``: one number (all 12 months) or 12 numbers, oldest first."""
    if value is None:
        return None
    values = [float(value)] * 12 if isinstance(value, (int, float)) else [float(v) for v in value]
    if len(values) != 12:
        raise ValueError(f"must be one number or 12 numbers (oldest month first), got {len(values)}")
    if any(not -1.0 <= v <= 1.0 for v in values):
        raise ValueError("each month's annualized growth must be in [-1, 1]")
    return tuple(values)


class RegionHpi(_Settings):
    """One region's home-price process (see :class:`HomePriceConfig` for the equations).

    Units: ``drift`` [log growth per year]; ``volatility`` [innovation standard
    deviation per sqrt(year) = monthly sigma x sqrt(12)]; ``error_correction``
    [per month]; ``initial_growth`` [annualized monthly log growth, decimal per
    year]; ``initial_gap`` [log, decimal]; ``initial_innovations`` [monthly log
    growth, decimal].
    """

    drift: float = Field(0.04018, ge=-0.5, le=0.5)
    volatility: float = Field(0.00637, ge=0.0, le=0.5)
    monthly_ar: float = Field(0.5549, ge=-0.99, le=0.99)
    momentum: float = Field(0.3672, ge=-1.0, le=1.0)
    error_correction: float = Field(0.00559, ge=0.0, le=0.5)
    moving_average: tuple[float, float] = (0.5946, 0.4383)
    initial_growth: tuple[float, ...] | None = (0.0831, 0.0494, 0.0417, 0.0550, 0.0710, 0.1045,
                                                 0.1246, 0.1328, 0.1237, 0.1189, 0.1272, 0.1366)
    initial_gap: float = Field(0.1450, ge=-1.0, le=1.0)
    initial_innovations: tuple[float, float] = (0.00187, 0.00154)

    @field_validator("initial_growth", mode="before")
    @classmethod
    def _growths(cls, value):
        return _twelve_growths(value)

    @field_validator("moving_average")
    @classmethod
    def _ma(cls, value):
        if any(not -0.99 <= v <= 0.99 for v in value):
            raise ValueError("each coefficient must be in [-0.99, 0.99]")
        return value

    @field_validator("initial_innovations")
    @classmethod
    def _innovations(cls, value):
        if any(not -0.1 <= v <= 0.1 for v in value):
            raise ValueError("each innovation must be in [-0.1, 0.1] (monthly log growth)")
        return value

    def growth_history(self) -> tuple[float, ...]:
        """The 12 initial months' annualized growth (``drift`` each when ``initial_growth`` is None)."""
        return (self.drift,) * 12 if self.initial_growth is None else self.initial_growth


class CaliforniaConfig(RegionHpi):
    """Regional home-price process for California (63% of the reference pool).

    Its own momentum-error-correction process (defaults: the California
    estimates and its January 2004 state), with innovations correlated
    ``correlation`` with the national ones.
    """

    enabled: bool = False
    drift: float = Field(0.04939, ge=-0.5, le=0.5)
    volatility: float = Field(0.01479, ge=0.0, le=0.5)
    monthly_ar: float = Field(0.4865, ge=-0.99, le=0.99)
    momentum: float = Field(0.4000, ge=-1.0, le=1.0)
    error_correction: float = Field(0.00816, ge=0.0, le=0.5)
    moving_average: tuple[float, float] = (0.5232, 0.4096)
    initial_growth: tuple[float, ...] | None = (0.0688, 0.0558, 0.0872, 0.0721, 0.1071, 0.1619,
                                                 0.2118, 0.2452, 0.2462, 0.2328, 0.2270, 0.2053)
    initial_gap: float = Field(0.2640, ge=-1.0, le=1.0)
    initial_innovations: tuple[float, float] = (0.00343, 0.00159)
    correlation: float = Field(0.5242, ge=-1.0, le=1.0)


class HomePriceConfig(RegionHpi):
    """The ``[home_prices]`` table: a momentum / error-correction model of monthly home-price growth.

    Deseasonalized monthly log growth ``u``, trailing 12-month growth ``a``
    and log gap ``x`` of the level to its trend (growing at ``mu``)::

        u[t] = mu + phi (u[t-1] - mu) + beta (a[t-1] / 12 - mu) - kappa x[t-1]
               + e[t] + theta1 e[t-1] + theta2 e[t-2],          e[t] = sigma eps[t]
        a[t] = u[t] + ... + u[t-11],   x[t] = x[t-1] + u[t] - mu,   log HPI[t] = log HPI[t-1] + u[t]

    with ``mu = drift / 12``, ``sigma = volatility / sqrt(12)``, ``phi =
    monthly_ar``, ``beta = momentum``, ``kappa = error_correction``,
    ``(theta1, theta2) = moving_average`` and month 0's state (the 12 last
    months' growth, the gap, the last two innovations) from ``initial_*``.
    ``volatility = 0`` gives the deterministic conditional-mean path.

    Attributes
    ----------
    source : {"model", "history"}
        ``"history"``: the realized national and California indices of
        ``history_file`` (default: the shipped Case-Shiller file) from month
        ``history_from`` through ``history_to``, flat after it; every model
        key below is then ignored.
    drift, volatility, monthly_ar, momentum, error_correction, moving_average,
    initial_growth, initial_gap, initial_innovations
        The national process (units on :class:`RegionHpi`).
    california : CaliforniaConfig
        Optional regional process; its innovations have correlation
        ``california.correlation`` with the national ones.
    rate_correlation : float
        Correlation between the national HPI innovation and the first rate
        factor's innovation (positive = home prices rise when rates rise).
    """

    source: Literal["model", "history"] = "model"
    history_from: str = Field("2004-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    history_to: str = Field("2014-12", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    history_file: str = ""
    california: CaliforniaConfig = CaliforniaConfig()
    rate_correlation: float = Field(0.0, ge=-1.0, le=1.0)


class RandomnessConfig(_Settings):
    """The ``[randomness]`` table: variance reduction options and loan-level draws.

    ``collateral_draws``: ``"expected"`` (default) or ``"loan"`` (loan-level
    draws, :mod:`stress.kernels.counter_rng`).

    ``tail_sampling`` (importance sampling, :mod:`stress.rates.tail_sampling`):
    ``"off"`` (plain Monte Carlo), ``"auto"`` (a tilt chosen by the
    cross-entropy method on a pilot run of ``tail_pilot_paths`` paths) or a
    number ``theta`` >= 0: the national home-price normals of the first
    ``12 * tail_years`` months are drawn with mean ``-theta`` and each path
    carries its likelihood-ratio weight. ``tail_rate_tilt`` and
    ``tail_california_tilt`` shift the first rate factor's and the
    California normals the same way (used with a number; ``auto`` sets all
    three).
    """

    antithetic: bool = False
    quasi_random: Literal["none", "sobol"] = "none"
    brownian_bridge: bool = False
    tail_sampling: Literal["off", "auto"] | float = "off"
    tail_years: float = Field(6.0, gt=0.0, le=40.0)
    tail_rate_tilt: float = Field(0.0, ge=-3.0, le=3.0)
    tail_california_tilt: float = Field(0.0, ge=0.0, le=3.0)
    tail_pilot_paths: int = Field(200, ge=20, le=100_000)
    #: How the collateral kernel applies each loan's monthly hazards: "expected" (every loan is kept as a
    #: fraction that defaults and prepays at its MDR / SMM each month) or "loan" (loan-level draws: each loan
    #: defaults, prepays in full or stays by one Philox uniform of (seed, path, loan, month):
    #: stress.kernels.counter_rng). The draws add the pool's idiosyncratic risk to every metric.
    collateral_draws: Literal["expected", "loan"] = "expected"

    @field_validator("tail_sampling")
    @classmethod
    def _tilt_range(cls, value):
        if isinstance(value, str):
            return value
        if not 0.0 <= value <= 3.0:
            raise ValueError('must be "off", "auto" or a tilt in [0, 3]')
        return float(value)

    @property
    def tilt(self) -> float:
        """The numeric tilt theta (0 when off); ``"auto"`` must be resolved first."""
        if self.tail_sampling == "auto":
            raise ScenarioError('randomness.tail_sampling = "auto": resolve it to a number first '
                                "(stress.rates.tail_sampling.choose_tilt; the engine does this)")
        return 0.0 if self.tail_sampling == "off" else float(self.tail_sampling)

    @property
    def tilts(self) -> tuple[float, float, float]:
        """The (rate, national, California) tilts; all zero when tail sampling is off."""
        if self.tail_sampling == "off":
            return (0.0, 0.0, 0.0)
        return (self.tail_rate_tilt, self.tilt, self.tail_california_tilt)

    @field_validator("brownian_bridge")
    @classmethod
    def _bridge_needs_sobol(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("quasi_random") != "sobol":
            raise ValueError('allowed only with quasi_random = "sobol"')
        return value


class ScenarioDrivers(_Settings):
    """Everything that drives the rate and home-price paths of one scenario."""

    rates: RateModelConfig = RateModelConfig()
    home_prices: HomePriceConfig = HomePriceConfig()
    randomness: RandomnessConfig = RandomnessConfig()

    @property
    def deterministic(self) -> bool:
        """True when no path draws anything: realized rates and realized home prices."""
        return self.rates.model == "history" and self.home_prices.source == "history"

    @classmethod
    def from_toml_tables(cls, tables: dict[str, Any], *, source: str | Path = "<scenario>") -> "ScenarioDrivers":
        """Validate a parsed scenario file's ``[rates]``, ``[home_prices]`` and ``[randomness]`` tables.

        Other top-level tables are ignored (they belong to other parts of the
        scenario). Raises :class:`~stress.errors.ScenarioError` naming the file,
        each bad key, its value and what is allowed.
        """
        data = {k: tables[k] for k in ("rates", "home_prices", "randomness") if k in tables}
        try:
            return cls(**data)
        except ValidationError as exc:
            raise ScenarioError(describe_validation_error(exc, data, kind="scenario", name=Path(str(source)).name,
                                                          model=cls)) from None
