"""The first-run warm-up: a run's kernels compiled once, before its chunks, with the specializations the chunks use."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from stress.warmup import warmup_paths

# Layouts a caller may hand run_waterfall: per-path blocks, a vector shared by every path, scalar step-up.
WATERFALL_CALLS = textwrap.dedent("""
    import json
    import numpy as np
    from stress.kernels import waterfall as kw
    from stress.waterfall import WaterfallInputs, run_waterfall
    terms = dict(original_balance=np.array([60.0, 30.0, 10.0]), margin=np.array([0.004, 0.01, 0.02]),
                 stepup_multiple=np.array([2.0, 1.5, 1.5]), writedown_rank=np.array([-1, 1, 0]), coupon_cap=0.115)
    many = dict(libor_1m=np.full((4, 6), 0.02), accrual_days=np.full(6, 31.0), net_interest=np.full((4, 6), 1.0),
                principal_remittance=np.full((4, 6), 5.0), realized_loss=np.zeros((4, 6)),
                pool_balance_prior=np.full((4, 6), 105.0), pool_balance_end=np.full((4, 6), 100.0),
                net_mortgage_rate=np.full((4, 6), 0.06), derivative_net=np.zeros(6), oc_target=np.full(6, 5.0))
    run_waterfall(WaterfallInputs(**terms, **many, stepup_period=np.array([1, 2, 6, 6]), call_period=np.full(4, 3),
                                  call_rule="economic", pool_value=np.full((4, 6), 200.0)))
    run_waterfall(WaterfallInputs(**terms, **many, stepup_period=3))
    stats = kw._waterfall_paths.stats
    print(json.dumps([sum(stats.cache_hits.values()), sum(stats.cache_misses.values())]))
""")


def test_warmup_paths_give_the_layout_of_the_run_chunks():
    assert [warmup_paths(n) for n in (1, 2, 250)] == [1, 2, 2]


def test_the_childs_waterfall_is_the_one_every_caller_loads(tmp_path):
    # The child compiles the waterfall on a one-period toy input; a later process whose calls differ in
    # sizes and layouts must find that compiled version in the cache (a hit) and compile nothing.
    env = {"STRESS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", "from stress.warmup import compile_waterfall; compile_waterfall()"],
                   env=env, check=True)
    done = subprocess.run([sys.executable, "-c", WATERFALL_CALLS], env=env, check=True, capture_output=True,
                          text=True)
    hits, misses = json.loads(done.stdout)
    assert (hits, misses) == (1, 0)


@pytest.mark.slow  # ~30 s: every kernel of a run compiled from an empty cache
def test_after_the_warm_up_a_chunk_compiles_nothing(tmp_path):
    probe = textwrap.dedent("""
        import json
        import numpy as np
        from stress.accelerate import KERNELS
        from stress.engine import build_context, simulate_chunk
        from stress.scenario import load_scenario
        from stress.warmup import precompile
        ctx = build_context(load_scenario("base"))
        compiled = precompile(ctx, 250)
        loaded = sorted(k.py_func.__name__ for k in KERNELS if k.stats.cache_hits)
        before = {k: len(k.signatures) for k in KERNELS}
        simulate_chunk(ctx, np.arange(7, 12))
        again = sorted(k.py_func.__name__ for k in KERNELS if len(k.signatures) != before[k])
        print(json.dumps([compiled, loaded, again, precompile(ctx, 250)]))
    """)
    env = {"STRESS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    compiled, loaded, again, second = json.loads(done.stdout)
    assert compiled and not second  # compiled the first time; nothing left to compile after
    assert again == []  # the chunk used exactly the warmed-up specializations
    # the child compiled the rate, home-price and waterfall kernels; this process loaded them
    assert {"_simulate_factors", "_hpi_paths", "_index_rates", "_waterfall_paths"} <= set(loaded)


def test_a_run_is_a_first_run_only_while_its_own_kernels_are_missing():
    # Kernels no chunk calls (stress cashflows' single-path derivative payments) must not make every run
    # announce "compiling kernels" and warm up again: once a chunk has run, nothing is pending.
    import numpy as np

    from stress.engine import _RUN_KERNELS, _kernels_to_compile, _run_kernels, build_context, simulate_chunk
    from stress.scenario import load_scenario

    simulate_chunk(build_context(load_scenario("base")), np.arange(2))
    assert len(_run_kernels()) == len(_RUN_KERNELS)  # a renamed kernel must be renamed in _RUN_KERNELS too
    assert not _kernels_to_compile()
