"""The deterministic run: one rate path, one set of assumptions, every loan and bond.

:func:`run_cashflows` wires the pieces together exactly as the Monte Carlo
engine will for each path:

1. the payment schedule of the deal (:mod:`stress.calendar`);
2. every loan projected by the collateral kernel (:mod:`stress.pool`) on the
   index curves (:mod:`stress.rates.curves`);
3. the deal mechanics both runs share (:mod:`stress.mechanics`): the reset
   look-back, the Derivative Contracts' schedules, the clean-up call date
   from the projected pool balance and the waterfall's inputs;
4. the bond waterfall (:mod:`stress.waterfall`), which settles the contracts
   on the 1M LIBOR path (:mod:`stress.derivatives`);
5. the cash-flow table and the per-class summary;
6. bond analytics per class (:mod:`stress.analytics`).

Conventions
-----------
- Period ``t`` (1-based) is payment date ``t``; it is funded by due period
  ``t`` of the collateral kernel and its coupon uses 1M LIBOR at curve month
  ``t - 1``.
- Clean-up call: the first payment date on which the pool balance as of the
  end of the prior Due Period (the balance the Available Funds Rate uses) is
  <= ``pool_fraction`` of the cut-off balance, or the call date in the deal
  file, whichever is earlier. ``to="call"`` exercises
  it; ``to="maturity"`` does not, and the step-up margins apply from the
  next payment date on.
- Net mortgage rate for the Available Funds Rate: the balance-weighted net
  rate of the loans at the start of the due period (before Net Derivative
  Fees, which the waterfall deducts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from stress import analytics, conventions
from stress.assumptions import Assumptions
from stress.calendar import Schedule, payment_schedule
from stress.deal import Deal
from stress.errors import ScenarioError
from stress.mechanics import bond_inputs, clean_up_call_period, horizon, lookback_shifted, stepup_period
from stress.pool import PoolCashflows, loan_arrays, project_pool
from stress.rates.curves import CurveSet
from stress.waterfall import WaterfallResult, run_waterfall

@dataclass(frozen=True)
class CashflowRun:
    """Everything one deterministic run produced.

    Attributes
    ----------
    deal : Deal
    schedule : Schedule
    pool : PoolCashflows
        Collateral cash flows by period.
    bonds : WaterfallResult
        Bond and deal cash flows by period (and tranche).
    libor_1m : numpy.ndarray
        1M LIBOR used for each period's coupon [annual, decimal].
    derivative_net : numpy.ndarray
        Net settlement of the Derivative Contracts to the trust by period, after
        the cap of their notional at the bonds [USD].
    call_period : int
        0-based index of the first optional call date (exercised when
        ``to == "call"``), or -1 if the pool never reaches it.
    to : {"call", "maturity"}
    assumptions : Assumptions
    curve_name : str
    """

    deal: Deal
    schedule: Schedule
    pool: PoolCashflows
    bonds: WaterfallResult
    libor_1m: np.ndarray
    derivative_net: np.ndarray
    call_period: int
    to: str
    assumptions: Assumptions
    curve_name: str

    @property
    def last_period(self) -> int:
        """0-based index of the last period with anything outstanding or paid."""
        if self.to == "call" and self.call_period >= 0:
            return self.call_period
        alive = np.flatnonzero(self.pool.pool_balance_begin > conventions.NO_LOSS_USD)
        return int(alive[-1]) if alive.size else 0

    def class_cashflow(self, j: int) -> np.ndarray:
        """All cash paid to class ``j`` by period [USD]: interest, principal, reimbursements, basis risk."""
        b = self.bonds
        return (b.interest_paid[:, j] + b.principal_paid[:, j] + b.shortfall_paid[:, j]
                + b.arla_reimbursed[:, j] + b.basis_risk_paid_from_derivatives[:, j]
                + b.basis_risk_paid_from_excess[:, j])

    def class_summary(self, *, price: float = 100.0) -> pd.DataFrame:
        """Per class: WAL, modified duration, discount margin at ``price``, window, impairments.

        Parameters
        ----------
        price : float
            Price [percent of original balance] for the discount margin.

        Returns
        -------
        pandas.DataFrame
            Index: class name. Columns: ``wal_years``, ``modified_duration``
            [years], ``dm_bp`` [basis points], ``first_principal``,
            ``last_principal`` (``YYYY-MM``), ``writedown`` [USD, principal
            written down and not reimbursed], ``interest_shortfall`` [USD,
            unpaid at the end], ``basis_risk_unpaid`` [USD, carryforward
            unpaid at the end].
        """
        b = self.bonds
        end = self.last_period
        rows = {}
        for j, name in enumerate(self.deal.tranche_names):
            principal = b.principal_paid[:, j]
            cash = self.class_cashflow(j)
            dm = analytics.discount_margin(cash, self.libor_1m, self.schedule.accrual_days,
                                           price=price, original_balance=self.deal.tranches[j].balance)
            first, last = analytics.payment_window(principal, self.schedule.unadjusted_dates)
            rows[name] = {
                "wal_years": analytics.weighted_average_life(principal, self.schedule.years_from_settlement),
                "modified_duration": analytics.modified_duration(cash, self.libor_1m, self.schedule.accrual_days,
                                                                 margin=dm),
                "dm_bp": dm * 1e4,
                "first_principal": first,
                "last_principal": last,
                "writedown": float(b.allocated_realized_loss[end, j]),
                "interest_shortfall": float(b.interest_shortfall[end, j]),
                "basis_risk_unpaid": float(b.basis_risk_carryforward[end, j]),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def period_table(self) -> pd.DataFrame:
        """The full per-period collateral and bond cash-flow table (one row per payment date)."""
        b, p = self.bonds, self.pool
        n = self.last_period + 1
        frame = pd.DataFrame({
            "date": self.schedule.payment_dates[:n].astype(str),
            "accrual_days": self.schedule.accrual_days[:n],
            "libor_1m": self.libor_1m[:n],
            "afr": b.afr[:n],
            "pool_balance": p.pool_balance_end[:n],
            "scheduled_principal": p.scheduled_principal[:n],
            "advanced_principal": p.advanced_principal[:n],
            "prepayment": p.prepayment[:n],
            "repurchased_balance": p.repurchased_balance[:n],
            "default_balance": p.default_balance[:n],
            "liquidated_balance": p.liquidated_balance[:n],
            "realized_loss": p.realized_loss[:n],
            "scheduled_interest": p.scheduled_interest[:n],
            "advanced_interest": p.advanced_interest[:n],
            "repurchase_interest": p.repurchase_interest[:n],
            "servicing_fee": p.servicing_fee[:n],
            "master_servicing_fee": p.master_servicing_fee[:n],
            "trustee_fee": p.trustee_fee[:n],
            "lpmi_premium": p.lpmi_premium[:n],
            "net_interest": p.net_interest[:n],
            "principal_remittance": p.principal_remittance[:n],
            "derivative_net": self.derivative_net[:n],
            "derivative_fee": b.derivative_fee[:n],
            "afr_with_derivatives": b.afr_with_derivatives[:n],
            "bond_balance": b.balance[:n].sum(axis=1),
            "oc": b.oc[:n],
            "oc_target": b.oc_target[:n],
            "oc_release": b.oc_release[:n],
            "excess_cashflow": b.excess_cashflow[:n],
            "extra_principal": b.extra_principal[:n],
            "cap_income": b.derivative_income[:n],
            "certificate_residual": b.certificate_residual[:n],
            "call_proceeds": b.call_proceeds[:n],
            "cpr": self.realized_cpr()[:n],
            "cdr": self.realized_cdr()[:n],
        })
        for j, name in enumerate(self.deal.tranche_names):
            frame[f"{name} balance"] = b.balance[:n, j]
            frame[f"{name} coupon"] = b.coupon[:n, j]
            frame[f"{name} interest"] = b.interest_paid[:n, j]
            frame[f"{name} principal"] = b.principal_paid[:n, j]
            frame[f"{name} writedown"] = b.writedown[:n, j]
        for c, name in enumerate(b.contract_names):
            frame[f"{name} notional"] = b.derivative_notional[:n, c]
            frame[f"{name} net payment"] = b.derivative_payment[:n, c]
        frame.index = pd.RangeIndex(1, n + 1, name="period")
        return frame

    def realized_cpr(self) -> np.ndarray:
        """CPR by period as the remittance report computes it.

        SMM = (prepayments + repurchases) / (beginning balance - scheduled principal, advanced included).
        """
        from stress.conventions import period_cpr

        p = self.pool
        return period_cpr(p.prepayment + p.repurchased_balance, p.pool_balance_begin,
                          p.scheduled_principal + p.advanced_principal)

    def realized_cdr(self) -> np.ndarray:
        """CDR by period as the remittance report computes it (liquidated / beginning balance)."""
        from stress.conventions import period_cdr

        p = self.pool
        return period_cdr(p.liquidated_balance, p.pool_balance_begin)


def run_cashflows(deal: Deal, tape: pd.DataFrame, curve: CurveSet, assumptions: Assumptions, *,
                  to: Literal["call", "maturity"] = "call", n_periods: int | None = None) -> CashflowRun:
    """Run the deal once, deterministically.

    Parameters
    ----------
    deal : Deal
        From :func:`stress.deal.load_deal`.
    tape : pandas.DataFrame
        A validated loan tape (:func:`stress.collateral.read_tape`).
    curve : CurveSet
        Index paths by month from the cut-off date.
    assumptions : Assumptions
        Prepayment, default, severity, lag, advancing, servicing options.
    to : {"call", "maturity"}
        Exercise the clean-up call on its first date, or run to maturity with
        stepped-up margins after that date.
    n_periods : int, optional
        Payment dates to project [months]. Default: the longest remaining
        term plus the liquidation lag, so loans defaulting in their last
        months are liquidated inside the run.

    Returns
    -------
    CashflowRun
    """
    # The ARM rate rounding and the pricing speed (100% PPC) are the deal's terms.
    assumptions = replace(assumptions, rounding=deal.collateral.rate_rounding,
                          pricing_speed_cpr=deal.collateral.pricing_speed_cpr)
    if n_periods is None:
        n_periods = horizon(tape, assumptions.liquidation_lag)
    if to not in ("call", "maturity"):
        raise ScenarioError(f"to = {to!r}: must be 'call' or 'maturity'")
    if curve.n_months < n_periods:
        raise ScenarioError(f"curve {curve.name}: {curve.n_months} months: need at least {n_periods}")
    schedule = payment_schedule(deal, n_periods)
    loans = loan_arrays(tape, master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                        trustee_fee_rate=deal.collateral.trustee_fee_rate)
    # The kernel reads an adjustment at month a from column a - 1; a deal with a
    # longer look-back shifts the curve right (earlier observations).
    index_rates = lookback_shifted(curve.rates, deal.collateral.reset_lookback_months)
    pool = project_pool(loans, index_rates, assumptions, n_periods=n_periods)

    libor = np.ascontiguousarray(curve.libor_1m[:n_periods])
    call_period = clean_up_call_period(deal, schedule, pool.pool_balance_begin)
    call_rule = "always" if to == "call" else "never"
    inputs = bond_inputs(deal, schedule, pool, libor, oc_target=deal.oc_target_on(schedule.unadjusted_dates),
                         stepup_period=stepup_period(call_period, call_rule, n_periods),
                         call_period=call_period, call_rule=call_rule)
    bonds = run_waterfall(inputs)
    derivative_net = bonds.derivative_payment.sum(axis=-1)
    return CashflowRun(deal, schedule, pool, bonds, libor, derivative_net, call_period, to,
                       assumptions, curve.name)
