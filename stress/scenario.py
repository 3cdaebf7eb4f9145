"""Scenario files: what one Monte Carlo (or deterministic) run assumes.

A scenario is a TOML file under ``scenarios/`` with these tables (all but
``[scenario]`` optional, every key defaulted)::

    [scenario]       name, description, deal, tape, to ("call" | "maturity"),
                     call ("economic" | "always" | "never": how a to-call run calls)
    [simulation]     paths, seed, chunk_size
    [rates]          short-rate model, curve, volatility, basis spreads, shocks
    [home_prices]    home-price model (momentum / error correction, estimated on history), California process
    [randomness]     antithetic, quasi_random ("sobol"), brownian_bridge, tail sampling,
                     collateral_draws ("expected" | "loan": loan-level draws)
    [behaviour]      mode ("models" | "vectors" | "scaled"), parameters file,
                     vector assumptions and multipliers, servicing switches
    [call_valuation] discount_margin, rate_duration_years, liquidation_cost: how the
                     residual holder values the loans for an economic call

``[rates]``, ``[home_prices]`` and ``[randomness]`` are the scenario
generator's settings (:mod:`stress.rates.config`); ``[behaviour]`` picks the
loan-level models of :mod:`stress.behaviour`, plain CPR/CDR/severity vectors
(how dealers and agencies quote stresses) or the models scaled by vectors.

Errors name the file, the key, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stress.config_files import builtin_path, describe_validation_error, read_toml
from stress.errors import ScenarioError
from stress.rates.config import HomePriceConfig, RandomnessConfig, RateModelConfig, ScenarioDrivers
from stress.servicing import Rule

REFERENCE_SCENARIO = "base"

_Rate = float | list[float] | str


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioInfo(_Section):
    name: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    deal: str = "impac_cmb_2004_1"
    tape: str = ""
    to: Literal["call", "maturity"] = "call"
    # How the clean-up call is exercised in a to-call run: "economic" (when the loans are worth the
    # Redemption Price, stress.call_value), "always" (on the first date it may be), "never". A
    # to-maturity run never calls.
    call: Literal["economic", "always", "never"] = "economic"

    @property
    def call_rule(self) -> str:
        return "never" if self.to == "maturity" else self.call


class CallValuation(_Section):
    """How the residual holder values the loans when deciding the call (:mod:`stress.call_value`)."""

    discount_margin: float = Field(0.030, ge=-0.05, le=0.20)
    rate_duration_years: float = Field(1.0, ge=0.0, le=30.0)
    liquidation_cost: float = Field(0.25, ge=0.0, le=1.0)


class Simulation(_Section):
    paths: int = Field(1000, ge=1, le=10_000_000)
    seed: int = Field(20040129, ge=0, le=2**63 - 1)
    chunk_size: int = Field(250, ge=1, le=100_000)


class Multiplier(_Section):
    """A scale on a model hazard: ``value`` from ``from_month`` on (1.0 before)."""

    value: float = Field(1.0, ge=0.0, le=100.0)
    from_month: int = Field(1, ge=1, le=600)


class Behaviour(_Section):
    mode: Literal["models", "vectors", "scaled"] = "models"
    parameters: str = "base"
    # vectors (mode "vectors"): as stress.assumptions.Assumptions accepts them
    prepayment: _Rate = "100 PPC"
    default: _Rate = 0.0
    severity: float | list[float] = 0.0
    # rating-style stress (mode "vectors"): cumulative default as a fraction of
    # the cut-off balance with yearly timing shares; replaces `default`
    cumulative_default: float | None = Field(None, ge=0.0, le=1.0)
    default_timing: list[float] | None = None
    # multipliers on the models (mode "scaled")
    prepayment_multiplier: Multiplier = Multiplier()
    default_multiplier: Multiplier = Multiplier()
    severity_multiplier: Multiplier = Multiplier()
    # servicing; None takes the behaviour parameters file's [servicing] values (vectors: the defaults
    # of stress.servicing.ServicerOptions, all options off); the options are stress.servicing's
    liquidation_lag: int | None = Field(None, ge=0, le=120)
    advancing: bool | None = None
    buyout_share: float | None = Field(None, ge=0.0, le=1.0)
    buyout_rule: Rule | None = None
    buyout_months: int | None = Field(None, ge=3, le=120)
    fair_value_share: float | None = Field(None, ge=0.0, le=1.0)
    fair_value_rule: Rule | None = None
    fair_value_months: int | None = Field(None, ge=1, le=120)
    purchase_limit: float | None = Field(None, ge=0.0, le=0.01)
    purchase_rule: Rule | None = None
    purchase_months: int | None = Field(None, ge=1, le=120)

    def servicing_overrides(self) -> dict:
        """The servicing keys this scenario sets (lag, advancing, servicer options)."""
        from stress.servicing import OPTION_FIELDS

        keys = ("liquidation_lag", "advancing") + OPTION_FIELDS
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}

    @field_validator("severity")
    @classmethod
    def _severity_range(cls, v):
        values = v if isinstance(v, list) else [v]
        for x in values:
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"each severity must be in [0, 1], got {x}")
        return v


class Scenario(_Section):
    """A validated scenario. Build with :func:`load_scenario` or :func:`parse_scenario`."""

    scenario: ScenarioInfo
    simulation: Simulation = Simulation()
    rates: RateModelConfig = RateModelConfig()
    home_prices: HomePriceConfig = HomePriceConfig()
    randomness: RandomnessConfig = RandomnessConfig()
    behaviour: Behaviour = Behaviour()
    call_valuation: CallValuation = CallValuation()
    path: str = ""

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def drivers(self) -> ScenarioDrivers:
        """The scenario generator's settings."""
        return ScenarioDrivers(rates=self.rates, home_prices=self.home_prices, randomness=self.randomness)

    def servicing_assumptions(self):
        """The ``[behaviour]`` servicing switches as :class:`stress.assumptions.Assumptions`, no rates yet.

        Unset keys take the vector defaults: 12-month liquidation lag, advancing on, no servicer options.
        """
        from stress.assumptions import Assumptions

        return Assumptions(**{"liquidation_lag": 12, **self.behaviour.servicing_overrides()})

    def behaviour_params(self, base=None):
        """The behaviour parameters (``base``, or the scenario's file) with the scenario's servicing overrides.

        Parameters
        ----------
        base : stress.behaviour.params.BehaviourParams, optional
            Replaces the parameters file the scenario names.
        """
        from stress.behaviour.params import BehaviourParams, load_behaviour

        b = self.behaviour
        if base is not None and not isinstance(base, BehaviourParams):
            raise ScenarioError(f"behaviour: expected a BehaviourParams, got {type(base).__name__}")
        params = base if base is not None else load_behaviour(b.parameters)
        overrides = b.servicing_overrides()
        if overrides:
            params = params.model_copy(update={"servicing": params.servicing.model_copy(update=overrides)})
        return params

    def liquidation_lag(self, behaviour=None) -> int:
        """The liquidation lag the run uses [months]: the vector servicing switches' or the behaviour file's.

        The one definition of the effective lag: it sets the run's horizon (longest remaining term plus
        this lag) and the kernel's delinquency pipeline.
        """
        if self.behaviour.mode == "vectors":
            return self.servicing_assumptions().liquidation_lag
        return self.behaviour_params(behaviour).servicing.liquidation_lag

    def collateral_model(self, *, deal, tape=None, curve=None, behaviour=None):
        """The run's collateral model (:mod:`stress.collateral_model`), built from ``[behaviour]``.

        The one place that reads ``mode``: ``"vectors"`` gives a
        :class:`~stress.collateral_model.VectorModel` (the ARM rate rounding and
        the pricing speed behind ``"PPC"`` set from ``deal``), ``"models"`` a
        :class:`~stress.collateral_model.BehaviourModel`, ``"scaled"`` one with
        the scenario's :class:`~stress.collateral_model.Multipliers`.

        Parameters
        ----------
        deal : stress.deal.Deal
            The deal the run projects.
        tape, curve : optional
            The pool and the curve, needed by a rating-style cumulative-default stress.
        behaviour : stress.behaviour.params.BehaviourParams, optional
            Replaces the parameters file the scenario names (models only).
        """
        from stress.collateral_model import BehaviourModel, Multipliers, VectorModel

        b = self.behaviour
        if b.mode == "vectors":
            return VectorModel(replace(self.assumptions(tape=tape, deal=deal, curve=curve),
                                       rounding=deal.collateral.rate_rounding,
                                       pricing_speed_cpr=deal.collateral.pricing_speed_cpr))
        multipliers = None
        if b.mode == "scaled":
            multipliers = Multipliers.from_month(
                prepayment=(b.prepayment_multiplier.value, b.prepayment_multiplier.from_month),
                default=(b.default_multiplier.value, b.default_multiplier.from_month),
                severity=(b.severity_multiplier.value, b.severity_multiplier.from_month))
        return BehaviourModel(self.behaviour_params(behaviour), multipliers)

    def assumptions(self, *, tape=None, deal=None, curve=None):
        """Vector assumptions (:class:`stress.assumptions.Assumptions`) for ``mode = "vectors"``.

        A rating-style stress (``cumulative_default`` + ``default_timing``)
        needs the pool (``tape``, ``deal``, ``curve``) to turn into a CDR vector
        (:mod:`stress.stresses`).
        """
        b = self.behaviour
        default = b.default
        if b.cumulative_default is not None:
            default = self._cumulative_default_cdr(tape, deal, curve)
        return replace(self.servicing_assumptions(), prepayment=b.prepayment, default=default, severity=b.severity)

    def _cumulative_default_cdr(self, tape, deal, curve):
        from stress.assumptions import Assumptions
        from stress.mechanics import horizon, lookback_shifted
        from stress.pool import loan_arrays, project_pool
        from stress.stresses import cdr_vector_for_cumulative_default

        b = self.behaviour
        if tape is None or deal is None or curve is None:
            raise ScenarioError(f"scenario {self.name}: a cumulative-default stress needs the tape, deal and curve")
        if b.default_timing is None:
            raise ScenarioError(f"scenario file {Path(self.path).name}: behaviour.default_timing: missing "
                                "(required with cumulative_default)")
        n = horizon(tape, self.servicing_assumptions().liquidation_lag)
        loans = loan_arrays(tape, master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                            trustee_fee_rate=deal.collateral.trustee_fee_rate)
        rates = lookback_shifted(curve.rates, deal.collateral.reset_lookback_months)
        scheduled = project_pool(loans, rates, Assumptions(rounding=deal.collateral.rate_rounding),
                                 n_periods=n).pool_balance_end / tape["balance"].sum()
        smm = Assumptions(prepayment=b.prepayment,
                          pricing_speed_cpr=deal.collateral.pricing_speed_cpr).smm(n, wa_age=loans.wa_age)
        return cdr_vector_for_cumulative_default(scheduled, smm, b.cumulative_default, b.default_timing).tolist()


