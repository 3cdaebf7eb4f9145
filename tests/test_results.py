"""The one no-loss threshold: a class has lost principal when it lost more than half a cent."""

import numpy as np
import xarray as xr

from stress import conventions
from stress.metrics import loss_hits, probability_of_loss


def _ds(loss_usd, original, attrs=True):
    loss_usd, original = np.asarray(loss_usd, dtype=float), np.asarray(original, dtype=float)
    ds = xr.Dataset({"loss_pct": (("path", "tranche"), loss_usd / original)},
                    coords={"path": np.arange(loss_usd.shape[0]), "tranche": ["A-1", "M-4"]})
    if attrs:
        ds.attrs["original_balances"] = original.tolist()
    return ds


def test_a_loss_counts_above_half_a_cent_whatever_the_class_size():
    # a $500M senior and a $5M junior: the same money decides, not the same fraction
    original = [500_000_000.0, 5_000_000.0]
    ds = _ds([[0.004, 0.004], [0.01, 0.01], [0.0, 0.006]], original)
    np.testing.assert_array_equal(loss_hits(ds).values, [[False, False], [True, True], [False, True]])
    # 1 of 3 paths for the senior, 2 of 3 for the junior
    np.testing.assert_allclose(probability_of_loss(ds).estimate.values, [1 / 3, 2 / 3], rtol=0, atol=1e-15)
    assert conventions.NO_LOSS_USD == 0.005


def test_a_dataset_without_balances_counts_any_positive_loss():
    ds = _ds([[0.0, 1e-6], [0.004, 0.0]], [500_000_000.0, 5_000_000.0], attrs=False)
    np.testing.assert_array_equal(loss_hits(ds).values, [[False, True], [True, False]])
