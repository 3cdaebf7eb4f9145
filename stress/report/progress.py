"""Progress of a report build: one line per step on a stream, and where the time went.

>>> import io
>>> p = Progress(io.StringIO())
>>> with p.step("rendering", "page 1"):
...     pass
>>> with p.step("pages", "summary page"):
...     with p.step("breakevens", "breakevens"):
...         pass
>>> sorted(p.totals)
['breakevens', 'pages', 'rendering']
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Times named steps, grouped by category; prints one line per step when given a stream.

    Parameters
    ----------
    stream : file-like, optional
        Where the lines go (the CLI passes ``sys.stderr``); None is silent.
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.started = time.perf_counter()
        self._nested: list[float] = []  # time spent in steps inside each open step

    @property
    def enabled(self) -> bool:
        return self.stream is not None

    def say(self, text: str) -> None:
        if self.stream is not None:
            print(f"report: {text}", file=self.stream, flush=True)

    @contextmanager
    def step(self, category: str, what: str, *, announce: bool = False):
        """Time the body as one step of ``category``; ``announce`` also prints a line before it starts."""
        if announce:
            self.say(f"{what} ...")
        t0 = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t0
            inner = self._nested.pop()
            if self._nested:
                self._nested[-1] += elapsed
            # a category counts its own time: a step inside another is not counted twice
            self.totals[category] += elapsed - inner
            self.counts[category] += 1
            self.say(f"{what}: {elapsed:.1f} s")

    def summary(self) -> str:
        """One line: total wall time and each category's share, largest first."""
        total = time.perf_counter() - self.started
        parts = [f"{name} {t:.1f} s ({self.counts[name]} step{'s' if self.counts[name] != 1 else ''})"
                 for name, t in sorted(self.totals.items(), key=lambda kv: -kv[1])]
        return f"{total:.1f} s in all: " + ", ".join(parts)
