"""The collateral kernel on many paths: mode 0 == the deterministic run (tiles of width 1) path by path; models ==
the reference twin."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.collateral_paths_reference import OUTPUTS, project_pool_paths_reference
from stress.assumptions import Assumptions
from stress.behaviour.params import BehaviourParams
from stress.behaviour.prep import BehaviourLoans, REGIONS
from stress.behaviour.prepayment import mortgage_rate
from stress.kernels.collateral_paths import OUTPUT_NAMES
from stress.pool import project_pool
from stress.collateral_model import BehaviourModel, Multipliers, VectorModel
from stress.pool_paths import project_pool_paths
from test_collateral_kernel import random_loans


def random_behaviour_loans(rng, n, n_periods) -> BehaviourLoans:
    loans = random_loans(rng, n, n_periods)
    return BehaviourLoans(
        loans=loans,
        region_id=rng.integers(0, len(REGIONS), n),
        inv_value=rng.uniform(0.3, 1.1, n) / np.maximum(loans.balance, 1.0),
        default_static=rng.uniform(-9.0, -3.0, n),
        mi_coverage=np.where(rng.random(n) < 0.3, rng.uniform(0.1, 0.35, n), 0.0),
        penalty_months=rng.choice([0, 6, 12, 24, 36], n),
        spike_reset=np.where(rng.random(n) < 0.7, loans.months_to_reset, -1),
    )


#: Servicer options the comparisons draw from (stress.servicing): none, each option by each rule, all at once.
OPTION_CASES = {
    "none": {},
    "buyout": {"buyout_share": 0.8, "buyout_rule": "value"},
    "buyout_share": {"buyout_share": 0.4, "buyout_rule": "share", "buyout_months": 4},
    "fair_value": {"fair_value_share": 1.0, "fair_value_rule": "value"},
    "fair_value_share": {"fair_value_share": 0.6, "fair_value_rule": "share", "fair_value_months": 2},
    "purchase": {"purchase_limit": 0.01, "purchase_rule": "value"},
    "all": {"buyout_share": 0.7, "buyout_rule": "share", "fair_value_share": 0.5, "fair_value_rule": "value",
            "purchase_limit": 0.004, "purchase_rule": "share", "purchase_months": 2},
}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_loans=st.integers(1, 5),
    n_paths=st.integers(1, 4),
    n_periods=st.integers(1, 90),
    cpr=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 0.6)),
    cdr=st.one_of(st.just(0.0), st.floats(0.0, 0.3)),
    severity=st.floats(0.0, 1.0),
    lag=st.integers(0, 14),
    advancing=st.booleans(),
    rounding=st.sampled_from([0.0, 0.00125]),
    option=st.sampled_from(sorted(OPTION_CASES)),
)
def test_mode0_reproduces_project_pool_per_path_exactly(seed, n_loans, n_paths, n_periods, cpr, cdr, severity, lag,
                                                       advancing, rounding, option):
    rng = np.random.default_rng(seed)
    loans = random_loans(rng, n_loans, n_periods)
    index_rates = rng.uniform(-0.005, 0.12, (n_paths, 4, max(n_periods, 2)))
    a = Assumptions(prepayment=cpr, default=cdr, severity=severity, liquidation_lag=lag, advancing=advancing,
                    rounding=rounding, **OPTION_CASES[option])
    cf = project_pool_paths(loans, index_rates, None, VectorModel(a), n_periods=n_periods)
    for p in range(n_paths):
        one = project_pool(loans, index_rates[p], a, n_periods=n_periods)
        for name in OUTPUTS[:20]:
            np.testing.assert_array_equal(getattr(cf, name)[p], getattr(one, name), err_msg=f"{name} path {p}")


def _models_case(seed, n_loans, n_paths, n_periods, lag, advancing, option):
    rng = np.random.default_rng(seed)
    bl = random_behaviour_loans(rng, n_loans, n_periods)
    index_rates = rng.uniform(0.0, 0.08, (n_paths, 4, n_periods))
    hpi = np.exp(np.cumsum(rng.normal(0.0, 0.03, (n_paths, len(REGIONS), n_periods)), axis=2))
    hpi[:, :, 0] = 1.0
    params = BehaviourParams().replace(servicing={"liquidation_lag": lag, "advancing": advancing,
                                                  **OPTION_CASES[option]})
    return rng, bl, index_rates, hpi, params


def _random_multipliers(rng, scaled, n_paths, n_periods):
    """Mode 2's Multipliers drawn from ``rng`` (per path, per month and a scalar-shaped row) and the same as
    the reference twin's (p, t) vectors; without ``scaled``: None and vectors of ones (mode 1)."""
    if not scaled:
        ones = np.ones((n_paths, n_periods))
        return None, ones, ones, ones
    mult = Multipliers(prepayment=rng.uniform(0.0, 3.0, (n_paths, n_periods)),
                       default=rng.uniform(0.0, 5.0, (1, n_periods)), severity=rng.uniform(0.5, 2.0, n_periods))
    return (mult, mult.prepayment, np.broadcast_to(mult.default, (n_paths, n_periods)),
            np.broadcast_to(mult.severity, (n_paths, n_periods)))


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_loans=st.integers(1, 4),
    n_paths=st.integers(1, 3),
    n_periods=st.integers(1, 60),
    lag=st.integers(0, 13),
    advancing=st.booleans(),
    option=st.sampled_from(sorted(OPTION_CASES)),
    scaled=st.booleans(),
)
def test_models_equal_reference(seed, n_loans, n_paths, n_periods, lag, advancing, option, scaled):
    rng, bl, index_rates, hpi, params = _models_case(seed, n_loans, n_paths, n_periods, lag, advancing, option)
    mult, smm_v, mdr_v, sev_v = _random_multipliers(rng, scaled, n_paths, n_periods)
    cf = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params, mult), n_periods=n_periods)
    ref = project_pool_paths_reference(
        bl, index_rates, mortgage_rate(index_rates, params), hpi, smm_v, mdr_v, sev_v, params,
        2 if scaled else 1, lag, advancing, 0.00125, params.servicing.options)
    assert set(OUTPUTS) == set(OUTPUT_NAMES)
    for name in OUTPUTS:
        np.testing.assert_allclose(getattr(cf, name), ref[name], rtol=1e-9, atol=1e-6, err_msg=name)
    # cash in = cash out, balances never negative.
    np.testing.assert_allclose(cf.pool_balance_begin - cf.scheduled_principal - cf.advanced_principal
                               - cf.prepayment - cf.liquidated_balance - cf.repurchased_balance,
                               cf.pool_balance_end, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(cf.recovery + cf.realized_loss, cf.liquidated_balance, rtol=1e-12, atol=1e-9)
    for name in ("pool_balance_end", "realized_loss", "recovery", "advanced_principal", "repurchased_balance",
                 "repurchase_interest", "advanced_interest"):
        assert np.all(getattr(cf, name) >= 0), name
    assert np.all(cf.realized_loss <= cf.liquidated_balance + 1e-9)
    if not advancing:
        assert np.all(cf.advanced_principal == 0) and np.all(cf.advanced_interest == 0)


def test_more_paths_leave_existing_paths_unchanged():
    rng, bl, index_rates, hpi, params = _models_case(3, 6, 4, 48, 6, True, "none")
    four = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), n_periods=48)
    two = project_pool_paths(bl, index_rates[:2], hpi[:2], BehaviourModel(params), n_periods=48)
    for name in OUTPUTS:
        np.testing.assert_array_equal(getattr(four, name)[:2], getattr(two, name), err_msg=name)


