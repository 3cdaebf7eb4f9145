"""Shared fixtures: small hand-made tapes and the reference deal."""

from __future__ import annotations

import pandas as pd
import pytest

from stress.deal import load_deal
from stress.scenario import scenario_path


def small_tape_rows() -> list[dict]:
    """Three valid loans, one per index family, written as a loan tape would hold them."""
    base = dict(
        servicing_fee_rate=0.00375, lpmi_rate=0.0, initial_cap=0.03, periodic_cap=0.01,
        original_term=360, remaining_term=359, age=1, dti=0.38, doc_type="REDUCED", purpose="PUR",
        occupancy="OWNER OCC", property_type="SFR", state="CA", prepay_penalty_months=24,
        mi_insured=False,
    )
    return [
        dict(base, loan_id="L1", product="2/28 LIB6M", index="LIBOR_6M", balance=250_000.0,
             gross_rate=0.0575, margin=0.035, months_to_reset=23, reset_frequency=6,
             max_rate=0.1175, min_rate=0.035, ltv=0.80, fico=700),
        dict(base, loan_id="L2", product="5/1 LIB12M", index="LIBOR_12M", balance=500_000.0,
             gross_rate=0.05, margin=0.0225, months_to_reset=59, reset_frequency=12,
             initial_cap=0.05, periodic_cap=0.02, max_rate=0.10, min_rate=0.0225, ltv=0.70,
             fico=float("nan"), dti=float("nan")),
        dict(base, loan_id="L3", product="3/1 CMT1Y", index="CMT_1Y", balance=150_000.0,
             gross_rate=0.0675, lpmi_rate=0.0095, margin=0.0275, months_to_reset=35,
             reset_frequency=12, initial_cap=0.02, periodic_cap=0.02, max_rate=0.1275,
             min_rate=0.0275, ltv=0.95, fico=640, mi_insured=True, doc_type="NINA",
             occupancy="INV HM", purpose="REFI/CO"),
    ]


@pytest.fixture
def small_tape() -> pd.DataFrame:
    return pd.DataFrame(small_tape_rows())


@pytest.fixture(scope="session")
def deal():
    return load_deal()


def write_vectors_base(path) -> None:
    """The base scenario with CPR/CDR vectors (100 PPC, 2% CDR, 40% severity) instead of the behaviour models:
    a cheap Monte Carlo run for tests that drive the command line as a process."""
    text = scenario_path("base").read_text()
    assert 'mode = "models"\nparameters = "base"' in text and 'collateral_draws = "loan"' in text
    # vector stresses are quoted as expected values (the base scenario's [randomness] says why)
    text = text.replace('collateral_draws = "loan"', 'collateral_draws = "expected"')
    path.write_text(text.replace('mode = "models"\nparameters = "base"',
                                 'mode = "vectors"\nprepayment = "100 PPC"\ndefault = 0.02\nseverity = 0.4'))
