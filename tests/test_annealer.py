"""The tape synthesizer's annealer kernel against its readable twin, on random small pools and moves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference.annealer_reference import aggregates, anneal, row_penalty

from stress.kernels.annealer import (N_TGT, N_VALUES, V_AGE, V_BAL, V_DTI, V_FICO, V_GROSS, V_LTV, V_MARGIN,
                                     V_MAXRATE, V_MTR, _anneal, _rebuild, _total_penalty)


def _problem(rng, n_loans, n_tables, n_rows, n_moves):
    """A random pool, tables, targets and moves shaped as stress.collateral.synthesize lays them out."""
    vals = np.empty((N_VALUES, n_loans))
    vals[V_BAL] = rng.integers(2_000_000, 50_000_000, n_loans) / 100.0
    vals[V_GROSS] = rng.integers(32, 64, n_loans) * 0.125
    vals[V_MAXRATE] = vals[V_GROSS] + rng.integers(0, 3, n_loans) * 0.125  # a nudge may cross it
    vals[V_FICO] = np.where(rng.random(n_loans) < 0.2, np.nan, rng.integers(550, 800, n_loans))
    vals[V_LTV] = rng.integers(5000, 10000, n_loans) / 100.0
    vals[V_MARGIN] = rng.integers(16, 40, n_loans) * 0.125
    vals[V_DTI] = np.where(rng.random(n_loans) < 0.3, np.nan, rng.integers(1000, 5000, n_loans) / 100.0)
    vals[V_MTR] = rng.integers(1, 120, n_loans).astype(float)
    vals[V_AGE] = rng.integers(0, 12, n_loans).astype(float)
    lab = rng.integers(0, n_rows, (n_tables, n_loans)).astype(np.int64)
    if n_tables > 2:  # a table that leaves some loans out
        lab[2, rng.random(n_loans) < 0.3] = -1
    nrows = np.full(n_tables, n_rows, dtype=np.int64)
    share_tgt = rng.dirichlet(np.ones(n_rows), n_tables)
    share_coef = rng.uniform(0.0, 1e4, (n_tables, n_rows))
    tgt = np.stack([vals[v].mean() if v not in (V_FICO, V_DTI) else 700.0 if v == V_FICO else 35.0
                    for v in (V_GROSS, V_FICO, V_LTV, V_MARGIN, V_MAXRATE, V_DTI, V_MTR, V_AGE)])
    tgt = tgt[None, None, :] * rng.uniform(0.9, 1.1, (n_tables, n_rows, N_TGT))
    coef = np.where(rng.random((n_tables, n_rows, N_TGT)) < 0.3, 0.0, rng.uniform(0.0, 10.0, (n_tables, n_rows, N_TGT)))
    # one field per table: its rows, and one value moving with it (or none)
    field_tables = np.full((n_tables, 3), -1, dtype=np.int64)
    field_tables[:, 0] = np.arange(n_tables)
    field_ntables = np.ones(n_tables, dtype=np.int64)
    field_value = np.full((n_tables, 2), -1, dtype=np.int64)
    field_value[:, 0] = rng.choice([-1, V_GROSS, V_FICO, V_LTV, V_DTI, V_MAXRATE], n_tables)
    nudge_value = np.array([V_GROSS, V_LTV, V_FICO], dtype=np.int64)
    nudge_table = np.array([0, 0, n_tables - 1], dtype=np.int64)
    nudge_step = np.array([0.125, 0.01, 1.0])
    nudge_lo = np.stack([np.full(n_rows, 4.5), np.full(n_rows, 60.0), np.full(n_rows, 560.0)])
    nudge_hi = np.stack([np.full(n_rows, 7.5), np.full(n_rows, 95.0), np.full(n_rows, 790.0)])
    noratio_doc = rng.random(n_rows) < 0.3
    kind = np.where(rng.random(n_moves) < 0.4, -rng.integers(1, 4, n_moves), rng.integers(0, n_tables, n_moves))
    moves = dict(move_kind=kind.astype(np.int64), move_i=rng.integers(0, n_loans, n_moves).astype(np.int64),
                 move_j=rng.integers(0, n_loans, n_moves).astype(np.int64),
                 move_k=(rng.integers(1, 4, n_moves) * rng.choice([-1, 1], n_moves)).astype(np.float64),
                 move_u=rng.random(n_moves), temps=rng.uniform(1e-3, 10.0, n_moves))
    terms = dict(share_tgt=share_tgt, share_coef=share_coef, tgt=tgt, coef=coef, total=float(vals[V_BAL].sum()),
                 field_tables=field_tables, field_ntables=field_ntables, field_value=field_value,
                 nudge_value=nudge_value, nudge_table=nudge_table, nudge_step=nudge_step, nudge_lo=nudge_lo,
                 nudge_hi=nudge_hi, t_doc=0, t_dti=n_tables - 1, noratio_doc=noratio_doc, dti_unknown_row=0)
    return lab, vals, nrows, terms, moves


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_loans=st.integers(2, 10), n_tables=st.integers(1, 3),
       n_rows=st.integers(1, 4), n_moves=st.integers(1, 40))
def test_annealer_matches_reference_twin(seed, n_loans, n_tables, n_rows, n_moves):
    rng = np.random.default_rng(seed)
    lab, vals, nrows, terms, moves = _problem(rng, n_loans, n_tables, n_rows, n_moves)
    want_lab, want_vals, want_accepted = anneal(lab, vals, **terms, **moves)

    agg = np.zeros((n_tables, n_rows, aggregates(lab, vals, n_rows).shape[2]))
    _rebuild(agg, lab, vals)
    np.testing.assert_allclose(agg, aggregates(lab, vals, n_rows), rtol=1e-13)
    stats = np.zeros(2, dtype=np.int64)
    t = terms
    _anneal(lab, vals, agg, nrows, t["share_tgt"], t["share_coef"], t["tgt"], t["coef"], t["total"],
            t["field_tables"], t["field_ntables"], t["field_value"], t["nudge_value"], t["nudge_table"],
            t["nudge_step"], t["nudge_lo"], t["nudge_hi"], t["t_doc"], t["t_dti"], t["noratio_doc"],
            t["dti_unknown_row"], *moves.values(), stats)

    np.testing.assert_array_equal(lab, want_lab)
    np.testing.assert_allclose(vals, want_vals, rtol=1e-15)  # nudges round to 6 decimals in both
    assert stats[0] == want_accepted
    # the kernel's running aggregates are those of the loans it ends with (up to float drift)
    final = aggregates(lab, vals, n_rows)
    np.testing.assert_allclose(agg, final, rtol=1e-9, atol=1e-6)
    want_penalty = sum(row_penalty(final[k, r], t["share_tgt"][k, r], t["share_coef"][k, r], t["tgt"][k, r],
                                   t["coef"][k, r], t["total"]) for k in range(n_tables) for r in range(n_rows))
    fresh = np.zeros_like(agg)
    _rebuild(fresh, lab, vals)
    got_penalty = _total_penalty(fresh, nrows, t["share_tgt"], t["share_coef"], t["tgt"], t["coef"], t["total"])
    assert got_penalty == np.float64(want_penalty) or abs(got_penalty - want_penalty) <= 1e-9 * abs(want_penalty)
