"""Command-line argument types: each parses one option's text or says, in one line, what is allowed.

argparse prints an :class:`argparse.ArgumentTypeError` as
``stress run: error: argument --paths: '0': must be >= 1`` and exits with
status 2, so every message here starts with the text the user typed.
"""

from __future__ import annotations

import argparse

__all__ = ["percents", "percent_list", "percent", "whole", "month", "positive_int", "seed", "severity_fractions",
           "ppc_speeds", "name_list", "tail_sampling"]


def percents(example: str, high: float = 1000.0):
    """argparse type: comma-separated percentages in [0, high]; ``example`` is shown when the text is not numbers."""
    def parse(text: str) -> list[float]:
        try:
            values = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: must be comma-separated numbers, e.g. {example}") from None
        if not values or any(v < 0 or v > high for v in values):
            raise argparse.ArgumentTypeError(f"{text!r}: each value must be in [0, {high:g}] percent")
        return values
    return parse


#: Speeds in percent of the pricing speed.
percent_list = percents("0,80,100")


def percent(low: float, high: float):
    """argparse type: one percentage in [low, high]."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: must be a number (percent)") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: must be in [{low:g}, {high:g}] percent")
        return value
    return parse


def whole(low: int, high: int | None = None, unit: str = ""):
    """argparse type: a whole number in [low, high] (no upper bound when ``high`` is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number{unit}") from None
        if value < low or (high is not None and value > high):
            allowed = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"{text!r}: must be {allowed}{unit}")
        return value
    return parse


month = whole(0, 480, " months")
positive_int = whole(1)
seed = whole(0)


def severity_fractions(text: str) -> tuple[float, ...]:
    """Comma-separated severities in percent (``35,45,55``) as fractions in [0, 1]."""
    try:
        values = tuple(float(v) / 100.0 for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be comma-separated percents, e.g. 35,45,55") from None
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each severity must be in [0, 100] percent")
    return values


def ppc_speeds(text: str) -> tuple[str, ...]:
    """Comma-separated speeds in percent of the pricing speed (``75,100``) as ``"75 PPC"`` labels."""
    return tuple(f"{v:g} PPC" for v in percents("75,100")(text))


def name_list(text: str) -> list[str]:
    """Comma-separated names, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def tail_sampling(text: str) -> str | float:
    """argparse type for --tail-sampling: off, auto or a tilt in [0, 3]."""
    if text in ("off", "auto"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be off, auto or a number (the tilt theta)") from None
    if not 0.0 <= value <= 3.0:
        raise argparse.ArgumentTypeError(f"{text!r}: the tilt must be in [0, 3]")
    return value
