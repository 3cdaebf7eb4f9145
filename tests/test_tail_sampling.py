"""Importance sampling of the national home-price shocks: exact weights, plain Monte Carlo
untouched when off, weighted metrics that agree with plain ones, degenerate tilts refused,
and the realized path's place in a distribution."""

from __future__ import annotations

import math
import tomllib
import warnings

import numpy as np
import pytest
import xarray as xr

from stress.cli import main
from stress.engine import _report_weights, run_monte_carlo
from stress.errors import ScenarioError
from stress.metrics import (expected_loss, expected_shortfall, loss_quantiles, oc_summary, place_in_distribution,
                            probability_of_loss, weighted_quantile_with_se)
from stress.rates.config import ScenarioDrivers
from stress.rates.curves import forward_curve
from stress.rates.generator import HPI_NATIONAL_COLUMN, NORMALS_PER_MONTH, draw_normals, generate_paths
from stress.rates.tail_sampling import check_tilt, expected_ess_fraction, max_tilt
from stress.scenario import parse_scenario, scenario_path

SEED = 20040129
N_MONTHS = 61  # 60 steps: the default 5-year tilt window exactly


def raw_normals(path_id: int, n_steps: int, seed: int = SEED) -> np.ndarray:
    """Path ``path_id``'s documented stream, drawn here without the generator."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(path_id,))))
    return rng.standard_normal((n_steps, NORMALS_PER_MONTH))


def drivers(tail="off", **randomness) -> ScenarioDrivers:
    """Five-year tilt window (60 steps), so the hand-written sums below run over 60 months."""
    return ScenarioDrivers(home_prices={"california": {"enabled": True}},
                           randomness={"tail_sampling": tail, "tail_years": 5.0, **randomness})


# -- the draws and the weights -----------------------------------------------------

def test_off_is_the_plain_stream_and_a_tilt_shifts_only_the_national_column():
    ids = np.array([0, 5, 37])
    plain = draw_normals(ids, seed=SEED, n_steps=100, randomness=drivers().randomness)
    tilted = draw_normals(ids, seed=SEED, n_steps=100, randomness=drivers(0.2).randomness)
    for row, i in enumerate(ids):
        np.testing.assert_array_equal(plain[row], raw_normals(i, 100))  # bit for bit
        expected = raw_normals(i, 100)
        expected[:60, HPI_NATIONAL_COLUMN] -= 0.2
        np.testing.assert_array_equal(tilted[row], expected)


def test_weights_are_the_exact_likelihood_ratio_and_independent_of_the_block():
    theta, ids = 0.15, np.arange(3000, 3010)
    paths = generate_paths(drivers(theta), path_ids=ids, seed=SEED, n_months=N_MONTHS, curve=forward_curve())
    for k, i in enumerate(ids):
        z = raw_normals(i, N_MONTHS - 1)[:60, HPI_NATIONAL_COLUMN]
        # phi(z') / phi(z' + theta) with z' = z - theta, multiplied over the 60 steps
        ratio = np.prod(np.exp(-0.5 * (z - theta) ** 2) / np.exp(-0.5 * z ** 2))
        assert paths.weight[k] == pytest.approx(ratio, rel=1e-10)
    alone = generate_paths(drivers(theta), path_ids=ids[3:4], seed=SEED, n_months=N_MONTHS, curve=forward_curve())
    assert alone.weight[0] == paths.weight[3]  # bit for bit, whatever shares its block
    plain = generate_paths(drivers(), path_ids=ids, seed=SEED, n_months=N_MONTHS, curve=forward_curve())
    assert np.all(plain.weight == 1.0)
    assert np.all(paths.hpi_national[:, 60] < plain.hpi_national[:, 60])  # the tilt pushes every path down


@pytest.mark.parametrize("randomness", [{}, {"antithetic": True}, {"quasi_random": "sobol"},
                                        {"quasi_random": "sobol", "brownian_bridge": True}])
def test_weights_average_to_one(randomness):
    """E[w] = 1; Var[w] = exp(n theta^2) - 1 gives the standard error of the mean of 4,000 weights."""
    theta, n = 0.15, 4000
    paths = generate_paths(drivers(theta, **randomness), path_ids=np.arange(n), seed=SEED, n_months=N_MONTHS,
                           curve=forward_curve())
    se = math.sqrt(math.expm1(60 * theta ** 2) / n)
    assert abs(paths.weight.mean() - 1.0) < 3 * se, (paths.weight.mean(), se)


def test_degenerate_tilt_is_refused_naming_the_option():
    assert max_tilt(60, 0.05) == pytest.approx(math.sqrt(math.log(20) / 60))
    check_tilt(0.22, 60)  # expected ESS exp(-60 x 0.0484) = 5.5%
    with pytest.raises(ScenarioError, match=r"tail_sampling = 0.3: .* effective sample size is 0.45% .* >= 5%"):
        check_tilt(0.3, 60)
    assert expected_ess_fraction(0.3, 60) == pytest.approx(math.exp(-5.4))


def test_realized_degenerate_weights_are_warned():
    w = np.ones(100)
    w[0] = 1e6
    ds = xr.Dataset({"weight": ("path", w)}, attrs={"scenario_json": '{"randomness": {"tail_sampling": 0.2}}'})
    with pytest.warns(RuntimeWarning, match="tail_sampling = 0.2: the weights' effective sample size is 1 of 100"):
        _report_weights(ds)


# -- weighted metrics agree with plain ones -----------------------------------------

def _synthetic_results(theta: float, n: int, path_offset: int) -> xr.Dataset:
    """Results whose 'losses' are home-price declines over five years, from generated paths.

    Tranche 'low' loses the decline below 1.0 of the five-year national index, 'high' the decline below
    0.9 (plain Monte Carlo resolves both: about 20% and 5% of paths); a path 'breaches OC' when the index
    ends below 0.95.
    """
    paths = generate_paths(drivers(theta), path_ids=path_offset + np.arange(n), seed=SEED, n_months=N_MONTHS,
                           curve=forward_curve())
    level = paths.hpi_national[:, 60]
    loss = np.column_stack([np.maximum(1.0 - level, 0.0), np.maximum(0.9 - level, 0.0)])
    first = np.where(level < 0.95, 30.0, np.nan)
    return xr.Dataset({"loss_pct": (("path", "tranche"), loss), "weight": ("path", paths.weight),
                       "first_oc_breach_period": ("path", first),
                       "oc": (("path", "period"), np.zeros((n, 1))),
                       "bond_balance": (("path", "period"), np.ones((n, 1)))},
                      coords={"tranche": ["low", "high"], "period": [1]})


def test_importance_sampled_metrics_agree_with_plain_monte_carlo():
    """Plain (theta 0) and tilted (theta 0.15) runs on disjoint paths agree within 3 combined standard errors."""
    plain = _synthetic_results(0.0, 4000, 0)
    tilted = _synthetic_results(0.15, 4000, 100_000)
    assert "weight" in tilted and not np.all(tilted["weight"].values == 1.0)

    def close(a, b, a_se, b_se):
        a, b, a_se, b_se = (np.asarray(x, float) for x in (a, b, a_se, b_se))
        assert np.all(np.abs(a - b) <= 3 * np.hypot(a_se, b_se) + 1e-12), (a, b, a_se, b_se)

    for f in (expected_loss, probability_of_loss, lambda d: expected_shortfall(d, q=0.95)):
        p, t = f(plain), f(tilted)
        close(p.estimate, t.estimate, p.std_error, t.std_error)
        assert np.all(t.std_error > 0)
    p, t = loss_quantiles(plain, q=(0.95, 0.99)), loss_quantiles(tilted, q=(0.95, 0.99))
    close(p.estimate, t.estimate, p.std_error, t.std_error)
    p, t = oc_summary(plain), oc_summary(tilted)
    close(p["probability_ever_breached"], t["probability_ever_breached"], p["probability_ever_breached_se"],
          t["probability_ever_breached_se"])
    # the tilt resolves the 'high' tranche's tail better than plain Monte Carlo at equal paths
    assert probability_of_loss(tilted).std_error[1] < probability_of_loss(plain).std_error[1]


def test_weighted_quantile_with_unit_weights_is_the_inverse_empirical_cdf():
    rng = np.random.default_rng(3)
    x = rng.exponential(size=(501, 2))
    for q in (0.5, 0.9, 0.99):
        est, _ = weighted_quantile_with_se(x, q, np.ones(501))
        np.testing.assert_array_equal(est, np.quantile(x, q, axis=0, method="inverted_cdf"))


# -- the engine ------------------------------------------------------------------------

BASE = tomllib.loads(scenario_path("base").read_text())


def small_scenario(**randomness):
    data = {k: dict(v) for k, v in BASE.items()}
    data["behaviour"] = {"mode": "vectors", "prepayment": "100 PPC", "default": 0.03, "severity": 0.45,
                         "liquidation_lag": 6}
    data["randomness"] = {**data.get("randomness", {}), "tail_pilot_paths": 20, **randomness}
    return parse_scenario(data, source="tail_test.toml")


def test_engine_carries_weights_bit_identically_whatever_the_chunking():
    s = small_scenario()
    a = run_monte_carlo(s, n_paths=6, chunk_size=4, scheduler="synchronous", tail_sampling=0.2)
    b = run_monte_carlo(s, n_paths=6, chunk_size=1, scheduler="threads", workers=2, tail_sampling=0.2)
    off = run_monte_carlo(s, n_paths=6, chunk_size=6, scheduler="synchronous")
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a["weight"].attrs["units"] == "1" and a.attrs["tail_tilt"] == 0.2
    paths = generate_paths(s.drivers.model_copy(update={"randomness": s.randomness.model_copy(
        update={"tail_sampling": 0.2})}), path_ids=np.arange(6), seed=SEED, n_months=a.sizes["period"] + 1,
        curve=forward_curve(n_months=420))
    np.testing.assert_array_equal(a["weight"].values, paths.weight)
    assert np.all(off["weight"].values == 1.0) and off.attrs["tail_sampling"] == "off"
    with pytest.raises(ScenarioError, match=r"--tail-sampling / randomness.tail_sampling = 0.5: .* effective sample"):
        run_monte_carlo(s, n_paths=2, tail_sampling=0.5)


def test_auto_tilt_is_chosen_by_a_pilot_and_recorded():
    s = small_scenario(tail_sampling="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = run_monte_carlo(s, n_paths=4, chunk_size=4, scheduler="synchronous")
    theta = ds.attrs["tail_tilt"]
    tilts = np.array([ds.attrs["tail_rate_tilt"], theta, ds.attrs["tail_california_tilt"]])
    assert np.sqrt(np.sum(tilts ** 2)) <= max_tilt(72, 0.10) + 1e-12  # the default 6-year window (72 steps)
    assert theta >= 0.0 and ds.attrs["tail_california_tilt"] >= 0.0
    assert ds.attrs["tail_sampling"] == f"{theta}"


def test_cli_tail_sampling_option_is_validated(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--tail-sampling", "lots", "--paths", "2"])
    assert info.value.code == 2
    assert "--tail-sampling: 'lots': must be off, auto or a number" in capsys.readouterr().err


# -- the realized path's percentile ----------------------------------------------------

def test_place_in_distribution_by_hand():
    n = 100
    mc = xr.Dataset({
        "cumulative_collateral_loss_pct": ("path", np.arange(n) / 1000.0),
        "loss_pct": (("path", "tranche"), np.column_stack([np.zeros(n), np.where(np.arange(n) < 90, 0.0, 0.5)])),
        "afr": (("path", "period"), np.column_stack([np.full(n, 0.05), 0.02 + np.arange(n) / 10_000.0])),
        "libor_1m": (("path", "period"), np.full((n, 2), 0.01)),
    }, coords={"tranche": ["A", "B"]})
    history = xr.Dataset({
        "cumulative_collateral_loss_pct": ("path", [0.0495]), "loss_pct": (("path", "tranche"), [[0.0, 0.0]]),
        "afr": (("path", "period"), [[0.05, 0.0150]]), "libor_1m": (("path", "period"), [[0.01, 0.01]]),
    }, coords={"tranche": ["A", "B"]})
    placed = place_in_distribution(mc, history)
    p = placed["percentile"].to_series()
    assert p["collateral_loss"] == pytest.approx(0.50)  # 50 of the values 0.000 .. 0.099 lie below 0.0495
    assert p["loss_A"] == pytest.approx(0.5)  # ties everywhere: mid-rank
    assert p["loss_B"] == pytest.approx(0.45)  # 90 paths tie at 0
    assert p["min_afr_margin"] == pytest.approx(0.0)  # margin 50 bp, below every path's 100 .. 199 bp
    assert placed["history_value"].sel(measure="min_afr_margin") == pytest.approx(0.005)
    # importance weights (self-normalized): doubling the upper half's weight leaves 50 of 150 below
    weighted = mc.assign(weight=("path", np.where(np.arange(n) >= 50, 2.0, 1.0)))
    assert place_in_distribution(weighted, history)["percentile"].sel(measure="collateral_loss") == \
        pytest.approx(50 / 150)


def test_rate_and_california_tilts_multiply_into_the_weight():
    """Three tilted columns: the weight is the product of the three columns' likelihood ratios."""
    tilts = {"tail_rate_tilt": -0.1, "tail_california_tilt": 0.05}
    ids = np.arange(7, 10)
    paths = generate_paths(drivers(0.08, **tilts), path_ids=ids, seed=SEED, n_months=N_MONTHS,
                           curve=forward_curve())
    for k, i in enumerate(ids):
        z = raw_normals(i, N_MONTHS - 1)[:60]
        ratio = 1.0
        for column, theta in ((0, -0.1), (HPI_NATIONAL_COLUMN, 0.08), (5, 0.05)):
            ratio *= np.prod(np.exp(-0.5 * (z[:, column] - theta) ** 2) / np.exp(-0.5 * z[:, column] ** 2))
        assert paths.weight[k] == pytest.approx(ratio, rel=1e-10)
    plain = generate_paths(drivers(0.08), path_ids=ids, seed=SEED, n_months=N_MONTHS, curve=forward_curve())
    assert np.all(paths.index("LIBOR_1M")[:, 60] > plain.index("LIBOR_1M")[:, 60])  # negative rate tilt: rates up


