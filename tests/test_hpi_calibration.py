"""The home-price model against history: the shipped data, its loader, the estimation, and the
simulated distribution of 1-, 5- and 10-year changes and 10-year drawdowns against the sample's."""

from __future__ import annotations

import numpy as np
import pytest

from stress.errors import HistoryFileError
from stress.rates.config import HomePriceConfig
from stress.rates.home_prices import simulate_home_prices
from stress.rates.hpi_estimation import REGIONS, fit_hpi_model, format_fit, load_hpi_history

COLUMNS = dict(rate_column=0, national_column=4, california_column=5)
SEED = 19870101
# S&P/Case-Shiller peak to trough in the file (README): national 2006-07 -> 2012-02, California
# composite 2006-06 -> 2009-04
NATIONAL_BUST, CALIFORNIA_BUST = 1 - 134.0 / 184.6, 1 - 139.7 / 245.9


# -- the history file ------------------------------------------------------------

def test_shipped_history_matches_the_published_levels():
    h = load_hpi_history()
    assert str(h.months[0]) == "1987-01" and h.months.size == 451
    k = h.index_of("2006-07")
    # S&P/Case-Shiller U.S. National NSA, July 2006 peak (FRED CSUSHPINSA)
    assert h.levels["national"][k] == pytest.approx(184.608)
    # the composite is 100 in January 2000 by construction, and a geometric mean of the metros
    k0 = h.index_of("2000-01")
    assert h.levels["california"][k0] == pytest.approx(100.0)
    metros = [h.levels[m][k] / h.levels[m][k0] * 100 for m in ("los_angeles", "san_diego", "san_francisco")]
    assert h.levels["california"][k] == pytest.approx(np.prod(metros) ** (1 / 3), abs=1e-3)
    assert 1 - h.levels["national"].min() / 184.608 > 0  # levels positive, checked by the loader


GOOD = ["month,national,los_angeles,san_diego,san_francisco,california"] + [
    f"{1990 + i // 12}-{i % 12 + 1:02d},{100 + i},{100 + i},{100 + i},{100 + i},{100 + i}" for i in range(72)]


@pytest.mark.parametrize("edit, expected", [
    (lambda rows: rows[:10] + rows[11:], "row 11: month 1990-11 follows 1990-09 (a gap): months must be consecutive"),
    (lambda rows: rows[:10] + [rows[9]] + rows[10:], "row 11: month 1990-09 duplicates row 10"),
    (lambda rows: rows[:5] + [rows[5].replace(",104,104,104", ",104,-1,104")] + rows[6:],
     "row 6 (month 1990-05): los_angeles = '-1': index levels must be positive numbers"),
    (lambda rows: rows[:5] + [rows[5].replace(",104,104,104", ",104,,104")] + rows[6:],
     "row 6 (month 1990-05): los_angeles = '': index levels must be positive numbers"),
    (lambda rows: rows[:3] + [rows[3].replace("1990-03", "1990-13")] + rows[4:], "row 4: month = '1990-13'"),
    (lambda rows: [rows[0].replace(",california", "")] + rows[1:], "missing column(s) california"),
    (lambda rows: rows[:30], "29 months: need at least 60"),
])
def test_bad_history_file_names_file_row_and_rule(tmp_path, edit, expected):
    path = tmp_path / "hpi.csv"
    path.write_text("\n".join(edit(list(GOOD))) + "\n")
    with pytest.raises(HistoryFileError) as info:
        load_hpi_history(path)
    assert "history file hpi.csv" in str(info.value) and expected in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_history_file(tmp_path):
    with pytest.raises(HistoryFileError, match="not found"):
        load_hpi_history(tmp_path / "none.csv")


def test_sample_window_errors():
    h = load_hpi_history()
    with pytest.raises(HistoryFileError, match="must be a month written YYYY-MM"):
        h.window("2004/01")
    with pytest.raises(HistoryFileError, match="need at least 60"):
        h.window("2004-01", "2004-12")


# -- simulated against historical distributions ------------------------------------

