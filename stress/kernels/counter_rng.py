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
def tile_uniforms(seed, path_ids, p0, n_tile, loan, block, words, u, stride):
    """Uniforms of months ``4 * block .. 4 * block + 3`` of one loan on paths ``p0 .. p0 + n_tile - 1``.

    # q = paths of the tile

    Month ``4 * block + j`` of lane ``q`` goes to ``u[j * stride + q]``;
    ``words`` (uint64, ``4 * stride``) is scratch. The four counter words of
    every lane are kept in rows of ``words`` and each round is one loop over
    the lanes, so LLVM vectorizes Philox across paths (AVX-512: about 4 ns per
    block of four uniforms against 32 ns one lane at a time).
    """
    lid = np.uint64(loan)
    blk = np.uint64(block)
    zero = np.uint64(0)
    for q in range(n_tile):
        words[q] = np.uint64(path_ids[p0 + q])
        words[stride + q] = lid
        words[2 * stride + q] = blk
        words[3 * stride + q] = zero
    k0 = seed
    k1 = STREAM_LOAN_DRAWS
    for r in range(ROUNDS):
        if r > 0:
            k0 = k0 + PHILOX_W0
            k1 = k1 + PHILOX_W1
        for q in range(n_tile):
            c0 = words[q]
            c1 = words[stride + q]
            c2 = words[2 * stride + q]
            c3 = words[3 * stride + q]
            hi0 = _mulhi(PHILOX_M0, c0)
            hi1 = _mulhi(PHILOX_M1, c2)
            words[q] = hi1 ^ c1 ^ k0
            words[stride + q] = PHILOX_M1 * c2
            words[2 * stride + q] = hi0 ^ c3 ^ k1
            words[3 * stride + q] = PHILOX_M0 * c0
    for j in range(4):
        for q in range(n_tile):
            u[j * stride + q] = to_open_unit(words[j * stride + q])


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

    The numbers the collateral kernel draws, one lane at a time (tests).
    """
    zero = np.uint64(0)
    for p in range(path_ids.shape[0]):
        for l in range(n_loans):
            for t in range(n_months):
                w = philox4x64(np.uint64(path_ids[p]), np.uint64(l), np.uint64(t // 4), zero, seed,
                               STREAM_LOAN_DRAWS)
                out[p, l, t] = to_open_unit(w[t % 4])


def check_seed(seed, option: str = "--seed / simulation.seed") -> int:
    """The seed as an int if the generator's key holds it, else a one-line ScenarioError naming ``option``."""
    from stress.errors import ScenarioError

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= SEED_MAX:
        raise ScenarioError(f"{option} = {seed!r}: loan-level draws (Philox4x64-10) need a whole number "
                            f"in [0, {SEED_MAX}] (2**64 - 1)")
    return int(seed)


@kernel(inline="always")
def draw_pass(st, o_mdr, o_smm, n_tile, u_buf, words, seed, path_ids, p0, loan, t, stride):
    """Loan-level draws: turn each lane's MDR and SMM of the month into 0 / 1 by one uniform.

    # q = paths of the tile

    One uniform ``u`` per (path, loan, month): the loan defaults in full if
    ``u < MDR``, prepays in full if ``MDR <= u < MDR + (1 - MDR) x SMM``, and
    stays otherwise; so P(default) = MDR and P(prepay) = (1 - MDR) x SMM, the
    expected-value kernel's order (default before scheduled principal,
    prepayment of what survives). The cash-flow pass then runs unchanged on
    the 0 / 1 rates (every product with 1.0 or 0.0 is exact). A lane that has
    already left draws too and moves nothing (its balance is 0).

    ASSUMPTION: the servicer options' shares (the 90+ day buy-out and
    fair-value sale by ``"share"``, the 1% purchase's pool-level cap) still
    split a defaulted loan pro rata among their routes: the documents state
    them as pool-level rules, and the split keeps their expected amounts.

    ``st[o_mdr + q]``, ``st[o_smm + q]`` (the tile's state rows, row length
    ``stride``) are overwritten; ``u_buf`` (float64) and ``words`` (uint64),
    ``4 * stride`` each, hold the lanes' block of four months, refilled when
    ``t % 4 == 0`` (``t`` counts from 0 for every loan); ``path_ids[p0 + q]``
    is the lane's global path index.
    """
    j = t % 4
    if j == 0:
        tile_uniforms(seed, path_ids, p0, n_tile, loan, t // 4, words, u_buf, stride)
    o_u = j * stride
    for q in range(n_tile):  # branch-free: u < MDR implies u < MDR + (1 - MDR) x SMM
        u = u_buf[o_u + q]
        mdr = st[o_mdr + q]
        defaults = 1.0 if u < mdr else 0.0
        leaves = 1.0 if u < mdr + (1.0 - mdr) * st[o_smm + q] else 0.0
        st[o_mdr + q] = defaults
        st[o_smm + q] = leaves - defaults
