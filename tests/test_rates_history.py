"""Rate and home-price history: the shipped files, their validation, the realized-path
scenario, and the rate model's volatility checked against realized rate changes."""

from __future__ import annotations

import csv
import math
import tomllib

import numpy as np
import pytest

from stress.engine import run_monte_carlo
from stress.errors import ScenarioError
from stress.rates.config import ScenarioDrivers
from stress.rates.curves import forward_curve, load_curve
from stress.rates.generator import generate_paths
from stress.rates.history import HistoryFileError, builtin_history_path, changes, load_history, read_history
from stress.scenario import load_scenario, parse_scenario, scenario_path

SEED = 20040129


def _csv_column(kind: str, column: str) -> dict[str, float]:
    """A column of a shipped history file read with the csv module alone (independent of the loader)."""
    with builtin_history_path(kind).open() as fh:
        return {row["month"]: float(row[column]) for row in csv.DictReader(fh) if row[column]}


# -- the shipped files ----------------------------------------------------------

def test_shipped_rates_match_known_levels():
    rates = load_history("rates")
    assert str(rates.months[0]) == "1986-01" and str(rates.months[-1]) == "2023-11"
    libor = _csv_column("rates", "libor_1m")
    # the term sheet's curve date (2004-01-13) quotes 1M LIBOR at 1.10%: the January average is within 1 bp
    assert libor["2004-01"] == pytest.approx(0.0110, abs=0.0001)
    # the "1.1% to 5.3% and back to 0.2%": the plateau at fed funds 5.25% (2006-07 .. 2007-06) + ~7 bp
    plateau = [v for m, v in libor.items() if "2006-07" <= m <= "2007-06"]
    assert np.mean(plateau) == pytest.approx(0.0532, abs=0.0005)
    assert min(v for m, v in libor.items() if "2011" <= m < "2015") < 0.0025
    # LIBOR ends (blank afterwards); the CMT runs on
    assert np.isnan(rates.column("libor_1m")[-1]) and np.isfinite(rates.column("cmt_1y")[-1])


def test_shipped_home_prices_show_the_2006_2012_crash():
    national = _csv_column("hpi", "national")
    peak = max(v for m, v in national.items() if "2005" <= m < "2008")
    trough = min(v for m, v in national.items() if "2009" <= m < "2013")
    assert trough / peak - 1 == pytest.approx(-0.27, abs=0.01)  # the issue's -27%
    california = _csv_column("hpi", "california")
    assert california["2000-01"] == pytest.approx(100.0, abs=0.001)  # rebased there, by construction
    peak = max(v for m, v in california.items() if "2005" <= m < "2008")
    trough = min(v for m, v in california.items() if "2008" <= m < "2013")
    assert -0.50 < trough / peak - 1 < -0.40  # the "40-50%"


# -- validation -------------------------------------------------------------------

GOOD = "month,libor_1m,libor_6m,libor_12m,cmt_1y\n2004-01,0.011,0.012,0.014,0.012\n2004-02,0.011,0.012,0.014,0.012\n"


@pytest.mark.parametrize("text, kind, row, rule", [
    (GOOD + "2004-04,0.011,0.012,0.014,0.012\n", "rates", 4, "gap"),
    (GOOD + "2004-02,0.011,0.012,0.014,0.012\n", "rates", 4, "appears twice"),
    (GOOD + "2004-03,0.26,0.012,0.014,0.012\n", "rates", 4, r"libor_1m = 0.26: rates must be in \[-0.01, 0.25\]"),
    (GOOD + "2004-03,0.011,-0.02,0.014,0.012\n", "rates", 4, "libor_6m = -0.02: rates must be in"),
    (GOOD + "2004-3,0.011,0.012,0.014,0.012\n", "rates", 4, "must be YYYY-MM"),
    (GOOD + "2004-03,abc,0.012,0.014,0.012\n", "rates", 4, "must be a number"),
    ("month,libor_1m,libor_6m,libor_12m,cmt_1y\n2004-01,0.011,,0.014,0.012\n2004-02,0.011,0.012,0.014,0.012\n",
     "rates", 2, "blank .* gap"),
    ("month,libor_1m,libor_6m,libor_12m\n2004-01,0.011,0.012,0.014\n", "rates", 1, "missing column.*cmt_1y"),
    ("month,national,los_angeles,san_diego,san_francisco,california\n2004-01,140,170,180,150,170\n"
     "2004-02,0,170,180,150,170\n", "hpi", 3, "national = 0: index levels must be > 0"),
    ("month,national,los_angeles,san_diego,san_francisco,california\n2004-01,140,170,180,150,170\n"
     "2004-02,141,170,-1,150,170\n", "hpi", 3, "san_diego = -1: index levels must be > 0"),
])
def test_bad_history_file_names_file_row_and_rule(tmp_path, text, kind, row, rule):
    path = tmp_path / "bad_history.csv"
    path.write_text(text)
    with pytest.raises(HistoryFileError, match=rf"bad_history\.csv: row {row}\b.*{rule}") as info:
        read_history(path, kind=kind)
    assert isinstance(info.value, ValueError)


def test_ended_series_is_allowed_and_missing_file_is_named(tmp_path):
    path = tmp_path / "ended.csv"
    path.write_text(GOOD + "2004-03,,,,0.012\n")
    history = read_history(path, kind="rates")
    assert np.isnan(history.column("libor_1m")[-1])
    with pytest.raises(HistoryFileError, match="column 'libor_1m' has no value for every month 2004-01 .. 2004-03"):
        history.window("libor_1m", "2004-01", "2004-03", 5)
    with pytest.raises(HistoryFileError, match="nowhere.csv: not found"):
        read_history(tmp_path / "nowhere.csv", kind="rates")


