"""Deal terms: loaded from a TOML deal file and validated.

A deal is data. Everything the engine needs to know about a transaction — its
bonds, coupon rules, fees, overcollateralization schedule, clean-up call and
derivative contracts — is read from a file under ``scenarios/deals/`` into the
typed objects below, so a second deal is a second file, not new code.

Errors name the file, the key, the value and what is allowed, e.g.::

    deal file impac_cmb_2004_1.toml: tranches[2].margin = -0.006: must be >= 0
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stress import conventions
from stress.config_files import builtin_path, describe_validation_error, read_toml
from stress.errors import DealFileError

REFERENCE_DEAL = "impac_cmb_2004_1"


class _Terms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DealInfo(_Terms):
    name: str
    short_name: str
    depositor: str = ""
    seller: str = ""
    master_servicer: str = ""
    underwriter: str = ""
    indenture_trustee: str = ""
    owner_trustee: str = ""


class Dates(_Terms):
    cutoff: dt.date
    closing: dt.date
    first_payment: dt.date
    payment_day: int = Field(ge=1, le=28)
    accrual_basis: Literal["ACT/360"] = "ACT/360"
    business_day_calendar: Literal["US_SETTLEMENT", "NONE"] = "US_SETTLEMENT"
    settlement: dt.date
    last_scheduled_payment: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if not self.cutoff <= self.closing < self.first_payment < self.last_scheduled_payment:
            raise ValueError(
                f"dates must satisfy cutoff <= closing < first_payment < last_scheduled_payment, got "
                f"{self.cutoff}, {self.closing}, {self.first_payment}, {self.last_scheduled_payment}")
        return self


class Collateral(_Terms):
    cutoff_balance: float = Field(gt=0)
    loan_count: int = Field(gt=0)
    servicing_fee_rates: tuple[float, ...] = Field(min_length=1)
    master_servicing_fee_rate: float = Field(ge=0, le=0.01)
    trustee_fee_rate: float = Field(ge=0, le=0.01)
    premium_rate_wa: float = Field(ge=0, le=0.05)
    pricing_speed_cpr: float = Field(gt=0, lt=1)
    reset_lookback_months: int = Field(ge=0, le=3)
    rate_rounding: float = Field(ge=0, le=0.01)

    @field_validator("servicing_fee_rates")
    @classmethod
    def _fees_in_range(cls, v):
        for rate in v:
            if not 0 <= rate <= 0.02:
                raise ValueError(f"each servicing fee rate must be in [0, 0.02], got {rate}")
        return v


class Tranche(_Terms):
    name: str = Field(min_length=1)
    balance: float = Field(gt=0)
    margin: float = Field(ge=0, le=0.10)
    step_up_multiple: float = Field(ge=1, le=5)
    writedown_order: int = Field(ge=0)
    rating_moodys: str = ""
    rating_sp: str = ""
    subordination: float = Field(ge=0, lt=1)
    type: str = ""


class Coupon(_Terms):
    index: Literal["LIBOR_1M"] = "LIBOR_1M"
    fixed_cap: float = Field(gt=0, le=0.5)
    afr_day_count_numerator: int = Field(ge=28, le=31)
    basis_risk_carry_interest: bool = True
    shortfall_carry_interest: bool = True


class Overcollateralization(_Terms):
    initial_target: float = Field(ge=0)
    target_fraction_of_cutoff: float = Field(ge=0, lt=1)
    target_effective_after: dt.date
    step_down: Literal[False] = False
    build_up_months: int = Field(ge=0, le=60)


_STEPS = (
    "interest_sequential",
    "principal_distribution_pro_rata",
    "excess_to_oc_pro_rata",
    "arla_reimbursement_sequential",
    "unpaid_interest_sequential",
    "basis_risk_sequential",
    "certificates",
)


class PriorityOfPayments(_Terms):
    steps: tuple[str, ...]
    unused_derivative_income: Literal["certificates"] = "certificates"

    @field_validator("steps")
    @classmethod
    def _known_order(cls, v):
        if tuple(v) != _STEPS:
            raise ValueError(f"the waterfall implements exactly {list(_STEPS)}, got {list(v)}")
        return v


class CleanUpCall(_Terms):
    pool_fraction: float = Field(gt=0, lt=1)
    date: dt.date
    price: Literal["redemption_price"] = "redemption_price"


class DerivativeRules(_Terms):
    max_term_months: int = Field(ge=1, le=480)
    notionals_decline: bool = True


class Derivative(_Terms):
    name: str
    kind: Literal["cap", "corridor", "swap"]
    start: dt.date
    end: dt.date
    notional: float | None = Field(default=None, gt=0)
    strike: float | None = Field(default=None, ge=0, le=0.5)
    upper_strike: float | None = Field(default=None, ge=0, le=0.5)
    fixed_rate: float | None = Field(default=None, ge=0, le=0.5)
    amortization_cpr: float | None = Field(default=None, ge=0, lt=1)
    # explicit schedule: list of [payment date, notional]; overrides amortization_cpr
    notional_schedule: tuple[tuple[dt.date, float], ...] | None = None

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        if self.kind == "swap" and self.fixed_rate is None:
            raise ValueError("a swap needs fixed_rate")
        if self.kind in ("cap", "corridor") and self.strike is None:
            raise ValueError(f"a {self.kind} needs strike")
        if self.kind == "corridor" and (self.upper_strike is None or self.upper_strike <= self.strike):
            raise ValueError("a corridor needs upper_strike > strike")
        if self.notional_schedule is None and (self.notional is None or self.amortization_cpr is None):
            raise ValueError("a contract needs notional_schedule (a table of [date, notional]) or the rule "
                             "notional + amortization_cpr")
        return self

    @property
    def initial_notional(self) -> float:
        """Notional on the start date [USD]."""
        return float(self.notional_schedule[0][1]) if self.notional_schedule else float(self.notional)

    def notional_schedule_on(self, payment_dates: np.ndarray) -> np.ndarray:
        """Notional [USD] for each payment date (nominal dates, datetime64[D]).

        Zero before ``start`` and after ``end``. With ``notional_schedule`` the
        listed notional holds from its date until the next entry; otherwise
        ``notional x (1 - SMM)^k`` at ``k`` months after start, SMM from
        ``amortization_cpr`` (0: constant notional), rounded to the dollar.
        """
        dates = np.asarray(payment_dates, dtype="datetime64[D]")
        start, end = np.datetime64(self.start, "D"), np.datetime64(self.end, "D")
        live = (dates >= start) & (dates <= end)
        out = np.zeros(len(dates))
        if self.notional_schedule:
            when = np.array([d for d, _ in self.notional_schedule], dtype="datetime64[D]")
            amounts = np.array([a for _, a in self.notional_schedule], dtype=np.float64)
            k = np.searchsorted(when, dates, side="right") - 1
            out = np.where(k >= 0, amounts[np.clip(k, 0, None)], 0.0)
        else:
            months = (dates.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)
            smm = conventions.smm_from_cpr(self.amortization_cpr or 0.0)
            out = np.round(self.notional * (1.0 - smm) ** np.maximum(months, 0))
        return np.where(live, out, 0.0)


class Deal(_Terms):
    """A deal's terms, validated. Build with :func:`load_deal`."""

    deal: DealInfo
    dates: Dates
    collateral: Collateral
    tranches: tuple[Tranche, ...] = Field(min_length=1)
    coupon: Coupon
    overcollateralization: Overcollateralization
    priority_of_payments: PriorityOfPayments
    clean_up_call: CleanUpCall
    derivative_rules: DerivativeRules | None = None
    derivatives: tuple[Derivative, ...] = ()
    source: str = ""

    @model_validator(mode="after")
    def _tranches_consistent(self):
        names = [t.name for t in self.tranches]
        if len(set(names)) != len(names):
            raise ValueError(f"tranche names must be unique, got {names}")
        orders = sorted(t.writedown_order for t in self.tranches if t.writedown_order > 0)
        if orders != list(range(1, len(orders) + 1)):
            raise ValueError(f"writedown_order values above 0 must be 1, 2, ... without gaps, got {orders}")
        return self

    # -- derived quantities used by the engine ---------------------------------
    @property
    def tranche_names(self) -> list[str]:
        return [t.name for t in self.tranches]

    @property
    def bond_balance(self) -> float:
        return float(sum(t.balance for t in self.tranches))

    def oc_target_on(self, payment_dates: np.ndarray) -> np.ndarray:
        """Required overcollateralization [USD] for each nominal payment date."""
        oc = self.overcollateralization
        dates = np.asarray(payment_dates, dtype="datetime64[D]")
        after = dates > np.datetime64(oc.target_effective_after, "D")
        stepped = oc.target_fraction_of_cutoff * self.collateral.cutoff_balance
        return np.where(after, stepped, oc.initial_target)

    def tranche_arrays(self) -> dict[str, np.ndarray]:
        """Tranche terms as arrays in interest-priority order (for the kernels)."""
        return {
            "balance": np.array([t.balance for t in self.tranches], dtype=np.float64),
            "margin": np.array([t.margin for t in self.tranches], dtype=np.float64),
            "step_up_multiple": np.array([t.step_up_multiple for t in self.tranches], dtype=np.float64),
            "writedown_order": np.array([t.writedown_order for t in self.tranches], dtype=np.int64),
        }


