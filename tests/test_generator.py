"""The scenario generator: reproducibility, chunking invariance, common random numbers,
variance-reduction options, shocks, configuration errors and the netCDF output."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
import xarray as xr

from stress.errors import ScenarioError
from stress.rates.config import RandomnessConfig, ScenarioDrivers
from stress.rates.curves import forward_curve
from stress.rates.generator import PathSet, draw_normals, generate_paths
from stress.rates.netcdf import paths_to_dataset, write_rates_dataset

SEED = 20040101
N_MONTHS = 121

RANDOMNESS = {
    "pseudo": {},
    "antithetic": {"antithetic": True},
    "sobol": {"quasi_random": "sobol"},
    "sobol_bridge_antithetic": {"quasi_random": "sobol", "brownian_bridge": True, "antithetic": True},
}


@pytest.fixture(scope="module")
def curve():
    return forward_curve()


def drivers(rates=None, home_prices=None, randomness=None) -> ScenarioDrivers:
    tables = {"rates": rates or {}, "home_prices": home_prices or {}, "randomness": randomness or {}}
    return ScenarioDrivers.from_toml_tables(tables)


def run(config, ids, curve, seed=SEED, n_months=N_MONTHS) -> PathSet:
    return generate_paths(config, path_ids=np.asarray(ids), seed=seed, n_months=n_months, curve=curve)


FIELDS = ("short_rate", "index_rates", "hpi_national", "hpi_california", "discount")


def assert_same_paths(a: PathSet, b: PathSet, rows_a=slice(None), rows_b=slice(None)):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name)[rows_a], getattr(b, name)[rows_b], err_msg=name)


@pytest.mark.parametrize("randomness", RANDOMNESS.values(), ids=RANDOMNESS.keys())
def test_chunking_invariance(curve, randomness):
    """Paths 0..99 at once == in chunks of 7 == path 37 alone, bit for bit."""
    config = drivers(rates={"model": "g2pp"}, home_prices={"california": {"enabled": True}},
                     randomness=randomness)
    whole = run(config, np.arange(100), curve)
    chunks = [run(config, np.arange(s, min(s + 7, 100)), curve) for s in range(0, 100, 7)]
    for name in FIELDS:
        np.testing.assert_array_equal(np.concatenate([getattr(c, name) for c in chunks]),
                                      getattr(whole, name), err_msg=name)
    alone = run(config, [37], curve)
    assert_same_paths(alone, whole, rows_b=slice(37, 38))
    # order does not matter either
    shuffled = np.random.default_rng(0).permutation(100)
    assert_same_paths(run(config, shuffled, curve), whole, rows_b=shuffled)


def test_same_seed_same_paths_other_seed_other_paths(curve):
    config = drivers()
    a, b = run(config, np.arange(20), curve), run(config, np.arange(20), curve)
    assert_same_paths(a, b)
    c = run(config, np.arange(20), curve, seed=SEED + 1)
    assert not np.allclose(a.short_rate[:, 1:], c.short_rate[:, 1:])


def test_longer_horizon_keeps_earlier_months(curve):
    config = drivers()
    short, long = run(config, np.arange(10), curve, n_months=60), run(config, np.arange(10), curve, n_months=120)
    np.testing.assert_array_equal(short.short_rate, long.short_rate[:, :60])
    np.testing.assert_array_equal(short.hpi_national, long.hpi_national[:, :60])


def test_common_random_numbers_across_models_and_options(curve):
    """Same seed, same draws: HW and G2++ share the first factor; home prices do not depend on the rate model."""
    ids = np.arange(50)
    hw = run(drivers(rates={"model": "hull_white", "mean_reversion": 0.03, "volatility": 0.008}), ids, curve)
    # G2++ with a silent second factor is Hull-White driven by the same normals
    g2 = run(drivers(rates={"model": "g2pp", "g2pp": {"a": 0.03, "sigma": 0.008, "eta": 0.0}}), ids, curve)
    np.testing.assert_allclose(g2.short_rate, hw.short_rate, rtol=0, atol=1e-15)
    np.testing.assert_allclose(g2.index_rates, hw.index_rates, rtol=1e-12)
    full_g2 = run(drivers(rates={"model": "g2pp"}, home_prices={"california": {"enabled": True}}), ids, curve)
    np.testing.assert_array_equal(full_g2.hpi_national, hw.hpi_national)
    shocked = run(drivers(rates={"mean_reversion": 0.03, "volatility": 0.008, "shock_bp": 200}), ids, curve)
    np.testing.assert_array_equal(shocked.short_rate, hw.short_rate)


def test_common_random_numbers_shrink_the_noise_of_a_difference(curve):
    """A +10% vol scenario vs base: paired (same seed) differences are far less noisy than independent ones."""
    ids = np.arange(2000)
    base = run(drivers(), ids, curve).index_rates[:, 0, 60]
    up = run(drivers(rates={"volatility": 0.01595}), ids, curve).index_rates[:, 0, 60]  # default 0.0145 + 10%
    independent = run(drivers(rates={"volatility": 0.01595}), ids, curve, seed=SEED + 1).index_rates[:, 0, 60]
    assert np.std(up - base) < 0.2 * np.std(independent - base)


def test_antithetic_pairs_negate_draws(curve):
    ids = np.arange(10)
    anti = draw_normals(ids, seed=SEED, n_steps=30, randomness=RandomnessConfig(antithetic=True))
    plain = draw_normals(ids, seed=SEED, n_steps=30)
    np.testing.assert_array_equal(anti[1::2], -anti[0::2])
    np.testing.assert_array_equal(anti[0::2], plain[0::2])
    # the rate factor is linear in the draws: every pair straddles the same fitted shift phi(t)
    paths = run(drivers(randomness={"antithetic": True}), ids, curve)
    centre = 0.5 * (paths.short_rate[0::2] + paths.short_rate[1::2])
    np.testing.assert_allclose(centre, np.broadcast_to(centre[0], centre.shape), rtol=0, atol=1e-15)
    assert not np.allclose(paths.short_rate[0], paths.short_rate[2])


def test_odd_antithetic_path_alone(curve):
    config = drivers(randomness={"antithetic": True})
    assert_same_paths(run(config, [7], curve), run(config, [6, 7], curve), rows_b=slice(1, 2))


@pytest.mark.parametrize("bridge", [False, True])
def test_sobol_draws_deterministic_and_standard_normal(bridge):
    randomness = RandomnessConfig(quasi_random="sobol", brownian_bridge=bridge)
    a = draw_normals(np.arange(1024), seed=SEED, n_steps=24, randomness=randomness)
    b = draw_normals(np.arange(1024), seed=SEED, n_steps=24, randomness=randomness)
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()
    # 1024 scrambled Sobol points: each dimension's sample moments are close to N(0, 1)
    assert np.abs(a.mean(axis=0)).max() < 0.05
    assert np.abs(a.var(axis=0) - 1).max() < 0.1
    c = draw_normals(np.arange(1024), seed=SEED + 1, n_steps=24, randomness=randomness)
    assert not np.allclose(a, c)
    if bridge:
        # the first Sobol dimension of column 0 sets the terminal Brownian value: the sum of the steps
        u = draw_normals(np.arange(1024), seed=SEED, n_steps=24,
                         randomness=RandomnessConfig(quasi_random="sobol"))
        np.testing.assert_allclose(a[:, :, 0].sum(axis=1) / np.sqrt(24), u[:, 0, 0], atol=1e-12)


def test_variance_reduction_tightens_the_martingale_check(curve):
    """Mean discount factor at 10 years, 2,048 paths: antithetic and Sobol + bridge errors are a fraction
    of the pseudo-random standard error (over seeds 0-7 their RMS errors were 0.12 and 0.01 of it)."""
    ids = np.arange(2048)
    se = run(drivers(), ids, curve).discount[:, 120].std() / np.sqrt(ids.size)
    options = {"antithetic": ({"antithetic": True}, 0.5),
               "sobol+bridge": ({"quasi_random": "sobol", "brownian_bridge": True}, 0.05)}
    for label, (randomness, fraction) in options.items():
        d = run(drivers(randomness=randomness), ids, curve).discount[:, 120]
        assert abs(d.mean() - curve.discount[120]) < fraction * se, label


def test_threads_give_the_same_paths(curve):
    """dask's threaded scheduler runs chunks concurrently: the kernels and the Sobol engine are thread-safe."""
    from concurrent.futures import ThreadPoolExecutor

    for randomness in ({}, {"quasi_random": "sobol"}):
        config = drivers(randomness=randomness)
        whole = run(config, np.arange(40), curve)
        with ThreadPoolExecutor(4) as pool:
            parts = list(pool.map(lambda s: run(config, np.arange(s, s + 10), curve), range(0, 40, 10)))
        np.testing.assert_array_equal(np.concatenate([p.index_rates for p in parts]), whole.index_rates)


