"""Rate and home-price paths as an xarray Dataset, and the ``stress rates`` output file.

Wiring the command line (``stress rates --scenario FILE --paths N --seed S --out FILE.nc``)::

    import tomllib, numpy as np
    from stress.rates.config import ScenarioDrivers
    from stress.rates.netcdf import write_rates_dataset

    tables = tomllib.loads(Path(args.scenario).read_text())
    drivers = ScenarioDrivers.from_toml_tables(tables, source=args.scenario)
    write_rates_dataset(args.out, drivers, n_paths=args.paths, seed=args.seed,
                        n_months=360, scenario=args.scenario)

The file is netCDF-3 (scipy engine, no extra dependency); open it with
``xarray.open_dataset(path)``. Check the curve fit with
``ds.discount.mean("path") / ds.df_curve`` (≈ 1 within Monte Carlo error).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from stress.rates.config import ScenarioDrivers
from stress.rates.curves import CurveSet
from stress.rates.generator import PathSet, generate_paths, model_grid

#: name -> (long name, units) of every variable written.
VARIABLES: dict[str, tuple[str, str]] = {
    "short_rate": ("model short rate [annual, decimal, continuously compounded, act/365.25]", "1"),
    "libor_1m": ("1-month LIBOR [annual, decimal, simple, act/360]", "1"),
    "libor_6m": ("6-month LIBOR [annual, decimal, simple, act/360]", "1"),
    "libor_12m": ("12-month LIBOR [annual, decimal, simple, act/360]", "1"),
    "cmt_1y": ("1-year constant-maturity Treasury [annual, decimal, bond-equivalent]", "1"),
    "hpi": ("national home-price index, 1 at month 0", "1"),
    "hpi_california": ("California home-price index, 1 at month 0 (= hpi when the regional factor is off)", "1"),
    "discount": ("path discount factor exp(-integral of the short rate) from month 0", "1"),
    "df_curve": ("input curve's discount factor from month 0 to the period's date", "1"),
    "weight": ("likelihood-ratio weight of the path's draws (tail sampling); 1 without it", "1"),
}

_INDEX_VARIABLES = ("libor_1m", "libor_6m", "libor_12m", "cmt_1y")


def paths_to_dataset(pathset: PathSet, dates: np.ndarray | None = None, curve: CurveSet | None = None, *,
                     config: ScenarioDrivers | None = None, seed: int | None = None,
                     scenario: str = "") -> xr.Dataset:
    """A :class:`PathSet` as an ``xarray.Dataset`` with dims ``(path, period)``.

    Parameters
    ----------
    pathset : PathSet
    dates : numpy.ndarray of datetime64, optional
        Date of each period (default: the curve's dates).
    curve : CurveSet, optional
        The input curve; adds ``df_curve`` (its discount factor to each
        period's date, the quantity ``discount.mean("path")`` estimates).
    config, seed, scenario
        Recorded in ``attrs`` (``model``, ``seed``, ``scenario``, ``drivers`` as JSON).

    Returns
    -------
    xarray.Dataset
        Variables ``short_rate, libor_1m, libor_6m, libor_12m, cmt_1y, hpi,
        hpi_california, discount`` (path, period), ``weight`` (path) and
        ``df_curve`` (period);
        coordinates ``path`` (global path index), ``period`` (month 0, 1, ...)
        and ``date`` (period).
    """
    m = pathset.n_months
    if dates is None:
        if curve is None:
            raise ValueError("paths_to_dataset: pass dates or curve")
        dates = curve.dates
    dims = ("path", "period")
    data = {"short_rate": (dims, pathset.short_rate)}
    for k, name in enumerate(_INDEX_VARIABLES):
        data[name] = (dims, pathset.index_rates[:, k])
    data["hpi"] = (dims, pathset.hpi_national)
    data["hpi_california"] = (dims, pathset.hpi_california)
    data["discount"] = (dims, pathset.discount)
    data["weight"] = (("path",), pathset.weight)
    if curve is not None:
        grid, _ = model_grid(curve, m)
        data["df_curve"] = (("period",), np.exp(grid.log_discount[:m]))
    ds = xr.Dataset(
        data,
        coords={"path": ("path", pathset.path_ids), "period": ("period", np.arange(m)),
                "date": ("period", np.asarray(dates, dtype="datetime64[ns]")[:m])},
    )
    for name, (long_name, units) in VARIABLES.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    ds["path"].attrs["long_name"] = "global path index"
    ds["period"].attrs["long_name"] = "month on the grid (0 = curve date / cut-off)"
    ds.attrs.update(
        title="stress: Monte Carlo rate and home-price paths",
        model=config.rates.model if config is not None else "",
        seed=-1 if seed is None else int(seed),
        scenario=str(scenario),
        curve=curve.name if curve is not None else "",
        drivers=config.model_dump_json() if config is not None else "",
        Conventions="CF-1.8",
    )
    return ds


def write_rates_dataset(out: str | Path, config: ScenarioDrivers, *, n_paths: int, seed: int,
                        n_months: int = 360, curve: CurveSet | None = None, scenario: str = "",
                        relative_to: str | Path | None = None) -> xr.Dataset:
    """Simulate ``n_paths`` paths and write them to a netCDF file (the ``stress rates`` command).

    Parameters
    ----------
    out : path
        Output ``.nc`` file (netCDF-3, 64-bit offsets, written by scipy).
    config : ScenarioDrivers
    n_paths, seed, n_months : int
    curve : CurveSet, optional
        Default: the curve named by ``config.rates.curve`` (resolved against
        ``relative_to``, the scenario file's folder, if relative).
    scenario : str
        Scenario name or file, stored in ``attrs``.

    Returns
    -------
    xarray.Dataset
        What was written.
    """
    if curve is None:
        curve = config.rates.load_curve(max(420, n_months), relative_to=relative_to)
    paths = generate_paths(config, path_ids=np.arange(n_paths), seed=seed, n_months=n_months, curve=curve)
    ds = paths_to_dataset(paths, curve.dates, curve, config=config, seed=seed, scenario=scenario)
    ds.to_netcdf(out, engine="scipy", format="NETCDF3_64BIT")
    return ds
