"""Derivative contract payment kernel: caps, corridors and pay-fixed swaps on 1M LIBOR.

numba only; the public function, the conventions and validation are in
:mod:`stress.derivatives`.
"""

from __future__ import annotations

from stress.accelerate import kernel
from stress.kernels.money import _round_cents  # one rounding rule for all money

CAP = 0
CORRIDOR = 1
SWAP = 2
KIND_CODES = {"cap": CAP, "corridor": CORRIDOR, "swap": SWAP}


@kernel
def _contract_payment(kind, notional, strike, upper_strike, fixed_30_360, libor, days):
    """Signed payment to the trust for one contract and one period [USD, cents]."""
    if kind == CAP:
        return _round_cents(notional * max(libor - strike, 0.0) * days / 360.0)
    if kind == CORRIDOR:
        return _round_cents(notional * max(min(libor, upper_strike) - strike, 0.0) * days / 360.0)
    # Pay-fixed swap: each leg rounded to the cent, settled net.
    floating = _round_cents(notional * libor * days / 360.0)
    fixed_days = 30.0 if fixed_30_360 else days
    fixed = _round_cents(notional * strike * fixed_days / 360.0)
    return _round_cents(floating - fixed)


# p = paths, c = contracts, t = periods
@kernel
def _derivative_payments(kind, notional, strike, upper_strike, fixed_30_360,  # (c,), (c, t), (c,), (c,), (c,)
                         libor_1m, accrual_days,  # (p, t)
                         out_net, out_received, out_paid, out_by_contract):  # (p, t), (p, t), (p, t), (p, c, t)
    n_p, n_t = libor_1m.shape
    n_c = kind.shape[0]
    for p in range(n_p):
        for t in range(n_t):
            received = 0.0
            paid = 0.0
            for c in range(n_c):
                amount = 0.0
                if notional[c, t] > 0.0:
                    amount = _contract_payment(kind[c], notional[c, t], strike[c], upper_strike[c],
                                               fixed_30_360[c], libor_1m[p, t], accrual_days[p, t])
                out_by_contract[p, c, t] = amount
                # Each contract settles net on its own; totals add the signed settlements.
                if amount > 0.0:
                    received += amount
                elif amount < 0.0:
                    paid -= amount
            out_received[p, t] = _round_cents(received)
            out_paid[p, t] = _round_cents(paid)
            out_net[p, t] = _round_cents(received - paid)