def test_shocks_match_the_deterministic_curves(curve):
    ids = np.arange(2)
    shifted = run(drivers(rates={"model": "deterministic", "shock_bp": -500, "shock_from_month": 12,
                                 "shock_ramp_months": 24}), ids, curve)
    expected = curve.shifted(-500, from_month=12, ramp_months=24).floored(0.0).rates[:, :N_MONTHS]
    np.testing.assert_allclose(shifted.index_rates[1], expected, rtol=1e-10, atol=1e-15)
    assert shifted.index_rates.min() == 0.0
    capped = run(drivers(rates={"model": "deterministic", "all_indices_to": 0.20, "all_indices_from_month": 6}),
                 ids, curve)
    np.testing.assert_allclose(capped.index_rates[0], curve.set_all(0.20, from_month=6).rates[:, :N_MONTHS],
                               rtol=1e-10)
    unfloored = run(drivers(rates={"model": "deterministic", "shock_bp": -300, "floor_at_zero": False}), ids, curve)
    assert unfloored.index_rates.min() < 0


def test_basis_spreads_added(curve):
    base = run(drivers(), [3], curve)
    spread = run(drivers(rates={"basis_spreads": {"libor_6m": 0.001, "cmt_1y": 0.0}}), [3], curve)
    np.testing.assert_allclose(spread.index_rates[0, 1], base.index_rates[0, 1] + 0.001, rtol=1e-12)
    np.testing.assert_allclose(spread.index_rates[0, 0], base.index_rates[0, 0], rtol=0)
    assert np.all(spread.index_rates[0, 3] > base.index_rates[0, 3])


