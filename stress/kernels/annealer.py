"""The tape synthesizer's annealer: simulated annealing over loan swaps and value nudges.

Numba only; the Python side (initial draws, the targets and weights of each
stratification table, the move and temperature draws, the post-fit
attributes) is :mod:`stress.collateral.synthesize`, whose module docstring
states the method. Readable twin: ``tests/reference/annealer_reference.py``.

Layout: ``lab[t, l]`` the row of loan ``l`` in table ``t`` (-1: not in the
table); ``vals[v, l]`` the loan's values (rows ``V_*``); ``agg[t, b, a]`` the
aggregates of row ``b`` of table ``t`` (slots ``A_*``); targets and their
weights per row in slots ``K_*``.
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel

# value rows of the annealer's state: v = values, l = loans
V_BAL, V_GROSS, V_FICO, V_LTV, V_MARGIN, V_MAXRATE, V_DTI, V_MTR, V_AGE = range(9)
N_VALUES = 9
# aggregate slots per (table, row)
A_CNT, A_BAL, A_G, A_F, A_FK, A_L, A_M, A_X, A_D, A_DK, A_MTR, A_AGE = range(12)
N_AGG = 12
# target slots (what a row's WA is compared with)
K_G, K_F, K_L, K_M, K_X, K_D, K_MTR, K_AGE = range(8)
N_TGT = 8


@kernel
def _add(agg, t, b, vals, i, sign):
    """Add (sign=1) or remove (sign=-1) loan i's contribution to row b of table t."""
    if b < 0:
        return
    bal = vals[V_BAL, i]
    agg[t, b, A_CNT] += sign
    agg[t, b, A_BAL] += sign * bal
    agg[t, b, A_G] += sign * bal * vals[V_GROSS, i]
    f = vals[V_FICO, i]
    if f == f:
        agg[t, b, A_F] += sign * bal * f
        agg[t, b, A_FK] += sign * bal
    agg[t, b, A_L] += sign * bal * vals[V_LTV, i]
    agg[t, b, A_M] += sign * bal * vals[V_MARGIN, i]
    agg[t, b, A_X] += sign * bal * vals[V_MAXRATE, i]
    d = vals[V_DTI, i]
    if d == d:
        agg[t, b, A_D] += sign * bal * d
        agg[t, b, A_DK] += sign * bal
    agg[t, b, A_MTR] += sign * bal * vals[V_MTR, i]
    agg[t, b, A_AGE] += sign * bal * vals[V_AGE, i]


@kernel
def _row_penalty(agg, t, b, share_tgt, share_coef, tgt, coef, total):
    """Penalty of row b of table t: squared scaled deviations of share and WAs."""
    sb = agg[t, b, A_BAL]
    d = sb / total - share_tgt[t, b]
    p = share_coef[t, b] * d * d
    if sb <= 0.0:
        return p
    # numerators and denominators per target slot: (value, weight sum)
    for k in range(N_TGT):
        c = coef[t, b, k]
        if c == 0.0:
            continue
        if k == K_G:
            w = sb; s = agg[t, b, A_G]
        elif k == K_F:
            w = agg[t, b, A_FK]; s = agg[t, b, A_F]
        elif k == K_L:
            w = sb; s = agg[t, b, A_L]
        elif k == K_M:
            w = sb; s = agg[t, b, A_M]
        elif k == K_X:
            w = sb; s = agg[t, b, A_X]
        elif k == K_D:
            w = agg[t, b, A_DK]; s = agg[t, b, A_D]
        elif k == K_MTR:
            w = sb; s = agg[t, b, A_MTR]
        else:
            w = sb; s = agg[t, b, A_AGE]
        if w <= 0.0:
            continue
        e = s / w - tgt[t, b, k]
        p += c * e * e
    return p


@kernel
def _total_penalty(agg, nrows, share_tgt, share_coef, tgt, coef, total):
    p = 0.0
    for t in range(agg.shape[0]):
        for b in range(nrows[t]):
            p += _row_penalty(agg, t, b, share_tgt, share_coef, tgt, coef, total)
    return p


@kernel
def _set_field(kind, i, j, lab_i, lab_j, val_i, val_j, lab, vals, field_tables, field_ntables, field_value):
    """Give loans ``i`` and ``j`` the buckets ``lab_*`` and values ``val_*`` of field ``kind``."""
    for q in range(field_ntables[kind]):
        t = field_tables[kind, q]
        lab[t, i] = lab_i[t]
        lab[t, j] = lab_j[t]
    for q in range(field_value.shape[1]):
        vf = field_value[kind, q]
        if vf >= 0:
            vals[vf, i] = val_i[vf]
            vals[vf, j] = val_j[vf]


@kernel
def _feasible(vals, lab, i, t_doc, t_dti, noratio_doc, dti_unknown_row):
    """Hard rules for loan i: max rate >= gross rate; no-ratio docs carry no DTI."""
    if vals[V_MAXRATE, i] < vals[V_GROSS, i] - 1e-9:
        return False
    if noratio_doc[lab[t_doc, i]] and lab[t_dti, i] != dti_unknown_row:
        return False
    return True


