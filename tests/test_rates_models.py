"""Short-rate models: exact curve fit, martingale property, closed-form moments, exact transition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference.rates_reference import index_rates as reference_indices
from reference.rates_reference import simulate_factors as reference_factors
from scipy.integrate import quad

from stress.rates.config import ScenarioDrivers
from stress.rates.curves import forward_curve
from stress.rates.g2pp import G2pp
from stress.rates.generator import generate_paths, model_grid
from stress.kernels.rates import _simulate_factors
from stress.rates.hull_white import HullWhite

SEED = 20040101
N_MONTHS = 361  # month 360 = 30 years


@pytest.fixture(scope="module")
def curve():
    return forward_curve()


def drivers(**rates) -> ScenarioDrivers:
    return ScenarioDrivers.from_toml_tables({"rates": rates})


@pytest.mark.parametrize("rates", [
    dict(model="hull_white", volatility=0.0),
    dict(model="g2pp", g2pp=dict(sigma=0.0, eta=0.0)),
    dict(model="deterministic"),
])
def test_zero_volatility_reproduces_the_curve(curve, rates):
    paths = generate_paths(drivers(**rates), path_ids=np.arange(3), seed=SEED, n_months=N_MONTHS, curve=curve)
    for k in range(3):
        np.testing.assert_allclose(paths.index_rates[k], curve.rates[:, :N_MONTHS], rtol=1e-10, atol=0)
        np.testing.assert_allclose(paths.discount[k], curve.discount[:N_MONTHS], rtol=1e-12)
    # the short rate is the curve's monthly forward, continuously compounded
    grid, _ = model_grid(curve, N_MONTHS)
    forward = -np.diff(grid.log_discount) / np.diff(grid.times)
    np.testing.assert_allclose(paths.short_rate[0], forward, rtol=1e-12)


def test_static_curve_zero_vol_reproduces_every_index(curve):
    static = curve.static()
    paths = generate_paths(drivers(model="deterministic"), path_ids=np.arange(1), seed=1, n_months=240,
                           curve=static)
    np.testing.assert_allclose(paths.index_rates[0], static.rates[:, :240], rtol=1e-10)


@pytest.mark.parametrize("model", ["hull_white", "g2pp"])
def test_martingale_discount_factor_matches_the_curve(curve, model):
    """Monte Carlo mean of exp(-int r) equals the curve's discount factor within 3 standard errors."""
    n = 20_000
    paths = generate_paths(drivers(model=model), path_ids=np.arange(n), seed=SEED, n_months=N_MONTHS,
                           curve=curve)
    for years in (1, 5, 10, 30):
        d = paths.discount[:, 12 * years]
        se = d.std(ddof=1) / np.sqrt(n)
        assert abs(d.mean() - curve.discount[12 * years]) < 3 * se, (model, years, d.mean(), se)


def test_hull_white_short_rate_variance_matches_closed_form(curve):
    a, sigma, n = 0.03, 0.008, 8_000
    paths = generate_paths(drivers(mean_reversion=a, volatility=sigma), path_ids=np.arange(n), seed=SEED,
                           n_months=N_MONTHS, curve=curve)
    grid, _ = model_grid(curve, N_MONTHS)
    for years in (1, 5, 10, 30):
        t = grid.times[12 * years]
        exact = sigma ** 2 * (1 - np.exp(-2 * a * t)) / (2 * a)
        sample = paths.short_rate[:, 12 * years].var(ddof=1)
        se = exact * np.sqrt(2.0 / (n - 1))  # standard error of a normal sample variance
        assert abs(sample - exact) < 3 * se, (years, sample, exact)
    assert HullWhite(a, sigma).short_rate_variance(30.0) == pytest.approx(
        sigma ** 2 * (1 - np.exp(-2 * a * 30)) / (2 * a), rel=1e-12)


def _covariance_by_quadrature(model, dt):
    """Reference: covariance of (x_i(dt), int_0^dt x_i) as integrals of the kernels' products."""
    n = model.n_factors
    kernels = []
    for i in range(n):
        k, s = model.k[i], model.s[i]
        kernels.append((i, lambda u, k=k, s=s: s * np.exp(-k * (dt - u))))             # x_i(dt)
        kernels.append((i, lambda u, k=k, s=s: s * (1 - np.exp(-k * (dt - u))) / k))    # int x_i
    cov = np.empty((2 * n, 2 * n))
    for r, (i, f) in enumerate(kernels):
        for c, (j, g) in enumerate(kernels):
            cov[r, c] = model.rho[i, j] * quad(lambda u: f(u) * g(u), 0.0, dt, epsabs=0, epsrel=1e-13)[0]
    return cov


@pytest.mark.parametrize("model", [HullWhite(0.03, 0.008), HullWhite(1.5, 0.02),
                                   G2pp(a=0.5, sigma=0.012, b=0.03, eta=0.008, rho=-0.6)])
def test_exact_transition_covariance(model):
    dt = np.array([28 / 365.25, 31 / 365.25, 1.0])
    _, _, chol = model.transition(dt)
    for step, h in enumerate(dt):
        np.testing.assert_allclose(chol[step] @ chol[step].T, _covariance_by_quadrature(model, h),
                                   rtol=1e-9, atol=1e-20)


def test_integral_variance_is_the_variance_of_the_integrated_factors():
    model = G2pp()
    tau = 7.0
    cov = _covariance_by_quadrature(model, tau)
    # V(tau) = Var(I_x + I_y)
    assert model.integral_variance(tau) == pytest.approx(cov[1, 1] + cov[3, 3] + 2 * cov[1, 3], rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_paths=st.integers(1, 4), n_steps=st.integers(1, 30),
       n_factors=st.integers(1, 2), extra=st.integers(0, 2))
