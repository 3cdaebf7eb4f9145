"""Reporting measures exactly as the trustee's remittance report defines them.

Source: the "PREPAYMENT CALCULATION METHODOLOGY" and "COLLATERAL REALIZED LOSS
CALCULATION METHODOLOGY" pages of the Impac CMB Trust 2002-8 remittance report
(December 2002, ``seeds/impac_cmb_2002-8_remittance_report_2002-12.txt``)::

    SMM  = (voluntary partial and full prepayments + repurchases)
           / (beginning principal balance - scheduled principal)
    CPR  = 1 - (1 - SMM)^12
    PSA  = CPR / (0.02 * min(30, WAS))
    MDR  = (beginning principal balance of liquidated loans) / (total beginning principal balance)
    CDR  = 1 - (1 - MDR)^12
    SDA  = CDR / IF(WAS < 61, MIN(30, WAS)*0.02,
                    MAX(0.03, MIN(30, WAS)*0.02 - 0.0095*(WAS - 60)))
    loss severity = sum(realized loss) / sum(beginning balance of liquidated loans)

Two places where the printed text and the printed figures disagree, and what
we do (the figures win, because they are what the report publishes):

- **PSA scale.** The report prints SMM 0.002235081, CPR 0.026493706, WAS
  1.88608338 and PSA 7.023471612. ``CPR / (0.02 * min(30, WAS))`` with the CPR
  as a decimal gives 0.7023; the printed figure is ten times that, i.e.
  ``CPR / (0.002 * min(30, WAS))``: the speed as a *multiple* of the standard
  PSA curve (100% PSA = 0.2% CPR per month of age), so 7.02 means 702% PSA.
  The SDA formula's constants (0.02, 0.03, 0.0095) are in *percent* CDR and
  also give a multiple of the standard SDA curve. :func:`psa` and
  :func:`sda` therefore both return multiples (1.0 = 100% PSA / SDA) from
  decimal CPR / CDR inputs.
- **Average SMM / MDR.** The report writes
  ``AvgSMM = [(1-SMM_n)...(1-SMM_m)]^(1/months)``, which is the average
  *survival*; its own figure (average SMM since cut-off = 0.002235081 after one
  month) is one minus that. We return ``1 - geometric mean(1 - SMM)``.

All functions are vectorized numpy: arguments broadcast, averages reduce over
``axis`` (the period axis, last by default). Rates are decimals per period
(SMM, MDR: monthly; CPR, CDR: annualized); WAS is the weighted average
seasoning in months.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "smm", "cpr", "smm_from_cpr", "psa", "psa_base_cpr",
    "average_smm", "average_cpr", "average_psa",
    "mdr", "cdr", "mdr_from_cdr", "sda", "sda_base_cdr",
    "average_mdr", "average_cdr", "average_sda",
    "loss_severity", "average_loss_severity", "NO_LOSS_USD",
]


#: The no-loss threshold [USD]: half a cent. Money is settled in cents, so a write-down, shortfall or
#: balance at or below half a cent is float noise, not money: no loss, nothing outstanding, no breach.
#: Every "did this class lose / is it still outstanding" test in the package compares with this value
#: (a loss stored as a fraction of a class is compared after multiplying back by the class balance).
NO_LOSS_USD = 0.005


def _as_float(x):
    return np.asarray(x, dtype=np.float64)


# -- prepayments --------------------------------------------------------------


def smm(prepayments, beginning_balance, scheduled_principal):
    """Single monthly mortality, as the remittance report computes it.

    Parameters
    ----------
    prepayments : array_like
        Voluntary partial and full prepayments plus repurchases in the period [USD].
    beginning_balance : array_like
        Pool principal balance at the beginning of the period [USD].
    scheduled_principal : array_like
        Scheduled principal collected in the period [USD].

    Returns
    -------
    numpy.ndarray
        ``prepayments / (beginning_balance - scheduled_principal)`` [monthly, decimal].

    Examples
    --------
    >>> round(float(smm(765_735.92, 342_705_940.3, 107_190.94)), 9)
    0.002235081
    """
    return _as_float(prepayments) / (_as_float(beginning_balance) - _as_float(scheduled_principal))


def cpr(smm):
    """Conditional prepayment rate: ``1 - (1 - SMM)^12`` [annual, decimal]."""
    return 1.0 - (1.0 - _as_float(smm)) ** 12


def smm_from_cpr(cpr):
    """Monthly rate from an annual one: ``1 - (1 - CPR)^(1/12)`` (also MDR from CDR)."""
    return 1.0 - (1.0 - _as_float(cpr)) ** (1.0 / 12.0)


def psa_base_cpr(age):
    """CPR of 100% PSA at loan age ``age`` [months]: ``0.002 * min(30, age)`` [decimal].

    0.2% CPR in month 1, rising 0.2% a month to 6% at month 30, flat after.
    """
    return 0.002 * np.minimum(30.0, _as_float(age))


def psa(cpr, was):
    """Prepayment speed as a multiple of the PSA curve (1.0 = 100% PSA).

    ``CPR / (0.002 * min(30, WAS))`` — the report's printed figure; see the
    module docstring for why the constant is 0.002 and not the printed 0.02.

    Parameters
    ----------
    cpr : array_like
        Conditional prepayment rate [annual, decimal].
    was : array_like
        Weighted average seasoning [months].

    Examples
    --------
    >>> round(float(psa(0.026493706, 1.88608338)), 6)
    7.023472
    """
    return _as_float(cpr) / psa_base_cpr(was)


def average_smm(smms, axis=-1):
    """Average SMM over periods n..m: ``1 - [prod(1 - SMM_i)]^(1/months)``."""
    survival = 1.0 - _as_float(smms)
    months = survival.shape[axis]
    return 1.0 - np.prod(survival, axis=axis) ** (1.0 / months)


def average_cpr(smms, axis=-1):
    """Average CPR over periods n..m: ``1 - (1 - AvgSMM)^12``."""
    return cpr(average_smm(smms, axis=axis))


def average_psa(smms, was, axis=-1):
    """Average PSA approximation over periods n..m (multiple of the PSA curve).

    ``AvgCPR / (0.002 * AvgWAS)`` with ``AvgWAS = mean(min(30, WAS_i))``.

    Parameters
    ----------
    smms : array_like
        SMM of each period [monthly, decimal].
    was : array_like
        WAS of each period [months], same shape as ``smms``.
    """
    avg_was = np.mean(np.minimum(30.0, _as_float(was)), axis=axis)
    return average_cpr(smms, axis=axis) / (0.002 * avg_was)


# -- defaults and losses ------------------------------------------------------


def mdr(liquidated_beginning_balance, beginning_balance):
    """Monthly default rate, as the remittance report computes it.

    Parameters
    ----------
    liquidated_beginning_balance : array_like
        Beginning-of-period principal balance of the loans liquidated in the period [USD].
    beginning_balance : array_like
        Total pool principal balance at the beginning of the period [USD].

    Returns
    -------
    numpy.ndarray
        [monthly, decimal]
    """
    return _as_float(liquidated_beginning_balance) / _as_float(beginning_balance)


def cdr(mdr):
    """Conditional default rate: ``1 - (1 - MDR)^12`` [annual, decimal]."""
    return 1.0 - (1.0 - _as_float(mdr)) ** 12


mdr_from_cdr = smm_from_cpr


def period_cpr(prepayments, beginning_balance, scheduled_principal):
    """CPR of each period by the report's method [annual, decimal]; 0 where nothing is outstanding."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(cpr(smm(prepayments, beginning_balance, scheduled_principal)))


