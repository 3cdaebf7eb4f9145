"""Loan-level draws in the multi-path collateral kernel: the reference twin, unbiasedness, tiling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.collateral_paths_reference import OUTPUTS, project_pool_paths_reference
from stress.assumptions import Assumptions
from stress.behaviour.prepayment import mortgage_rate
from stress.errors import ScenarioError
from stress.kernels.counter_rng import STREAM_LOAN_DRAWS
from stress.collateral_model import BehaviourModel, VectorModel
from stress.pool_paths import project_pool_paths
from test_collateral_kernel import random_loans
from test_collateral_paths import OPTION_CASES, _models_case, _random_multipliers


def numpy_uniforms(seed, path_ids, n_loans, n_months):
    """The draws' uniforms from numpy's Philox (independent of the numba generator): ``(p, l, t)``.

    Key (seed, stream), counter (path, loan, month // 4, 0), word month % 4; numpy bumps its counter
    before a block, so it starts one below; top 52 bits plus one half, times 2**-52.
    """
    u = np.zeros((len(path_ids), n_loans, n_months))
    key = int(seed) | int(STREAM_LOAN_DRAWS) << 64
    for i, p in enumerate(path_ids):
        for l in range(n_loans):
            for b in range(0, n_months, 4):
                counter = int(p) | l << 64 | (b // 4) << 128
                words = np.random.Philox(key=key, counter=(counter - 1) % 2**256).random_raw(4)
                n = min(4, n_months - b)
                u[i, l, b:b + n] = ((words[:n] >> np.uint64(12)).astype(float) + 0.5) / 2.0**52
    return u


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    draw_seed=st.integers(0, 2**64 - 1),
    first_path=st.integers(0, 2**40),
    n_loans=st.integers(1, 4),
    n_paths=st.integers(1, 3),
    n_periods=st.integers(1, 60),
    lag=st.integers(0, 13),
    advancing=st.booleans(),
    option=st.sampled_from(sorted(OPTION_CASES)),
    scaled=st.booleans(),
)
def test_draws_equal_reference(seed, draw_seed, first_path, n_loans, n_paths, n_periods, lag, advancing, option,
                               scaled):
    rng, bl, index_rates, hpi, params = _models_case(seed, n_loans, n_paths, n_periods, lag, advancing, option)
    # hazards high enough that loans default and prepay within a few months
    bl.default_static[:] = rng.uniform(-4.0, -1.0, n_loans)
    ids = first_path + np.arange(n_paths) * 7
    mult, smm_v, mdr_v, sev_v = _random_multipliers(rng, scaled, n_paths, n_periods)
    cf = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params, mult), n_periods=n_periods, draws=True,
                            seed=draw_seed, path_ids=ids)
    ref = project_pool_paths_reference(
        bl, index_rates, mortgage_rate(index_rates, params), hpi, smm_v, mdr_v, sev_v, params,
        2 if scaled else 1, lag, advancing, 0.00125, params.servicing.options,
        uniforms=numpy_uniforms(draw_seed, ids, n_loans, n_periods))
    for name in OUTPUTS:
        np.testing.assert_allclose(getattr(cf, name), ref[name], rtol=1e-9, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(cf.pool_balance_begin - cf.scheduled_principal - cf.advanced_principal
                               - cf.prepayment - cf.liquidated_balance - cf.repurchased_balance,
                               cf.pool_balance_end, rtol=1e-12, atol=1e-6)
    assert np.all(cf.pool_balance_end >= 0)


def test_a_loan_leaves_whole():
    # One loan, 400 paths: it defaults or prepays in full in at most one month of each path.
    rng, bl, index_rates, hpi, params = _models_case(11, 1, 1, 48, 0, True, "none")
    bl.default_static[:] = -2.5
    p = 400
    cf = project_pool_paths(bl, np.repeat(index_rates, p, 0), np.repeat(hpi, p, 0), BehaviourModel(params), n_periods=48,
                            draws=True, seed=5, path_ids=np.arange(p))
    defaults = cf.default_balance > 0
    prepays = cf.prepayment > 0
    assert np.all(defaults.sum(1) + prepays.sum(1) <= 1)
    np.testing.assert_array_equal(cf.default_balance[defaults], cf.performing_balance_begin[defaults])
    np.testing.assert_array_equal(cf.prepayment[prepays], cf.prepayable_balance[prepays])
    assert 20 < defaults.any(1).sum() < p - 20 and 20 < prepays.any(1).sum() < p - 20  # both happen


def _mean_within_se(draws, expected, k=4.0):
    """Per-path totals ``draws`` (p,) agree with the expected value within ``k`` standard errors of their mean."""
    se = draws.std(ddof=1) / np.sqrt(draws.size)
    assert se > 0
    assert abs(draws.mean() - expected) < k * se, (draws.mean(), expected, se)


@pytest.mark.parametrize("kind", ["models", "vectors"])
def test_draws_are_unbiased(kind):
    # Same macro path on every one of 512 paths: the draws' mean of each flow is the expected-value kernel's
    # flow (the hazards of a surviving loan do not depend on the others), within 4 standard errors.
    p, n, months = 512, 12, 48
    rng, bl, index_rates, hpi, params = _models_case(21, n, 1, months, 3, True, "none")
    bl.default_static[:] = rng.uniform(-5.0, -3.0, n)
    rates, h = np.repeat(index_rates, p, 0), np.repeat(hpi, p, 0)
    if kind == "models":
        run = lambda **kw: project_pool_paths(bl, rates, h, BehaviourModel(params), n_periods=months, **kw)  # noqa: E731
    else:
        loans = random_loans(np.random.default_rng(3), n, months)
        a = Assumptions(prepayment=0.25, default=0.06, severity=0.4, liquidation_lag=3)
        run = lambda **kw: project_pool_paths(loans, rates, None, VectorModel(a), n_periods=months, **kw)  # noqa
    ev = run()
    dr = run(draws=True, seed=20040129, path_ids=np.arange(p))
    for name in ("default_balance", "prepayment", "realized_loss", "scheduled_principal", "scheduled_interest"):
        assert np.all(getattr(ev, name) == getattr(ev, name)[:1])  # EV: the same on every path
        _mean_within_se(getattr(dr, name).sum(1), getattr(ev, name)[0].sum())
    _mean_within_se(dr.pool_balance_end[:, 24], ev.pool_balance_end[0, 24])
    # the draws add variance: the expected values have none here
    assert dr.default_balance.sum(1).std() > 0


def test_draws_do_not_depend_on_tiling_or_chunking():
    # 70 paths in one call (tiles of 32: 32 + 32 + 6) against cuts at 33 and 50: bit for bit.
    rng, bl, index_rates, hpi, params = _models_case(4, 5, 70, 36, 4, True, "all")
    bl.default_static[:] = -3.0
    ids = 1000 + np.arange(70)
    kw = dict(n_periods=36, draws=True, seed=77)
    whole = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), path_ids=ids, **kw)
    for a, b in ((0, 33), (33, 50), (50, 70), (49, 50)):
        part = project_pool_paths(bl, index_rates[a:b], hpi[a:b], BehaviourModel(params), path_ids=ids[a:b], **kw)
        for name in OUTPUTS:
            np.testing.assert_array_equal(getattr(whole, name)[a:b], getattr(part, name), err_msg=name)
    # another seed gives other draws
    other = project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), path_ids=ids, **{**kw, "seed": 78})
    assert not np.array_equal(whole.default_balance, other.default_balance)


@pytest.mark.parametrize("seed", [-1, 2**64, 0.5])
def test_seed_outside_key_range_is_one_line(seed):
    rng, bl, index_rates, hpi, params = _models_case(1, 1, 1, 6, 0, True, "none")
    with pytest.raises(ScenarioError, match=r"^--seed / simulation.seed = .*: .*\[0, 18446744073709551615\]"):
        project_pool_paths(bl, index_rates, hpi, BehaviourModel(params), n_periods=6, draws=True, seed=seed)


# -- the engine and the options ------------------------------------------------------------------------------
def test_engine_draws_are_identical_whatever_the_chunking_and_differ_from_expected():
    from stress.engine import run_monte_carlo
    from test_engine import run_three_ways, scenario

    s = scenario(simulation={"paths": 12, "chunk_size": 5}, randomness={"collateral_draws": "loan"})
    a = run_three_ways(s)
    assert a.attrs["collateral_draws"] == "loan"
    from stress.metrics import summary
    from stress.tables import monte_carlo_summary

    assert "(vectors behaviour, loan-level draws, hull_white rates)" in monte_carlo_summary(
        {"attrs": a.attrs, "summary": summary(a)})
    ev = run_monte_carlo(s, n_paths=12, chunk_size=12, scheduler="synchronous", collateral_draws="expected")
    assert ev.attrs["collateral_draws"] == "expected"
    assert not np.array_equal(ev["cumulative_collateral_loss_pct"].values, a["cumulative_collateral_loss_pct"].values)


def test_unknown_mode_and_bad_seed_are_one_line_errors(capsys):
    from stress.cli import build_parser
    from stress.engine import with_collateral_draws
    from stress.scenario import parse_scenario
    from test_engine import BASE, scenario

    s = scenario()
    with pytest.raises(ScenarioError, match=r"^--collateral-draws 'fraction': must be one of expected, loan$"):
        with_collateral_draws(s, "fraction")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "base", "--collateral-draws", "fraction"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--collateral-draws: invalid choice: 'fraction' (choose from" in err and "expected" in err and "loan" in err
    data = {**BASE, "randomness": {"collateral_draws": "fraction"}}
    with pytest.raises(ValueError, match="collateral_draws") as info:
        parse_scenario(data, source="x.toml")
    assert "expected" in str(info.value) and "loan" in str(info.value)
    from stress.engine import build_context

    with pytest.raises(ScenarioError, match=r"^--seed / simulation.seed = 18446744073709551616: .*\[0, 1844"):
        build_context(with_collateral_draws(s, "loan"), seed=2**64)


def test_base_case_draws_agree_with_expected_values_within_their_standard_error():
    # Base scenario (models, 3,951 loans), 24 paths to call, the same macro paths in both modes. Per path
    # x = draws - EV is the pool's idiosyncratic loss: mean 0 (the draws are unbiased; 4 SE of the paired
    # mean), and the draws' variance is the EV's plus Var(x): not below it by more than 4 SE of the
    # paired estimate of Var(draws) - Var(EV) (per path: (d - mean d)^2 - (e - mean e)^2).
    from stress.engine import run_monte_carlo
    from stress.scenario import load_scenario

    s = load_scenario("base")
    n = 24
    runs = {mode: run_monte_carlo(s, n_paths=n, chunk_size=n, scheduler="synchronous", collateral_draws=mode)
            for mode in ("expected", "loan")}
    e = runs["expected"]["cumulative_collateral_loss_pct"].values
    d = runs["loan"]["cumulative_collateral_loss_pct"].values
    x = d - e
    assert np.all(x != 0.0)  # the draws change every path's loss
    assert abs(x.mean()) < 4.0 * x.std(ddof=1) / np.sqrt(n), (x.mean(), x.std(ddof=1))
    z = (d - d.mean()) ** 2 - (e - e.mean()) ** 2
    assert z.mean() > -4.0 * z.std(ddof=1) / np.sqrt(n), (z.mean(), z.std(ddof=1))
