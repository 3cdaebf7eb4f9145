"""Counter-based uniforms for loan-level draws: Philox4x64-10, keyed by (seed, path, loan, month).

A counter-based generator is a keyed bijection of a counter: the uniform of a
given (seed, path, loan, month) is a pure function of those four numbers, so
it needs no state, no stream per path and no order of evaluation. That is what
keeps loan-level draws bit for bit the same whatever the chunking, tiling,
scheduler or worker count: the engine passes each path's *global* index.

Philox4x64-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
easy as 1, 2, 3", SC 2011; the Random123 library): 256-bit counter, 128-bit
key, ten rounds of two 64 x 64 -> 128-bit multiplications; it passes TestU01's
BigCrush with margin (the paper, Table 2). numpy ships the same generator
(:class:`numpy.random.Philox`), so its raw output for a key and counter is an
independent reference: ``tests/test_counter_rng.py`` compares the two bit for
bit. (numpy increments its counter *before* each block, so its block for
counter ``c`` is ours for ``c + 1``.)

Layout of the key and counter (one block of four 64-bit words per
(path, loan, block of four months); the month picks the word):

- key ``(seed, STREAM_LOAN_DRAWS)``: the run's seed in [0, 2**64 - 1] and a
  constant naming this use, so other uses of Philox with the same seed get
  unrelated streams;
- counter ``(path, loan, month // 4, 0)``; word ``month % 4`` of the block.

numba has no 128-bit integers: the multiply-high is done on 32-bit halves
(:func:`_mulhi`). Every constant is a ``numpy.uint64`` so that no operand is
promoted to float64 (numba's rule for mixing signed and unsigned integers).
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel

#: Philox4x64 multipliers and Weyl key increments (Random123, philox.h).
PHILOX_M0 = np.uint64(0xD2E7470EE14C6C93)
PHILOX_M1 = np.uint64(0xCA5A826395121157)
PHILOX_W0 = np.uint64(0x9E3779B97F4A7C15)
PHILOX_W1 = np.uint64(0xBB67AE8584CAA73B)
ROUNDS = 10

#: Second key word of the loan-level draws (ASCII "loandraw"): a name for the stream, not a tuned value.
STREAM_LOAN_DRAWS = np.uint64(0x6C6F616E64726177)

#: Seeds the key holds: one 64-bit word.
SEED_MAX = 2**64 - 1

_LO32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S12 = np.uint64(12)
#: 2**-52: a 52-bit integer plus one half times this is a float64 in (0, 1) exactly.
_INV_2_52 = 1.0 / 4503599627370496.0


@kernel(inline="always")
def _mulhi(a, b):
    """High 64 bits of the 128-bit product of two uint64 (schoolbook on 32-bit halves)."""
    a_lo = a & _LO32
    a_hi = a >> _S32
    b_lo = b & _LO32
    b_hi = b >> _S32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    # middle column: each term < 2**64 (a 32-bit carry plus two 32-bit halves)
    mid = (lo_lo >> _S32) + (hi_lo & _LO32) + (lo_hi & _LO32)
    return hi_hi + (hi_lo >> _S32) + (lo_hi >> _S32) + (mid >> _S32)


@kernel(inline="always")
def philox4x64(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``: four uint64."""
    for r in range(ROUNDS):
        if r > 0:  # the key schedule: a Weyl sequence, bumped before every round but the first
            k0 = k0 + PHILOX_W0
            k1 = k1 + PHILOX_W1
        hi0 = _mulhi(PHILOX_M0, c0)
        lo0 = PHILOX_M0 * c0  # uint64 product wraps: the low word
        hi1 = _mulhi(PHILOX_M1, c2)
        lo1 = PHILOX_M1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@kernel(inline="always")
def to_open_unit(x):
    """A uint64 to a float64 uniform in (0, 1): its top 52 bits plus one half, times 2**-52.

    52 bits, not 53: the largest value, 1 - 2**-53, is then a float64 (with 53
    bits it would be 1 - 2**-54, which rounds to 1.0). The smallest is 2**-53.
    """
    return (float(x >> _S12) + 0.5) * _INV_2_52


