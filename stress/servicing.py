"""The master servicer's options on delinquent and defaulted loans, with the rule it exercises them by.

Source: Amendment No. 1 (2004-12-28) to the Servicing Agreement of Impac CMB
Trust Series 2004-10 (``shared/seeds/impac_cmb_2004-10_8k_servicing_amendment.txt``),
the form Impac used for its CMB trusts. Each option is one the Master
Servicer "may", "is not obligated to", or "will have the option to" take, so
each is modelled with an exercise rule given as data, never as always on:

- **90+ day buy-out** (Section 3.18 as amended): "The Master Servicer may ...
  either purchase itself or sell to a third-party, any Mortgage Loan
  delinquent in payment for a period of 90 days or longer for a price equal to
  the Repurchase Price". A defaulted loan reaches 90 days ``buyout_months``
  (3) months after its first missed payment; the bought share leaves the trust
  then, at the Repurchase Price, with no loss.
- **Fair-value sale** (new Section 3.13(f)): "as an alternative to
  foreclosure, sell defaulted Mortgage Loans at fair market value to
  third-parties, if the Master Servicer reasonably believes that such sale
  would maximize proceeds to the Securityholders ... (on a present value
  basis)". The sold share is liquidated ``fair_value_months`` (3) months after
  the first missed payment, at the fair-value severity.
- **Purchase of up to 1% of the pool** (new Section 3.13(g)): "the option to
  purchase, at any one time, 1.00% (and in any case, at least 5 Mortgage
  Loans) of the Mortgage Loans, by aggregate Stated Principal Balance ..., at
  a price equal to the Repurchase Price ... selected by the Master Servicer in
  its sole discretion". Modelled as: in each month the servicer buys, among
  loans that missed a payment ``purchase_months`` (1) month earlier (30 days
  delinquent), those its rule selects, up to ``purchase_limit`` of the pool.
  Why this rule: a loan the servicer buys at par has to be worth par to it;
  a performing loan's value is about par (selecting loans that are worth more,
  e.g. above-market coupons, would be a cherry-pick the trust's bondholders
  price in as a prepayment), while a freshly delinquent loan whose home
  covers the price can be worked out or resold by the servicer at no loss
  before the trust pays the costs of foreclosure (Impac, the Master
  Servicer's parent, held the trusts' Certificates and consolidated the CMB
  trusts, so keeping losses out of the trust was its interest). ASSUMPTION:
  the cap is applied month by month to the performing balance (a lower bound
  on the Stated Principal Balance, so the 1% is never exceeded); the "at
  least 5 Mortgage Loans" floor is left out (it matters only once fewer than
  500 loans remain).

**Repurchase Price.** The term is defined in Appendix A to the Indenture, not
among our seeds. The 2002-8 remittance report
(``impac_cmb_2002-8_remittance_report_2002-12.txt``) shows its parts: a
repurchase of $390,000.00 brought $390,000.00 of principal and $1,868.75 of
interest, exactly one month at 5.75% (390,000 x 0.0575 / 12). ASSUMPTION: the
Repurchase Price is the unpaid principal balance plus accrued and unpaid
interest at the Mortgage Rate less the Servicing Fee Rate (the servicer keeps
its fee, as it does out of an advance) for the months the loan is delinquent,
at the rate in force when the loan defaulted. Advances the servicer made are
reimbursed to it out of that price first, so with advancing the trust
receives the Stated Principal Balance (the advanced interest and principal
reached it already); without advancing the accrued interest reaches the trust
at the buy-out ("repurchase_interest").

**Exercise rules** (``*_rule``), each applied to ``*_share`` of the eligible
loans (``purchase_limit`` caps the purchase instead):

- ``"share"``: the share is exercised whatever the loan is worth (a scenario
  assumption: a servicer under an agreement with its affiliates, or a fixed
  programme).
- ``"value"``: exercised only when it pays. Buy-out and purchase: the loan's
  value is at least the Repurchase Price. With the behaviour models the value
  is the property at the path's home-price index in the buy-out month (the
  loan's current LTV) less ``foreclosure_cost``, with no forced-sale haircut
  (the buyer can hold, cure or resell); with CPR/CDR vectors the scenario's
  severity says what the loan recovers, ``(1 - severity) x balance``, so a
  servicer never buys a loan at par plus interest while the severity is
  positive (the vectors carry no home prices to say otherwise). Fair-value
  sale: the fair-value severity is no higher than the foreclosure severity
  (with the vectors both are the scenario's severity in their liquidation
  months; the earlier sale wins a tie, as its proceeds arrive sooner: the
  undiscounted test is conservative for "on a present value basis").

An option's month must come before the liquidation month (``months <
liquidation_lag``); otherwise the loan is liquidated first and the option
has nothing to act on.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ServicerOptions", "Rule", "OPTION_FIELDS"]

Rule = Literal["share", "value"]

#: The option fields, as they appear in behaviour and scenario files and in
#: :class:`stress.assumptions.Assumptions`.
OPTION_FIELDS = ("buyout_share", "buyout_rule", "buyout_months", "fair_value_share", "fair_value_rule",
                 "fair_value_months", "purchase_limit", "purchase_rule", "purchase_months")


class ServicerOptions(BaseModel):
    """The three servicer options and their exercise rules (all off by default).

    Attributes
    ----------
    buyout_share : float
        Share of the loans reaching 90 days delinquent that the servicer buys
        at the Repurchase Price (Section 3.18) [decimal, 0..1].
    buyout_rule : {"share", "value"}
    buyout_months : int
        Months from the first missed payment to the buy-out [months]; 3 is
        "90 days or longer" (at least 3).
    fair_value_share : float
        Share of the defaulted loans not bought out that are sold at fair value
        instead of foreclosed (Section 3.13(f)) [decimal, 0..1].
    fair_value_rule : {"share", "value"}
    fair_value_months : int
        Months from the first missed payment to the sale [months].
        ASSUMPTION: 3, when a loan is "defaulted" (90 days) in the servicing
        agreement's usual sense; the amendment gives no date.
    purchase_limit : float
        Largest share of the pool bought in any month under Section 3.13(g)
        [decimal, 0..0.01: the amendment's 1.00%].
    purchase_rule : {"share", "value"}
        Which freshly delinquent loans qualify (``"share"``: all of them).
    purchase_months : int
        Months from the first missed payment to the purchase [months, >= 1].
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    buyout_share: float = Field(0.0, ge=0.0, le=1.0)
    buyout_rule: Rule = "value"
    buyout_months: int = Field(3, ge=3, le=120)
    fair_value_share: float = Field(0.0, ge=0.0, le=1.0)
    fair_value_rule: Rule = "value"
    fair_value_months: int = Field(3, ge=1, le=120)
    purchase_limit: float = Field(0.0, ge=0.0, le=0.01)
    purchase_rule: Rule = "value"
    purchase_months: int = Field(1, ge=1, le=120)

    @property
    def active(self) -> bool:
        """Whether any option can be exercised."""
        return self.buyout_share > 0 or self.fair_value_share > 0 or self.purchase_limit > 0

    def kernel_array(self) -> np.ndarray:
        """The options as the collateral kernels read them (layout :data:`stress.kernels.collateral.OPTION_NAMES`)."""
        from stress.kernels.collateral import OPTION_NAMES

        values = {
            "buyout_share": self.buyout_share, "buyout_by_value": self.buyout_rule == "value",
            "buyout_months": self.buyout_months,
            "fair_value_share": self.fair_value_share, "fair_value_by_value": self.fair_value_rule == "value",
            "fair_value_months": self.fair_value_months,
            "purchase_limit": self.purchase_limit, "purchase_by_value": self.purchase_rule == "value",
            "purchase_months": self.purchase_months,
        }
        assert set(values) == set(OPTION_NAMES)
        return np.array([float(values[name]) for name in OPTION_NAMES])

    @classmethod
    def of(cls, obj) -> "ServicerOptions":
        """The options carried by any object with the option fields (Assumptions, ServicingParams)."""
        return cls(**{name: getattr(obj, name) for name in OPTION_FIELDS})


def purchase_share(limit: float, eligible: np.ndarray, performing_begin: np.ndarray) -> np.ndarray:
    """Share of each month's eligible balance the 1% purchase takes: ``min(1, limit x performing / eligible)``.

    Parameters
    ----------
    limit : float
        ``purchase_limit`` [decimal of the pool].
    eligible : numpy.ndarray
        Balance the rule selects, by month (and path) [USD].
    performing_begin : numpy.ndarray
        Performing balance at the start of the month [USD]: the cap's base
        (never above the Stated Principal Balance of the pool).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(eligible > 0.0, np.minimum(1.0, limit * performing_begin / eligible), 0.0)
    return np.ascontiguousarray(share)