def period_cdr(liquidated_beginning_balance, beginning_balance):
    """CDR of each period by the report's method [annual, decimal]; 0 where nothing is outstanding."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(cdr(mdr(liquidated_beginning_balance, beginning_balance)))


def sda_base_cdr(age):
    """CDR of 100% SDA at loan age ``age`` [months], as a decimal.

    The report's ``IF(WAS<61, MIN(30,WAS)*0.02, MAX(0.03, MIN(30,WAS)*0.02 -
    0.0095*(WAS-60)))`` (in percent) divided by 100: 0.02% CDR in month 1,
    rising to 0.6% at month 30, flat to month 60, falling 0.0095% a month to
    0.03% at month 120, flat after.

    Examples
    --------
    >>> [round(float(sda_base_cdr(a)), 6) for a in (1, 30, 60, 120, 200)]
    [0.0002, 0.006, 0.006, 0.0003, 0.0003]
    """
    age = _as_float(age)
    ramp = np.minimum(30.0, age) * 0.02
    percent = np.where(age < 61.0, ramp, np.maximum(0.03, ramp - 0.0095 * (age - 60.0)))
    return percent / 100.0


def sda(cdr, was):
    """Default speed as a multiple of the SDA curve (1.0 = 100% SDA).

    Parameters
    ----------
    cdr : array_like
        Conditional default rate [annual, decimal].
    was : array_like
        Weighted average seasoning [months].
    """
    return _as_float(cdr) / sda_base_cdr(was)


def average_mdr(mdrs, axis=-1):
    """Average MDR over periods n..m: ``1 - [prod(1 - MDR_i)]^(1/months)``."""
    return average_smm(mdrs, axis=axis)


def average_cdr(mdrs, axis=-1):
    """Average CDR over periods n..m: ``1 - (1 - AvgMDR)^12``."""
    return cdr(average_mdr(mdrs, axis=axis))


def average_sda(mdrs, was, axis=-1):
    """Average SDA approximation over periods n..m (multiple of the SDA curve).

    ``AvgCDR / SDA base(AvgWAS)`` with ``AvgWAS = mean(WAS_i)`` — uncapped, as
    the report writes it for SDA (the PSA average caps each WAS at 30).
    """
    avg_was = np.mean(_as_float(was), axis=axis)
    return average_cdr(mdrs, axis=axis) / sda_base_cdr(avg_was)


def loss_severity(realized_loss, liquidated_beginning_balance):
    """Loss severity approximation for a period [decimal].

    ``sum(realized loss) / sum(beginning balance of liquidated loans)``; pass
    pool totals per period. NaN where nothing was liquidated.
    """
    num = _as_float(realized_loss)
    den = _as_float(liquidated_beginning_balance)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0.0, num / np.where(den != 0.0, den, 1.0), np.nan)


def average_loss_severity(realized_loss, liquidated_beginning_balance, axis=-1):
    """Average loss severity over periods n..m: the mean of the period severities.

    Periods without liquidations have no severity and are left out of the mean
    (NaN if no period had any).
    """
    sev = loss_severity(realized_loss, liquidated_beginning_balance)
    count = np.sum(~np.isnan(sev), axis=axis)
    total = np.nansum(sev, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