@kernel(inline="always")
def loan_month_uniforms(seed, path, loan, block, out, o):
    """The four uniforms of months ``4 * block .. 4 * block + 3`` of one loan on one path into ``out[o:o + 4]``.

    ``seed``, ``path``, ``loan``, ``block`` are uint64 (see the module docstring for the key and counter).
    """
    w0, w1, w2, w3 = philox4x64(path, loan, block, np.uint64(0), seed, STREAM_LOAN_DRAWS)
    out[o] = to_open_unit(w0)
    out[o + 1] = to_open_unit(w1)
    out[o + 2] = to_open_unit(w2)
    out[o + 3] = to_open_unit(w3)


@kernel
def philox_blocks(counters, key, out):
    """Philox4x64-10 of each counter row ``counters[n, 4]`` under ``key[2]`` into ``out[n, 4]`` (uint64; tests)."""
    for n in range(counters.shape[0]):
        w0, w1, w2, w3 = philox4x64(counters[n, 0], counters[n, 1], counters[n, 2], counters[n, 3], key[0], key[1])
        out[n, 0] = w0
        out[n, 1] = w1
        out[n, 2] = w2
        out[n, 3] = w3


@kernel
def loan_uniforms(seed, path_ids, n_loans, n_months, out):
    """Uniforms ``out[p, l, t]`` of paths ``path_ids``, loans ``0..n_loans-1``, months ``0..n_months-1``.

    The same numbers the collateral kernel draws (tests and the reference twin).
    """
    buf = np.empty(4)
    for p in range(path_ids.shape[0]):
        for l in range(n_loans):
            for t in range(n_months):
                if t % 4 == 0:
                    loan_month_uniforms(seed, np.uint64(path_ids[p]), np.uint64(l), np.uint64(t // 4), buf, 0)
                out[p, l, t] = buf[t % 4]


def check_seed(seed, option: str = "--seed / simulation.seed") -> int:
    """The seed as an int if the generator's key holds it, else a one-line ScenarioError naming ``option``."""
    from stress.errors import ScenarioError

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= SEED_MAX:
        raise ScenarioError(f"{option} = {seed!r}: loan-level draws (Philox4x64-10) need a whole number "
                            f"in [0, {SEED_MAX}] (2**64 - 1)")
    return int(seed)


@kernel(inline="always")
def draw_pass(st, o_mdr, o_smm, n_tile, u_buf, seed, path_ids, p0, loan, t):
    """Loan-level draws: turn each lane's MDR and SMM of the month into 0 / 1 by one uniform.

    # q = paths of the tile

    One uniform ``u`` per (path, loan, month): the loan defaults in full if
    ``u < MDR``, prepays in full if ``MDR <= u < MDR + (1 - MDR) x SMM``, and
    stays otherwise; so P(default) = MDR and P(prepay) = (1 - MDR) x SMM, the
    expected-value kernel's order (default before scheduled principal,
    prepayment of what survives). The cash-flow pass then runs unchanged on
    the 0 / 1 rates (every product with 1.0 or 0.0 is exact). A lane that has
    already left draws too and moves nothing (its balance is 0).

    ``st[o_mdr + q]``, ``st[o_smm + q]`` (the tile's state rows) are
    overwritten; ``u_buf[4 * q + j]`` holds the lane's block of four months,
    refilled when ``t % 4 == 0`` (``t`` counts from 0 for every loan);
    ``path_ids[p0 + q]`` is the lane's global path index.
    """
    j = t % 4
    if j == 0:
        block = np.uint64(t // 4)
        lid = np.uint64(loan)
        for q in range(n_tile):
            loan_month_uniforms(seed, np.uint64(path_ids[p0 + q]), lid, block, u_buf, 4 * q)
    for q in range(n_tile):
        u = u_buf[4 * q + j]
        mdr = st[o_mdr + q]
        defaults = u < mdr
        prepays = (not defaults) and u < mdr + (1.0 - mdr) * st[o_smm + q]
        st[o_mdr + q] = 1.0 if defaults else 0.0
        st[o_smm + q] = 1.0 if prepays else 0.0