# -- the realized-path scenario ---------------------------------------------------

def test_history_paths_follow_the_files_then_stay_flat():
    drivers = load_scenario("history_2004").drivers
    paths = generate_paths(drivers, path_ids=np.arange(3), seed=SEED, n_months=200, curve=forward_curve())
    libor, cmt = _csv_column("rates", "libor_1m"), _csv_column("rates", "cmt_1y")
    national, california = _csv_column("hpi", "national"), _csv_column("hpi", "california")
    months = [f"{2004 + m // 12}-{m % 12 + 1:02d}" for m in range(200)]
    for m in (0, 30, 59, 131):  # 2004-01, 2006-07, 2008-12, 2014-12
        assert paths.index("LIBOR_1M")[:, m] == pytest.approx(libor[months[m]], abs=1e-12)
        assert paths.index("CMT_1Y")[:, m] == pytest.approx(cmt[months[m]], abs=1e-12)
        assert paths.hpi_national[:, m] == pytest.approx(national[months[m]] / national["2004-01"], rel=1e-12)
        assert paths.hpi_california[:, m] == pytest.approx(california[months[m]] / california["2004-01"], rel=1e-12)
    # flat after December 2014 (month 131), identical on every path, weight 1
    assert np.all(paths.index_rates[:, :, 132:] == paths.index_rates[:, :, 131:132])
    assert np.all(paths.hpi_california[:, 132:] == paths.hpi_california[:, 131:132])
    assert np.all(paths.index_rates == paths.index_rates[:1]) and np.all(paths.weight == 1.0)
    # the discount factor chains the realized 1M LIBOR: first month 1 / (1 + L days / 360)
    assert paths.discount[0, 1] == pytest.approx(1 / (1 + libor["2004-01"] * 31 / 360), rel=1e-12)


def test_history_curve_for_the_deterministic_engine():
    curve = load_curve("history")
    libor = _csv_column("rates", "libor_1m")
    assert curve.rates[0, 30] == pytest.approx(libor["2006-07"], abs=1e-12)
    assert np.all(curve.rates[:, 131:] == curve.rates[:, 131:132])


def _vectors_history(**rates):
    data = tomllib.loads(scenario_path("history_2004").read_text())
    data["behaviour"] = {"mode": "vectors", "prepayment": "100 PPC", "default": 0.02, "severity": 0.4,
                         "liquidation_lag": 6}
    data["rates"].update(rates)
    return parse_scenario(data, source="history_test.toml")


def test_history_scenario_runs_as_one_path_whatever_paths_are_asked():
    ds = run_monte_carlo(_vectors_history(), n_paths=7, chunk_size=3, scheduler="synchronous")
    assert ds.sizes["path"] == 1 and ds.attrs["n_paths"] == 1
    libor = _csv_column("rates", "libor_1m")
    assert ds["libor_1m"].values[0, 30] == pytest.approx(libor["2006-07"], abs=1e-12)
    with pytest.raises(ScenarioError, match="tail.sampling.*realized history"):
        run_monte_carlo(_vectors_history(), tail_sampling=0.1)


def test_history_window_outside_the_file_is_a_clear_error():
    with pytest.raises(HistoryFileError, match="libor_1m.*no value for every month 2004-01 .. 2024-12"):
        run_monte_carlo(_vectors_history(history_to="2024-12"), scheduler="synchronous")


# -- rate volatility against history ------------------------------------------------

def _overlap_se(h: int, n_months: int) -> float:
    """Relative standard error of the std of overlapping h-month changes of a random walk over n months.

    The overlapping variance estimator has asymptotic variance (4 h / 3 n) sigma^4 (Bartlett), so the
    standard deviation's relative error is sqrt(h / (3 n)).
    """
    return math.sqrt(h / (3.0 * n_months))


@pytest.mark.parametrize("index, column", [("LIBOR_1M", "libor_1m"), ("CMT_1Y", "cmt_1y")])
def test_model_rate_volatility_matches_realized_changes(index, column):
    """The base scenario's Hull-White gives the realized std of 12- and 60-month changes.

    Realized: the shipped monthly averages (1M LIBOR 1986-01..2021-09, 1Y CMT 1986-01..2023-11).
    Model: the base [rates] table with the zero floor off (the floor is a level effect of the
    2004 start at 1.1%; the history is mostly far from zero), 4,000 paths from the cut-off.
    Tolerance: 3 combined standard errors, the realized one from the overlapping-window formula
    (10% at 12 months, 22% at 60 for ~430 months) and the simulated one 1 / sqrt(2 x 4000).
    The old default (a = 0.03, sigma = 0.008: 79 bp at 12 months against 137) fails this test.
    """
    history = load_history("rates").column(column)
    n_months = int(np.isfinite(history).sum())
    base = load_scenario("base")
    drivers = ScenarioDrivers(rates=base.rates.model_copy(update={"floor_at_zero": False}))
    paths = generate_paths(drivers, path_ids=np.arange(4000), seed=SEED, n_months=61, curve=forward_curve())
    sim = paths.index(index)
    for h in (12, 60):
        realized = changes(history, h).std(ddof=1)
        model = (sim[:, h] - sim[:, 0]).std(ddof=1)
        tolerance = 3.0 * math.hypot(_overlap_se(h, n_months), 1.0 / math.sqrt(2 * 4000))
        assert abs(model / realized - 1.0) < tolerance, (h, model * 1e4, realized * 1e4)
