"""Philox4x64-10 in numba against numpy's Philox bit for bit; the uniforms' moments and independence."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stress.errors import ScenarioError
from stress.kernels.counter_rng import SEED_MAX, STREAM_LOAN_DRAWS, check_seed, loan_uniforms, philox_blocks, \
    to_open_unit

U64 = st.integers(0, 2**64 - 1)


def numpy_block(counter, key):
    """numpy's Philox block for ``counter``: numpy bumps its counter before a block, so start one below."""
    c = sum(int(w) << (64 * i) for i, w in enumerate(counter))
    k = int(key[0]) | int(key[1]) << 64
    return [int(x) for x in np.random.Philox(key=k, counter=(c - 1) % 2**256).random_raw(4)]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(U64, U64, U64, U64), min_size=1, max_size=4), U64, U64)
def test_philox_matches_numpy_bit_for_bit(counters, k0, k1):
    c = np.array(counters, dtype=np.uint64)
    out = np.zeros_like(c)
    philox_blocks(c, np.array([k0, k1], dtype=np.uint64), out)
    for row, counter in zip(out, counters):
        assert [int(x) for x in row] == numpy_block(counter, (k0, k1))


# Random123 1.14 examples/kat_vectors, "philox4x64 10": counter (4 words), key (2 words) -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x16554d9eca36314c, 0xdb20fe9d672d0fdc, 0xd7e772cee186176b, 0x7e68b68aec7ba23b)),
    ((2**64 - 1,) * 4, (2**64 - 1,) * 2,
     (0x87b092c3013fe90b, 0x438c3c67be8d0224, 0x9cc7d7c69cd777b6, 0xa09caebf594f0ba0)),
    ((0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89),
     (0x452821e638d01377, 0xbe5466cf34e90c6c),
     (0xa528f45403e61d95, 0x38c72dbd566e9788, 0xa5a1610e72fd18b5, 0x57bd43b5e52b7fe6)),
]


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_known_answers_random123(counter, key, expected):
    out = np.zeros((1, 4), dtype=np.uint64)
    philox_blocks(np.array([counter], dtype=np.uint64), np.array(key, dtype=np.uint64), out)
    assert tuple(int(x) for x in out[0]) == expected


def test_loan_uniforms_are_the_documented_words():
    # loan l, path p, month t = word t % 4 of the block at counter (p, l, t // 4, 0), key (seed, stream)
    seed, paths = 20040129, np.array([0, 7, 123456789], dtype=np.int64)
    u = np.zeros((3, 2, 9))
    loan_uniforms(np.uint64(seed), paths, 2, 9, u)
    for i, p in enumerate(paths):
        for l in range(2):
            for t in range(9):
                word = numpy_block((int(p), l, t // 4, 0), (seed, int(STREAM_LOAN_DRAWS)))[t % 4]
                assert u[i, l, t] == ((word >> 12) + 0.5) / 2.0**52


def test_uniforms_are_strictly_inside_the_unit_interval():
    assert to_open_unit(np.uint64(0)) == 2.0**-53
    assert to_open_unit(np.uint64(2**64 - 1)) == 1.0 - 2.0**-53 < 1.0


def test_moments_and_independence_of_neighbouring_counters():
    # 64 paths x 50 loans x 64 months = 204,800 uniforms; tolerances are 4 standard errors.
    u = np.zeros((64, 50, 64))
    loan_uniforms(np.uint64(20040129), np.arange(64, dtype=np.int64), 50, 64, u)
    n = u.size
    assert abs(u.mean() - 0.5) < 4.0 * np.sqrt(1.0 / 12.0 / n)  # Var U = 1/12
    # sample variance: Var((U - 1/2)^2) = 1/80 - 1/144 = 1/180
    assert abs(u.var() - 1.0 / 12.0) < 4.0 * np.sqrt(1.0 / 180.0 / n)
    z = (u - 0.5) * np.sqrt(12.0)
    for axis in range(3):  # neighbouring paths, loans, months (months share a block in fours)
        a = np.moveaxis(z, axis, 0)
        corr = np.mean(a[1:] * a[:-1])
        assert abs(corr) < 4.0 / np.sqrt(a[1:].size), axis
    # the four words of one block against each other
    blocks = z.reshape(64, 50, 16, 4)
    for j in range(1, 4):
        assert abs(np.mean(blocks[..., 0] * blocks[..., j])) < 4.0 / np.sqrt(blocks[..., 0].size)


def test_seed_range():
    assert check_seed(0) == 0 and check_seed(SEED_MAX) == SEED_MAX
    for bad in (-1, 2**64, 1.5, True):
        with pytest.raises(ScenarioError, match=r"^--seed / simulation.seed = .*\[0, 18446744073709551615\]"):
            check_seed(bad)
