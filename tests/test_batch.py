"""Batch runs: common random numbers, manifest reproduction, failure isolation, resume, safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from stress.batch import open_batch, read_scenario_set, run_batch
from stress.store import open_results
from stress.errors import ScenarioError

TEMPLATE = """
[scenario]
name = "{name}"
description = "batch test scenario"
[simulation]
paths = 10
chunk_size = 5
[rates]
model = "hull_white"
[home_prices]
volatility = 0.05
[behaviour]
mode = "vectors"
prepayment = "100 PPC"
default = 0.06
severity = {severity}
liquidation_lag = 6
"""


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, severity in (("sev40", 0.40), ("sev41", 0.41), ("sev55", 0.55), ("sev70", 0.70)):
        path = tmp_path / f"{name}.toml"
        path.write_text(TEMPLATE.format(name=name, severity=severity))
        out[name] = path
    return out


def test_common_random_numbers_make_differences_precise(files, tmp_path):
    out = tmp_path / "batch"
    n = 16  # paths; the checks below compare standard errors of the same n, so n cancels out of them
    run_batch([str(files["sev40"]), str(files["sev41"])], out=out, n_paths=n, chunk_size=8)
    a = open_results(out / "sev40")["loss_pct"].values
    b = open_results(out / "sev41")["loss_pct"].values
    j = 5  # M-4
    diff = b[:, j] - a[:, j]
    assert np.all(diff >= 0) and diff.mean() > 0       # same paths: worse severity never helps
    se_a = a[:, j].std(ddof=1) / np.sqrt(n)
    se_b = b[:, j].std(ddof=1) / np.sqrt(n)
    se_diff = diff.std(ddof=1) / np.sqrt(n)
    print(f"M-4 expected loss SE: {se_a:.5f} / {se_b:.5f}; SE of the paired difference {se_diff:.5f}; "
          f"ratios {se_diff / min(se_a, se_b):.3f}, {se_diff / np.hypot(se_a, se_b):.3f}")
    # The checks are ratios of standard errors of the same n, so n cancels; what n changes is their noise:
    # a sample SD at n = 16 has a relative SE of 1/sqrt(2 (n - 1)) = 18%, a ratio of two about 26%. Common
    # paths give ratios ~0.11 and ~0.08 here, over 4x below the bounds; independent paths would give ~1.4
    # and ~1.0, far above them. So the test still fails, with room to spare, if the paths stop being common.
    # paired over common paths the difference is far more precise than either level, and than the
    # difference of two independent runs would be (sqrt(se_a^2 + se_b^2))
    assert se_diff < 0.6 * min(se_a, se_b)
    assert se_diff < 0.3 * np.hypot(se_a, se_b)
    comparison = json.loads((out / "comparison.json").read_text())
    row = comparison["scenarios"]["sev41"]["tranches"]["M-4"]
    assert row["expected_loss_diff"] == pytest.approx(diff.mean())
    assert row["expected_loss_diff_se"] == pytest.approx(se_diff)
    combined = open_batch(out)
    assert list(combined["scenario"].values) == ["sev40", "sev41"]
    assert combined["loss_pct"].sizes == {"scenario": 2, "path": n, "tranche": 6}


def test_manifest_reproduces_results_bit_for_bit(files, tmp_path):
    first = tmp_path / "first"
    manifest = run_batch([str(files["sev40"]), "forward"], out=first, n_paths=4, chunk_size=2)
    assert manifest["environment"]["stress_version"] and manifest["environment"]["dependencies"]["numba"]
    entry = manifest["scenarios"][0]
    assert entry["sha256"] and "severity = 0.4" in entry["content"] and entry["deal_sha256"]
    assert entry["wall_seconds"] > 0 and entry["tape_sha256"]
    files["sev40"].unlink()  # the rerun must not need the original file
    again = tmp_path / "again"
    run_batch(None, out=again, manifest=first / "manifest.json")
    for name in ("sev40", "forward"):
        x, y = open_results(first / name), open_results(again / name)
        for var in ("loss_pct", "balance", "afr"):
            np.testing.assert_array_equal(x[var].values, y[var].values)


def test_a_bad_scenario_fails_alone(files, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(TEMPLATE.format(name="broken", severity=1.7))
    missing = str(tmp_path / "missing.toml")
    manifest = run_batch([str(files["sev40"]), str(broken), missing], out=tmp_path / "b", n_paths=4, chunk_size=4)
    status = {e["name"]: e for e in manifest["scenarios"]}
    assert status["sev40"]["status"] == "done"
    assert status["broken"]["status"] == "failed"
    assert "behaviour.severity = 1.7" in status["broken"]["reason"]
    assert status["missing"]["status"] == "failed" and "not found" in status["missing"]["reason"]


def test_never_overwrites_without_permission(files, tmp_path):
    out = tmp_path / "b"
    run_batch([str(files["sev40"])], out=out, n_paths=4, chunk_size=4)
    with pytest.raises(ScenarioError, match="already exists there; use --resume"):
        run_batch([str(files["sev40"])], out=out, n_paths=4, chunk_size=4)
    run_batch([str(files["sev40"])], out=out, n_paths=4, chunk_size=4, overwrite=True)


def test_scenario_set_file(files, tmp_path):
    set_file = tmp_path / "month.toml"
    set_file.write_text('scenarios = ["sev40.toml", "forward"]\n')
    assert read_scenario_set(set_file) == [str(files["sev40"]), "forward"]
    set_file.write_text("scenarios = []\n")
    with pytest.raises(ScenarioError, match="must be a non-empty list"):
        read_scenario_set(set_file)


def test_resume_in_process_recomputes_only_what_is_missing(files, tmp_path, monkeypatch):
    """The default-run twin of the interrupted-batch test below: the second scenario stops part-way (its
    second chunk fails), then --resume: the first scenario is not recomputed, the second's finished chunks
    are kept, and its results equal a fresh run."""
    import stress.engine as engine

    real = engine.simulate_chunk

    calls = []

    def stops_in_sev55(ctx, path_ids):
        if ctx.scenario.name == "sev55":
            calls.append(path_ids)
            if len(calls) == 2:  # sev55's first chunk finishes, its second stops
                raise RuntimeError("stopped part-way")
        return real(ctx, path_ids)

    monkeypatch.setattr(engine, "simulate_chunk", stops_in_sev55)
    out = tmp_path / "b"
    specs = [str(files["sev40"]), str(files["sev55"])]
    manifest = run_batch(specs, out=out, n_paths=4, chunk_size=2, scheduler="synchronous")
    assert [e["status"] for e in manifest["scenarios"]] == ["done", "failed"]
    chunks = out / "sev55" / "chunks"
    first_marker = (out / "sev40" / "chunks" / "000000.done").stat().st_mtime_ns
    kept = {p.name: p.stat().st_mtime_ns for p in chunks.glob("*.done")}
    assert len(kept) == 1  # the chunk that ran before the stop is kept
    monkeypatch.setattr(engine, "simulate_chunk", real)
    manifest = run_batch(specs, out=out, n_paths=4, chunk_size=2, scheduler="synchronous", resume=True)
    assert [e["status"] for e in manifest["scenarios"]] == ["done", "done"]
    assert (out / "sev40" / "chunks" / "000000.done").stat().st_mtime_ns == first_marker  # not recomputed
    assert all((chunks / name).stat().st_mtime_ns == t for name, t in kept.items())
    assert {p.name for p in chunks.glob("*.done")} == {"000000.done", "000001.done"}
    fresh = tmp_path / "fresh"
    run_batch([str(files["sev55"])], out=fresh, n_paths=4, chunk_size=2, scheduler="synchronous")
    np.testing.assert_array_equal(open_results(out / "sev55")["loss_pct"].values,
                                  open_results(fresh / "sev55")["loss_pct"].values)


@pytest.mark.slow  # ~30 s: the CLI killed with SIGKILL mid-batch; the in-process twin above runs by default
def test_resume_after_interruption_in_the_second_scenario(files, tmp_path):
    out = tmp_path / "b"
    cmd = [sys.executable, "-m", "stress.cli", "batch", str(files["sev40"]), str(files["sev55"]),
           str(files["sev70"]), "--paths", "16", "--chunk-size", "2", "--scheduler", "synchronous",
           "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 180
    second = out / "sev55" / "chunks"
    while time.time() < deadline and len(list(second.glob("*.done"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= len(list(second.glob("*.done"))) < 8
    first_marker = (out / "sev40" / "chunks" / "000000.done").stat().st_mtime_ns
    subprocess.run(cmd + ["--resume"], check=True, capture_output=True)
    assert (out / "sev40" / "chunks" / "000000.done").stat().st_mtime_ns == first_marker  # not recomputed
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["status"] for e in manifest["scenarios"]] == ["done", "done", "done"]
    fresh = tmp_path / "fresh"
    run_batch([str(files["sev55"])], out=fresh, n_paths=16, chunk_size=2, scheduler="synchronous")
    np.testing.assert_array_equal(open_results(out / "sev55")["loss_pct"].values,
                                  open_results(fresh / "sev55")["loss_pct"].values)


def test_collateral_draws_override_is_recorded_and_replayed(files, tmp_path):
    first = tmp_path / "first"
    manifest = run_batch([str(files["sev40"])], out=first, n_paths=3, chunk_size=3, collateral_draws="loan")
    assert manifest["collateral_draws"] == "loan"
    assert open_results(first / "sev40").attrs["collateral_draws"] == "loan"
    again = tmp_path / "again"
    run_batch(None, out=again, manifest=first / "manifest.json")  # the rerun draws the same loans
    x, y = open_results(first / "sev40"), open_results(again / "sev40")
    assert y.attrs["collateral_draws"] == "loan"
    np.testing.assert_array_equal(x["loss_pct"].values, y["loss_pct"].values)
