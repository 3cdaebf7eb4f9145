"""Reading the project's TOML input files and explaining what is wrong with them.

Deal, scenario, behaviour and curve files all go through these helpers, so
every validation error reads the same way::

    scenario file s.toml: rates.volatility = 0.5: must be in [0, 0.05]
    deal file d.toml: tranches[2].margin = -0.006: must be in [0, 0.1]
    behaviour file b.toml: prepayment.refi_slop = 3: unknown key (allowed: base_cpr, ...)
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

_PHRASES = (
    ("Value error, ", ""),
    ("Input should be greater than or equal to ", "must be >= "),
    ("Input should be less than or equal to ", "must be <= "),
    ("Input should be greater than ", "must be > "),
    ("Input should be less than ", "must be < "),
    ("Input should be ", "must be "),
)
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def builtin_path(name_or_path: str | Path, folder: str) -> Path:
    """``name_or_path`` itself if it is a file path, else the built-in ``scenarios/<folder>/<name>.toml``."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    root = resources.files("stress.scenarios")
    return Path(str(root.joinpath(folder, f"{name_or_path}.toml") if folder else root.joinpath(f"{name_or_path}.toml")))


def read_toml(path: Path, *, kind: str, error: type[Exception]) -> dict:
    """Parse a TOML file, raising ``error`` naming the file when it is missing or malformed."""
    if not path.exists():
        raise error(f"{kind} file {path}: not found")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{kind} file {path}: not valid TOML: {exc}") from None


def plain(msg: str) -> str:
    """pydantic's message in the project's words ("must be >= 0")."""
    for old, new in _PHRASES:
        msg = msg.replace(old, new)
    return msg


def format_loc(loc: tuple) -> str:
    """``("tranches", 2, "margin")`` -> ``"tranches[2].margin"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def lookup(data, loc):
    """The value the user wrote at ``loc``, or ``"<missing>"``."""
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return "<missing>"
    return cur


def _field_info(model: type[BaseModel], loc: tuple):
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
        args = getattr(model, "__args__", None)
        if args:  # tuple[Tranche, ...], list[X], X | None: the model inside
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return info


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return []
        model = fields[part].annotation
        args = getattr(model, "__args__", None)
        if args:
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return list(getattr(model, "model_fields", {}))


def _range_of(model: type[BaseModel], loc: tuple) -> str | None:
    """``must be in [lo, hi]`` from a field's bounds, so the message shows the whole allowed range."""
    info = _field_info(model, loc)
    if info is None:
        return None
    lo = hi = None
    lo_open = hi_open = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo = meta.ge
        if getattr(meta, "gt", None) is not None:
            lo, lo_open = meta.gt, True
        if getattr(meta, "le", None) is not None:
            hi = meta.le
        if getattr(meta, "lt", None) is not None:
            hi, hi_open = meta.lt, True
    if lo is None or hi is None:
        return None
    return f"must be in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def describe_validation_error(exc: ValidationError, data: dict, *, kind: str, name: str,
                              model: type[BaseModel]) -> str:
    """One line per problem: file, key, value and what is allowed."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = format_loc(loc)
        value = lookup(data, loc)
        msg = plain(err["msg"])
        if err["type"] == "missing":
            lines.append(f"{kind} file {name}: {key}: missing (required)")
        elif err["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(model, loc[:-1]))
            lines.append(f"{kind} file {name}: {key} = {value!r}: unknown key"
                         + (f" (allowed: {allowed})" if allowed else ""))
        else:
            if err["type"] in _BOUND_ERRORS:
                msg = _range_of(model, loc) or msg
            where = f"{key} = {value!r}" if key and value != "<missing>" else (key or "(file)")
            lines.append(f"{kind} file {name}: {where}: {msg}")
    return "\n".join(lines)


def check_category_table(name: str, table: dict, vocabulary, *, low: float, high: float, what: str) -> None:
    """Check a table keyed by tape categories: every category of ``vocabulary``, no other, values in [low, high].

    Raises ``ValueError`` (inside a pydantic validator it becomes the file/key message) naming the
    table, the category and the rule; ``what`` says what the values are ("logit add-on").
    """
    unknown = sorted(set(table) - set(vocabulary))
    if unknown:
        raise ValueError(f"{name}.{unknown[0]}: unknown category; allowed: {', '.join(vocabulary)}")
    missing = [c for c in vocabulary if c not in table]
    if missing:
        raise ValueError(f"{name}: missing category {missing[0]!r} (every one of {', '.join(vocabulary)})")
    for key, value in table.items():
        if not low <= value <= high:
            raise ValueError(f"{name}.{key} = {value!r}: must be in [{low:g}, {high:g}] ({what})")