def test_factor_kernel_matches_reference_twin(seed, n_paths, n_steps, n_factors, extra):
    rng = np.random.default_rng(seed)
    n_shocks = 2 * n_factors
    normals = rng.standard_normal((n_paths, n_steps, n_shocks + extra))  # columns past the factors' unused
    decay = rng.uniform(0.5, 1.0, (n_steps, n_factors))
    bfac = rng.uniform(0.0, 0.1, (n_steps, n_factors))
    chol = np.tril(rng.normal(0.0, 0.01, (n_steps, n_shocks, n_shocks)))  # the kernel reads the lower triangle
    factors = np.empty((n_paths, n_factors, n_steps + 1))
    integral = np.empty((n_paths, n_steps + 1))
    _simulate_factors(normals, decay, bfac, chol, factors, integral)
    want_factors, want_integral = reference_factors(normals, decay, bfac, chol)
    # sums of ~0.01-sized terms in another order (the twin's matrix product)
    np.testing.assert_allclose(factors, want_factors, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(integral, want_integral, rtol=1e-12, atol=1e-15)


def test_factor_kernel_on_a_model_transition():
    rng = np.random.default_rng(3)
    model = G2pp()
    dt = rng.uniform(28, 31, size=11) / 365.25
    normals = rng.standard_normal((5, 11, 6))
    decay, bfac, chol = model.transition(dt)
    factors = np.empty((5, 2, 12))
    integral = np.empty((5, 12))
    _simulate_factors(normals, decay, bfac, chol, factors, integral)
    want_factors, want_integral = reference_factors(normals, decay, bfac, chol)
    np.testing.assert_allclose(factors, want_factors, rtol=1e-13, atol=1e-18)
    np.testing.assert_allclose(integral, want_integral, rtol=1e-13, atol=1e-18)


def test_g2pp_decouples_short_and_long_rates(curve):
    """One factor moves all yields together; G2++ lets the 10-year yield move apart from the short rate."""
    tau = np.array([1 / 12, 10.0])
    for model, low, high in ((HullWhite(), 0.999, 1.0), (G2pp(), 0.0, 0.9)):
        grid, _ = model_grid(curve, 13)
        rng = np.random.default_rng(SEED)
        state = model.simulate(rng.standard_normal((4000, 12, 6)), grid)
        x = state.factors[:, :, 12]
        loads = np.stack([-np.expm1(-k * tau) / k / tau for k in model.k])   # yield loadings (n, 2)
        yields = x @ loads
        corr = np.corrcoef(yields[:, 0], yields[:, 1])[0, 1]
        assert low <= corr <= high, (model, corr)


def test_default_volatilities_documented(curve):
    """The defaults' zero-rate normal vols are those quoted in stress.rates.config."""
    hw, g2 = HullWhite(), G2pp()
    assert hw.zero_rate_volatility(1.0) == pytest.approx(0.0138, abs=0.0001)
    assert hw.zero_rate_volatility(10.0) == pytest.approx(0.0092, abs=0.0001)
    assert g2.zero_rate_volatility(1.0) == pytest.approx(0.0138, abs=0.0001)
    assert g2.zero_rate_volatility(10.0) == pytest.approx(0.0102, abs=0.0001)


@pytest.mark.parametrize("set_from, floor", [(-1, True), (5, False), (-1, False)])
def test_index_kernel_matches_reference(curve, set_from, floor):
    from stress.rates.indices import IndexRules, index_rates, shock_weights

    rng = np.random.default_rng(11)
    model = G2pp()
    grid, days = model_grid(curve, 24)
    convexity, loadings = model.bond_coefficients(grid)
    factors = rng.normal(0, 0.02, size=(6, 2, 24))
    rules = IndexRules(spreads=rng.normal(0, 0.002, size=(4, 24)), shock=shock_weights(24, -150, from_month=3),
                       set_level=0.07, set_from=set_from, floor=floor)
    got = index_rates(factors, grid.log_forward_bond, convexity, loadings, days, rules)
    want = reference_indices(factors, grid.log_forward_bond + convexity, loadings, days, rules.spreads, rules.shock,
                             rules.set_level, rules.set_from, rules.floor)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)  # sums of ~0.05-sized terms
    assert floor or got.min() < 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_paths=st.integers(1, 3), n_factors=st.integers(1, 2),
       n_months=st.integers(1, 30), set_from=st.integers(-1, 30), floor=st.booleans())
def test_index_kernel_matches_reference_twin(seed, n_paths, n_factors, n_months, set_from, floor):
    from stress.kernels.rates import _index_rates

    rng = np.random.default_rng(seed)
    factors = rng.normal(0.0, 0.02, (n_paths, n_factors, n_months))
    tenor_years = np.array([1, 6, 12])[:, None] / 12.0
    log_bond_base = -rng.uniform(0.0, 0.08, (3, n_months)) * tenor_years  # forward rates 0-8%
    loadings = rng.uniform(0.0, 1.0, (n_factors, 3, n_months)) * tenor_years
    days = np.array([30.0, 182.0, 365.0])[:, None] + rng.integers(-2, 3, (3, n_months))
    spreads = rng.normal(0.0, 0.002, (4, n_months))
    shock = rng.normal(0.0, 0.01, n_months)
    got = np.empty((n_paths, 4, n_months))
    _index_rates(factors, log_bond_base, loadings, days, spreads, shock, 0.07, set_from, floor, got)
    want = reference_indices(factors, log_bond_base, loadings, days, spreads, shock, 0.07, set_from, floor)
    # log bond-price differences cancel: the two orders of summation differ by a few 1e-15 near zero rates
    # (hypothesis found 2.7e-15 at -0.13%), so the absolute tolerance is 1e-13 (1e-11 bp)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)

