"""The numpy twin of the collateral kernel (benchmarks/numpy_twin.py) equals the kernel to 1e-9 relative."""

import sys
from pathlib import Path

import numpy as np
import pytest

from stress.behaviour.prep import coefficients
from stress.behaviour.prepayment import mortgage_rate
from stress.collateral_model import BehaviourModel, Multipliers
from stress.pool_paths import project_pool_paths
from test_collateral_paths import _models_case

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.numpy_twin import project_pool_paths_numpy  # noqa: E402


@pytest.mark.parametrize("seed, lag, advancing, option, scaled", [
    (1, 6, True, "none", False),
    (2, 0, False, "none", False),
    (3, 12, True, "fair_value", True),
    (4, 9, True, "buyout", False),
    (5, 9, False, "all", True),
])
def test_numpy_twin_equals_kernel(seed, lag, advancing, option, scaled):
    n_loans, n_paths, n_periods = 40, 5, 90
    rng, bl, index_rates, hpi, params = _models_case(seed, n_loans, n_paths, n_periods, lag, advancing, option)
    mult = None
    kw = {}
    if scaled:
        mult = Multipliers(prepayment=rng.uniform(0.0, 3.0, (n_paths, n_periods)),
                           default=rng.uniform(0.0, 5.0, (n_paths, n_periods)),
                           severity=rng.uniform(0.5, 2.0, (n_paths, n_periods)))
        kw = dict(smm_mult=mult.prepayment, mdr_mult=mult.default, sev_mult=mult.severity)
    cf = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params, mult), n_periods=n_periods)
    options = params.servicing.options
    share = None
    if options.purchase_limit > 0:  # the cap's share from the kernel's first pass, as the Python side does
        first = project_pool_paths(bl, index_rates, hpi,
                                   BehaviourModel(params.replace(servicing={"purchase_limit": 0.0}), mult),
                                   n_periods=n_periods)
        eligible = first.default_balance  # rule "share": every new default is eligible
        share = np.where(eligible > 0, np.minimum(1.0, options.purchase_limit * first.performing_balance_begin
                                                  / np.where(eligible > 0, eligible, 1.0)), 0.0)
    twin = project_pool_paths_numpy(bl, index_rates, mortgage_rate(index_rates, params), hpi, coefficients(params),
                                    n_periods=n_periods, lag=lag, advancing=advancing, rounding=0.00125,
                                    options=options, purchase_share=share, **kw)
    assert cf.default_balance.sum() > 0 and cf.prepayment.sum() > 0
    if option != "none":
        assert cf.repurchased_balance.sum() + cf.liquidated_balance.sum() > 0
    for name, value in twin.items():
        np.testing.assert_allclose(getattr(cf, name), value, rtol=1e-9, atol=1e-6, err_msg=name)


def test_numpy_twin_on_reference_pool_sample():
    from stress.behaviour.params import load_behaviour
    from stress.behaviour.prep import prepare_loans
    from stress.collateral.reference_pool import reference_tape
    from stress.pool_paths import base_hpi
    from stress.rates.curves import forward_curve

    params = load_behaviour()
    bl = prepare_loans(reference_tape(), params).subset(np.arange(0, 3951, 37))
    rng = np.random.default_rng(7)
    n_periods, n_paths = 120, 3
    rates = forward_curve(n_months=420).rates[None, :, :n_periods] \
        + rng.normal(0.0, 0.01, (n_paths, 1, 1)) * np.linspace(0, 1, n_periods)
    hpi = base_hpi(n_paths, n_periods, drift=0.03) * np.exp(rng.normal(0.0, 0.1, (n_paths, 2, 1))
                                                             * np.linspace(0, 1, n_periods))
    cf = project_pool_paths(bl, rates, hpi, BehaviourModel(params), n_periods=n_periods)
    sv = params.servicing
    twin = project_pool_paths_numpy(bl, rates, mortgage_rate(rates, params), hpi, coefficients(params),
                                    n_periods=n_periods, lag=sv.liquidation_lag, advancing=sv.advancing,
                                    rounding=0.00125)
    for name, value in twin.items():
        np.testing.assert_allclose(getattr(cf, name), value, rtol=1e-9, atol=1e-6, err_msg=name)
