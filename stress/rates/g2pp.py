"""Two-factor Gaussian short-rate model G2++ (Brigo & Mercurio, *Interest Rate Models*, ch. 4.2).

    r(t) = x(t) + y(t) + phi(t)
    dx = -a x dt + sigma dW1,   dy = -b y dt + eta dW2,   dW1 dW2 = rho dt,

with ``phi`` fitted exactly to the input curve. With a fast factor (large
``a``) and a slow one (small ``b``), negatively correlated, short and long
rates move partly independently: the curve can steepen or flatten, which a
one-factor model cannot do.

Bond prices, the path discount factor and the exact monthly transition are
those of :class:`stress.rates.hull_white.GaussianShortRate` with two factors
(see that module). The first factor ``x`` draws from the same standard
normals as the Hull-White factor, so a G2++ scenario and a Hull-White
scenario run with the same seed share their first factor's randomness
(common random numbers).
"""

from __future__ import annotations

import numpy as np

from stress.rates.hull_white import GaussianShortRate


class G2pp(GaussianShortRate):
    """G2++ with parameters ``a, sigma`` (factor x), ``b, eta`` (factor y) and correlation ``rho``.

    Units: ``a, b`` [1/year]; ``sigma, eta`` [absolute normal vol, decimal/year].
    Defaults and their reasoning: :mod:`stress.rates.config`.
    """

    name = "g2pp"

    def __init__(self, a: float = 0.5, sigma: float = 0.021, b: float = 0.03, eta: float = 0.014,
                 rho: float = -0.6):
        if not -1.0 <= rho <= 1.0:
            raise ValueError(f"rho = {rho}: must be in [-1, 1]")
        super().__init__([a, b], [sigma, eta], np.array([[1.0, rho], [rho, 1.0]]))
        self.a, self.sigma, self.b, self.eta, self.rho_xy = float(a), float(sigma), float(b), float(eta), float(rho)

    def __repr__(self) -> str:
        return f"G2pp(a={self.a}, sigma={self.sigma}, b={self.b}, eta={self.eta}, rho={self.rho_xy})"