def _deseasonalized(h, region):
    """Log level less a data-only seasonal level (calendar-month mean growth minus the overall mean)."""
    log_level = np.log(h.levels[region])
    growth = np.diff(log_level)
    month = (h.months.astype(int) % 12)[1:]
    effect = np.array([growth[month == m].mean() for m in range(12)]) - growth.mean()
    return log_level - np.cumsum(effect)[h.months.astype(int) % 12]


def _window_stats(log_level, quantiles=(0.1, 0.5, 0.9)):
    """Quantiles, over all overlapping windows, of 1/5/10-year log changes and of the 10-year max drawdown."""
    x = np.atleast_2d(log_level)
    out = {}
    for years in (1, 5, 10):
        h = 12 * years
        out[f"{years}y"] = np.quantile(x[:, h:] - x[:, :-h], quantiles, axis=1)
    windows = np.lib.stride_tricks.sliding_window_view(x, 121, axis=1)          # (p, starts, 121)
    drawdown = (windows - np.maximum.accumulate(windows, axis=2)).min(axis=2)  # log peak-to-trough
    out["10y drawdown"] = np.quantile(drawdown, quantiles, axis=1)
    return out


@pytest.fixture(scope="module")
def simulated_histories():
    """400 synthetic 451-month histories of the calibrated model, from its stationary distribution.

    A 240-month burn-in from the trend (gap 0, growth at the drift) forgets the start: the slowest
    root of the dynamics has modulus ~0.98 a month, 0.98^240 < 1%.
    """
    n, burn, months = 400, 240, 451
    config = HomePriceConfig(initial_growth=None, initial_gap=0.0, initial_innovations=(0.0, 0.0),
                             california=dict(enabled=True, initial_growth=None, initial_gap=0.0,
                                             initial_innovations=(0.0, 0.0)))
    normals = np.random.default_rng(SEED).standard_normal((n, burn + months - 1, 6))
    national, california = simulate_home_prices(normals, config, **COLUMNS)
    return {"national": np.log(national[:, burn:]), "california": np.log(california[:, burn:])}


@pytest.mark.parametrize("region", REGIONS)
def test_simulated_changes_and_drawdowns_match_the_historical_sample(simulated_histories, region):
    """Each historical quantile (10/50/90%) of 1-, 5- and 10-year changes and 10-year drawdowns must
    lie inside the model's sampling distribution of that same statistic.

    Tolerance from the sample size: the 451 months hold 440, 392 and 332 overlapping 1-, 5- and
    10-year windows but only ~37, ~7.5 and ~3.8 independent ones, so a historical quantile is itself
    very noisy. Simulating 400 histories of the same length and computing the same overlapping-window
    statistic on each gives that statistic's sampling distribution under the model; the test rejects
    when the historical value lies beyond its 0.25% / 99.75% points (a two-sided 0.5% test per
    statistic, 12 statistics per region, so a family-wise level of at most 6%).
    """
    history = load_hpi_history()
    observed = _window_stats(_deseasonalized(history, region))
    simulated = _window_stats(simulated_histories[region])
    for name, values in observed.items():
        for i, q in enumerate((0.1, 0.5, 0.9)):
            rank = np.mean(simulated[name][i] < values[i])
            assert 0.0025 <= rank <= 0.9975, (region, name, q, values[i], np.quantile(simulated[name][i], [0, 0.5, 1]))


def test_probability_of_the_2006_2012_drawdowns_from_january_2004():
    """From the January 2004 state (data), the 2006-2012 busts within ten years: neither vanishing
    (< 0.1%) nor common (> 50%). 4,000 paths: the SE of a probability p is sqrt(p (1-p) / 4000)."""
    n = 4000
    config = HomePriceConfig(california=dict(enabled=True))
    normals = np.random.default_rng(SEED + 1).standard_normal((n, 120, 6))
    national, california = simulate_home_prices(normals, config, **COLUMNS)
    for levels, bust in ((national, NATIONAL_BUST), (california, CALIFORNIA_BUST)):
        drawdown = 1 - (levels / np.maximum.accumulate(levels, axis=1)).min(axis=1)
        p = np.mean(drawdown >= bust)
        se = np.sqrt(p * (1 - p) / n)
        assert p - 3 * se > 0.001 and p + 3 * se < 0.5, (bust, p, se)


