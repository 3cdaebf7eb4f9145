"""Per-path results of a Monte Carlo run: reduction, coordinates, provenance.

:mod:`stress.variables` registers every result variable (dims, units,
description); :func:`reduce_chunk` fills them from a chunk's cash flows. A new
output variable is one entry there and one line here.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

import stress
from stress import conventions
from stress.collateral_model import BehaviourModel
from stress.scenario import Scenario
from stress.variables import create_dataset

if TYPE_CHECKING:
    from stress.engine import RunContext

__all__ = ["reduce_chunk", "result_coords", "run_attrs", "summary_attrs", "scenario_hash", "tape_hash",
           "chunk_dataset"]


def reduce_chunk(ctx: RunContext, paths, pool: dict, bonds, call: np.ndarray) -> dict[str, np.ndarray]:
    """A chunk's cash flows reduced to the per-path result variables of :mod:`stress.variables`.

    Parameters
    ----------
    ctx : stress.engine.RunContext
        The run.
    paths, pool, bonds, call
        :func:`stress.engine.chunk_cashflows` of the chunk: the generated paths, the pool's (p, t)
        arrays [USD], the :class:`~stress.waterfall.WaterfallResult` and the 0-based call period per
        path (-1: not exercised).

    Returns
    -------
    dict of str to numpy.ndarray
        One array per registered variable, leading dim = path. Collateral outputs are zero after a
        path's call (the loans belong to the buyer).
    """
    n = ctx.n_periods
    t = np.arange(n)
    last = np.where(call >= 0, call, n - 1)
    alive = t[None, :] <= last[:, None]  # (p, t): the trust still owns the loans
    original = np.array([tr.balance for tr in ctx.deal.tranches])

    def owned(x):
        return np.where(alive, x, 0.0)

    # the remittance report's SMM counts repurchases with prepayments
    cpr = owned(conventions.period_cpr(pool["prepayment"] + pool["repurchased_balance"], pool["pool_balance_begin"],
                                       pool["scheduled_principal"] + pool["advanced_principal"]))
    cdr = owned(conventions.period_cdr(pool["liquidated_balance"], pool["pool_balance_begin"]))
    bond_balance = bonds.balance.sum(axis=-1)
    end_loss = bonds.principal_lost(last)
    principal = bonds.principal_paid
    years = ctx.schedule.years_from_settlement
    with np.errstate(invalid="ignore", divide="ignore"):
        wal = np.einsum("ptj,t->pj", principal, years) / principal.sum(axis=1)
    hit = bonds.writedown > conventions.NO_LOSS_USD
    first_loss = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1.0, np.nan)
    breach = ((bonds.oc < ctx.oc_target[None, :] - conventions.NO_LOSS_USD) & (t[None, :] >= ctx.oc_breach_from)
              & (bond_balance > conventions.NO_LOSS_USD) & alive)
    first_breach = np.where(breach.any(axis=1), breach.argmax(axis=1) + 1.0, np.nan)
    realized = owned(pool["realized_loss"])
    return {
        "libor_1m": paths.index_rates[:, 0, :n],
        "afr": bonds.afr,
        "pool_balance": owned(pool["pool_balance_end"]),
        "bond_balance": bond_balance,
        "oc": bonds.oc,
        "oc_target": bonds.oc_target,
        "excess_cashflow": bonds.excess_cashflow,
        "cap_income": bonds.derivative_income,
        "derivative_fee": bonds.derivative_fee,
        "afr_with_derivatives": bonds.afr_with_derivatives,
        "derivative_notional": bonds.derivative_notional,
        "derivative_payment": bonds.derivative_payment,
        "certificate_residual": bonds.certificate_residual,
        "cpr": cpr,
        "cdr": cdr,
        "collateral_loss": realized,
        "hpi": paths.hpi_national[:, :n],
        "balance": bonds.balance,
        "coupon": bonds.coupon,
        "interest_paid": bonds.interest_paid,
        "principal_paid": principal,
        "writedown": bonds.writedown,
        "interest_shortfall": bonds.interest_shortfall,
        "basis_risk_carryforward": bonds.basis_risk_carryforward,
        "loss_pct": end_loss / original[None, :],
        "wal_years": wal,
        "first_loss_period": first_loss,
        "cumulative_collateral_loss_pct": realized.sum(axis=1) / ctx.deal.collateral.cutoff_balance,
        "oc_breach_months": breach.sum(axis=1).astype(np.float64),
        "first_oc_breach_period": first_breach,
        "call_period": np.where(call >= 0, call + 1.0, np.nan),
        "call_exercised": (call >= 0).astype(np.float64),
        "weight": paths.weight,
    }


def result_coords(ctx: RunContext, path_ids: np.ndarray) -> dict:
    """Coordinates of a results Dataset over paths ``path_ids``: path, period, tranche, contract, date."""
    return {
        "path": ("path", np.asarray(path_ids, dtype=np.int64)),
        "period": ("period", np.arange(1, ctx.n_periods + 1)),
        "tranche": ("tranche", np.array(ctx.tranche_names, dtype=object).astype(str)),
        "contract": ("contract", np.array([c.name for c in ctx.waterfall_terms["contracts"]],
                                          dtype=object).astype(str)),
        "date": ("period", ctx.schedule.payment_dates.astype("datetime64[ns]")),
    }


def run_attrs(ctx: RunContext, n_paths: int, chunk_size: int) -> dict:
    """A run's provenance as Dataset attributes: scenario, behaviour, deal, tape, seed, chunking."""
    s = ctx.scenario
    # the behaviour coefficients a model run used (a vector run has none)
    behaviour_json = ctx.model.params.model_dump_json() if isinstance(ctx.model, BehaviourModel) else ""
    return {
        "title": f"{ctx.deal.deal.name}: Monte Carlo results, scenario {s.name}",
        "scenario": s.name,
        "scenario_description": s.scenario.description,
        "scenario_file": s.path,
        "scenario_json": s.model_dump_json(),
        "scenario_hash": scenario_hash(s),
        "behaviour_json": behaviour_json,
        "behaviour_hash": hashlib.sha256(behaviour_json.encode()).hexdigest() if behaviour_json else "",
        "deal": ctx.deal.deal.name,
        "deal_file": ctx.deal.source,
        "tape_hash": tape_hash(ctx.tape),
        "seed": int(ctx.seed),
        "n_paths": int(n_paths),
        "chunk_size": int(chunk_size),
        "to": ctx.to,
        "call_rule": ctx.call_rule,
        "behaviour_mode": s.behaviour.mode,
        # "expected" (each loan a fraction at its hazards) or "loan" (loan-level draws, stress.kernels.counter_rng)
        "collateral_draws": s.randomness.collateral_draws,
        "rate_model": s.rates.model,
        "stress_version": stress.__version__,
        "margins": [float(t.margin) for t in ctx.deal.tranches],
        # [USD] per class: turns loss_pct back into money for the no-loss threshold (metrics.loss_hits)
        "original_balances": [float(t.balance) for t in ctx.deal.tranches],
        "oc_build_up_periods": int(ctx.oc_breach_from),
        "Conventions": "CF-1.10",
    }


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the validated scenario (what the run depends on, not the file's comments)."""
    payload = scenario.model_dump(exclude={"path"}, mode="json")
    if payload["randomness"].get("collateral_draws") == "expected":  # the default: hashes (and resumable stores)
        del payload["randomness"]["collateral_draws"]               # from before the key existed stay valid
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def tape_hash(tape: pd.DataFrame) -> str:
    """SHA-256 of a tape's contents."""
    digest = hashlib.sha256()
    for column in tape.columns:
        digest.update(column.encode())
        digest.update(pd.util.hash_pandas_object(tape[column], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def chunk_dataset(ctx: RunContext, path_ids: np.ndarray, arrays: dict) -> xr.Dataset:
    """A chunk's arrays as a labelled Dataset."""
    return create_dataset(arrays, coords=result_coords(ctx, path_ids), attrs={})


def summary_attrs(attrs: dict) -> dict:
    """A run's attributes for ``summary.json``: all but the full scenario and behaviour JSON."""
    return {k: v for k, v in attrs.items() if k not in ("scenario_json", "behaviour_json")}
