"""Servicer options and collateral deal terms end to end: files, errors, the deal keys, conservation.

The kernels' handling of each option and of principal advancing is worked by hand in
``test_collateral_kernel.py`` and compared with the readable twins in ``test_collateral_paths.py``;
here: the options as the files and the command line give them, and every ``[collateral]`` key of the
deal file that drives the collateral changes the output as its definition says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import small_tape_rows
from stress.assumptions import Assumptions
from stress.behaviour.params import BehaviourFileError, parse_behaviour
from stress.cashflows import run_cashflows
from stress.collateral.tape import validate_tape
from stress.errors import ScenarioError
from stress.rates.curves import forward_curve
from stress.scenario import load_scenario, parse_scenario


@pytest.fixture(scope="module")
def tape():
    rows = [dict(r, loan_id=f"{r['loan_id']}-{k}", months_to_reset=r["months_to_reset"] - k % 20)
            for k in range(20) for r in small_tape_rows()]
    t = validate_tape(pd.DataFrame(rows))
    t["balance"] *= 1_000_000_040.0 / t["balance"].sum()
    return t


@pytest.fixture(scope="module")
def curve():
    return forward_curve()


def _with_collateral(deal, **changes):
    return deal.model_copy(update={"collateral": deal.collateral.model_copy(update=changes)})


# -- bad input: one line naming the file, the key, the value and the allowed range ---------------------

@pytest.mark.parametrize("key, value, allowed", [
    ("buyout_share", 1.5, "must be in [0, 1]"),
    ("fair_value_share", -0.2, "must be in [0, 1]"),
    ("purchase_limit", 0.02, "must be in [0, 0.01]"),
    ("buyout_months", 2, "must be in [3, 120]"),
])
def test_scenario_option_out_of_range(key, value, allowed):
    data = {"scenario": {"name": "x"}, "behaviour": {"mode": "vectors", key: value}}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, source="/tmp/bad_servicing.toml")
    assert str(err.value) == f"scenario file bad_servicing.toml: behaviour.{key} = {value!r}: {allowed}"


def test_behaviour_file_option_out_of_range():
    with pytest.raises(BehaviourFileError) as err:
        parse_behaviour({"servicing": {"buyout_share": 3}}, source="bad.toml")
    assert str(err.value) == "behaviour file bad.toml: servicing.buyout_share = 3: must be in [0, 1]"
    with pytest.raises(BehaviourFileError, match=r"servicing.buyout_rule = 'often'"):
        parse_behaviour({"servicing": {"buyout_rule": "often"}}, source="bad.toml")


def test_shipped_scenarios_carry_the_options():
    s = load_scenario("servicer_options")
    a = s.servicing_assumptions()
    assert (a.buyout_share, a.buyout_rule, a.fair_value_share, a.purchase_limit) == (1.0, "value", 1.0, 0.01)
    assert load_scenario("servicer_buyout_share").servicing_assumptions().buyout_rule == "share"
    # The Monte Carlo engine hands the options to the behaviour models.

    assert s.behaviour_params().servicing.options.buyout_share == 1.0


# -- end to end: cash in = cash out with every option, and the options move the bonds -----------------

@pytest.mark.parametrize("advancing", [True, False])
def test_options_keep_cash_in_equal_cash_out(deal, tape, curve, advancing):
    a = Assumptions(prepayment="100 PPC", default=0.10, severity=0.45, liquidation_lag=12, advancing=advancing,
                    buyout_share=0.5, buyout_rule="share", fair_value_share=0.5, fair_value_rule="share",
                    purchase_limit=0.01, purchase_rule="share")
    run = run_cashflows(deal, tape, curve, a, to="maturity")
    p, b = run.pool, run.bonds
    collections = (p.scheduled_interest + p.advanced_interest + p.repurchase_interest + p.principal_remittance
                   + b.derivative_income + b.call_proceeds)
    fees = p.servicing_fee + p.master_servicing_fee + p.trustee_fee + p.lpmi_premium + b.derivative_fee
    gap = (collections - fees - b.cash_out())[: run.last_period + 1]
    assert np.abs(gap).max() < 0.011
    # The 1% purchase never takes more than 1% of the performing pool in a month (its cap's base).
    assert p.repurchased_balance.sum() > 0
    assert (p.repurchase_interest.sum() > 0) == (not advancing)


def test_buyout_share_lowers_bond_losses(deal, tape, curve):
    base = Assumptions(prepayment="100 PPC", default=0.12, severity=0.5, liquidation_lag=12)
    plain = run_cashflows(deal, tape, curve, base, to="maturity")
    bought = run_cashflows(deal, tape, curve, Assumptions(**{**base.__dict__, "buyout_share": 0.5,
                                                             "buyout_rule": "share"}), to="maturity")
    # Half of the defaults leave at par: the collateral loses half as much (same defaults: the buy-out
    # takes only delinquent loans, so the performing pool and its defaults are unchanged).
    np.testing.assert_allclose(bought.pool.default_balance, plain.pool.default_balance, rtol=1e-12)
    assert bought.pool.realized_loss.sum() == pytest.approx(0.5 * plain.pool.realized_loss.sum(), rel=1e-9)
    assert bought.bonds.principal_lost(bought.last_period).sum() < plain.bonds.principal_lost(plain.last_period).sum()


# -- every collateral key of the deal file moves the output as defined ---------------------------------

def test_pricing_speed_is_the_deal_files(deal, tape, curve):
    # 100% PPC is [collateral].pricing_speed_cpr: with no defaults the first period's CPR, computed as the
    # remittance report does, is that speed.
    for speed in (0.30, 0.45):
        run = run_cashflows(_with_collateral(deal, pricing_speed_cpr=speed), tape, curve,
                            Assumptions(prepayment="100 PPC"), n_periods=24)
        assert run.realized_cpr()[0] == pytest.approx(speed, rel=1e-12)


def test_rate_rounding_is_the_deal_files(deal, tape, curve):
    # Rounding to the nearest increment moves each reset rate by at most half of it before the caps, and the
    # caps and floors are 1-Lipschitz: the pool WAC moves by at most 1/16% with 1/8% rounding versus none.
    runs = {r: run_cashflows(_with_collateral(deal, rate_rounding=r), tape, curve, Assumptions(), n_periods=72)
            for r in (0.0, 0.00125)}
    wac = {r: run.pool.wac for r, run in runs.items()}
    moved = np.abs(wac[0.00125] - wac[0.0])
    # the earliest reset is 4 months after cut-off (L1's 23 less the fixture's stagger of 19): nothing moves
    # before the rate it sets applies (period index 4), and it moves from there
    assert moved[:4].max() == 0.0 and moved[4] > 0.0
    assert 0.0 < moved.max() <= 0.000625 * (1 + 1e-9)
    # The Monte Carlo engine's kernel reads it too (the models run, rounding as passed).
    from stress.behaviour.params import BehaviourParams
    from stress.collateral_model import BehaviourModel
    from stress.pool_paths import base_hpi, project_pool_paths

    rates = curve.rates[None, :, :72]
    flows = {r: project_pool_paths(tape, rates, base_hpi(1, 72, drift=0.0), BehaviourModel(BehaviourParams()), n_periods=72,
                                   rounding=r) for r in (0.0, 0.00125)}
    assert np.abs(flows[0.00125].wac - flows[0.0].wac).max() > 0.0


@pytest.mark.parametrize("key, output", [("master_servicing_fee_rate", "master_servicing_fee"),
                                         ("trustee_fee_rate", "trustee_fee")])
def test_fee_rates_are_the_deal_files(deal, tape, curve, key, output):
    # Month 1, no defaults: the fee is the cut-off balance x rate / 12.
    for rate in (0.0003, 0.001):
        run = run_cashflows(_with_collateral(deal, **{key: rate}), tape, curve, Assumptions(), n_periods=12)
        assert getattr(run.pool, output)[0] == pytest.approx(1_000_000_040.0 * rate / 12, rel=1e-12)
    # The behaviour models' loans take the reference deal file's rates when none are given.
    from stress.behaviour.params import BehaviourParams
    from stress.behaviour.prep import prepare_loans

    loans = prepare_loans(tape, BehaviourParams()).loans
    assert getattr(loans, key) == getattr(deal.collateral, key)


# -- the command line takes the options from a scenario --------------------------------------------------

@pytest.fixture(scope="module")
def tape_file(tape, tmp_path_factory):
    from stress.collateral.tape import write_tape

    return write_tape(tape, tmp_path_factory.mktemp("tape") / "tape.parquet")


def test_cashflows_cli_takes_the_options(tape_file, tmp_path):
    from stress.cli import main

    csv = tmp_path / "p.csv"
    args = ["cashflows", "--tape", str(tape_file), "--ppc", "100", "--cdr", "10", "--severity", "45", "--lag", "12",
            "--no-advancing", "--to", "maturity", "--periods", str(csv)]
    assert main(args + ["--servicing", "servicer_buyout_share"]) == 0
    p = pd.read_csv(csv)
    # servicer_buyout_share: half of each month's defaults bought 3 months later at par (not advanced) plus
    # 3 months of interest at the note rate less the servicing fee.
    np.testing.assert_allclose(p["repurchased_balance"].to_numpy()[3:40], 0.5 * p["default_balance"].to_numpy()[:37],
                               rtol=1e-12)
    assert (p["repurchase_interest"].to_numpy()[3:40] > 0).all()
    assert main(args + ["--overwrite"]) == 0  # the same --periods file again: writers never replace unasked
    assert (pd.read_csv(csv)["repurchased_balance"] == 0).all()


def test_breakeven_cli_takes_the_options(tape_file, capsys):
    from stress.cli import main

    args = ["breakeven", "--tape", str(tape_file), "--severities", "45", "--ppc", "100", "--rate-cases", "forward",
            "--no-ratings", "--json"]
    import json

    assert main(args) == 0
    plain = {r["tranche"]: r["breakeven_cdr"] for r in json.loads(capsys.readouterr().out)["breakeven"]}
    assert main(args + ["--servicing", "servicer_buyout_share"]) == 0
    bought = {r["tranche"]: r["breakeven_cdr"] for r in json.loads(capsys.readouterr().out)["breakeven"]}
    # Half of the defaults leave at par: each class survives a higher CDR.
    assert all(bought[name] > plain[name] for name in plain)
