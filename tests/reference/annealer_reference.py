"""Slow, readable twin of the tape synthesizer's annealer (:func:`stress.kernels.annealer._anneal`).

The kernel keeps every table row's aggregates up to date move by move; the
twin recomputes them from the loans whenever it needs them, and copies the
whole state to try a move. A move is

- a swap (``kind >= 0``): loans ``i`` and ``j`` exchange their rows in the
  field's tables and its values (skipped when ``i == j``);
- a nudge (``kind < 0``): value ``-kind - 1`` of the nudge table of loan
  ``i`` moves by ``k`` steps, rounded to 6 decimals, kept only inside its
  row's bounds (a missing value is never nudged).

A move that breaks a hard rule (max rate below the gross rate, a no-ratio
document type with a DTI) is undone; otherwise it is accepted when the
penalty of the rows it touches falls, or with probability
``exp(-delta / temperature)`` (accepted when ``u`` is below it).
"""

from __future__ import annotations

import math

import numpy as np

from stress.kernels.annealer import (A_AGE, A_BAL, A_CNT, A_D, A_DK, A_F, A_FK, A_G, A_L, A_M, A_MTR, A_X, K_AGE,
                                     K_D, K_F, K_G, K_L, K_M, K_MTR, K_X, N_AGG, V_AGE, V_BAL, V_DTI, V_FICO,
                                     V_GROSS, V_LTV, V_MARGIN, V_MAXRATE, V_MTR)

# which weighted sum and which weight each target slot compares (FICO and DTI: over the loans that have one)
_TARGET = {K_G: (A_G, A_BAL), K_F: (A_F, A_FK), K_L: (A_L, A_BAL), K_M: (A_M, A_BAL), K_X: (A_X, A_BAL),
           K_D: (A_D, A_DK), K_MTR: (A_MTR, A_BAL), K_AGE: (A_AGE, A_BAL)}


def aggregates(lab, vals, n_rows):
    """Every row's count, balance and balance-weighted sums, from the loans: ``(tables, n_rows, N_AGG)``."""
    agg = np.zeros((lab.shape[0], n_rows, N_AGG))
    for t in range(lab.shape[0]):
        for i in range(lab.shape[1]):
            b = lab[t, i]
            if b < 0:
                continue
            row = agg[t, b]
            bal = vals[V_BAL, i]
            row[A_CNT] += 1
            row[A_BAL] += bal
            for slot, v in ((A_G, V_GROSS), (A_L, V_LTV), (A_M, V_MARGIN), (A_X, V_MAXRATE), (A_MTR, V_MTR),
                            (A_AGE, V_AGE)):
                row[slot] += bal * vals[v, i]
            if not math.isnan(vals[V_FICO, i]):
                row[A_F] += bal * vals[V_FICO, i]
                row[A_FK] += bal
            if not math.isnan(vals[V_DTI, i]):
                row[A_D] += bal * vals[V_DTI, i]
                row[A_DK] += bal
    return agg


def row_penalty(row, share_tgt, share_coef, tgt, coef, total):
    """Squared, weighted deviations of one row's balance share and weighted averages from their targets."""
    penalty = share_coef * (row[A_BAL] / total - share_tgt) ** 2
    if row[A_BAL] <= 0.0:
        return penalty
    for k, (value, weight) in _TARGET.items():
        if coef[k] != 0.0 and row[weight] > 0.0:
            penalty += coef[k] * (row[value] / row[weight] - tgt[k]) ** 2
    return penalty


def _feasible(vals, lab, i, t_doc, t_dti, noratio_doc, dti_unknown_row):
    if vals[V_MAXRATE, i] < vals[V_GROSS, i] - 1e-9:
        return False
    return not (noratio_doc[lab[t_doc, i]] and lab[t_dti, i] != dti_unknown_row)


def anneal(lab, vals, share_tgt, share_coef, tgt, coef, total, field_tables, field_ntables, field_value,
           nudge_value, nudge_table, nudge_step, nudge_lo, nudge_hi, t_doc, t_dti, noratio_doc, dti_unknown_row,
           move_kind, move_i, move_j, move_k, move_u, temps):
    """Run the moves on copies of ``lab`` and ``vals``; return ``(lab, vals, accepted)``."""
    lab, vals = lab.copy(), vals.copy()
    n_rows = share_tgt.shape[1]
    accepted = 0
    for m in range(len(move_kind)):
        kind, i, j = move_kind[m], move_i[m], move_j[m]
        new_lab, new_vals = lab.copy(), vals.copy()
        if kind >= 0:
            if i == j:
                continue
            for t in field_tables[kind, :field_ntables[kind]]:
                new_lab[t, i], new_lab[t, j] = lab[t, j], lab[t, i]
            for v in field_value[kind]:
                if v >= 0:
                    new_vals[v, i], new_vals[v, j] = vals[v, j], vals[v, i]
            movers = (i, j)
        else:
            nudge = -kind - 1
            v, table = nudge_value[nudge], nudge_table[nudge]
            if math.isnan(vals[v, i]):
                continue
            new = round(vals[v, i] + move_k[m] * nudge_step[nudge], 6)
            b = lab[table, i]
            if not nudge_lo[nudge, b] - 1e-9 <= new <= nudge_hi[nudge, b] + 1e-9:
                continue
            new_vals[v, i] = new
            movers = (i,)
        if not all(_feasible(new_vals, new_lab, x, t_doc, t_dti, noratio_doc, dti_unknown_row) for x in movers):
            continue
        before, after = aggregates(lab, vals, n_rows), aggregates(new_lab, new_vals, n_rows)
        delta = 0.0
        for t in range(lab.shape[0]):
            touched = {int(r) for x in movers for r in (lab[t, x], new_lab[t, x]) if r >= 0}
            for r in touched:
                args = (share_tgt[t, r], share_coef[t, r], tgt[t, r], coef[t, r], total)
                delta += row_penalty(after[t, r], *args) - row_penalty(before[t, r], *args)
        if delta <= 0.0 or move_u[m] < math.exp(-delta / temps[m]):
            lab, vals = new_lab, new_vals
            accepted += 1
    return lab, vals, accepted