def scenario_path(name_or_path: str | Path | None = None) -> Path:
    """A scenario file path, or the path of a built-in scenario by name (default ``base``)."""
    return builtin_path(REFERENCE_SCENARIO if name_or_path is None else name_or_path, "")


def builtin_scenarios() -> list[Path]:
    """The named scenario files shipped under ``scenarios/`` (not deals, curves or behaviour)."""
    root = Path(str(resources.files("stress.scenarios")))
    return sorted(root.glob("*.toml"))


def parse_scenario(data: dict, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML)."""
    try:
        return Scenario(**data, path=source)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, data, kind="scenario", name=Path(source).name,
                                                      model=Scenario)) from None
    except TypeError as exc:  # a table where a value was expected, or the reverse
        raise ScenarioError(f"scenario file {Path(source).name}: {exc}") from None


def load_scenario(name_or_path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    name_or_path : str or Path, optional
        A scenario TOML file, or the name of a built-in one (default ``base``).

    Raises
    ------
    ScenarioError
        Missing file, invalid TOML, unknown key or out-of-range value.
    """
    path = scenario_path(name_or_path)
    if not path.exists() and name_or_path is not None and Path(name_or_path).suffix == "" \
            and len(Path(name_or_path).parts) == 1:
        raise ScenarioError(_unknown_name(str(name_or_path)))
    return parse_scenario(read_toml(path, kind="scenario", error=ScenarioError), source=str(path))


def _unknown_name(name: str) -> str:
    """The message for a scenario name that is neither built in nor a file: close matches first."""
    import difflib

    names = [p.stem for p in builtin_scenarios()]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return (f"scenario {name!r}: no built-in scenario or file of that name; {hint}"
            "`stress scenarios` lists the built-in ones (a scenario file is given by its path, ending in .toml)")