def test_scaled_mode_with_unit_multipliers_equals_models():
    rng, bl, index_rates, hpi, params = _models_case(5, 5, 2, 40, 4, True, "none")
    m1 = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), n_periods=40)
    m2 = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params, Multipliers()), n_periods=40)
    for name in OUTPUTS:
        np.testing.assert_array_equal(getattr(m1, name), getattr(m2, name), err_msg=name)
    # Default hazard x 2 from month 12 raises defaults from month 12 only.
    m3 = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params, Multipliers(default=[1.0] * 11 + [2.0])),
                            n_periods=40)
    np.testing.assert_array_equal(m3.default_balance[:, :11], m1.default_balance[:, :11])
    assert m3.default_balance[:, 11:].sum() > m1.default_balance[:, 11:].sum()


def test_a_one_path_chunk_uses_the_many_path_specialization(monkeypatch):
    # A Monte Carlo chunk of one path (e.g. the last of --paths 1001) must not compile the kernel again:
    # every chunk runs tiles of TILE lanes; only the deterministic run asks for width 1.
    from stress.kernels import collateral_paths

    widths = []
    kernel = collateral_paths._project_pool_paths

    def spy(*args):
        widths.append(len(args[-5]))  # the width tuple (then out, draws, seed, path_ids)
        return kernel(*args)

    monkeypatch.setattr(collateral_paths, "_project_pool_paths", spy)
    rng, bl, index_rates, hpi, params = _models_case(5, 3, 3, 12, 2, True, "none")
    three = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), n_periods=12)
    one = project_pool_paths(bl, index_rates[1:2], hpi[1:2], BehaviourModel(params), n_periods=12)
    np.testing.assert_array_equal(one.pool_balance_end[0], three.pool_balance_end[1])
    assert widths == [collateral_paths.TILE, collateral_paths.TILE]
    project_pool(bl.loans, index_rates[0], Assumptions(), n_periods=12)
    assert widths[-1] == 1  # the deterministic run
