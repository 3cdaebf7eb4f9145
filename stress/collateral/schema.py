"""The loan tape schema: one row per loan, rates and ratios as decimals.

Every reader and writer of a tape goes through this module, so the columns,
their types, the categorical vocabularies and the validity rules live in
exactly one place.

Conventions
-----------
- Rates, fee rates, caps, margins, LTV and DTI are decimals: 5.776% is
  ``0.05776``; an 80% LTV is ``0.80``.
- ``months_to_reset`` counts months from the cut-off date (2004-01-01 for the
  reference deal) to the first rate adjustment still to come: 1 means the
  February 2004 adjustment, so the first payment at the new rate is the one
  due 2004-03-01.
- ``reset_frequency`` is the number of months between adjustments after the
  first one (6 for ``LIB6M`` products, 12 for ``LIB12M`` and ``CMT1Y``).
- ``initial_cap`` bounds the change at the first adjustment still to come,
  ``periodic_cap`` every later one; ``max_rate`` / ``min_rate`` are the
  lifetime cap and floor. A loan already past its first adjustment
  (a seasoned ``30Y LIB6M``) carries ``initial_cap == periodic_cap``.
- ``lpmi_rate`` is the lender-paid mortgage insurance premium rate the trust
  pays out of interest (the term sheet's "Premium Rate"); it is zero on loans
  without lender-paid cover. ``mi_insured`` says whether the loan has primary
  mortgage insurance at all, whoever pays for it: the term sheet's
  "80% LTV/PMI Analysis" counts borrower- and lender-paid cover together.
- ``fico`` and ``dti`` are missing (NaN) where the term sheet says unknown.
- Categorical values are spelled as the term sheet prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCTS: dict[str, tuple[str, int]] = {
    # product -> (index, reset frequency in months after the first reset)
    "30Y LIB6M": ("LIBOR_6M", 6),
    "2/28 LIB6M": ("LIBOR_6M", 6),
    "3/27 LIB6M": ("LIBOR_6M", 6),
    "5/25 LIB6M": ("LIBOR_6M", 6),
    "7/23 LIB6M": ("LIBOR_6M", 6),
    "10/20 LIB6M": ("LIBOR_6M", 6),
    "3/1 LIB12M": ("LIBOR_12M", 12),
    "5/1 LIB12M": ("LIBOR_12M", 12),
    "3/1 CMT1Y": ("CMT_1Y", 12),
    "5/1 CMT1Y": ("CMT_1Y", 12),
}

INDICES: tuple[str, ...] = ("LIBOR_1M", "LIBOR_6M", "LIBOR_12M", "CMT_1Y")

DOC_TYPES: tuple[str, ...] = ("FULL", "REDUCED", "SISA", "NO RATIO", "NISA", "NINA", "NAV")
PURPOSES: tuple[str, ...] = ("PUR", "REFI", "REFI/CO")
OCCUPANCIES: tuple[str, ...] = ("OWNER OCC", "2ND HM", "INV HM")
PROPERTY_TYPES: tuple[str, ...] = ("SFR", "PUD", "CND", "2-4 FAMILY", "MANUF")
STATES: tuple[str, ...] = (
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA",
    "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS",
    "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA",
    "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
)


@dataclass(frozen=True)
class Column:
    """One tape column: its kind, bounds or vocabulary, and meaning."""

    name: str
    kind: str  # "str", "float", "int", "bool", "category"
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("loan_id", "str", "unique loan identifier"),
    Column("product", "category", "product as printed in the term sheet", choices=tuple(PRODUCTS)),
    Column("index", "category", "ARM index", choices=INDICES),
    Column("balance", "float", "scheduled principal balance at cut-off [USD]", 0.01, 1e8),
    Column("gross_rate", "float", "current note rate [annual, decimal]", 0.0, 0.25),
    Column("servicing_fee_rate", "float", "sub-servicing fee rate [annual, decimal]", 0.0, 0.02),
    Column("lpmi_rate", "float", "lender-paid MI premium rate paid by the trust [annual, decimal]", 0.0, 0.05),
    Column("margin", "float", "ARM gross margin over the index [decimal]", 0.0, 0.15),
    Column("months_to_reset", "int", "months from cut-off to the next rate adjustment", 1, 480),
    Column("reset_frequency", "int", "months between later adjustments", 1, 120),
    Column("initial_cap", "float", "cap on the change at the next adjustment [decimal]", 0.0, 0.15),
    Column("periodic_cap", "float", "cap on the change at later adjustments [decimal]", 0.0, 0.15),
    Column("max_rate", "float", "lifetime cap [annual, decimal]", 0.0, 0.30),
    Column("min_rate", "float", "lifetime floor [annual, decimal]", 0.0, 0.25),
    Column("original_term", "int", "original amortization term [months]", 1, 480),
    Column("remaining_term", "int", "remaining term at cut-off [months]", 1, 480),
    Column("age", "int", "months since first payment at cut-off", 0, 480),
    Column("ltv", "float", "original loan-to-value ratio [decimal]", 0.01, 1.25),
    Column("fico", "float", "FICO score at origination; NaN when unknown", 300, 850, nullable=True),
    Column("dti", "float", "debt-to-income ratio [decimal]; NaN when unknown", 0.0, 1.0, nullable=True),
    Column("doc_type", "category", "documentation type", choices=DOC_TYPES),
    Column("purpose", "category", "loan purpose", choices=PURPOSES),
    Column("occupancy", "category", "occupancy", choices=OCCUPANCIES),
    Column("property_type", "category", "property type", choices=PROPERTY_TYPES),
    Column("state", "category", "two-letter property state", choices=STATES),
    Column("prepay_penalty_months", "int", "original prepayment penalty term [months]", 0, 120),
    Column("mi_insured", "bool", "primary mortgage insurance in force (borrower- or lender-paid)"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

