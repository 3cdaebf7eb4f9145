"""A real dask.distributed cluster on loopback: same results as the local run, and a worker
lost mid-run does not change them.

The default run uses an in-process cluster (scheduler and two one-thread workers in this process,
talking TCP on loopback): the engine's ``tcp://`` path, task placement on two workers, and a worker
closed mid-run, in seconds. The same checks with separate ``dask scheduler`` / ``dask worker``
processes, one of them killed with SIGKILL, are ``slow`` (about a minute on two cores).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from stress.engine import run_monte_carlo

from test_engine import scenario

DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
pytestmark = pytest.mark.skipif(DASK is None, reason="the dask command-line tool is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_workers(address: str, n: int, timeout: float = 90.0) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=timeout)


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, env=env)]
    try:
        time.sleep(1.0)
        for k in range(2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--host", "127.0.0.1", "--local-directory", str(tmp_path / f"w{k}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env))
        _wait_for_workers(address, 2)
        yield address, procs
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def inprocess_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as local:
        yield local


def test_inprocess_cluster_run_equals_local_run_and_survives_a_closed_worker(inprocess_cluster, tmp_path):
    from distributed.utils import sync

    s = scenario()
    address = inprocess_cluster.scheduler_address
    remote = run_monte_carlo(s, n_paths=8, chunk_size=2, scheduler=address, out=tmp_path / "remote")
    local = run_monte_carlo(s, n_paths=8, chunk_size=3, scheduler="threads")
    for name in local.data_vars:
        np.testing.assert_array_equal(remote[name].values, local[name].values, err_msg=name)
    # a worker lost after two chunks are written: its tasks go to the other one, results unchanged
    out = tmp_path / "run"
    result = {}

    def run():
        result["ds"] = run_monte_carlo(s, n_paths=8, chunk_size=1, scheduler=address, out=out)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "chunks").glob("*.done"))) < 2:
        time.sleep(0.02)
    done_at_close = len(list((out / "chunks").glob("*.done")))
    victim = list(inprocess_cluster.workers.values())[1]
    sync(inprocess_cluster.loop, victim.close)
    thread.join(timeout=300)
    assert not thread.is_alive() and "ds" in result
    assert 2 <= done_at_close < 8, "the worker should have been closed part-way"
    assert len(list((out / "chunks").glob("*.done"))) == 8
    for name in ("loss_pct", "balance", "afr", "oc"):
        np.testing.assert_array_equal(result["ds"][name].values, local[name].values, err_msg=name)


@pytest.mark.slow
def test_cluster_run_equals_local_run(cluster, tmp_path):
    address, _ = cluster
    s = scenario()
    remote = run_monte_carlo(s, n_paths=8, chunk_size=2, scheduler=address, out=tmp_path / "remote")
    local = run_monte_carlo(s, n_paths=8, chunk_size=3, scheduler="threads")
    for name in local.data_vars:
        np.testing.assert_array_equal(remote[name].values, local[name].values, err_msg=name)


@pytest.mark.slow
def test_killing_a_worker_mid_run_changes_nothing(cluster, tmp_path):
    address, procs = cluster
    s = scenario()
    out = tmp_path / "run"
    result = {}

    def run():
        result["ds"] = run_monte_carlo(s, n_paths=16, chunk_size=1, scheduler=address, out=out)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "chunks").glob("*.done"))) < 2:
        time.sleep(0.05)
    victim = procs[1]
    os.killpg(victim.pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive() and "ds" in result
    assert len(list((out / "chunks").glob("*.done"))) == 16
    local = run_monte_carlo(s, n_paths=16, chunk_size=16, scheduler="synchronous")
    for name in ("loss_pct", "balance", "afr", "oc"):
        np.testing.assert_array_equal(result["ds"][name].values, local[name].values, err_msg=name)
