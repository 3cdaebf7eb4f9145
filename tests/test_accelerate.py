"""The numba set-up: kernels cached in the user's cache folder, and a first compile that can be told apart."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from stress import accelerate

KERNEL_SOURCE = textwrap.dedent("""
    from stress.accelerate import kernel

    @kernel
    def triple(x):
        return 3.0 * x
""")


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("STRESS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert accelerate.cache_dir() == tmp_path / "xdg" / "stress" / "numba"
    monkeypatch.setenv("STRESS_CACHE_DIR", str(tmp_path / "ours"))
    assert accelerate.cache_dir() == tmp_path / "ours"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba's"))
    assert accelerate.cache_dir() == tmp_path / "numba's"


def test_the_cache_subfolder_changes_with_any_kernel_source(tmp_path):
    # numba keys a cached kernel by its own file: a callee in another module must move the whole cache
    a, b = tmp_path / "kernel.py", tmp_path / "formulas.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    key = accelerate.kernel_source_key([a, b])
    assert len(key) == 16 and key == accelerate.kernel_source_key([a, b])
    b.write_text("y = 3\n")
    assert accelerate.kernel_source_key([a, b]) != key
    b.write_text("y = 2\n")
    assert accelerate.kernel_source_key([a, b]) == key
    assert accelerate.kernel_source_key([a]) != key
    # the package's own key covers the collateral kernel's callees
    package = accelerate.Path(accelerate.__file__).parent
    names = {f.name for pattern in accelerate._KERNEL_SOURCES for f in package.glob(pattern)}
    assert {"collateral_paths.py", "counter_rng.py", "compiled.py", "waterfall.py"} <= names


def test_a_kernel_is_compiled_once_then_loaded_from_the_user_cache(tmp_path):
    (tmp_path / "tiny_kernel.py").write_text(KERNEL_SOURCE)
    probe = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        from stress.accelerate import compile_pending
        import tiny_kernel
        before = compile_pending([tiny_kernel.triple])
        assert tiny_kernel.triple(2.0) == 6.0
        print(before, compile_pending([tiny_kernel.triple]))
    """)
    env = {"STRESS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, env=env,
                           check=True).stdout.split()
    second = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, env=env,
                            check=True).stdout.split()
    assert first == ["True", "False"]   # nothing on disk: compiled in this process
    assert second == ["False", "False"]  # a new process finds it in the cache folder
    assert list((tmp_path / "cache").rglob("tiny_kernel.triple-*.nbi"))
