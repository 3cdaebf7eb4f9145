"""Rating-level stresses by an agency-style loan-level method: foreclosure frequency x loss severity.

Every loan gets a foreclosure frequency (FF) and a loss severity (LS) at each
rating level from its attributes, by the tables of a criteria file
(``scenarios/ratings/agency_levels.toml``, which gives the formulas, the
sources and which numbers are published and which are labelled assumptions)::

    FF = min(1, base_ff x ff_multiple[level] x LTV x FICO x documentation x occupancy x purpose
                x product x loan size factors)
    LS = clip(1 + foreclosure_cost + carry_months x (note rate + carry_rate) / 12
              - (1 - market_value_decline[level]) / LTV - MI, 0, 1)
    MI = coverage(LTV) x (1 - mi_claim_haircut) x (1 + foreclosure_cost + carry)   on insured loans

The pool stress at a level is the balance-weighted default ``sum(b FF) / sum(b)``
at the default-weighted severity ``sum(b FF LS) / sum(b FF)``. It is run on the
deal as the agencies do: the default spread over the criteria's yearly timing
as a CDR vector (:func:`stress.stresses.cdr_vector_for_cumulative_default`),
liquidated after the lag at the pool severity, on the forward curve, at each of
the criteria's prepayment speeds, **to maturity, with no credit for the
clean-up call**. A class passes a level when it takes no principal loss (one
cent) at every speed; its loss at a level is the worst over the speeds; its
implied rating is the strongest level passed with every weaker level passed
too (ratings are read top down).

>>> from stress.collateral import reference_tape
>>> from stress.ratings import load_criteria, loan_stresses
>>> table = loan_stresses(reference_tape(), load_criteria(), "AAA")
>>> sorted(table.columns)
['ff', 'ls']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stress import conventions
from stress.collateral.schema import DOC_TYPES, OCCUPANCIES, PRODUCTS, PURPOSES
from stress.config_files import builtin_path, check_category_table, describe_validation_error, read_toml
from stress.errors import StressInputError

__all__ = ["RatingCriteriaError", "RatingCriteria", "load_criteria", "loan_stresses", "pool_stress",
           "rating_stress_table", "DEFAULT_CRITERIA"]

DEFAULT_CRITERIA = "agency_levels"


class RatingCriteriaError(StressInputError):
    """A rating-criteria file that is missing, unreadable or breaks a rule."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_points(name: str, points: list[list[float]]) -> list[list[float]]:
    xs = [p[0] for p in points]
    if len(points) < 1 or any(len(p) != 2 for p in points):
        raise ValueError(f"{name}: must be a list of [x, factor] pairs")
    if xs != sorted(xs) or len(set(xs)) != len(xs):
        raise ValueError(f"{name}: x values must be strictly increasing")
    if any(p[1] < 0 for p in points):
        raise ValueError(f"{name}: factors must be >= 0")
    return points


