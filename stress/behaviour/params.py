"""Behaviour-model parameters: the TOML file under ``scenarios/behaviour/``, validated.

:func:`load_behaviour` reads a file (default: ``scenarios/behaviour/base.toml``)
into a :class:`BehaviourParams`; every section is a pydantic model with
``extra="forbid"``, so a misspelt key fails loudly, and every error names the
file, the key, the value and the allowed range. The meaning and provenance of
each coefficient is commented in ``base.toml``; the forms are in
:mod:`stress.behaviour.prepayment`, :mod:`~stress.behaviour.default` and
:mod:`~stress.behaviour.severity`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stress.collateral.schema import DOC_TYPES, INDICES, OCCUPANCIES, PURPOSES
from stress.config_files import builtin_path, check_category_table, describe_validation_error, read_toml
from stress.errors import StressInputError
from stress.servicing import ServicerOptions

__all__ = ["BehaviourParams", "BehaviourFileError", "load_behaviour", "BASE_BEHAVIOUR"]

BASE_BEHAVIOUR = "base"


class BehaviourFileError(StressInputError):
    """A behaviour file that is missing, unreadable or breaks a rule."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MortgageRateParams(_Section):
    index: str = "LIBOR_12M"
    beta: float = Field(0.6, ge=0.0, le=2.0)
    spread: float = Field(0.0482, ge=-0.05, le=0.15)

    @field_validator("index")
    @classmethod
    def _known_index(cls, v):
        if v not in INDICES:
            raise ValueError(f"must be one of {', '.join(INDICES)}")
        return v