def deal_path(name_or_path: str | Path | None = None) -> Path:
    """Resolve a deal: a file path, or the name of a built-in deal (default: the reference deal)."""
    return builtin_path(REFERENCE_DEAL if name_or_path is None else name_or_path, "deals")


def load_deal(name_or_path: str | Path | None = None) -> Deal:
    """Load and validate a deal file.

    Parameters
    ----------
    name_or_path : str or Path, optional
        Path to a deal TOML file, or the name of a built-in deal
        (``"impac_cmb_2004_1"``, the default).

    Returns
    -------
    Deal

    Raises
    ------
    DealFileError
        The file is missing, not TOML, or a key is missing or out of range;
        the message names the file, the key, the value and what is allowed.
    """
    path = deal_path(name_or_path)
    data = read_toml(path, kind="deal", error=DealFileError)
    try:
        deal = Deal(**data, source=str(path))
    except ValidationError as exc:
        raise DealFileError(describe_validation_error(exc, data, kind="deal", name=path.name, model=Deal)) from None
    problem = _derivative_problem(deal)
    if problem:
        raise DealFileError(f"deal file {path.name}: {problem}")
    return deal


def _months(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def _derivative_problem(deal: Deal) -> str | None:
    """The first derivative schedule that breaks the term sheet's rules, in words; None if all hold.

    "None of the Derivative Contracts will have a remaining term in excess of 55
    months" (``derivative_rules.max_term_months``, counted in calendar months
    from the Closing Date to the contract's last Payment Date), and the
    notionals "will decline thereafter" (``derivative_rules.notionals_decline``:
    each contract's schedule never rises after its start).
    """
    rules = deal.derivative_rules
    if rules is None:
        return None
    closing = deal.dates.closing
    for i, d in enumerate(deal.derivatives):
        term = _months(closing, d.end)
        if term > rules.max_term_months:
            return (f"derivatives[{i}].end = {d.end}: {term} months after the closing date {closing}: must be at "
                    f"most {rules.max_term_months} months (derivative_rules.max_term_months)")
        for k, (when, amount) in enumerate(d.notional_schedule or ()):
            where = f"derivatives[{i}].notional_schedule[{k}] = [{when}, {amount:,.2f}]"
            if not d.start <= when <= d.end:
                return f"{where}: the date must be in [start, end] = [{d.start}, {d.end}]"
            if amount < 0:
                return f"{where}: the notional must be >= 0"
            if k == 0:
                continue
            before, previous = d.notional_schedule[k - 1]
            if when <= before:
                return f"{where}: dates must increase (the previous entry is {before})"
            if rules.notionals_decline and amount > previous:
                return (f"{where}: the notional rises; the term sheet's notionals decline after the start "
                        f"(allowed: [0, {previous:,.2f}])")
    return None