class Timing(_Section):
    default_timing: list[float]
    liquidation_lag: int = Field(ge=0, le=120)
    advancing: bool = True
    prepayment: list[str | float] = Field(min_length=1)

    @field_validator("default_timing")
    @classmethod
    def _shares(cls, v):
        if not v or any(x < 0 for x in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError("must be non-negative yearly shares summing to 1")
        return v


class Severity(_Section):
    foreclosure_cost: float = Field(ge=0.0, le=1.0)
    carry_months: int = Field(ge=0, le=120)
    carry_rate: float = Field(ge=0.0, le=0.2)
    mi_coverage_above_95: float = Field(ge=0.0, le=1.0)
    mi_coverage_above_90: float = Field(ge=0.0, le=1.0)
    mi_coverage_above_85: float = Field(ge=0.0, le=1.0)
    mi_coverage_other: float = Field(ge=0.0, le=1.0)
    mi_claim_haircut: float = Field(ge=0.0, le=1.0)


class Level(_Section):
    rating: str
    ff_multiple: float = Field(gt=0.0, le=10.0)
    market_value_decline: float = Field(ge=0.0, lt=1.0)


class Factors(_Section):
    ltv: list[list[float]]
    fico: list[list[float]]
    fico_missing: float = Field(ge=0.0, le=20.0)
    loan_size: list[list[float]]
    doc_type: dict[str, float]
    occupancy: dict[str, float]
    purpose: dict[str, float]
    product: dict[str, float]

    @field_validator("ltv", "fico", "loan_size")
    @classmethod
    def _points(cls, v, info):
        return _check_points(info.field_name, v)

    @model_validator(mode="after")
    def _complete(self):
        for name, vocabulary in (("doc_type", DOC_TYPES), ("occupancy", OCCUPANCIES), ("purpose", PURPOSES),
                                 ("product", tuple(PRODUCTS))):
            check_category_table(name, getattr(self, name), vocabulary, low=0.0, high=20.0, what="a frequency multiple")
        return self


class RatingCriteria(_Section):
    """A loan-level rating method's tables (see ``scenarios/ratings/agency_levels.toml``)."""

    source: str
    base_ff: float = Field(gt=0.0, le=1.0)
    archetype_note_rate: float = Field(ge=0.0, le=0.25)
    timing: Timing
    severity: Severity
    levels: list[Level]
    factors: Factors
    path: str = ""

    @field_validator("levels")
    @classmethod
    def _ordered(cls, v):
        if not v:
            raise ValueError("at least one rating level")
        names = [lv.rating for lv in v]
        if len(set(names)) != len(names):
            raise ValueError("rating names must be unique")
        for a, b in zip(v, v[1:]):
            if b.ff_multiple > a.ff_multiple or b.market_value_decline > a.market_value_decline:
                raise ValueError(f"{b.rating}: must not be harsher than {a.rating} (levels strongest first)")
        return v

    @property
    def ratings(self) -> list[str]:
        return [lv.rating for lv in self.levels]

    def level(self, rating: str) -> Level:
        for lv in self.levels:
            if lv.rating == rating:
                return lv
        raise RatingCriteriaError(f"rating level {rating!r}: not in the criteria; allowed: {', '.join(self.ratings)}")


def load_criteria(name_or_path: str | Path | None = None) -> RatingCriteria:
    """Load and validate a rating-criteria file (default: the built-in ``agency_levels``).

    Raises
    ------
    RatingCriteriaError
        Missing file, bad TOML, an unknown key or a value out of range; the
        message names the file, the key, the value and the rule.
    """
    path = builtin_path(DEFAULT_CRITERIA if name_or_path is None else name_or_path, "ratings")
    data = read_toml(path, kind="rating criteria", error=RatingCriteriaError)
    try:
        return RatingCriteria(**data, path=str(path))
    except ValidationError as exc:
        raise RatingCriteriaError(describe_validation_error(exc, data, kind="rating criteria", name=path.name,
                                                            model=RatingCriteria)) from None


def _interp(points: list[list[float]], x: np.ndarray) -> np.ndarray:
    xs, ys = zip(*points)
    return np.interp(x, xs, ys)  # flat outside the table


def _mi_coverage(ltv: np.ndarray, insured: np.ndarray, sv: Severity) -> np.ndarray:
    cov = np.where(ltv > 0.95, sv.mi_coverage_above_95,
                   np.where(ltv > 0.90, sv.mi_coverage_above_90,
                            np.where(ltv > 0.85, sv.mi_coverage_above_85, sv.mi_coverage_other)))
    return np.where(insured, cov * (1.0 - sv.mi_claim_haircut), 0.0)


def loan_stresses(tape: pd.DataFrame, criteria: RatingCriteria, rating: str) -> pd.DataFrame:
    """Per-loan foreclosure frequency ``ff`` and loss severity ``ls`` [decimal] at one rating level.

    Parameters
    ----------
    tape : pandas.DataFrame
        A validated loan tape (columns ``ltv``, ``fico``, ``doc_type``,
        ``occupancy``, ``purpose``, ``product``, ``balance``, ``gross_rate``,
        ``mi_insured``).
    criteria : RatingCriteria
    rating : str
        A level of the criteria (``"AAA"`` ... ``"BB"``).
    """
    lv = criteria.level(rating)
    f, sv = criteria.factors, criteria.severity
    ltv = tape["ltv"].to_numpy(dtype=np.float64)
    fico = tape["fico"].to_numpy(dtype=np.float64)
    fico_factor = np.where(np.isnan(fico), f.fico_missing, _interp(f.fico, np.nan_to_num(fico, nan=0.0)))
    table = lambda mapping, column: tape[column].map(mapping).to_numpy(dtype=np.float64)  # noqa: E731
    ff = (criteria.base_ff * lv.ff_multiple * _interp(f.ltv, ltv) * fico_factor
          * table(f.doc_type, "doc_type") * table(f.occupancy, "occupancy") * table(f.purpose, "purpose")
          * table(f.product, "product") * _interp(f.loan_size, tape["balance"].to_numpy(dtype=np.float64)))
    claim = 1.0 + sv.foreclosure_cost + sv.carry_months * (tape["gross_rate"].to_numpy(dtype=np.float64)
                                                           + sv.carry_rate) / 12.0
    mi = _mi_coverage(ltv, tape["mi_insured"].to_numpy(dtype=bool), sv) * claim
    ls = np.clip(claim - (1.0 - lv.market_value_decline) / ltv - mi, 0.0, 1.0)
    return pd.DataFrame({"ff": np.minimum(ff, 1.0), "ls": ls}, index=tape.index)


def pool_stress(tape: pd.DataFrame, criteria: RatingCriteria, rating: str) -> tuple[float, float]:
    """(cumulative default [fraction of the cut-off balance], severity [decimal]) of the pool at a level."""
    loans = loan_stresses(tape, criteria, rating)
    balance = tape["balance"].to_numpy(dtype=np.float64)
    defaulted = balance * loans["ff"].to_numpy()
    cumulative = float(defaulted.sum() / balance.sum())
    severity = float((defaulted * loans["ls"].to_numpy()).sum() / defaulted.sum()) if defaulted.sum() > 0 else 0.0
    return cumulative, severity


def rating_stress_table(deal, tape: pd.DataFrame, criteria: RatingCriteria | None = None, *,
                        curve=None) -> pd.DataFrame:
    """Each class's principal loss and pass / fail at every rating level, and its implied rating.

    Parameters
    ----------
    deal : stress.deal.Deal
    tape : pandas.DataFrame
    criteria : RatingCriteria, optional
        Default: :func:`load_criteria`.
    curve : stress.rates.curves.CurveSet, optional
        Default: the forward curve of the reference deal.

    Returns
    -------
    pandas.DataFrame
        Index: class. Columns ``loss_<RATING>`` (principal lost / original
        class balance, 0 below one cent) and ``pass_<RATING>`` per level,
        ``implied_rating``, ``rating_sp`` and ``rating_moodys`` (the term
        sheet's expected ratings from the deal file). ``attrs`` hold the pool
        default, severity and loss per level and the realized collateral loss
        at each prepayment speed (``pool``), and ``to = "maturity"``.
    """
    from stress.cashflows import run_cashflows
    from stress.rates.curves import forward_curve
    from stress.scenario import parse_scenario

    criteria = criteria or load_criteria()
    curve = curve or forward_curve(n_months=max(420, int(tape["remaining_term"].max()) + 130))
    original = np.array([t.balance for t in deal.tranches])
    out = pd.DataFrame(index=list(deal.tranche_names))
    pool = {}
    tm = criteria.timing
    cutoff = float(tape["balance"].sum())
    for lv in criteria.levels:
        cumulative, severity = pool_stress(tape, criteria, lv.rating)
        pool[lv.rating] = {"cumulative_default": cumulative, "severity": severity, "loss": cumulative * severity}
        worst = np.zeros(len(original))
        for speed in tm.prepayment:
            scenario = parse_scenario({
                "scenario": {"name": f"rating_method_{lv.rating.lower()}", "to": "maturity"},
                "behaviour": {"mode": "vectors", "prepayment": speed, "cumulative_default": cumulative,
                              "default_timing": tm.default_timing, "severity": severity,
                              "liquidation_lag": tm.liquidation_lag, "advancing": tm.advancing},
            }, source=criteria.path or "<criteria>")
            run = run_cashflows(deal, tape, curve, scenario.collateral_model(deal=deal, tape=tape, curve=curve)
                                .assumptions, to="maturity")  # no call credit
            lost = run.bonds.principal_lost(run.last_period)
            worst = np.maximum(worst, np.where(lost > conventions.NO_LOSS_USD, lost / original, 0.0))
            realized = float(run.pool.realized_loss[: run.last_period + 1].sum() / cutoff)
            pool[lv.rating][f"realized_loss {speed}"] = realized
        out[f"loss_{lv.rating}"] = worst
        out[f"pass_{lv.rating}"] = worst <= 0.0

    def implied(row) -> str:
        best = f"below {criteria.ratings[-1]}"
        for rating in reversed(criteria.ratings):  # weakest first: the strongest level of an unbroken run
            if not row[f"pass_{rating}"]:
                break
            best = rating
        return best

    out["implied_rating"] = out.apply(implied, axis=1)
    out["rating_sp"] = [t.rating_sp for t in deal.tranches]
    out["rating_moodys"] = [t.rating_moodys for t in deal.tranches]
    out.attrs["pool"] = pool
    out.attrs["to"] = "maturity"
    return out
