"""The Monte Carlo engine: equals the deterministic engine at zero volatility, is invariant to
chunking and scheduler, conserves cash on every path, resumes, and fails clearly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib

import numpy as np
import pytest

from conftest import write_vectors_base
from stress.cashflows import run_cashflows
from stress.engine import ChunkError, build_context, chunk_cashflows, run_monte_carlo
from stress.errors import ScenarioError
from stress.pool import principal_remittance
from stress.scenario import parse_scenario, scenario_path

BASE = tomllib.loads(scenario_path("base").read_text())


def scenario(**sections):
    data = {k: dict(v) for k, v in BASE.items()}
    data["behaviour"] = {"mode": "vectors", "prepayment": "100 PPC", "default": 0.03, "severity": 0.45,
                         "liquidation_lag": 6}
    # expected values, as every vector stress: these tests compare with the deterministic engine
    data["randomness"] = {**data["randomness"], "collateral_draws": "expected"}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return parse_scenario(data, source="test.toml")


@pytest.mark.parametrize("call, to", [("always", "call"), ("never", "maturity")])
def test_zero_volatility_equals_deterministic_engine_path_for_path(call, to):
    """``call = "always"`` / ``"never"`` reproduce the deterministic to-call / to-maturity runs."""
    s = scenario(scenario={"call": call}, rates={"model": "deterministic"}, home_prices={"volatility": 0.0})
    ctx = build_context(s)
    paths, pool, bonds, called = chunk_cashflows(ctx, np.arange(2))
    det = run_cashflows(ctx.deal, ctx.tape, ctx.curve, ctx.model.assumptions, to=to)
    for k in range(2):
        np.testing.assert_array_equal(pool["pool_balance_end"][k], det.pool.pool_balance_end)
        np.testing.assert_array_equal(bonds.balance[k], det.bonds.balance)
        np.testing.assert_array_equal(bonds.interest_paid[k], det.bonds.interest_paid)
        np.testing.assert_array_equal(bonds.certificate_residual[k], det.bonds.certificate_residual)
        np.testing.assert_array_equal(bonds.derivative_payment[k], det.bonds.derivative_payment)
        assert called[k] == (det.call_period if to == "call" else -1)


@pytest.mark.parametrize("valuation, calls", [
    # loans worth par (no rate discount, recoveries in full): the loans cover the Redemption Price
    ({"discount_margin": -0.05, "liquidation_cost": 0.0}, True),
    # a buyer asking LIBOR + 20% with 30 years of duration values performing loans at zero, and
    # liquidation costs of 100% leave nothing for the defaulted ones
    ({"discount_margin": 0.20, "rate_duration_years": 30.0, "liquidation_cost": 1.0}, False),
])
def test_an_economic_call_follows_the_value_of_the_loans(valuation, calls):
    s = scenario(scenario={"call": "economic"}, call_valuation=valuation, rates={"model": "deterministic"},
                 home_prices={"volatility": 0.0})
    ctx = build_context(s)
    _, pool, bonds, called = chunk_cashflows(ctx, np.arange(1))
    det = run_cashflows(ctx.deal, ctx.tape, ctx.curve, ctx.model.assumptions, to="call" if calls else "maturity")
    if calls:  # worth more than the price on the first call date: called there, as "always" would
        assert called[0] == det.call_period >= 0
    else:  # worth less: not called, the margins step up and the deal runs on as if to maturity ...
        first = det.call_period
        assert called[0] != first and bonds.redemption_price[0, first] > 0
        last = called[0] if called[0] >= 0 else ctx.n_periods
        np.testing.assert_array_equal(bonds.balance[0, :last], det.bonds.balance[:last])
        # ... until, if ever, nothing is owed beyond the date's own funds (a zero price costs nothing)
        if called[0] >= 0:
            assert bonds.redemption_price[0, called[0]] == 0.0


@pytest.fixture(scope="module")
def small():
    return scenario(simulation={"paths": 12, "chunk_size": 5})


def run_three_ways(s):
    """12 paths of ``s`` in chunks of 5 (synchronous), 12 (threads) and 1 (two threads): every result
    variable equal bit for bit; returns the first run."""
    a = run_monte_carlo(s, n_paths=12, chunk_size=5, scheduler="synchronous")
    b = run_monte_carlo(s, n_paths=12, chunk_size=12, scheduler="threads")
    c = run_monte_carlo(s, n_paths=12, chunk_size=1, scheduler="threads", workers=2)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        np.testing.assert_array_equal(a[name].values, c[name].values, err_msg=name)
    return a


def test_chunking_and_scheduler_invariance(small):
    a = run_three_ways(small)
    # more paths leave the existing ones unchanged
    d = run_monte_carlo(small, n_paths=6, chunk_size=4, scheduler="synchronous")
    np.testing.assert_array_equal(d["loss_pct"].values, a["loss_pct"].values[:6])
    assert a.attrs["seed"] == 20040129 and a.attrs["scenario"] == "base"
    assert a["balance"].attrs["units"] == "USD" and a["afr"].attrs["long_name"]


def test_cash_conservation_on_every_path(small):
    ctx = build_context(small)
    _, pool, bonds, call = chunk_cashflows(ctx, np.arange(8))
    collections = (pool["scheduled_interest"] + pool["advanced_interest"] + pool["repurchase_interest"]
                   + principal_remittance(pool) + bonds.derivative_income + bonds.call_proceeds)
    fees = (pool["servicing_fee"] + pool["master_servicing_fee"] + pool["trustee_fee"] + pool["lpmi_premium"]
            + bonds.derivative_fee)
    gap = collections - fees - bonds.cash_out()
    for k in range(8):
        last = call[k] if call[k] >= 0 else ctx.n_periods - 1
        assert np.abs(gap[k, : last + 1]).max() < 0.011
        assert bonds.balance[k].min() >= 0.0


def test_outputs_are_consistent(small):
    ds = run_monte_carlo(small, n_paths=4, chunk_size=4, scheduler="synchronous")
    assert set(ds.dims) == {"path", "period", "tranche", "contract"}
    assert list(ds["contract"].values) == ["swap-2004-04", "swap-2004-05"]
    assert str(ds["date"].values[0])[:10] == "2004-02-25"
    # each path's contracts never run above its bonds before the payment date
    before = np.concatenate([np.full((4, 1), 1e9), ds["bond_balance"].values[:, :-1]], axis=1)
    assert (ds["derivative_notional"].sum("contract").values <= before + 1e-6).all()
    assert float(ds["derivative_notional"].sel(period=4).sum("contract").max()) == pytest.approx(479_659_400.0)
    # loss_pct in [0, 1]; WAL positive; the pool never negative
    assert float(ds["loss_pct"].min()) >= 0.0 and float(ds["loss_pct"].max()) <= 1.0
    assert float(ds["wal_years"].min()) > 0.0
    assert float(ds["pool_balance"].min()) >= 0.0
    assert np.all(ds["cumulative_collateral_loss_pct"].values > 0)


def test_zarr_output_summary_and_resume(small, tmp_path):
    out = tmp_path / "run"
    full = run_monte_carlo(small, n_paths=12, chunk_size=4, scheduler="threads", out=out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"]["paths"] == 12 and set(summary["summary"]["tranches"]) == set(full.tranche.values)
    # an existing store is never overwritten silently
    with pytest.raises(ScenarioError, match="already exists; use --resume"):
        run_monte_carlo(small, n_paths=12, chunk_size=4, out=out)
    # lose chunk 1, then resume: only it is recomputed, results identical
    (out / "chunks" / "000001.done").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").iterdir()}
    resumed = run_monte_carlo(small, n_paths=12, chunk_size=4, out=out, resume=True)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").iterdir()}
    assert after["000000.done"] == before["000000.done"] and "000001.done" in after
    np.testing.assert_array_equal(resumed["loss_pct"].values, full["loss_pct"].values)
    with pytest.raises(ScenarioError, match="resume needs the same"):
        run_monte_carlo(small, n_paths=12, chunk_size=4, out=out, resume=True, seed=1)


@pytest.mark.slow  # ~30 s: three CLI processes; by default test_cli_mistakes interrupts a CLI run
# (SIGINT) and resumes it, and test_zarr_output_summary_and_resume loses a chunk and resumes in-process
def test_resume_after_killing_the_process(tmp_path):
    scenario_file = tmp_path / "s.toml"
    write_vectors_base(scenario_file)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "stress.cli", "run", str(scenario_file), "--paths", "24", "--chunk-size", "2",
           "--scheduler", "synchronous", "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "chunks").glob("*.done"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / "chunks").glob("*.done")))
    assert 2 <= finished < 12, "the run should have been killed part-way"
    subprocess.run(cmd + ["--resume"], check=True, capture_output=True)
    resumed = json.loads((out / "summary.json").read_text())["summary"]
    fresh_out = tmp_path / "fresh"
    subprocess.run(cmd[:-3] + ["--out", str(fresh_out), "-q"], check=True, capture_output=True)
    fresh = json.loads((fresh_out / "summary.json").read_text())["summary"]
    assert resumed == fresh


def test_bad_options_stop_before_any_work(small, tmp_path):
    with pytest.raises(ScenarioError, match="--scheduler 'gpu'"):
        run_monte_carlo(small, scheduler="gpu", out=tmp_path / "x")
    with pytest.raises(ScenarioError, match="--resume needs --out"):
        run_monte_carlo(small, resume=True)
    assert not (tmp_path / "x").exists()
    with pytest.raises(ScenarioError, match=r"simulation\.paths = 0: must be in \[1, 1e\+07\]"):
        scenario(simulation={"paths": 0})
    with pytest.raises(ScenarioError, match=r"rates\.volatility = -0\.01"):
        scenario(rates={"volatility": -0.01})


def test_failing_chunk_is_named_and_finished_chunks_stay(small, tmp_path, monkeypatch):
    import stress.engine as engine

    real = engine.simulate_chunk

    def flaky(ctx, path_ids):
        if 8 in path_ids:
            raise FloatingPointError("overflow in a kernel")
        return real(ctx, path_ids)

    monkeypatch.setattr(engine, "simulate_chunk", flaky)
    out = tmp_path / "run"
    with pytest.raises(ChunkError, match=r"chunk 2 \(paths 8-11\) failed: FloatingPointError"):
        run_monte_carlo(small, n_paths=12, chunk_size=4, scheduler="synchronous", out=out)
    assert "000002.done" not in {p.name for p in (out / "chunks").iterdir()}
    monkeypatch.setattr(engine, "simulate_chunk", real)
    resumed = run_monte_carlo(small, n_paths=12, chunk_size=4, scheduler="synchronous", out=out, resume=True)
    fresh = run_monte_carlo(small, n_paths=12, chunk_size=4, scheduler="synchronous")
    np.testing.assert_array_equal(resumed["balance"].values, fresh["balance"].values)


def test_cli_run_and_summary(tmp_path, capsys):
    from stress.cli import main

    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text(scenario_path("base").read_text().replace(
        'mode = "models"\nparameters = "base"', 'mode = "vectors"\nprepayment = "100 PPC"'))
    out = tmp_path / "run"
    assert main(["run", str(scenario_file), "--paths", "4", "--chunk-size", "2", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "expected loss" in printed and "M-4" in printed
    assert main(["summary", str(out)]) == 0
    assert capsys.readouterr().out == printed
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(scenario_file), "--paths", "0"])
    assert exit_info.value.code == 2 and "must be >= 1" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "nothing")]) == 2


@pytest.mark.parametrize("mode", ["vectors", "models"])
def test_stopping_the_collateral_at_the_call_changes_nothing(mode):
    """A to-call run projects the loans only up to the call date; every result must be as if it had not."""
    from stress import engine, results

    if mode == "vectors":
        s = scenario(simulation={"paths": 6, "chunk_size": 6})
    else:
        s = parse_scenario({k: dict(v) for k, v in BASE.items()}, source="base.toml")
    ctx = build_context(s)
    ids = np.arange(5)
    cut = engine.simulate_chunk(ctx, ids)
    full = results.reduce_chunk(ctx, *chunk_cashflows(ctx, ids, after_call=True))
    assert set(cut) == set(full)
    for name in cut:
        np.testing.assert_array_equal(cut[name], full[name], err_msg=name)


def test_behaviour_parameters_can_be_passed_as_an_object():
    from stress.behaviour.params import load_behaviour

    s = parse_scenario({k: dict(v) for k, v in BASE.items()}, source="base.toml")
    params = load_behaviour()
    harsher = params.model_copy(update={"default": params.default.model_copy(
        update={"intercept": params.default.intercept + 1.0})})
    base = run_monte_carlo(s, n_paths=4, chunk_size=4, scheduler="synchronous")
    same = run_monte_carlo(s, n_paths=4, chunk_size=4, scheduler="synchronous", behaviour=params)
    worse = run_monte_carlo(s, n_paths=4, chunk_size=4, scheduler="synchronous", behaviour=harsher)
    np.testing.assert_array_equal(base["collateral_loss"].values, same["collateral_loss"].values)
    assert np.all(worse["cumulative_collateral_loss_pct"].values > base["cumulative_collateral_loss_pct"].values)
    assert '"intercept":' in worse.attrs["behaviour_json"] and worse.attrs["behaviour_hash"] != base.attrs["behaviour_hash"]
    with pytest.raises(ScenarioError, match="expected a BehaviourParams"):
        run_monte_carlo(s, n_paths=2, behaviour={"default": {}})
