"""The bond waterfall: pool cash per Payment Date -> bond interest, principal, losses.

:func:`run_waterfall` validates a :class:`WaterfallInputs`, calls the numba
kernel (:mod:`stress.kernels.waterfall`) and returns a :class:`WaterfallResult`.
The readable twin of the kernel is ``tests/reference/waterfall_reference.py``.

Rules (Impac CMB Trust 2004-1 term sheet: "Bond Interest Rate", "Net Mortgage
Rate", "Available Funds Rate", "Basis Risk Shortfall Carryforward", "Derivative
Contracts", "Credit Enhancement", "Realized Losses", "Priority of Payments"),
for each Payment Date t, classes j in interest-priority order:

0. **Derivative Contracts and Net Derivative Fees.** Each contract's scheduled
   notional is cut pro rata so that the aggregate never exceeds the bonds
   outstanding before the Payment Date ("In any given period, the aggregate
   notional balance of the Derivative Contracts will not exceed the aggregate
   balance of the Bonds"); each settles net (:mod:`stress.derivatives`). Their
   sum plus ``derivative_net[t]`` (payments settled outside the list) is the
   net: ``< 0`` is paid to the counterparties out of interest before the bonds
   and lowers the Net Mortgage Rate by ``fee x 12 / pool_balance_prior``;
   ``> 0`` is derivative income, used only for Basis Risk Amounts (step 6).
1. **Available Funds Rate** = Net Mortgage Rate (after fees) x pool_balance_prior
   / bonds before the payment x ``afr_day_count_numerator`` (30) / accrual_days.
   ``afr_with_derivatives`` adds derivative income x 12 / bonds x 30 / days: the
   "effective AFR" a dealer's schedule shows when it counts derivative receipts
   (the coupon is capped by the AFR without them).
2. **Bond Interest Rate** (``coupon``) = least of (1M LIBOR + margin — times the
   step-up multiple from ``stepup_period`` on —, AFR, ``coupon_cap``);
   interest accrues actual/360 on the balance before the payment.
3. **Interest funds**, sequentially A-1 ... M-4, current interest.
4. **OC release** = max(0, min(principal funds, pool_balance_end - (bonds -
   principal funds) - oc_target)); **Principal Distribution Amount** =
   principal funds - OC release, pro rata by balance.
   **Excess Cash Flow** = interest funds left + OC release + principal the
   bonds could not absorb.
5. Excess Cash Flow, in order: (a) principal, pro rata, to build or restore OC
   to ``oc_target`` (this is how Realized Losses are absorbed by excess cash);
   then any bond balance above ``pool_balance_end`` is written down M-4, M-3,
   M-2, M-1, A-2 (``writedown_rank``) and becomes Allocated Realized Loss
   Amount; (b) Allocated Realized Loss Amounts, A-2, M-1 ... M-4
   (``reimbursement_rank``); (c) Unpaid Interest Shortfall Amounts, A-1 ... M-4;
   (d) Basis Risk Amounts, A-1 ... M-4, first from derivative income, then from
   Excess Cash Flow; (e) the rest to the Certificates.
6. **Clean-up call** (``call_rule``: ``always`` on ``call_period``, ``never``, or
   ``economic`` on the first date from ``call_period`` on whose ``pool_value``
   covers the price): the residual holder deposits the **Redemption Price** =
   what the trust owes (bonds before the payment, current interest, Unpaid
   Interest Shortfall, Basis Risk and Allocated Realized Loss Amounts, with the
   date's carry interest) less the date's own funds (interest after Net
   Derivative Fees, principal, derivative income up to the Basis Risk
   Amounts), floored at zero. That cash joins principal funds, the pool balance
   and OC target become zero for the rest of that Payment Date, and the steps
   above then pay every amount owed in full (trust agreement section 8.01).

Conventions chosen where the term sheet is silent
-------------------------------------------------
- **Rounding.** Money inputs are rounded to the cent on entry (half up). Each
  class's current interest, interest on carried amounts, Basis Risk Shortfall,
  principal share and writedown is rounded to the cent; pro-rata principal is
  ``round(amount x balance_j / bonds)`` for every class but the last one with a
  balance, which takes the residual so principal is conserved exactly (no class
  is ever paid above its balance). Rates (AFR, coupons) are not rounded.
  Basis Risk Shortfall = round(interest at min(LIBOR + margin, cap)) -
  round(interest at the coupon), which is how the trustee's 2002-8 report ties.
- **Unpaid Interest Shortfall Amount**: current interest not paid in step 3
  joins it at once (so it can be paid from Excess Cash Flow the same Payment
  Date); the amount carried from earlier dates bears interest at the class's
  coupon for the period when ``shortfall_carry_interest``.
- **Basis Risk Shortfall Carryforward** bears interest at the class's coupon
  when ``basis_risk_carry_interest``.
- **Capped notional** is rounded down to the cent, so the cap is never exceeded.
- **Derivative income** not needed for Basis Risk Amounts goes to the
  Certificates the same Payment Date (deal file: ``unused_derivative_income``).
- **Net Derivative Fees larger than interest** are paid out of principal funds
  (the counterparty is senior); any part that even principal cannot pay is not
  paid (``derivative_fee`` reports what was paid).
- **Writedowns** are the excess of bonds over ``pool_balance_end`` after step
  5(a); written-down principal bears no interest and is never written back up
  (reimbursements are cash to the holder). A-1 (``writedown_rank = -1``) is never
  written down, except at the clean-up call, where any balance the cash cannot
  retire is written down on every class, most junior first.
- **AFR with no bonds outstanding** is undefined: reported as NaN, and the coupon
  used for carried amounts is min(LIBOR + margin, cap). The AFR is floored at 0
  (a Net Mortgage Rate driven negative by fees gives a zero coupon).
- **After the call** every money output and coupon is 0 and the AFR is NaN.
- ``realized_loss`` enters through ``pool_balance_end``; it is kept in the inputs
  so that reports and invariant checks (writedowns <= realized losses) have it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stress import conventions
from stress.derivatives import DerivativeContract

_PERIOD_INPUTS = (
    "libor_1m", "accrual_days", "net_interest", "principal_remittance", "realized_loss",
    "pool_balance_prior", "pool_balance_end", "net_mortgage_rate", "derivative_net", "oc_target",
)
_NON_NEGATIVE_MONEY = (
    "net_interest", "principal_remittance", "realized_loss", "pool_balance_prior",
    "pool_balance_end", "oc_target",
)


@dataclass(frozen=True)
class WaterfallInputs:
    """Everything the waterfall needs for one path or a block of paths.

    Tranche terms are arrays over classes j in interest-priority order.
    Period inputs have shape (t,) for one path or (p, t) for p paths (a (t,)
    array is shared by every path). Money is USD, rates are annual decimals.

    Attributes
    ----------
    original_balance : (j,) float
        Original class balance [USD].
    margin : (j,) float
        Margin over one-month LIBOR before any step-up [annual rate].
    stepup_multiple : (j,) float
        Margin multiple from ``stepup_period`` on (2.0 for A, 1.5 for M).
    writedown_rank : (j,) int
        Order in which bond balance above the pool is written down: 0 first
        (M-4), 1 (M-3), ...; -1 for a class never written down (A-1). (The deal
        file's ``writedown_order`` is this rank + 1.)
    libor_1m : (t,) or (p, t) float
        One-month LIBOR set for the accrual period [annual rate].
    accrual_days : (t,) or (p, t) float
        Days in the Interest Accrual Period (actual/360 numerator).
    net_interest : (t,) or (p, t) float
        Interest remittance after servicing, master servicing, trustee and PMI
        fees, before derivative flows [USD].
    principal_remittance : (t,) or (p, t) float
        Scheduled + prepaid principal + liquidation recoveries [USD].
    realized_loss : (t,) or (p, t) float
        Realized Losses of the due period [USD] (informational, see module doc).
    pool_balance_prior, pool_balance_end : (t,) or (p, t) float
        Aggregate loan balance at the end of the prior / current due period [USD].
    net_mortgage_rate : (t,) or (p, t) float
        Weighted average net mortgage rate before Net Derivative Fees [annual rate].
    derivative_net : (t,) or (p, t) float
        Net derivative payment settled outside ``contracts``, + = the trust
        receives [USD] (zero in the engines; a trustee's printed swap payment in
        a tie-out).
    oc_target : (t,) or (p, t) float
        Required overcollateralization [USD].
    coupon_cap : float
        Fixed cap on the Bond Interest Rate [annual rate] (deal file ``coupon.fixed_cap``).
    contracts : tuple of stress.derivatives.DerivativeContract, optional
        Derivative Contracts with their *scheduled* notional per period; the
        kernel caps the aggregate at the bonds before each Payment Date, pro
        rata, and adds their net settlement to ``derivative_net``.
    afr_day_count_numerator : float
        The 30 of the Available Funds Rate's "30 / days in the accrual period".
    basis_risk_carry_interest, shortfall_carry_interest : bool
        Whether the Basis Risk Shortfall Carryforward / Unpaid Interest Shortfall
        Amount bears interest at the class's Bond Interest Rate.
    stepup_period : int or (p,) int, optional
        First period index at which the stepped-up margins apply; default never.
    call_period : int or (p,) int, optional
        First period index on which the clean-up call may be exercised; -1
        (default): never.
    call_rule : {"always", "never", "economic"}
        ``always``: exercised on ``call_period``; ``never``: not exercised (to
        maturity); ``economic``: on the first period from ``call_period`` on
        whose ``pool_value`` covers the Redemption Price.
    pool_value : (t,) or (p, t) float, optional
        Value of the loans after the period's collections [USD]; needed for
        ``call_rule="economic"``.
    initial_balance : (j,) float, optional
        Class balances before the first period [USD]; default ``original_balance``.
    reimbursement_rank : (j,) int, optional
        Order of Allocated Realized Loss reimbursement: 0 first, -1 never.
        Default: the written-down classes in interest-priority order (A-2, M-1,
        ..., M-4).
    tranche_names : tuple of str, optional
    """

    original_balance: np.ndarray
    margin: np.ndarray
    stepup_multiple: np.ndarray
    writedown_rank: np.ndarray
    libor_1m: np.ndarray
    accrual_days: np.ndarray
    net_interest: np.ndarray
    principal_remittance: np.ndarray
    realized_loss: np.ndarray
    pool_balance_prior: np.ndarray
    pool_balance_end: np.ndarray
    net_mortgage_rate: np.ndarray
    derivative_net: np.ndarray
    oc_target: np.ndarray
    coupon_cap: float
    contracts: tuple = ()
    afr_day_count_numerator: float = 30.0
    basis_risk_carry_interest: bool = True
    shortfall_carry_interest: bool = True
    stepup_period: int | np.ndarray | None = None
    call_period: int | np.ndarray = -1
    call_rule: str = "always"
    pool_value: np.ndarray | None = None
    initial_balance: np.ndarray | None = None
    reimbursement_rank: np.ndarray | None = None
    tranche_names: tuple[str, ...] = ()

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        # -- tranche terms -------------------------------------------------------
        for name in ("original_balance", "margin", "stepup_multiple"):
            set_(name, _float_array(name, getattr(self, name), ndim=(1,)))
        n_j = self.original_balance.shape[0]
        if n_j == 0:
            raise ValueError("waterfall inputs: original_balance is empty: at least one tranche is needed")
        initial = self.original_balance if self.initial_balance is None else self.initial_balance
        set_("initial_balance", _float_array("initial_balance", initial, ndim=(1,)))
        for name in ("margin", "stepup_multiple", "initial_balance"):
            if getattr(self, name).shape != (n_j,):
                raise ValueError(f"waterfall inputs: {name} has shape {getattr(self, name).shape}: "
                                 f"must be ({n_j},), one value per tranche like original_balance")
        _check_range("original_balance", self.original_balance, lo=0.0)
        _check_range("initial_balance", self.initial_balance, lo=0.0)
        bad = np.flatnonzero(self.initial_balance > self.original_balance + conventions.NO_LOSS_USD)
        if bad.size:
            j = bad[0]
            raise ValueError(f"waterfall inputs: initial_balance[{j}] = {self.initial_balance[j]}: "
                             f"must be <= original_balance[{j}] = {self.original_balance[j]}")
        _check_range("margin", self.margin, lo=-0.05, hi=0.5)
        _check_range("stepup_multiple", self.stepup_multiple, lo=0.0, hi=10.0)
        set_("writedown_rank", _rank_array("writedown_rank", self.writedown_rank, n_j))
        if self.reimbursement_rank is None:
            written = self.writedown_rank >= 0
            rank = np.full(n_j, -1, dtype=np.int64)
            rank[written] = np.arange(int(written.sum()))
            set_("reimbursement_rank", rank)
        else:
            set_("reimbursement_rank", _rank_array("reimbursement_rank", self.reimbursement_rank, n_j))
        names = tuple(str(n) for n in self.tranche_names) or tuple(f"class_{j}" for j in range(n_j))
        if len(names) != n_j:
            raise ValueError(f"waterfall inputs: tranche_names has {len(names)} names: must have {n_j}")
        set_("tranche_names", names)

        # -- period inputs -------------------------------------------------------
        for name in _PERIOD_INPUTS:
            set_(name, _float_array(name, getattr(self, name), ndim=(1, 2)))
        n_t = self.libor_1m.shape[-1]
        if n_t == 0:
            raise ValueError("waterfall inputs: libor_1m has no periods: at least one is needed")
        n_p = None
        for name in _PERIOD_INPUTS:
            arr = getattr(self, name)
            if arr.shape[-1] != n_t:
                raise ValueError(f"waterfall inputs: {name} has {arr.shape[-1]} periods: "
                                 f"must have {n_t} like libor_1m")
            if arr.ndim == 2:
                if n_p is not None and arr.shape[0] != n_p:
                    raise ValueError(f"waterfall inputs: {name} has {arr.shape[0]} paths: "
                                     f"must have {n_p} like the other (path, period) inputs")
                n_p = arr.shape[0]
        for name in _NON_NEGATIVE_MONEY:
            _check_range(name, getattr(self, name), lo=0.0)
        _check_range("libor_1m", self.libor_1m, lo=-0.1, hi=1.0)
        _check_range("net_mortgage_rate", self.net_mortgage_rate, lo=-1.0, hi=1.0)
        _check_range("derivative_net", self.derivative_net)
        _check_range("accrual_days", self.accrual_days, lo=1.0, hi=366.0)
        if not (np.isfinite(self.coupon_cap) and 0.0 < self.coupon_cap <= 1.0):
            raise ValueError(f"waterfall inputs: coupon_cap = {self.coupon_cap}: must be in (0, 1]")
        set_("coupon_cap", float(self.coupon_cap))
        if not (np.isfinite(self.afr_day_count_numerator) and 1.0 <= self.afr_day_count_numerator <= 31.0):
            raise ValueError(f"waterfall inputs: afr_day_count_numerator = {self.afr_day_count_numerator}: "
                             "must be in [1, 31]")
        set_("afr_day_count_numerator", float(self.afr_day_count_numerator))
        set_("contracts", tuple(self.contracts))
        for c, contract in enumerate(self.contracts):
            if not isinstance(contract, DerivativeContract):
                raise ValueError(f"waterfall inputs: contracts[{c}] is a {type(contract).__name__}: "
                                 "must be a stress.derivatives.DerivativeContract")
            if contract.notional.shape != (n_t,):
                raise ValueError(f"waterfall inputs: contracts[{c}] ({contract.name or contract.kind}) has "
                                 f"{contract.notional.shape[0]} notionals: must have {n_t}, one per period")
        from stress.kernels.waterfall import CALL_RULES

        if self.call_rule not in CALL_RULES:
            raise ValueError(f"waterfall inputs: call_rule = {self.call_rule!r}: must be one of {sorted(CALL_RULES)}")
        if self.pool_value is not None:
            value = _float_array("pool_value", self.pool_value, ndim=(1, 2))
            if value.shape[-1] != n_t or (value.ndim == 2 and n_p is not None and value.shape[0] != n_p):
                raise ValueError(f"waterfall inputs: pool_value has shape {value.shape}: must be ({n_t},) or "
                                 f"(paths, {n_t}) like the other period inputs")
            _check_range("pool_value", value, lo=0.0)
            set_("pool_value", value)
        elif self.call_rule == "economic":
            raise ValueError("waterfall inputs: call_rule = 'economic' needs pool_value (the loans' value per period)")

        stepup = n_t if self.stepup_period is None else self.stepup_period
        set_("stepup_period", _period_index("stepup_period", stepup, n_p, lo=0, hi=None))
        set_("call_period", _period_index("call_period", self.call_period, n_p, lo=-1, hi=n_t - 1))

    @property
    def n_periods(self) -> int:
        return self.libor_1m.shape[-1]

    @property
    def n_paths(self) -> int | None:
        """Number of paths, or None for single-path inputs (every period input is (t,))."""
        for name in _PERIOD_INPUTS:
            arr = getattr(self, name)
            if arr.ndim == 2:
                return arr.shape[0]
        for name in ("stepup_period", "call_period"):
            arr = getattr(self, name)
            if np.ndim(arr) == 1:
                return arr.shape[0]
        return None


@dataclass(frozen=True)
class WaterfallResult:
    """Waterfall outputs. Per-tranche arrays are (t, j) or (p, t, j); per-period
    arrays are (t,) or (p, t). Money in USD, rates annual decimals.

    Balances and carried amounts are outstanding after the Payment Date's
    distributions; paid amounts are paid on that date.
    """

    balance: np.ndarray  #: class balance after the payment
    interest_paid: np.ndarray  #: current interest paid (step 3)
    principal_paid: np.ndarray  #: Principal Distribution Amount share + extra principal
    writedown: np.ndarray  #: Realized Losses allocated this period
    allocated_realized_loss: np.ndarray  #: Allocated Realized Loss Amount outstanding
    arla_reimbursed: np.ndarray  #: Allocated Realized Loss Amount reimbursed (step 5b)
    interest_shortfall: np.ndarray  #: Unpaid Interest Shortfall Amount outstanding
    shortfall_paid: np.ndarray  #: Unpaid Interest Shortfall Amount paid (step 5c)
    basis_risk_shortfall: np.ndarray  #: new Basis Risk Shortfall this period
    basis_risk_paid_from_derivatives: np.ndarray
    basis_risk_paid_from_excess: np.ndarray
    basis_risk_carryforward: np.ndarray  #: Basis Risk Amounts outstanding
    coupon: np.ndarray  #: Bond Interest Rate [annual, actual/360]
    afr: np.ndarray  #: Available Funds Rate (NaN with no bonds outstanding)
    oc: np.ndarray  #: pool_balance_end - bonds, after distributions
    oc_target: np.ndarray  #: target used (0 on the call date)
    oc_release: np.ndarray
    excess_cashflow: np.ndarray  #: Excess Cash Flow before step 5 (a)
    extra_principal: np.ndarray  #: Excess Cash Flow paid as principal (step 5a)
    derivative_income: np.ndarray  #: derivative receipts
    derivative_fee: np.ndarray  #: Net Derivative Fees paid
    certificate_residual: np.ndarray  #: to the Certificates (incl. unused derivative income)
    call_proceeds: np.ndarray  #: pool purchase price on the call date
    principal_distribution: np.ndarray  #: Principal Distribution Amount paid (step 4)
    afr_with_derivatives: np.ndarray  #: AFR plus derivative receipts x 12 / bonds x 30 / days (a dealer's "effective AFR")
    redemption_price: np.ndarray  #: Redemption Price on a date the call was considered (0 otherwise)
    call_exercised: np.ndarray  #: 1.0 on the Payment Date the clean-up call was exercised
    derivative_notional: np.ndarray  #: (t, c) or (p, t, c): each contract's notional after the cap at the bonds
    derivative_payment: np.ndarray  #: (t, c) or (p, t, c): each contract's net settlement, + = to the trust
    tranche_names: tuple[str, ...] = field(default=())
    contract_names: tuple[str, ...] = field(default=())

    def principal_lost(self, last) -> np.ndarray:
        """Principal written down and not reimbursed, plus principal never repaid, after period ``last`` [USD].

        ``last`` is a period index (one path: returns (j,)) or one index per
        path (returns (p, j)). A class that is never written down (A-1) loses
        by not being repaid.
        """
        owed = self.allocated_realized_loss + self.balance
        if owed.ndim == 2:
            return owed[last]
        return owed[np.arange(owed.shape[0]), np.asarray(last)]

    def cash_out(self) -> np.ndarray:
        """Everything distributed on each Payment Date [USD], shape of ``afr``."""
        per_class = (self.interest_paid + self.principal_paid + self.shortfall_paid
                     + self.arla_reimbursed + self.basis_risk_paid_from_derivatives
                     + self.basis_risk_paid_from_excess)
        return per_class.sum(axis=-1) + self.certificate_residual


def run_waterfall(inputs: WaterfallInputs) -> WaterfallResult:
    """Run the bond waterfall for one path or a block of paths.

    Parameters
    ----------
    inputs : WaterfallInputs
        Validated on construction.

    Returns
    -------
    WaterfallResult
        Arrays with a leading path axis when ``inputs.n_paths`` is not None.

    Examples
    --------
    >>> import numpy as np
    >>> inputs = WaterfallInputs(
    ...     original_balance=np.array([90.0, 10.0]), margin=np.array([0.004, 0.02]),
    ...     stepup_multiple=np.array([2.0, 1.5]), writedown_rank=np.array([-1, 0]),
    ...     libor_1m=[0.02], accrual_days=[30], net_interest=[1.0], principal_remittance=[10.0],
    ...     realized_loss=[0.0], pool_balance_prior=[100.0], pool_balance_end=[90.0],
    ...     net_mortgage_rate=[0.06], derivative_net=[0.0], oc_target=[0.0], coupon_cap=0.115)
    >>> result = run_waterfall(inputs)
    >>> result.principal_paid[0].tolist(), float(result.certificate_residual[0])
    ([9.0, 1.0], 0.79)
    """
    from stress.kernels import derivatives as kd
    from stress.kernels import waterfall as kw

    n_p = inputs.n_paths
    n_paths = 1 if n_p is None else n_p
    n_t = inputs.n_periods
    n_j = inputs.original_balance.shape[0]
    # Every array argument goes in C-contiguous and read-only, whatever the caller built (a (t,) vector
    # shared by every path, a (p, t) block, a scalar step-up period): numba compiles one specialization
    # per argument type, so mixed layouts or write flags would compile the kernel again (seconds each).
    period = {name: _kernel_array(getattr(inputs, name), (n_paths, n_t), np.float64) for name in _PERIOD_INPUTS}
    value = np.zeros(n_t) if inputs.pool_value is None else inputs.pool_value
    pool_value = _kernel_array(value, (n_paths, n_t), np.float64)
    contracts = inputs.contracts
    n_c = len(contracts)
    kind = _kernel_array([kd.KIND_CODES[c.kind] for c in contracts], (n_c,), np.int64)
    notional = _kernel_array(np.array([c.notional for c in contracts], dtype=np.float64).reshape(n_c, n_t),
                             (n_c, n_t), np.float64)
    strike = _kernel_array([c.strike for c in contracts], (n_c,), np.float64)
    upper = _kernel_array([np.inf if c.upper_strike is None else c.upper_strike for c in contracts], (n_c,),
                          np.float64)
    fixed_30_360 = _kernel_array([c.fixed_daycount == "30/360" for c in contracts], (n_c,), np.bool_)
    stepup = _kernel_array(inputs.stepup_period, (n_paths,), np.int64)
    call = _kernel_array(inputs.call_period, (n_paths,), np.int64)
    writedown_order = _kernel_array(_order_from_rank(inputs.writedown_rank), None, np.int64)
    reimbursement_order = _kernel_array(_order_from_rank(inputs.reimbursement_rank), None, np.int64)
    tranche_terms = [_kernel_array(x, (n_j,), np.float64)
                     for x in (inputs.initial_balance, inputs.margin, inputs.stepup_multiple)]
    # Field-first layout: each output below is a contiguous block, returned without a copy.
    out_tranche = np.empty((len(kw.TRANCHE_FIELDS), n_paths, n_t, n_j))
    out_period = np.empty((len(kw.PERIOD_FIELDS), n_paths, n_t))
    out_contract = np.empty((len(kw.CONTRACT_FIELDS), n_paths, n_t, n_c))
    kw._waterfall_paths(
        *tranche_terms, writedown_order, reimbursement_order,
        period["libor_1m"], period["accrual_days"], period["net_interest"],
        period["principal_remittance"], period["pool_balance_prior"], period["pool_balance_end"],
        period["net_mortgage_rate"], period["derivative_net"], period["oc_target"], pool_value,
        kind, notional, strike, upper, fixed_30_360,
        float(inputs.coupon_cap), float(inputs.afr_day_count_numerator), bool(inputs.basis_risk_carry_interest),
        bool(inputs.shortfall_carry_interest), stepup, call, int(kw.CALL_RULES[inputs.call_rule]),
        out_tranche, out_period, out_contract,
    )
    if n_p is None:
        out_tranche, out_period, out_contract = out_tranche[:, 0], out_period[:, 0], out_contract[:, 0]
    arrays = dict(zip(kw.TRANCHE_FIELDS, out_tranche))
    arrays.update(zip(kw.PERIOD_FIELDS, out_period))
    arrays.update(zip(kw.CONTRACT_FIELDS, out_contract))
    return WaterfallResult(**arrays, tranche_names=inputs.tranche_names,
                           contract_names=tuple(c.name or f"contract_{k}" for k, c in enumerate(contracts)))


# -- helpers ------------------------------------------------------------------------

def _float_array(name, value, *, ndim):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"waterfall inputs: {name} must be numeric, got {type(value).__name__}") from None
    if arr.ndim not in ndim:
        shapes = "(t,) or (p, t)" if name in _PERIOD_INPUTS else "(j,), one value per tranche"
        raise ValueError(f"waterfall inputs: {name} has shape {arr.shape}: must be {shapes}")
    arr.setflags(write=False)
    return arr


def _check_range(name, arr, lo=None, hi=None):
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= arr < lo
    if hi is not None:
        bad |= arr > hi
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        index = ", ".join(map(str, where))
        allowed = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        raise ValueError(f"waterfall inputs: {name}[{index}] = {arr[where]}: must be finite and in {allowed}"
                         f" ({int(bad.sum())} bad value(s))")


def _rank_array(name, value, n_j):
    arr = np.array(value)
    if arr.shape != (n_j,) or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"waterfall inputs: {name} = {value!r}: must be {n_j} integers, one per tranche")
    arr = arr.astype(np.int64)
    ranked = np.sort(arr[arr >= 0])
    if (arr < -1).any() or not np.array_equal(ranked, np.arange(ranked.size)):
        raise ValueError(f"waterfall inputs: {name} = {arr.tolist()}: ranks must be 0, 1, 2, ... "
                         f"without gaps or repeats, and -1 for a class that takes no part")
    arr.setflags(write=False)
    return arr


def _kernel_array(value, shape, dtype):
    """``value`` (broadcast to ``shape`` unless None) as a C-contiguous read-only ``dtype`` array."""
    arr = np.asarray(value, dtype=dtype) if shape is None else np.broadcast_to(np.asarray(value, dtype=dtype), shape)
    arr = np.ascontiguousarray(arr)
    if arr.flags.writeable:  # a view, so the caller's own array stays writable
        arr = arr.view()
        arr.setflags(write=False)
    return arr


def _order_from_rank(rank):
    ranked = np.flatnonzero(rank >= 0)
    return np.ascontiguousarray(ranked[np.argsort(rank[ranked], kind="stable")], dtype=np.int64)


def _period_index(name, value, n_p, *, lo, hi):
    arr = np.array(value)
    if arr.ndim > 1 or not (np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"waterfall inputs: {name} = {value!r}: must be an integer or one integer per path")
    if arr.ndim == 1 and n_p is not None and arr.shape[0] != n_p:
        raise ValueError(f"waterfall inputs: {name} has {arr.shape[0]} values: must have one per path ({n_p})")
    if (arr < lo).any() or (hi is not None and (arr > hi).any()):
        allowed = f"[{lo}, {'inf' if hi is None else hi}]"
        raise ValueError(f"waterfall inputs: {name} = {arr.tolist()}: must be in {allowed}")
    return int(arr) if arr.ndim == 0 else arr.astype(np.int64)

