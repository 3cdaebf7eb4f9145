"""Domain exceptions. Each names the file, the field, the bad value and what is allowed."""

from __future__ import annotations


class StressInputError(ValueError):
    """Bad user input: a deal file, scenario file, curve file or loan tape.

    The message is complete on its own (file, key or row, value, rule), so the
    command-line interface prints it without a traceback.
    """


class DealFileError(StressInputError):
    """A deal file that is missing, unreadable or breaks a rule."""


class TapeError(StressInputError):
    """A loan tape with missing columns or rows that break the schema's rules.

    Attributes
    ----------
    problems : list of str
        One line per bad cell: ``row 12, column 'gross_rate', value 0.31: must be in [0, 0.25]``.
        Every bad row is listed, not only the first.
    """

    def __init__(self, path: str, problems: list[str], limit: int = 50):
        self.path = str(path)
        self.problems = list(problems)
        shown = self.problems[:limit]
        more = len(self.problems) - len(shown)
        lines = [f"loan tape {self.path}: {len(self.problems)} problem(s)"] + [f"  {p}" for p in shown]
        if more > 0:
            lines.append(f"  ... and {more} more (TapeError.problems lists them all)")
        super().__init__("\n".join(lines))


class ScenarioError(StressInputError):
    """A scenario, curve or assumption input that is missing or out of range."""


class OutputError(StressInputError):
    """An output location that cannot be written: a file where a folder is needed, an existing
    result without ``--overwrite``, a folder that cannot be created."""


class HistoryFileError(StressInputError):
    """A market-history file (home prices, rates) that is missing or breaks a rule (gap, duplicate, bad level)."""
