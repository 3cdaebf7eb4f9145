"""Where results are written: every output location is checked before the work starts.

A command that runs for minutes and then fails to write its result loses the
work; one that silently replaces yesterday's report loses that. So each
writer calls one of these first, and each raises a one-line
:class:`~stress.errors.OutputError` naming the option, the path and what to do:

- :func:`check_output_file` for one file (a report, a tape, a NetCDF file, a
  CSV table): it must not be a directory, it may exist only with
  ``overwrite``, and its folder is created (so ``--out new/dir/file.nc``
  works) unless part of that folder's path is a file.
- :func:`check_output_dir` for a run or batch directory: it must not be a
  file; whether an existing run inside may be replaced or resumed is the
  writer's own rule (see :func:`stress.engine.run_monte_carlo`).
"""

from __future__ import annotations

from pathlib import Path

from stress.errors import OutputError

__all__ = ["check_output_file", "check_output_dir"]


def _make_folder(folder: Path, option: str, path: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{option} {path}: {parent} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot create the folder {folder}: {exc.strerror}") from None


def check_output_file(path: str | Path, *, option: str = "--out", overwrite: bool = False,
                      suffixes: tuple[str, ...] | None = None) -> Path:
    """Check that a single output file may be written, and create its folder.

    Parameters
    ----------
    path : path
        The file to be written.
    option : str
        The command-line option (or argument name) that gave ``path``, for the message.
    overwrite : bool
        Whether an existing file may be replaced.
    suffixes : tuple of str, optional
        Allowed file suffixes, lower case with the dot (e.g. ``(".pdf", ".html")``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        ``path`` is a directory, exists without ``overwrite``, has a suffix not
        in ``suffixes``, or its folder cannot be created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(folder / "new" / "paths.nc", option="--out").parent.is_dir()
    True
    """
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(f"{option} {path}: must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputError(f"{option} {path}: already exists; use --overwrite to replace it")
    _make_folder(path.parent, option, path)
    return path


def check_output_dir(path: str | Path, *, option: str = "--out") -> Path:
    """Check that ``path`` can hold a run or batch directory, and create it.

    Raises
    ------
    OutputError
        ``path`` (or a folder above it) is a file, or it cannot be created.
    """
    path = Path(path)
    _make_folder(path, option, path)
    return path