@pytest.mark.slow
def test_engine_estimates_agree_with_plain_monte_carlo_on_the_base_deal():
    """Base scenario, full tape: 1,500 plain paths and 600 importance-sampled (auto) paths on other
    seeds agree on what plain Monte Carlo resolves (mean collateral loss, OC-breach probability,
    M-4 expected loss) within 3 combined standard errors."""
    from stress.metrics import summary
    from stress.scenario import load_scenario

    s = load_scenario("base")
    plain = summary(run_monte_carlo(s, n_paths=1500, seed=11))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tilted = summary(run_monte_carlo(s, n_paths=600, seed=12, tail_sampling="auto"))
    pairs = [(plain["collateral"]["cumulative_loss_mean"], plain["collateral"]["cumulative_loss_se"],
              tilted["collateral"]["cumulative_loss_mean"], tilted["collateral"]["cumulative_loss_se"]),
             (plain["oc"]["probability_ever_breached"], plain["oc"]["probability_ever_breached_se"],
              tilted["oc"]["probability_ever_breached"], tilted["oc"]["probability_ever_breached_se"]),
             (plain["tranches"]["M-4"]["expected_loss"], plain["tranches"]["M-4"]["expected_loss_se"],
              tilted["tranches"]["M-4"]["expected_loss"], tilted["tranches"]["M-4"]["expected_loss_se"])]
    for a, a_se, b, b_se in pairs:
        assert abs(a - b) <= 3 * math.hypot(a_se, b_se), (a, a_se, b, b_se)
    assert abs(tilted["tail_sampling"]["mean_weight"] - 1) <= 3 * tilted["tail_sampling"]["mean_weight_se"]