class PrepaymentParams(_Section):
    base_cpr: float = Field(0.32, ge=0.0, le=0.99)
    seasoning_months: int = Field(6, ge=1, le=120)
    seasoning_floor: float = Field(0.6, ge=0.0, le=1.0)
    refi_max: float = Field(2.0, ge=0.0, le=20.0)
    refi_slope: float = Field(300.0, ge=0.0, le=5000.0)
    refi_midpoint: float = Field(0.0075, ge=-0.05, le=0.10)
    burnout: float = Field(4.2, ge=0.0, le=1000.0)
    penalty_factor: float = Field(0.5, ge=0.0, le=1.0)
    penalty_expiry_multiple: float = Field(1.5, ge=0.0, le=10.0)
    penalty_expiry_months: int = Field(3, ge=0, le=24)
    reset_spike_base: float = Field(0.6, ge=0.0, le=20.0)
    reset_spike_per_shock: float = Field(4.0, ge=0.0, le=100.0)
    reset_spike_lead_months: int = Field(3, ge=0, le=24)
    reset_spike_months: int = Field(4, ge=0, le=24)
    equity_slope: float = Field(1.5, ge=0.0, le=20.0)
    equity_floor: float = Field(0.3, ge=0.0, le=1.0)
    equity_cap: float = Field(1.6, ge=1.0, le=10.0)
    ltv_reference: float = Field(0.80, gt=0.0, le=1.5)
    refi_ltv_full: float = Field(0.80, gt=0.0, le=2.0)
    refi_ltv_zero: float = Field(1.05, gt=0.0, le=3.0)
    credit_drawdown_slope: float = Field(15.0, ge=0.0, le=100.0)
    credit_floor: float = Field(0.12, ge=0.0, le=1.0)
    max_smm: float = Field(0.5, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _refi_gate_order(self):
        if not self.refi_ltv_zero > self.refi_ltv_full:
            raise ValueError(f"refi_ltv_zero = {self.refi_ltv_zero!r}: must be above refi_ltv_full = "
                             f"{self.refi_ltv_full!r} (the refinance gate falls from 1 to 0 between them)")
        return self


class DefaultParams(_Section):
    intercept: float = Field(-6.9, ge=-20.0, le=5.0)
    age_peak_months: int = Field(30, ge=1, le=360)
    age_slope: float = Field(1.0, ge=0.0, le=10.0)
    fico_per_100: float = Field(-0.9, ge=-10.0, le=0.0)
    fico_missing: float = Field(650.0, ge=300.0, le=850.0)
    fico_reference: float = Field(700.0, ge=300.0, le=850.0)
    ltv_slope: float = Field(1.6, ge=0.0, le=50.0)
    ltv_reference: float = Field(0.80, gt=0.0, le=1.5)
    negative_equity_slope: float = Field(2.0, ge=0.0, le=50.0)
    dti_slope: float = Field(1.5, ge=0.0, le=20.0)
    dti_reference: float = Field(0.35, ge=0.0, le=1.0)
    payment_shock_slope: float = Field(1.6, ge=0.0, le=20.0)
    max_mdr: float = Field(0.10, gt=0.0, le=1.0)
    doc_type: dict[str, float] = Field(default_factory=lambda: {
        "FULL": 0.0, "REDUCED": 0.25, "NAV": 0.30, "SISA": 0.45, "NO RATIO": 0.45, "NISA": 0.65, "NINA": 0.70})
    occupancy: dict[str, float] = Field(default_factory=lambda: {"OWNER OCC": 0.0, "2ND HM": 0.20, "INV HM": 0.45})
    purpose: dict[str, float] = Field(default_factory=lambda: {"PUR": 0.0, "REFI": 0.05, "REFI/CO": 0.25})

    @model_validator(mode="after")
    def _complete_tables(self):
        for name, vocabulary in (("doc_type", DOC_TYPES), ("occupancy", OCCUPANCIES), ("purpose", PURPOSES)):
            check_category_table(name, getattr(self, name), vocabulary, low=-5.0, high=5.0, what="logit add-on")
        return self


class SeverityParams(_Section):
    distressed_haircut: float = Field(0.27, ge=0.0, le=1.0)
    haircut_per_decline: float = Field(0.15, ge=0.0, le=2.0)
    foreclosure_cost: float = Field(0.08, ge=0.0, le=1.0)
    carry_rate: float = Field(0.02, ge=0.0, le=0.2)
    timeline_per_decline: float = Field(36.0, ge=0.0, le=600.0)
    max_extension_months: float = Field(24.0, ge=0.0, le=240.0)
    fair_value_sale_cost: float = Field(0.03, ge=0.0, le=1.0)
    max_severity: float = Field(1.0, ge=0.0, le=1.0)
    mi_coverage_above_95: float = Field(0.35, ge=0.0, le=1.0)
    mi_coverage_above_90: float = Field(0.30, ge=0.0, le=1.0)
    mi_coverage_above_85: float = Field(0.25, ge=0.0, le=1.0)
    mi_coverage_other: float = Field(0.12, ge=0.0, le=1.0)
    mi_claim_haircut: float = Field(0.20, ge=0.0, le=1.0)


class ServicingParams(ServicerOptions):
    """Liquidation lag, advancing, and the servicer options (:class:`stress.servicing.ServicerOptions`)."""

    liquidation_lag: int = Field(12, ge=0, le=120)
    advancing: bool = True

    @property
    def options(self) -> ServicerOptions:
        return ServicerOptions.of(self)


class HpiParams(_Section):
    base_drift: float = Field(0.05, ge=-0.5, le=0.5)


class TargetParams(_Section):
    year_one_cpr: tuple[float, float] = (0.25, 0.35)
    cumulative_default_5y: tuple[float, float] = (0.015, 0.06)
    cumulative_loss_5y: tuple[float, float] = (0.0005, 0.015)


class BehaviourParams(_Section):
    """All behaviour coefficients (one section per TOML table); see ``scenarios/behaviour/base.toml``."""

    mortgage_rate: MortgageRateParams = MortgageRateParams()
    prepayment: PrepaymentParams = PrepaymentParams()
    default: DefaultParams = DefaultParams()
    severity: SeverityParams = SeverityParams()
    servicing: ServicingParams = ServicingParams()
    hpi: HpiParams = HpiParams()
    targets: TargetParams = TargetParams()
    source: str = "<defaults>"

    def replace(self, **sections) -> "BehaviourParams":
        """A copy with fields of sections replaced: ``p.replace(default={"intercept": -7.0})``."""
        data = self.model_dump()
        for name, changes in sections.items():
            if isinstance(changes, dict):
                data[name].update(changes)
            else:
                data[name] = changes
        return BehaviourParams(**data)


def behaviour_path(name_or_path: str | Path | None = None) -> Path:
    """A file path, or the name of a built-in behaviour file (default ``"base"``)."""
    return builtin_path(BASE_BEHAVIOUR if name_or_path is None else name_or_path, "behaviour")


def parse_behaviour(data: dict, *, source: str = "<dict>") -> BehaviourParams:
    """Validate a behaviour mapping; errors name the source, key, value and rule."""
    try:
        return BehaviourParams(**data, source=source)
    except ValidationError as exc:
        raise BehaviourFileError(describe_validation_error(exc, data, kind="behaviour", name=source,
                                                           model=BehaviourParams)) from None


def load_behaviour(name_or_path: str | Path | None = None) -> BehaviourParams:
    """Load and validate a behaviour file.

    Parameters
    ----------
    name_or_path : str or Path, optional
        A TOML file, or the name of a built-in file under ``scenarios/behaviour/``
        (``"base"``, the default).

    Raises
    ------
    BehaviourFileError
        Missing file, bad TOML, an unknown key or a value out of range; the
        message names the file, the key, the value and the allowed range.
    """
    path = behaviour_path(name_or_path)
    return parse_behaviour(read_toml(path, kind="behaviour", error=BehaviourFileError), source=path.name)