@kernel
def _anneal(lab, vals, agg, nrows, share_tgt, share_coef, tgt, coef, total,
            field_tables, field_ntables, field_value, nudge_value, nudge_table, nudge_step, nudge_lo, nudge_hi,
            t_doc, t_dti, noratio_doc, dti_unknown_row,
            move_kind, move_i, move_j, move_k, move_u, temps, stats):
    """Run len(move_kind) annealing moves in place.

    Layout: lab[t, l] row index of loan l in table t (-1: not in the table);
    vals[v, l] loan values; agg[t, b, a] aggregates of row b of table t.
    move_kind[m] >= 0: swap field move_kind[m] between loans move_i[m], move_j[m];
    move_kind[m] < 0: nudge value -move_kind[m]-1 of loan move_i[m] by move_k[m] steps.
    Accept when the penalty falls, or with probability exp(-delta / temps[m]).
    """
    n_tables = lab.shape[0]
    old_i = np.empty(n_tables, np.int64)
    old_j = np.empty(n_tables, np.int64)
    old_vi = np.empty(vals.shape[0])
    old_vj = np.empty(vals.shape[0])
    rows = np.empty(4, np.int64)
    for m in range(move_kind.shape[0]):
        kind = move_kind[m]
        i = move_i[m]
        j = move_j[m]
        if kind >= 0:
            if i == j:
                continue
        else:
            nv = -kind - 1
            vn = nudge_value[nv]
            tb = nudge_table[nv]
            cur = vals[vn, i]
            if cur != cur:
                continue
            new = cur + move_k[m] * nudge_step[nv]
            new = round(new, 6)
            b = lab[tb, i]
            if new < nudge_lo[nv, b] - 1e-9 or new > nudge_hi[nv, b] + 1e-9:
                continue
            j = i
        for t in range(n_tables):
            old_i[t] = lab[t, i]
            old_j[t] = lab[t, j]
        for v in range(vals.shape[0]):
            old_vi[v] = vals[v, i]
            old_vj[v] = vals[v, j]
        # apply the move to the loans (swap the field's buckets and values), undo it if infeasible
        if kind >= 0:
            _set_field(kind, i, j, old_j, old_i, old_vj, old_vi, lab, vals, field_tables, field_ntables, field_value)
            if not (_feasible(vals, lab, i, t_doc, t_dti, noratio_doc, dti_unknown_row)
                    and _feasible(vals, lab, j, t_doc, t_dti, noratio_doc, dti_unknown_row)):
                _set_field(kind, i, j, old_i, old_j, old_vi, old_vj, lab, vals, field_tables, field_ntables,
                           field_value)
                continue
        else:
            vals[vn, i] = new
            if not _feasible(vals, lab, i, t_doc, t_dti, noratio_doc, dti_unknown_row):
                vals[vn, i] = cur
                continue
        # penalty change over the rows touched, table by table
        delta = 0.0
        for t in range(n_tables):
            rows[0] = old_i[t]; rows[1] = old_j[t]; rows[2] = lab[t, i]; rows[3] = lab[t, j]
            for a in range(4):
                r = rows[a]
                if r < 0:
                    continue
                dup = False
                for c in range(a):
                    if rows[c] == r:
                        dup = True
                if not dup:
                    delta -= _row_penalty(agg, t, r, share_tgt, share_coef, tgt, coef, total)
            # swap aggregates: remove old contributions, add new ones
            for v in range(vals.shape[0]):
                old_i_v = vals[v, i]; vals[v, i] = old_vi[v]; old_vi[v] = old_i_v
                if j != i:
                    old_j_v = vals[v, j]; vals[v, j] = old_vj[v]; old_vj[v] = old_j_v
            _add(agg, t, old_i[t], vals, i, -1.0)
            if j != i:
                _add(agg, t, old_j[t], vals, j, -1.0)
            for v in range(vals.shape[0]):
                old_i_v = vals[v, i]; vals[v, i] = old_vi[v]; old_vi[v] = old_i_v
                if j != i:
                    old_j_v = vals[v, j]; vals[v, j] = old_vj[v]; old_vj[v] = old_j_v
            _add(agg, t, lab[t, i], vals, i, 1.0)
            if j != i:
                _add(agg, t, lab[t, j], vals, j, 1.0)
            for a in range(4):
                r = rows[a]
                if r < 0:
                    continue
                dup = False
                for c in range(a):
                    if rows[c] == r:
                        dup = True
                if not dup:
                    delta += _row_penalty(agg, t, r, share_tgt, share_coef, tgt, coef, total)
        if delta <= 0.0 or move_u[m] < np.exp(-delta / temps[m]):
            stats[0] += 1
            continue
        # reject: restore aggregates and loans
        for t in range(n_tables):
            _add(agg, t, lab[t, i], vals, i, -1.0)
            if j != i:
                _add(agg, t, lab[t, j], vals, j, -1.0)
        for t in range(n_tables):
            lab[t, i] = old_i[t]
            lab[t, j] = old_j[t]
        for v in range(vals.shape[0]):
            vals[v, i] = old_vi[v]
            vals[v, j] = old_vj[v]
        for t in range(n_tables):
            _add(agg, t, lab[t, i], vals, i, 1.0)
            if j != i:
                _add(agg, t, lab[t, j], vals, j, 1.0)


@kernel
def _rebuild(agg, lab, vals):
    """Aggregates of every table row from the loans (``agg`` zeroed by the caller)."""
    for t in range(lab.shape[0]):
        for i in range(lab.shape[1]):
            _add(agg, t, lab[t, i], vals, i, 1.0)
