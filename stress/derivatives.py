"""Derivative Contracts: per-period net payments to the trust.

The trust holds a list of contracts on one-month LIBOR, each with a notional
schedule (one notional per period, zero before its start and after its end):

- **cap**: the trust receives notional x max(L - strike, 0) x days / 360;
- **corridor** (a cap spread): notional x max(min(L, upper_strike) - strike, 0) x days / 360;
- **swap** (pay-fixed): the trust receives notional x L x days / 360 and pays
  notional x fixed_rate x days / 360, or x 30 / 360 when ``fixed_daycount`` is
  ``"30/360"``.

Conventions: each contract settles net on each Payment Date (a swap's two legs
are each rounded to the cent and netted); ``received`` adds the contracts whose
settlement is in the trust's favour, ``paid`` those in the counterparty's, and
``net = received - paid`` (+ = the trust receives) is what the waterfall takes
as ``derivative_net``: a negative net is a Net Derivative Fee, a positive one
is derivative income for Basis Risk Amounts. Notional for period t applies to
the accrual period ending on Payment Date t; LIBOR is the rate set for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class DerivativeContract:
    """One contract.

    Attributes
    ----------
    kind : {"cap", "corridor", "swap"}
    notional : (t,) float
        Notional for each period [USD]; 0 where the contract is not in force.
    strike : float
        Cap strike, corridor lower strike, or the swap's fixed rate [annual rate].
    upper_strike : float, optional
        Corridor upper strike [annual rate]; must exceed ``strike``.
    fixed_daycount : {"actual/360", "30/360"}
        Day count of a swap's fixed leg (the floating leg is actual/360).
    name : str
    """

    kind: str
    notional: np.ndarray
    strike: float
    upper_strike: float | None = None
    fixed_daycount: str = "actual/360"
    name: str = ""

    def __post_init__(self):
        from stress.kernels.derivatives import KIND_CODES

        label = f"derivative contract {self.name!r}" if self.name else "derivative contract"
        if self.kind not in KIND_CODES:
            raise ValueError(f"{label}: kind = {self.kind!r}: must be one of {sorted(KIND_CODES)}")
        notional = np.array(self.notional, dtype=np.float64)
        if notional.ndim != 1 or notional.size == 0:
            raise ValueError(f"{label}: notional has shape {notional.shape}: must be (t,), one value per period")
        bad = np.flatnonzero(~np.isfinite(notional) | (notional < 0))
        if bad.size:
            raise ValueError(f"{label}: notional[{bad[0]}] = {notional[bad[0]]}: must be finite and >= 0")
        notional.setflags(write=False)
        object.__setattr__(self, "notional", notional)
        if not (np.isfinite(self.strike) and -0.1 <= self.strike <= 1.0):
            raise ValueError(f"{label}: strike = {self.strike}: must be in [-0.1, 1]")
        if self.kind == "corridor":
            if self.upper_strike is None or not (np.isfinite(self.upper_strike) and self.upper_strike > self.strike):
                raise ValueError(f"{label}: upper_strike = {self.upper_strike}: a corridor needs "
                                 f"upper_strike > strike = {self.strike}")
        if self.fixed_daycount not in ("actual/360", "30/360"):
            raise ValueError(f"{label}: fixed_daycount = {self.fixed_daycount!r}: must be 'actual/360' or '30/360'")


@dataclass(frozen=True)
class DerivativePayments:
    """Per-period payments [USD], shaped like ``libor_1m``: (t,) or (p, t).

    ``by_contract`` is (c, t) or (p, c, t), signed, + = the trust receives.
    """

    net: np.ndarray
    received: np.ndarray
    paid: np.ndarray
    by_contract: np.ndarray


def derivative_payments(contracts: Sequence[DerivativeContract], libor_1m, accrual_days) -> DerivativePayments:
    """Net payment to the trust of a list of contracts, per period.

    Parameters
    ----------
    contracts : sequence of DerivativeContract
        Each notional schedule has one value per period.
    libor_1m : (t,) or (p, t) array
        One-month LIBOR for each accrual period [annual rate].
    accrual_days : (t,) or (p, t) array
        Days in each accrual period (actual/360 numerator).

    Returns
    -------
    DerivativePayments

    Examples
    --------
    >>> cap = DerivativeContract("cap", notional=[1_000_000.0], strike=0.05)
    >>> float(derivative_payments([cap], libor_1m=[0.06], accrual_days=[31]).net[0])
    861.11
    """
    from stress.kernels import derivatives as kd

    libor = np.array(libor_1m, dtype=np.float64)
    if libor.ndim not in (1, 2) or libor.shape[-1] == 0:
        raise ValueError(f"derivative payments: libor_1m has shape {libor.shape}: must be (t,) or (p, t)")
    single = libor.ndim == 1
    libor2 = np.ascontiguousarray(np.atleast_2d(libor))
    n_p, n_t = libor2.shape
    days = np.array(accrual_days, dtype=np.float64)
    try:
        days2 = np.ascontiguousarray(np.broadcast_to(days, (n_p, n_t)))
    except ValueError:
        raise ValueError(f"derivative payments: accrual_days has shape {days.shape}: "
                         f"must be ({n_t},) or ({n_p}, {n_t}) like libor_1m") from None
    if not np.isfinite(libor2).all() or (np.abs(libor2) > 1.0).any():
        raise ValueError("derivative payments: libor_1m must be finite and in [-1, 1]")
    if not np.isfinite(days2).all() or (days2 < 1).any() or (days2 > 366).any():
        raise ValueError("derivative payments: accrual_days must be in [1, 366]")
    n_c = len(contracts)
    notional = np.zeros((n_c, n_t))
    for c, contract in enumerate(contracts):
        if not isinstance(contract, DerivativeContract):
            raise ValueError(f"derivative payments: contracts[{c}] is a {type(contract).__name__}: "
                             "must be a DerivativeContract")
        if contract.notional.shape != (n_t,):
            raise ValueError(f"derivative payments: contracts[{c}] ({contract.name or contract.kind}) has "
                             f"{contract.notional.shape[0]} notionals: must have {n_t}, one per period")
        notional[c] = contract.notional
    kind = np.array([kd.KIND_CODES[c.kind] for c in contracts], dtype=np.int64)
    strike = np.array([c.strike for c in contracts], dtype=np.float64)
    upper = np.array([np.inf if c.upper_strike is None else c.upper_strike for c in contracts], dtype=np.float64)
    fixed_30_360 = np.array([c.fixed_daycount == "30/360" for c in contracts], dtype=np.bool_)

    net = np.zeros((n_p, n_t))
    received = np.zeros((n_p, n_t))
    paid = np.zeros((n_p, n_t))
    by_contract = np.zeros((n_p, n_c, n_t))
    kd._derivative_payments(kind, notional, strike, upper, fixed_30_360, libor2, days2,
                            net, received, paid, by_contract)
    if single:
        net, received, paid, by_contract = net[0], received[0], paid[0], by_contract[0]
    return DerivativePayments(net=net, received=received, paid=paid, by_contract=by_contract)


def par_fixed_rate(notional, forward_libor, accrual_days, discount_factors, *, fixed_daycount="actual/360"):
    """Fixed rate that makes a pay-fixed swap worth zero on the given forward curve.

    sum_t N_t L_t d_t/360 DF_t / sum_t N_t f_t/360 DF_t, with f_t = d_t
    (actual/360) or 30 (30/360) [annual rate].
    """
    notional = np.asarray(notional, dtype=np.float64)
    libor = np.asarray(forward_libor, dtype=np.float64)
    days = np.asarray(accrual_days, dtype=np.float64)
    df = np.asarray(discount_factors, dtype=np.float64)
    if not (notional.shape == libor.shape == days.shape == df.shape) or notional.ndim != 1:
        raise ValueError("par_fixed_rate: notional, forward_libor, accrual_days and discount_factors "
                         f"must be (t,) arrays of one length, got {notional.shape}, {libor.shape}, "
                         f"{days.shape}, {df.shape}")
    if fixed_daycount not in ("actual/360", "30/360"):
        raise ValueError(f"par_fixed_rate: fixed_daycount = {fixed_daycount!r}: must be 'actual/360' or '30/360'")
    fixed_days = days if fixed_daycount == "actual/360" else np.full_like(days, 30.0)
    annuity = float(np.sum(notional * fixed_days / 360.0 * df))
    if annuity <= 0.0:
        raise ValueError("par_fixed_rate: the notional schedule is zero: no fixed leg to price")
    return float(np.sum(notional * libor * days / 360.0 * df)) / annuity
