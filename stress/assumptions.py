"""Deterministic behaviour assumptions: prepayment, default, severity, servicing.

Dealers and agencies quote stresses as plain vectors: "30% CPR, 2% CDR, 40%
severity, 12-month lag" or "150% PSA / 200% SDA". :class:`Assumptions` holds
exactly that and turns it into the monthly vectors the collateral kernel
consumes (SMM, MDR, severity; DESIGN §5: ``SMM = 1 - (1 - CPR)^(1/12)``, MDR
likewise).

Each of ``prepayment``, ``default`` and ``severity`` is one of

- a constant: a float (CPR, CDR or severity, annual decimal / decimal);
- a per-period vector: a sequence of floats, element ``i`` for period
  ``i + 1``; a vector shorter than the projection holds its last value;
- a multiple of a named curve: :class:`CurveMultiple` or a string such as
  ``"150 PSA"`` / ``"150% PSA"`` (percent of the curve, 100 = the curve):

  * ``"PSA"`` (prepayment): CPR 0.2% in month 1 of loan age, rising 0.2% a
    month to 6% at month 30, flat after;
  * ``"PPC"`` (prepayment): the deal's pricing speed, 30% CPR flat
    (100 PPC = 30% CPR);
  * ``"SDA"`` (default): CDR 0.02% in month 1, rising to 0.6% at month 30,
    flat to month 60, falling 0.0095% a month to 0.03% at month 120, flat after.

  Loan age for PSA and SDA in period ``t`` (1-based) is the pool's
  balance-weighted average age at cut-off plus ``t`` (pass ``wa_age``). A
  curve multiple that would exceed 100% CPR / CDR is held at 100%.

Servicing options (our modelling assumptions, from the 2004-10 servicing
amendment, Section 3.18 and new Section 3.13(f)):

- ``servicer_buyout_90plus``: the master servicer may buy a loan 90 or more
  days delinquent at the Repurchase Price (par plus accrued interest). We
  model it as always exercised: every defaulted loan is bought at par when 3
  months delinquent (effective liquidation lag 3, severity 0), so no loss
  reaches the trust. Takes precedence over ``fair_value_sale``.
- ``fair_value_sale``: defaulted loans are sold at fair value instead of
  foreclosed. We model it as liquidation after ``min(liquidation_lag, 3)``
  months with the same severity.

Use :meth:`Assumptions.effective_liquidation_lag` and
:meth:`Assumptions.effective_severity` for what the kernel should apply.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from stress.conventions import psa_base_cpr, sda_base_cdr, smm_from_cpr
from stress.errors import ScenarioError

__all__ = ["Assumptions", "CurveMultiple", "CURVES", "PPC_CPR", "BUYOUT_LAG", "FAIR_VALUE_MAX_LAG"]

#: The reference deal's pricing speed: 100% PPC = 30% CPR flat.
PPC_CPR = 0.30
#: Months of delinquency at which the servicer buyout is modelled (90+ days).
BUYOUT_LAG = 3
#: Longest lag to liquidation when defaulted loans are sold at fair value.
FAIR_VALUE_MAX_LAG = 3
#: Largest curve multiple accepted [percent of the curve].
MAX_CURVE_PERCENT = 10_000.0
#: Longest liquidation lag accepted [months].
MAX_LIQUIDATION_LAG = 120

#: Named curves and which field may use them.
CURVES: dict[str, str] = {"PSA": "prepayment", "PPC": "prepayment", "SDA": "default"}

_CURVE_TEXT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%?\s*([A-Za-z]+)\s*$")


@dataclass(frozen=True)
class CurveMultiple:
    """A percent of a named curve: ``CurveMultiple("PSA", 150)`` is 150% PSA.

    Parameters
    ----------
    curve : {"PSA", "PPC", "SDA"}
    percent : float
        Percent of the curve [percent, 100 = the curve itself].
    """

    curve: str
    percent: float

    def rates(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """Annual rate (CPR or CDR) for periods 1..n [decimal], capped at 1."""
        age = wa_age + np.arange(1, n_periods + 1, dtype=np.float64)
        if self.curve == "PSA":
            base = psa_base_cpr(age)
        elif self.curve == "SDA":
            base = sda_base_cdr(age)
        else:  # "PPC"
            base = np.full(n_periods, PPC_CPR)
        return np.minimum(1.0, base * (self.percent / 100.0))

    def __str__(self) -> str:
        return f"{self.percent:g}% {self.curve}"


def _fail(field: str, value, rule: str):
    raise ScenarioError(f"Assumptions.{field} = {value!r}: {rule}")


def _check_rate(field: str, value, what: str, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        _fail(field, value, f"{what} must be a finite number in [0, 1]")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        _fail(field, value, f"{what} must be in [0, 1] (a decimal: 0.30 is 30%){label}")
    return value


def _normalize_behaviour(field: str, value, what: str, curves: tuple[str, ...]):
    """Constant -> float, sequence -> tuple of floats, curve text -> CurveMultiple."""
    if isinstance(value, str):
        match = _CURVE_TEXT.match(value)
        if match is None:
            allowed = ", ".join(curves) or "none"
            _fail(field, value, f"must be a number, a vector or a curve multiple like '150 PSA' (curves: {allowed})")
        value = CurveMultiple(match.group(2).upper(), float(match.group(1)))
    if isinstance(value, CurveMultiple):
        if value.curve not in curves:
            allowed = ", ".join(curves) or "no named curve"
            _fail(field, str(value), f"curve {value.curve!r} is not allowed here; allowed: {allowed}")
        if not (math.isfinite(value.percent) and 0.0 <= value.percent <= MAX_CURVE_PERCENT):
            _fail(field, str(value), f"percent of curve must be in [0, {MAX_CURVE_PERCENT:g}]")
        return CurveMultiple(value.curve, float(value.percent))
    if isinstance(value, (Real, np.floating)) and not isinstance(value, bool):
        return _check_rate(field, value, what, "")
    try:
        items = tuple(np.asarray(value, dtype=np.float64).ravel().tolist())
    except (TypeError, ValueError):
        _fail(field, value, "must be a number, a sequence of numbers or a curve multiple")
    if len(items) == 0:
        _fail(field, value, "a per-period vector must have at least one value")
    for i, item in enumerate(items):
        if not (math.isfinite(item) and 0.0 <= item <= 1.0):
            _fail(f"{field}[{i}]", item, f"{what} must be in [0, 1] (a decimal: 0.30 is 30%)")
    return items


def _vector(spec, n_periods: int, wa_age: float) -> np.ndarray:
    if isinstance(spec, CurveMultiple):
        return spec.rates(n_periods, wa_age=wa_age)
    if isinstance(spec, float):
        return np.full(n_periods, spec)
    values = np.asarray(spec, dtype=np.float64)[:n_periods]
    if len(values) < n_periods:  # hold the last value
        values = np.concatenate([values, np.full(n_periods - len(values), values[-1])])
    return values


@dataclass(frozen=True)
class Assumptions:
    """Deterministic prepayment, default, severity and servicing assumptions.

    Parameters
    ----------
    prepayment : float, sequence of float, CurveMultiple or str
        CPR [annual, decimal], per-period CPR vector, or a multiple of
        ``"PSA"`` / ``"PPC"``.
    default : float, sequence of float, CurveMultiple or str
        CDR [annual, decimal], per-period CDR vector, or a multiple of ``"SDA"``.
    severity : float or sequence of float
        Loss as a fraction of the defaulted balance, applied in the month of
        liquidation [decimal, 0..1].
    liquidation_lag : int
        Months a defaulted loan stays delinquent in the pool before it is
        liquidated; 0 liquidates it in the month of default [months, 0..120].
    advancing : bool
        Whether the servicer advances interest on delinquent loans.
    servicer_buyout_90plus, fair_value_sale : bool
        Servicing options; see the module docstring for how they are modelled.
    rounding : float
        ARM rate rounding increment, to the nearest [decimal]; 0.00125 is 1/8%,
        0 turns rounding off.

    Raises
    ------
    ScenarioError
        A field is out of range; the message names the field, value and rule.

    Examples
    --------
    >>> a = Assumptions(prepayment="100 PPC", default=0.02, severity=0.35, liquidation_lag=12)
    >>> round(float(a.smm(3)[0]), 6)
    0.029286
    """

    prepayment: object = 0.0
    default: object = 0.0
    severity: object = 0.0
    liquidation_lag: int = 0
    advancing: bool = True
    servicer_buyout_90plus: bool = False
    fair_value_sale: bool = False
    rounding: float = 0.00125

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "prepayment", _normalize_behaviour("prepayment", self.prepayment, "CPR", ("PSA", "PPC")))
        set_(self, "default", _normalize_behaviour("default", self.default, "CDR", ("SDA",)))
        set_(self, "severity", _normalize_behaviour("severity", self.severity, "severity", ()))
        lag = self.liquidation_lag
        if isinstance(lag, bool) or not isinstance(lag, Integral):
            _fail("liquidation_lag", lag, f"must be a whole number of months in [0, {MAX_LIQUIDATION_LAG}]")
        if not 0 <= int(lag) <= MAX_LIQUIDATION_LAG:
            _fail("liquidation_lag", lag, f"must be in [0, {MAX_LIQUIDATION_LAG}] months")
        set_(self, "liquidation_lag", int(lag))
        for name in ("advancing", "servicer_buyout_90plus", "fair_value_sale"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                _fail(name, getattr(self, name), "must be true or false")
            set_(self, name, bool(getattr(self, name)))
        r = self.rounding
        if isinstance(r, bool) or not isinstance(r, Real) or not (math.isfinite(r) and 0.0 <= r <= 0.01):
            _fail("rounding", r, "must be in [0, 0.01] (0.00125 rounds to the nearest 1/8%; 0 turns rounding off)")
        set_(self, "rounding", float(r))

    # -- annual rates ---------------------------------------------------------

    def cpr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """CPR for periods 1..n [annual, decimal]; ``wa_age`` is the pool's WA age at cut-off [months]."""
        return _vector(self.prepayment, n_periods, wa_age)

    def cdr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """CDR for periods 1..n [annual, decimal]."""
        return _vector(self.default, n_periods, wa_age)

    # -- monthly vectors for the kernel ---------------------------------------

    def smm(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """SMM for periods 1..n: ``1 - (1 - CPR)^(1/12)`` [monthly, decimal]."""
        return smm_from_cpr(self.cpr(n_periods, wa_age=wa_age))

    def mdr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """MDR for periods 1..n: ``1 - (1 - CDR)^(1/12)`` [monthly, decimal]."""
        return smm_from_cpr(self.cdr(n_periods, wa_age=wa_age))

    def severity_vector(self, n_periods: int) -> np.ndarray:
        """Severity for periods 1..n as given, before the servicing options [decimal]."""
        return _vector(self.severity, n_periods, 0.0)

    def effective_severity(self, n_periods: int) -> np.ndarray:
        """Severity the kernel applies: zero when the servicer buys defaulted loans out at par."""
        if self.servicer_buyout_90plus:
            return np.zeros(n_periods)
        return self.severity_vector(n_periods)

    def effective_liquidation_lag(self) -> int:
        """Lag the kernel applies [months]: 3 with the buyout, ``min(lag, 3)`` with fair-value sales."""
        if self.servicer_buyout_90plus:
            return BUYOUT_LAG
        if self.fair_value_sale:
            return min(self.liquidation_lag, FAIR_VALUE_MAX_LAG)
        return self.liquidation_lag
