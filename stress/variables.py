"""Every variable a Monte Carlo results Dataset may hold: dims, units, meaning.

Someone adding an output adds it here and in the code that fills it;
:func:`create_dataset` refuses a variable that is not registered or has the
wrong dims, so results always carry units and long names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr


@dataclass(frozen=True)
class Variable:
    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    dtype: str = "float64"


_PP = ("path", "period")
_PPT = ("path", "period", "tranche")
_PT = ("path", "tranche")
_PPC = ("path", "period", "contract")
_P = ("path",)

VARIABLES: dict[str, Variable] = {v.name: v for v in (
    # per path x period: rates and deal state
    Variable("libor_1m", _PP, "1", "one-month LIBOR set for the accrual period (annual rate, decimal)"),
    Variable("afr", _PP, "1", "Available Funds Rate (annual rate, decimal, actual/360); NaN with no bonds"),
    Variable("pool_balance", _PP, "USD", "aggregate loan balance at the end of the due period"),
    Variable("bond_balance", _PP, "USD", "aggregate bond balance after the payment date"),
    Variable("oc", _PP, "USD", "overcollateralization after distributions (pool - bonds)"),
    Variable("oc_target", _PP, "USD", "required overcollateralization"),
    Variable("excess_cashflow", _PP, "USD", "Excess Cash Flow before it builds OC"),
    Variable("cap_income", _PP, "USD", "derivative contract receipts available for basis risk"),
    Variable("derivative_fee", _PP, "USD", "Net Derivative Fees paid by the trust"),
    Variable("afr_with_derivatives", _PP, "1", "Available Funds Rate plus derivative receipts x 12 / bonds x "
                                               "30 / days (a dealer's effective AFR; annual rate, decimal)"),
    Variable("certificate_residual", _PP, "USD", "cash released to the Certificates"),
    Variable("cpr", _PP, "1", "conditional prepayment rate of the period (remittance-report method)"),
    Variable("cdr", _PP, "1", "conditional default rate of the period (remittance-report method)"),
    Variable("collateral_loss", _PP, "USD", "realized losses on liquidated loans"),
    Variable("hpi", _PP, "1", "national home-price index (1.0 at cut-off)"),
    # per path x period x tranche
    Variable("balance", _PPT, "USD", "class balance after the payment date"),
    Variable("coupon", _PPT, "1", "Bond Interest Rate (annual rate, decimal, actual/360)"),
    Variable("interest_paid", _PPT, "USD", "current interest paid"),
    Variable("principal_paid", _PPT, "USD", "principal paid"),
    Variable("writedown", _PPT, "USD", "Realized Losses allocated to the class in the period"),
    Variable("interest_shortfall", _PPT, "USD", "Unpaid Interest Shortfall Amount outstanding"),
    Variable("basis_risk_carryforward", _PPT, "USD", "Basis Risk Amounts outstanding after the payment"),
    # per path x period x derivative contract
    Variable("derivative_notional", _PPC, "USD", "contract notional for the accrual period, after the cap at "
                                                 "the bonds before the payment date (pro rata)"),
    Variable("derivative_payment", _PPC, "USD", "contract net settlement, + = the trust receives"),
    # per path x tranche
    Variable("loss_pct", _PT, "1", "principal lost (written down and not reimbursed, or never repaid) "
                                   "as a fraction of original balance"),
    Variable("wal_years", _PT, "year", "weighted average life of principal paid, from settlement"),
    Variable("first_loss_period", _PT, "1", "first period (1-based) with a write-down; NaN if none"),
    # per path
    Variable("cumulative_collateral_loss_pct", _P, "1", "realized losses over the run / cut-off balance"),
    Variable("oc_breach_months", _P, "1", "payment dates with OC below target after the build-up period"),
    Variable("first_oc_breach_period", _P, "1", "first period (1-based) with OC below target after "
                                                "the build-up period; NaN if none"),
    Variable("call_period", _P, "1", "period (1-based) of the clean-up call; NaN if not exercised"),
    Variable("call_exercised", _P, "1", "1 if the clean-up call was exercised on the path, else 0"),
    Variable("weight", _P, "1", "likelihood-ratio weight of the path's draws (importance sampling, "
                                "stress.rates.tail_sampling); exactly 1 in plain Monte Carlo"),
)}


def create_dataset(data: dict[str, np.ndarray], *, coords: dict, attrs: dict) -> xr.Dataset:
    """Build a results Dataset from registered variables only.

    Parameters
    ----------
    data : dict of str to numpy.ndarray
        Arrays named after registered variables, in their registered dim order.
    coords : dict
        Coordinates (``path``, ``period``, ``tranche``, ``date`` ...).
    attrs : dict
        Dataset attributes (scenario, seed, deal, version ...).

    Raises
    ------
    KeyError
        An unregistered variable.
    ValueError
        An array whose number of dims does not match the registry.
    """
    variables = {}
    for name, values in data.items():
        spec = VARIABLES[name]
        if np.ndim(values) != len(spec.dims):
            raise ValueError(f"result variable {name!r}: {np.ndim(values)} dims, registered as {spec.dims}")
        variables[name] = xr.Variable(spec.dims, np.asarray(values, dtype=spec.dtype),
                                      attrs={"units": spec.units, "long_name": spec.long_name})
    return xr.Dataset(variables, coords=coords, attrs=attrs)
