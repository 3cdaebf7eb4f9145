"""The collateral model a run projects the loans with: vectors, or the behaviour models (with multipliers).

A scenario's ``[behaviour] mode`` (``"vectors"``, ``"models"`` or
``"scaled"``) is read once, when the run is set up
(:meth:`stress.scenario.Scenario.collateral_model`), and becomes one of two
typed models; code after that branches on the type, never on the string:

- :class:`VectorModel`: SMM, MDR and severity vectors as dealers and agencies
  quote them (:class:`stress.assumptions.Assumptions`, which also hold the
  liquidation lag, advancing, the servicer options and the ARM rate rounding).
  Severity is a vector: the loss share of the liquidation month.
- :class:`BehaviourModel`: the loan-level models of :mod:`stress.behaviour`
  (:class:`stress.behaviour.params.BehaviourParams`, whose ``[servicing]``
  holds the lag, advancing and servicer options) and, for a ``"scaled"``
  scenario, :class:`Multipliers` on the model SMM, MDR and severity. Severity
  is a model (:mod:`stress.behaviour.severity`) times its multiplier.

:func:`stress.pool_paths.project_pool_paths` takes either and turns it into
the collateral kernel's arrays in one place.

Examples
--------
>>> from stress.behaviour.params import load_behaviour
>>> model = BehaviourModel(load_behaviour(), Multipliers(default=[1.0] * 11 + [2.0]))  # MDR x 2 from month 12
>>> model.liquidation_lag
12
"""

from __future__ import annotations

from dataclasses import dataclass

from stress.assumptions import Assumptions
from stress.behaviour.params import BehaviourParams
from stress.errors import ScenarioError
from stress.servicing import ServicerOptions

__all__ = ["BehaviourModel", "CollateralModel", "Multipliers", "VectorModel"]


@dataclass(frozen=True)
class Multipliers:
    """Scenario multiples of the model SMM, MDR and severity.

    Each is a float, a per-period sequence (element ``i`` for period ``i + 1``;
    a short one holds its last value) or an array ``(1 or p, t)`` [multiple, >= 0].
    """

    prepayment: object = 1.0
    default: object = 1.0
    severity: object = 1.0

    @classmethod
    def from_month(cls, *, prepayment=(1.0, 1), default=(1.0, 1), severity=(1.0, 1)) -> "Multipliers":
        """Each multiple as ``(value, from_month)``: 1.0 before month ``from_month`` (1-based), ``value`` from it on.

        A per-period sequence whose last element holds: ``[1.0] * (from_month - 1) + [value]``.
        """
        def vector(value, month):
            return [1.0] * (int(month) - 1) + [float(value)]

        return cls(prepayment=vector(*prepayment), default=vector(*default), severity=vector(*severity))


@dataclass(frozen=True)
class VectorModel:
    """Collateral behaviour as vectors: SMM, MDR and severity by period, and the servicing terms.

    Attributes
    ----------
    assumptions : Assumptions
        Prepayment, default and severity vectors, liquidation lag, advancing,
        servicer options and the ARM rate rounding.
    """

    assumptions: Assumptions

    def __post_init__(self):
        if not isinstance(self.assumptions, Assumptions):
            raise ScenarioError(f"VectorModel.assumptions: expected an Assumptions, got "
                                f"{type(self.assumptions).__name__}")

    @property
    def liquidation_lag(self) -> int:
        """Months from default to liquidation."""
        return self.assumptions.liquidation_lag

    @property
    def advancing(self) -> bool:
        return self.assumptions.advancing

    @property
    def servicer_options(self) -> ServicerOptions:
        return self.assumptions.servicer_options

    @property
    def rounding(self) -> float:
        """The ARM rate rounding increment [decimal]."""
        return self.assumptions.rounding


@dataclass(frozen=True)
class BehaviourModel:
    """Collateral behaviour from the loan-level models, optionally scaled.

    Attributes
    ----------
    params : BehaviourParams
        The model coefficients and the servicing terms (``params.servicing``).
    multipliers : Multipliers or None
        Scenario multiples of the model SMM, MDR and severity; None = the
        models as they are (a multiple of exactly 1 would give the same numbers).
    """

    params: BehaviourParams
    multipliers: Multipliers | None = None

    def __post_init__(self):
        if not isinstance(self.params, BehaviourParams):
            raise ScenarioError(f"BehaviourModel.params: expected a BehaviourParams, got "
                                f"{type(self.params).__name__}")
        if self.multipliers is not None and not isinstance(self.multipliers, Multipliers):
            raise ScenarioError(f"BehaviourModel.multipliers: expected Multipliers or None, got "
                                f"{type(self.multipliers).__name__}")

    @property
    def liquidation_lag(self) -> int:
        """Months from default to liquidation."""
        return self.params.servicing.liquidation_lag

    @property
    def advancing(self) -> bool:
        return self.params.servicing.advancing

    @property
    def servicer_options(self) -> ServicerOptions:
        return self.params.servicing.options


#: What a run projects the loans with.
CollateralModel = VectorModel | BehaviourModel
