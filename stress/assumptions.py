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
  * ``"PPC"`` (prepayment): the deal's pricing speed, flat (the deal file's
    ``[collateral].pricing_speed_cpr``: 100 PPC = 30% CPR for the reference deal);
  * ``"SDA"`` (default): CDR 0.02% in month 1, rising to 0.6% at month 30,
    flat to month 60, falling 0.0095% a month to 0.03% at month 120, flat after.

  Loan age for PSA and SDA in period ``t`` (1-based) is the pool's
  balance-weighted average age at cut-off plus ``t`` (pass ``wa_age``). A
  curve multiple that would exceed 100% CPR / CDR is held at 100%.

Servicer options (the 2004-10 servicing amendment: the 90+ day buy-out, the
fair-value sale and the purchase of up to 1% of the pool) are fields named as
in :class:`stress.servicing.ServicerOptions`, whose module docstring gives each
option, its exercise rule and its source; all off by default.

The pricing speed behind ``"PPC"`` and the ARM rate rounding are deal terms
(``[collateral].pricing_speed_cpr`` and ``rate_rounding`` of the deal file):
:func:`stress.cashflows.run_cashflows` and the engine set them from the deal
they run; left unset they are the reference deal file's.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from pydantic import ValidationError

from stress.conventions import mdr_from_cdr, psa_base_cpr, sda_base_cdr, smm_from_cpr
from stress.errors import ScenarioError
from stress.servicing import OPTION_FIELDS, ServicerOptions

__all__ = ["Assumptions", "CurveMultiple", "CURVES", "reference_collateral"]

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

    def rates(self, n_periods: int, *, wa_age: float = 0.0, pricing_speed_cpr: float | None = None) -> np.ndarray:
        """Annual rate (CPR or CDR) for periods 1..n [decimal], capped at 1.

        ``pricing_speed_cpr`` is 100% PPC [annual, decimal]; default the
        reference deal file's ``[collateral].pricing_speed_cpr``.
        """
        age = wa_age + np.arange(1, n_periods + 1, dtype=np.float64)
        if self.curve == "PSA":
            base = psa_base_cpr(age)
        elif self.curve == "SDA":
            base = sda_base_cdr(age)
        else:  # "PPC": the deal's pricing speed, flat
            speed = reference_collateral().pricing_speed_cpr if pricing_speed_cpr is None else pricing_speed_cpr
            base = np.full(n_periods, speed)
        return np.minimum(1.0, base * (self.percent / 100.0))

    def __str__(self) -> str:
        return f"{self.percent:g}% {self.curve}"


@functools.lru_cache(maxsize=1)
def reference_collateral():
    """The reference deal file's ``[collateral]`` terms (pricing speed, rate rounding, fee rates)."""
    from stress.deal import load_deal

    return load_deal().collateral


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


def _vector(spec, n_periods: int, wa_age: float, pricing_speed_cpr: float | None = None) -> np.ndarray:
    if isinstance(spec, CurveMultiple):
        return spec.rates(n_periods, wa_age=wa_age, pricing_speed_cpr=pricing_speed_cpr)
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
        Whether the servicer advances the scheduled interest and principal of
        delinquent loans (the 2002-8 remittance report's "Interest Advanced"
        and "Principal Advanced").
    buyout_share, buyout_rule, buyout_months, fair_value_share, fair_value_rule, fair_value_months,
    purchase_limit, purchase_rule, purchase_months
        Servicer options and their exercise rules: :class:`stress.servicing.ServicerOptions`.
    rounding : float or None
        ARM rate rounding increment, to the nearest [decimal]; 0.00125 is 1/8%,
        0 turns rounding off; None: the reference deal file's ``rate_rounding``.
    pricing_speed_cpr : float or None
        100% PPC [annual CPR, decimal]; None: the reference deal file's.

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
    buyout_share: float = 0.0
    buyout_rule: str = "value"
    buyout_months: int = 3
    fair_value_share: float = 0.0
    fair_value_rule: str = "value"
    fair_value_months: int = 3
    purchase_limit: float = 0.0
    purchase_rule: str = "value"
    purchase_months: int = 1
    rounding: float | None = None
    pricing_speed_cpr: float | None = None

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
        if not isinstance(self.advancing, (bool, np.bool_)):
            _fail("advancing", self.advancing, "must be true or false")
        set_(self, "advancing", bool(self.advancing))
        try:
            options = ServicerOptions.of(self)
        except ValidationError as exc:
            err = exc.errors()[0]
            name = err["loc"][0]
            info = ServicerOptions.model_fields[name]
            bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le") if getattr(m, k, None) is not None}
            rule = (f"must be in [{bounds['ge']:g}, {bounds['le']:g}]" if len(bounds) == 2
                    else err["msg"].replace("Input should be ", "must be "))
            _fail(name, getattr(self, name), rule)
        for name in OPTION_FIELDS:
            set_(self, name, getattr(options, name))
        r = self.rounding
        if r is None:
            r = reference_collateral().rate_rounding
        if isinstance(r, bool) or not isinstance(r, Real) or not (math.isfinite(r) and 0.0 <= r <= 0.01):
            _fail("rounding", r, "must be in [0, 0.01] (0.00125 rounds to the nearest 1/8%; 0 turns rounding off)")
        set_(self, "rounding", float(r))
        speed = self.pricing_speed_cpr
        if speed is None:
            speed = reference_collateral().pricing_speed_cpr
        if isinstance(speed, bool) or not isinstance(speed, Real) or not (math.isfinite(speed) and 0.0 < speed < 1.0):
            _fail("pricing_speed_cpr", speed, "must be in (0, 1) (annual CPR, decimal: 0.30 is 30%)")
        set_(self, "pricing_speed_cpr", float(speed))

    @property
    def servicer_options(self) -> ServicerOptions:
        """The servicer options and their exercise rules."""
        return ServicerOptions.of(self)

    # -- annual rates ---------------------------------------------------------

    def cpr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """CPR for periods 1..n [annual, decimal]; ``wa_age`` is the pool's WA age at cut-off [months]."""
        return _vector(self.prepayment, n_periods, wa_age, self.pricing_speed_cpr)

    def cdr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """CDR for periods 1..n [annual, decimal]."""
        return _vector(self.default, n_periods, wa_age)

    # -- monthly vectors for the kernel ---------------------------------------

    def smm(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """SMM for periods 1..n: ``1 - (1 - CPR)^(1/12)`` [monthly, decimal]."""
        return smm_from_cpr(self.cpr(n_periods, wa_age=wa_age))

    def mdr(self, n_periods: int, *, wa_age: float = 0.0) -> np.ndarray:
        """MDR for periods 1..n: ``1 - (1 - CDR)^(1/12)`` [monthly, decimal]."""
        return mdr_from_cdr(self.cdr(n_periods, wa_age=wa_age))

    def severity_vector(self, n_periods: int) -> np.ndarray:
        """Severity for periods 1..n [decimal]: a loan liquidated in period ``t`` loses ``severity[t - 1]``."""
        return _vector(self.severity, n_periods, 0.0)