# -- the estimation --------------------------------------------------------------

@pytest.mark.slow
def test_estimation_on_the_shipped_file_gives_the_default_parameters():
    """The defaults in stress.rates.config are this fit (rounded to the digits written there)."""
    fit = fit_hpi_model(load_hpi_history())
    defaults = HomePriceConfig()
    for region, cfg in (("national", defaults), ("california", defaults.california)):
        est = fit.region(region)
        assert 12 * est.mu == pytest.approx(cfg.drift, abs=1e-4)
        assert np.sqrt(12) * est.sigma == pytest.approx(cfg.volatility, abs=1e-4)
        assert est.phi == pytest.approx(cfg.monthly_ar, abs=2e-3)
        assert est.beta == pytest.approx(cfg.momentum, abs=2e-3)
        assert est.kappa == pytest.approx(cfg.error_correction, abs=1e-4)
        state = fit.state("2004-01", region)
        np.testing.assert_allclose(state.growth, cfg.initial_growth, atol=2e-3)
        assert state.gap == pytest.approx(cfg.initial_gap, abs=2e-3)
        # trailing 12-month growth: the NSA index's own 12-month change (seasonals cancel)
        h = fit.history
        k = h.index_of("2004-01")
        assert state.growth.sum() / 12 == pytest.approx(np.log(h.levels[region][k] / h.levels[region][k - 12]))
    assert fit.rho == pytest.approx(defaults.california.correlation, abs=2e-3)
    text = format_fit(fit)
    assert "[home_prices.california]" in text and "initial_gap" in text


@pytest.mark.slow
def test_estimation_recovers_known_parameters_from_synthetic_history():
    """Simulate a 451-month history from the defaults (with the fitted seasonals put back), fit it:
    each momentum / error-correction estimate within 4 standard errors of the truth."""
    from stress.rates.hpi_estimation import HpiHistory

    config = HomePriceConfig(initial_growth=None, initial_gap=0.0, initial_innovations=(0.0, 0.0),
                             california=dict(enabled=True, initial_growth=None, initial_gap=0.0,
                                             initial_innovations=(0.0, 0.0)))
    normals = np.random.default_rng(7).standard_normal((1, 240 + 450, 6))
    national, california = simulate_home_prices(normals, config, **COLUMNS)
    months = np.arange(np.datetime64("1987-01"), np.datetime64("1987-01") + 451)
    seasonal = 0.005 * np.sin(2 * np.pi * np.arange(12) / 12)  # sums to zero
    season = np.exp(np.cumsum(seasonal)[months.astype(int) % 12])
    levels = {"national": 100 * national[0, 240:] * season, "california": 100 * california[0, 240:] * season}
    for m in ("los_angeles", "san_diego", "san_francisco"):
        levels[m] = levels["california"]
    fit = fit_hpi_model(HpiHistory(months, levels, "synthetic"))
    for region, cfg in (("national", config), ("california", config.california)):
        est = fit.region(region)
        for attr, truth in (("phi", cfg.monthly_ar), ("beta", cfg.momentum), ("kappa", cfg.error_correction)):
            assert abs(getattr(est, attr) - truth) < 4 * est.se[attr], (region, attr, getattr(est, attr), truth)
        np.testing.assert_allclose(est.seasonal, seasonal, atol=4 * max(est.se["s1"], 1e-4))


# -- the command -------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--data", "{tmp}/none.csv"], "history file {tmp}/none.csv: not found"),
    (["--start", "2004"], "start = '2004': must be a month written YYYY-MM"),
    (["--start", "2020-01"], "holds 55 months: need at least 60"),
])
def test_calibrate_command_bad_input_exits_2_with_one_line(capsys, tmp_path, argv, message):
    from stress.cli import main

    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["calibrate", "hpi", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stress: error: ") and "\n" not in err
    assert message.replace("{tmp}", str(tmp_path)) in err