SCENARIO = """
name = "other tables are ignored"
[rates]
model = "g2pp"
volatility = 0.009
[rates.g2pp]
rho = -0.3
[rates.basis_spreads]
libor_1m = 0.0005
[home_prices]
drift = 0.01
[home_prices.california]
enabled = true
[randomness]
antithetic = true
"""


def test_scenario_tables_parse():
    config = ScenarioDrivers.from_toml_tables(tomllib.loads(SCENARIO), source="s.toml")
    assert config.rates.model == "g2pp" and config.rates.g2pp.rho == -0.3
    assert config.rates.basis_spreads.libor_1m == 0.0005 and config.rates.basis_spreads.cmt_1y is None
    assert config.home_prices.california.enabled and config.randomness.antithetic


@pytest.mark.parametrize("tables, expected", [
    ({"rates": {"volatility": 0.5}}, "scenario file s.toml: rates.volatility = 0.5: must be in [0, 0.05]"),
    ({"rates": {"mean_reversion": 0}}, "rates.mean_reversion = 0: must be in [0.001, 5]"),
    ({"rates": {"model": "cir"}}, "rates.model = 'cir': must be 'hull_white', 'g2pp', 'deterministic' or 'history'"),
    ({"rates": {"g2pp": {"rho": -1.5}}}, "rates.g2pp.rho = -1.5: must be in [-0.99, 0.99]"),
    ({"rates": {"basis_spreads": {"libor_3m": 0.0}}}, "rates.basis_spreads.libor_3m = 0.0: unknown key (allowed: "
                                                        "libor_1m, libor_6m, libor_12m, cmt_1y)"),
    ({"rates": {"curve": "flat"}}, "rates.curve = 'flat': must be \"forward\", \"static\""),
    ({"rates": {"all_indices_to": 0.9}}, "rates.all_indices_to = 0.9: must be in [0, 0.5]"),
    ({"home_prices": {"monthly_ar": 1.0}}, "home_prices.monthly_ar = 1.0: must be in [-0.99, 0.99]"),
    ({"home_prices": {"california": {"correlation": 2}}}, "home_prices.california.correlation = 2: must be in [-1, 1]"),
    ({"randomness": {"quasi_random": "halton"}}, "randomness.quasi_random = 'halton': must be 'none' or 'sobol'"),
    ({"randomness": {"brownian_bridge": True}}, "randomness.brownian_bridge = True: allowed only with quasi_random"),
])
def test_config_errors_name_key_value_and_range(tables, expected):
    with pytest.raises(ScenarioError) as info:
        ScenarioDrivers.from_toml_tables(tables, source="/somewhere/s.toml")
    assert expected in str(info.value)


def test_bad_arguments(curve):
    with pytest.raises(ScenarioError, match="path_ids"):
        run(drivers(), [-1], curve)
    with pytest.raises(ScenarioError, match="n_months = 500"):
        run(drivers(), [0], curve, n_months=500)
    with pytest.raises(ScenarioError, match="seed"):
        run(drivers(), [0], curve, seed=-3)


def test_dataset_and_netcdf_round_trip(curve, tmp_path):
    config = drivers(home_prices={"california": {"enabled": True}})
    paths = run(config, np.arange(5, 12), curve)
    ds = paths_to_dataset(paths, curve.dates, curve, config=config, seed=SEED, scenario="base")
    for name in ("short_rate", "libor_1m", "libor_6m", "libor_12m", "cmt_1y", "hpi"):
        assert ds[name].dims == ("path", "period") and ds[name].attrs["units"] == "1"
    assert ds["df_curve"].dims == ("period",)
    np.testing.assert_allclose(ds.df_curve, curve.discount[:N_MONTHS], rtol=1e-12)
    assert list(ds.path.values) == list(range(5, 12))
    assert ds.date.values[1] == np.datetime64("2004-02-01")
    assert ds.attrs["model"] == "hull_white" and ds.attrs["seed"] == SEED
    out = tmp_path / "rates.nc"
    written = write_rates_dataset(out, config, n_paths=6, seed=SEED, n_months=N_MONTHS, scenario="base")
    back = xr.open_dataset(out)
    np.testing.assert_array_equal(back.libor_6m.values, written.libor_6m.values)
    np.testing.assert_array_equal(back.cmt_1y.values, run(config, np.arange(6), curve).index_rates[:, 3])
    assert ScenarioDrivers.model_validate_json(back.attrs["drivers"]) == config
    back.close()
