"""One-factor Hull-White short-rate model, fitted exactly to the input curve.

The model, in the shifted form (Brigo & Mercurio, *Interest Rate Models*,
section 3.3 and 4.2):

    r(t) = x(t) + phi(t),   dx = -a x dt + sigma dW,   x(0) = 0,

with ``phi`` chosen so that the model's zero-coupon bond prices at time 0 are
the input curve's. This module also holds the machinery shared with the
two-factor model (:mod:`stress.rates.g2pp`): a sum of correlated
Ornstein-Uhlenbeck factors ``x_i`` with mean reversions ``k_i``, volatilities
``s_i`` and instantaneous correlations ``rho_ij``. Hull-White is the case of
one factor.

Time is in years of actual days / 365.25 from the curve date, the curve's own
convention (:func:`stress.rates.curves.forward_curve`), so month lengths of 28
to 31 days are simulated exactly.

Everything the model needs from the curve are discount factors on the monthly
grid, never an instantaneous forward:

- Zero-coupon bond on a path: ``P(t, t+tau) = Pc(t, t+tau) * exp(c(t, tau) -
  sum_i B_i(tau) x_i(t))`` where ``Pc(t, t+tau) = P(0, t+tau) / P(0, t)`` is
  the curve's forward bond price, ``B_k(tau) = (1 - exp(-k tau)) / k`` and
  ``c = (V(tau) - V(t + tau) + V(t)) / 2`` with ``V(tau)`` the variance of
  ``int_0^tau sum_i x_i ds`` (:meth:`GaussianShortRate.integral_variance`).
  At zero volatility ``c = 0`` and ``P`` is the curve's forward price, exactly.
- Path discount factor: ``exp(-int_0^t r ds) = P(0, t) * exp(-V(t) / 2 -
  int_0^t sum_i x_i ds)``; its expectation is ``P(0, t)`` by construction.
- Short rate reported: ``r(t) = sum_i x_i(t) + f(0, t) + V'(t) / 2`` with
  the instantaneous forward ``f(0, t_m)`` approximated by the month's
  continuously compounded forward ``ln(P(0, t_m) / P(0, t_m+1)) / dt_m``
  (an error of half the forward's slope times a month, < 0.01 bp on the
  built-in curve). Bond prices and discount factors do not use it.

Monthly transition, exact (not Euler): given ``x(t)``, the pair
``(x_i(t + dt), int_t^{t+dt} x_i ds)`` over all factors is jointly Gaussian
with mean ``(exp(-k_i dt) x_i, B_i(dt) x_i)`` and a covariance that depends
only on ``dt``. Its lower Cholesky factor, ordered ``(x_1, I_1, x_2, I_2)``,
turns the month's standard normals into the shocks, so the first factor uses
normals 0 and 1 whatever the number of factors: a Hull-White and a G2++
scenario with the same seed share their first factor's draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class FactorPaths:
    """The model's state on each path, month by month.

    Attributes
    ----------
    factors : numpy.ndarray, shape (p, n_factors, m)
        The OU factors ``x_i(t_m)`` [decimal, annual]; zero at month 0.
    short_rate : numpy.ndarray, shape (p, m)
        ``r(t_m)`` [decimal, annual, continuously compounded].
    discount : numpy.ndarray, shape (p, m)
        ``exp(-int_0^{t_m} r ds)``; 1 at month 0.
    """

    factors: np.ndarray
    short_rate: np.ndarray
    discount: np.ndarray


@dataclass(frozen=True)
class ModelGrid:
    """What a short-rate model needs from the curve, on the monthly grid.

    Attributes
    ----------
    times : numpy.ndarray, shape (m + 1,)
        ``t_m`` [years, actual/365.25] from the curve date; one month past the grid.
    log_discount : numpy.ndarray, shape (m + 1,)
        ``ln P(0, t_m)`` of the input curve.
    tenors : numpy.ndarray, shape (j, m)
        Bond maturities ``tau`` [years] priced at each month (1, 6, 12 months).
    log_forward_bond : numpy.ndarray, shape (j, m)
        ``ln Pc(t_m, t_m + tau_j)``, the curve's forward bond prices.
    """

    times: np.ndarray
    log_discount: np.ndarray
    tenors: np.ndarray
    log_forward_bond: np.ndarray

    @property
    def n_months(self) -> int:
        return self.times.size - 1


def _b(k: float, tau):
    """``B_k(tau) = (1 - exp(-k tau)) / k`` without cancellation for small ``k tau``."""
    return -np.expm1(-k * np.asarray(tau, float)) / k


class GaussianShortRate:
    """Sum of correlated OU factors plus a deterministic shift fitted to the curve.

    Parameters
    ----------
    mean_reversion : sequence of float
        ``k_i`` [1/year], each > 0.
    volatility : sequence of float
        ``s_i`` [absolute normal vol, decimal/year], each >= 0.
    correlation : array (n, n)
        Instantaneous correlation of the factors' Brownian motions.
    """

    name = "gaussian"
    NORMALS_PER_FACTOR = 2  # the factor's end-of-month value and its integral over the month

    def __init__(self, mean_reversion, volatility, correlation=None):
        self.k = np.atleast_1d(np.asarray(mean_reversion, float))
        self.s = np.atleast_1d(np.asarray(volatility, float))
        n = self.k.size
        self.rho = np.eye(n) if correlation is None else np.asarray(correlation, float).reshape(n, n)
        if self.s.size != n or np.any(self.k <= 0) or np.any(self.s < 0):
            raise ValueError("mean reversions must be > 0 and volatilities >= 0, one of each per factor")

    @property
    def n_factors(self) -> int:
        return self.k.size

    @property
    def n_normals(self) -> int:
        """Standard normals used per month (the first ``n_normals`` columns of the draws)."""
        return self.NORMALS_PER_FACTOR * self.n_factors

    # -- closed forms -------------------------------------------------------

    def _weight(self, i: int, j: int) -> float:
        return self.rho[i, j] * self.s[i] * self.s[j]

    def integral_variance(self, tau) -> np.ndarray:
        """``V(tau) = Var(int_0^tau sum_i x_i ds)`` started from ``x = 0`` [dimensionless, (rate x year)^2].

        ``sum_ij rho_ij s_i s_j / (k_i k_j) [tau - B_i - B_j + B_ij]`` with
        ``B_ij = B_{k_i + k_j}(tau)``.
        """
        tau = np.asarray(tau, float)
        out = np.zeros_like(tau)
        for i in range(self.n_factors):
            for j in range(self.n_factors):
                ki, kj = self.k[i], self.k[j]
                out = out + self._weight(i, j) / (ki * kj) * (tau - _b(ki, tau) - _b(kj, tau) + _b(ki + kj, tau))
        return out

    def integral_variance_rate(self, t) -> np.ndarray:
        """``dV/dt = sum_ij rho_ij s_i s_j B_i(t) B_j(t)`` (twice the shift's convexity term)."""
        t = np.asarray(t, float)
        out = np.zeros_like(t)
        for i in range(self.n_factors):
            for j in range(self.n_factors):
                out = out + self._weight(i, j) * _b(self.k[i], t) * _b(self.k[j], t)
        return out

    def factor_variance(self, t) -> np.ndarray:
        """``Var(x_i(t))`` for each factor, shape (n, ...): ``s_i^2 B_{2 k_i}(t)``."""
        t = np.asarray(t, float)
        return np.stack([self.s[i] ** 2 * _b(2 * self.k[i], t) for i in range(self.n_factors)])

    def short_rate_variance(self, t) -> np.ndarray:
        """``Var(r(t)) = sum_ij rho_ij s_i s_j B_{k_i + k_j}(t)``; Hull-White: ``sigma^2 (1 - e^{-2at}) / (2a)``."""
        t = np.asarray(t, float)
        out = np.zeros_like(t)
        for i in range(self.n_factors):
            for j in range(self.n_factors):
                out = out + self._weight(i, j) * _b(self.k[i] + self.k[j], t)
        return out

    def zero_rate_volatility(self, tau) -> np.ndarray:
        """Instantaneous normal volatility of the ``tau``-year zero rate [decimal/year].

        The zero rate loads ``B_i(tau) / tau`` on factor ``i``.
        """
        tau = np.asarray(tau, float)
        load = [_b(k, tau) / tau for k in self.k]
        var = sum(self._weight(i, j) * load[i] * load[j]
                  for i in range(self.n_factors) for j in range(self.n_factors))
        return np.sqrt(var)

    def transition(self, dt: np.ndarray):
        """Exact monthly transition of ``(x_i, int x_i)`` for each step length.

        Parameters
        ----------
        dt : numpy.ndarray, shape (s,)
            Step lengths [years].

        Returns
        -------
        decay : (s, n) ``exp(-k_i dt)``
        bfac : (s, n) ``B_i(dt)``, the integral's loading on ``x_i`` at the step start
        chol : (s, 2n, 2n) lower Cholesky factor of the shocks' covariance, order ``(x_1, I_1, x_2, I_2, ...)``
        """
        dt = np.asarray(dt, float)
        n = self.n_factors
        cov = np.zeros((dt.size, 2 * n, 2 * n))
        for i in range(n):
            for j in range(n):
                w, ki, kj = self._weight(i, j), self.k[i], self.k[j]
                bi, bj, bij = _b(ki, dt), _b(kj, dt), _b(ki + kj, dt)
                cov[:, 2 * i, 2 * j] = w * bij                                   # x_i, x_j
                cov[:, 2 * i, 2 * j + 1] = w / kj * (bi - bij)                   # x_i, I_j
                cov[:, 2 * i + 1, 2 * j] = w / ki * (bj - bij)                   # I_i, x_j
                cov[:, 2 * i + 1, 2 * j + 1] = w / (ki * kj) * (dt - bi - bj + bij)  # I_i, I_j
        chol = _cholesky_psd(cov)
        decay = np.exp(-np.outer(dt, self.k))
        bfac = np.stack([_b(k, dt) for k in self.k], axis=1)
        return decay, bfac, chol

    def bond_coefficients(self, grid: ModelGrid):
        """Affine coefficients of ``ln P(t_m, t_m + tau_j)`` on the path state.

        Returns
        -------
        convexity : (j, m)
            ``c = (V(tau) - V(t + tau) + V(t)) / 2``.
        loadings : (n, j, m)
            ``B_i(tau)``; ``ln P = ln Pc + c - sum_i loadings_i x_i``.
        """
        t = grid.times[:-1]
        tau = grid.tenors
        v = self.integral_variance
        convexity = 0.5 * (v(tau) - v(t + tau) + v(t))
        loadings = np.stack([_b(k, tau) for k in self.k])
        return convexity, loadings

    # -- simulation ---------------------------------------------------------

    def simulate(self, normals: np.ndarray, grid: ModelGrid) -> FactorPaths:
        """Simulate the factors, short rate and path discount factor.

        Parameters
        ----------
        normals : numpy.ndarray, shape (p, m - 1, k), k >= :attr:`n_normals`
            Independent standard normals; step ``s`` moves month ``s`` to ``s + 1``.
            Only the first :attr:`n_normals` columns are read.
        grid : ModelGrid

        Returns
        -------
        FactorPaths
        """
        from stress.kernels.rates import _simulate_factors

        m = grid.n_months
        p = normals.shape[0]
        if normals.shape[1] != m - 1 or normals.shape[2] < self.n_normals:
            raise ValueError(f"normals shape {normals.shape}: expected ({p}, {m - 1}, >= {self.n_normals})")
        t = grid.times
        decay, bfac, chol = self.transition(np.diff(t[:m]))
        factors = np.empty((p, self.n_factors, m))
        integral = np.empty((p, m))
        _simulate_factors(np.ascontiguousarray(normals), decay, bfac, chol, factors, integral)
        # short rate: forward rate of the month + half the variance's growth rate (the fit)
        forward = -np.diff(grid.log_discount) / np.diff(t)
        shift = forward + 0.5 * self.integral_variance_rate(t[:m])
        short_rate = factors.sum(axis=1) + shift
        log_mean = grid.log_discount[:m] - 0.5 * self.integral_variance(t[:m])
        discount = np.exp(log_mean - integral)
        return FactorPaths(factors=factors, short_rate=short_rate, discount=discount)


def _cholesky_psd(cov: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of positive semi-definite matrices, shape (s, n, n).

    Zero volatility (the deterministic model) and perfect correlation give
    singular covariances, where ``numpy.linalg.cholesky`` fails; a pivot
    below 1e-14 of the largest variance is taken as zero and its column left
    empty.
    """
    n = cov.shape[-1]
    low = np.zeros_like(cov)
    diag = np.diagonal(cov, axis1=-2, axis2=-1)
    tiny = 1e-14 * np.maximum(np.max(np.abs(diag), axis=-1), 1e-300)
    for i in range(n):
        for j in range(i + 1):
            s = cov[:, i, j] - np.einsum("sk,sk->s", low[:, i, :j], low[:, j, :j])
            if i == j:
                low[:, i, i] = np.where(s > tiny, np.sqrt(np.maximum(s, 0.0)), 0.0)
            else:
                pivot = low[:, j, j]
                low[:, i, j] = np.where(pivot > 0.0, s / np.where(pivot > 0.0, pivot, 1.0), 0.0)
    return low


class HullWhite(GaussianShortRate):
    """One-factor Hull-White: ``dx = -a x dt + sigma dW``, ``r = x + phi(t)``.

    Parameters
    ----------
    mean_reversion : float
        ``a`` [1/year], > 0 (default 0.10; see :mod:`stress.rates.config`).
    volatility : float
        ``sigma`` [absolute normal vol, decimal/year] (default 0.0145); 0 gives
        the deterministic curve.
    """

    name = "hull_white"

    def __init__(self, mean_reversion: float = 0.10, volatility: float = 0.0145):
        super().__init__([mean_reversion], [volatility])
        self.a = float(mean_reversion)
        self.sigma = float(volatility)

    def __repr__(self) -> str:
        return f"HullWhite(mean_reversion={self.a}, volatility={self.sigma})"
