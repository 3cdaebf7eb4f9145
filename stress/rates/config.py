"""Scenario-file settings of the Monte Carlo scenario generator, validated on load.

A scenario file's ``[rates]``, ``[home_prices]`` and ``[randomness]`` tables
become one :class:`ScenarioDrivers`::

    [rates]
    model = "hull_white"          # "hull_white" | "g2pp" | "deterministic"
    curve = "forward"             # "forward" | "static" | a .toml quotes or .csv curve file
    mean_reversion = 0.03         # Hull-White a [1/year]
    volatility = 0.008            # Hull-White sigma [absolute normal vol, decimal/year]
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

Every key has a default, so an empty table (or none) is valid. Errors name the
file, the key, the value and what is allowed::

    scenario file base.toml: rates.volatility = 0.5: must be <= 0.05

Default parameters and where they come from
-------------------------------------------
Hull-White (``mean_reversion`` 0.03/yr, ``volatility`` 0.008/yr)
    The January 2004 USD swaption market quoted normal ("basis-point")
    volatilities of roughly 80-100 bp a year for short expiries, a little less
    for long tails. With a = 0.03 the normal vol of a zero rate of maturity T
    is sigma * B(T) / T: about 79 bp/yr for the 1-year rate and 69 bp/yr for the
    10-year rate, the low end of that range, with the slowly decaying vol term
    structure typical of one-factor calibrations of that era. Raise
    ``volatility`` to 0.010 for the upper end.
G2++ (a 0.5, sigma 0.012, b 0.03, eta 0.008, rho -0.6)
    A fast factor (half-life ~1.4 years) and a slow one, negatively
    correlated, the usual shape of G2++ fits (Brigo & Mercurio, *Interest Rate
    Models*, ch. 4). These give about 79 bp/yr normal vol for the 1-year rate
    (as the Hull-White default), 58 bp/yr for the 10-year rate and a 1y-10y
    rate correlation of about 0.6, so short and long rates do not move in
    lockstep.
CMT basis (``basis_spreads.cmt_1y`` unset)
    The input curve's own LIBOR-CMT basis: its cmt_1y minus its 12-month LIBOR
    restated bond-equivalent, month by month (for the built-in curve a
    constant: the quoted 1Y CMT minus the bond-equivalent 12-month LIBOR,
    about -24 bp). So the zero-volatility case reproduces the curve's
    ``cmt_1y`` for any input curve.
Home prices (drift 3%/yr, volatility 5%/yr, monthly autocorrelation 0.85)
    Long-run US house-price growth is close to inflation plus a small real
    gain (OFHEO's 1975-2003 national index averaged ~5.5%/yr nominal in a
    higher-inflation era); 3% is a neutral base, not the 2004 boom. The
    national index's annual changes had a standard deviation of about 3-5%;
    5% errs on the stressful side. Monthly repeat-sales indices show strongly
    autocorrelated growth (momentum and smoothing, ~0.8-0.9).
California (volatility 10%/yr, correlation 0.7 with national)
    California's OFHEO index swung about twice as much as the nation's
    (1990s bust: -15% over five years while the nation rose), with a
    correlation to the national innovations well below one.

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
    sigma: float = Field(0.012, ge=0.0, le=0.05)
    b: float = Field(0.03, ge=0.001, le=5.0)
    eta: float = Field(0.008, ge=0.0, le=0.05)
    rho: float = Field(-0.6, ge=-0.99, le=0.99)


class RateModelConfig(_Settings):
    """The ``[rates]`` table: short-rate model, curve, index spreads, floor and shocks."""

    model: Literal["hull_white", "g2pp", "deterministic"] = "hull_white"
    curve: str = "forward"
    mean_reversion: float = Field(0.03, ge=0.001, le=5.0)
    volatility: float = Field(0.008, ge=0.0, le=0.05)
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


class CaliforniaConfig(_Settings):
    """Regional home-price factor for California (63% of the reference pool)."""

    enabled: bool = False
    drift: float | None = Field(None, ge=-0.5, le=0.5)
    volatility: float = Field(0.10, ge=0.0, le=0.5)
    correlation: float = Field(0.7, ge=-1.0, le=1.0)


class HomePriceConfig(_Settings):
    """The ``[home_prices]`` table: monthly AR(1) log-growth of a home-price index.

    ``g[t] = mu + phi (g[t-1] - mu) + s eps[t]``, ``log HPI[t] = log HPI[t-1] + g[t]``,
    with ``mu = drift / 12`` and ``s = volatility * (1 - phi) / sqrt(12)``, so
    that ``volatility`` is the long-run annualized volatility of log HPI.

    Attributes
    ----------
    drift : float
        Expected log growth [decimal per year].
    volatility : float
        Long-run annualized volatility of log HPI [decimal per sqrt(year)].
    autocorrelation : float
        phi, the month-to-month autocorrelation of log growth, in [0, 0.99].
    initial_growth : float or None
        Growth of the month before cut-off [decimal per year]; None = ``drift``.
    california : CaliforniaConfig
        Optional regional factor, same AR(1) form with its own drift and vol;
        its innovations have correlation ``california.correlation`` with the
        national ones.
    rate_correlation : float
        Correlation between the national HPI innovation and the first rate
        factor's innovation (positive = home prices rise when rates rise).
    """

    drift: float = Field(0.03, ge=-0.5, le=0.5)
    volatility: float = Field(0.05, ge=0.0, le=0.5)
    autocorrelation: float = Field(0.85, ge=0.0, le=0.99)
    initial_growth: float | None = Field(None, ge=-1.0, le=1.0)
    california: CaliforniaConfig = CaliforniaConfig()
    rate_correlation: float = Field(0.0, ge=-1.0, le=1.0)


class RandomnessConfig(_Settings):
    """The ``[randomness]`` table: variance reduction options."""

    antithetic: bool = False
    quasi_random: Literal["none", "sobol"] = "none"
    brownian_bridge: bool = False

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
