"""The typed collateral model: built from a scenario's [behaviour], checked on construction and by the projection."""

from __future__ import annotations

import numpy as np
import pytest

from stress.assumptions import Assumptions
from stress.behaviour.params import BehaviourParams
from stress.collateral_model import BehaviourModel, Multipliers, VectorModel
from stress.deal import load_deal
from stress.errors import ScenarioError
from stress.scenario import parse_scenario


def _scenario(**behaviour):
    return parse_scenario({"scenario": {"name": "t"}, "behaviour": behaviour}, source="t.toml")


def test_vectors_mode_gives_a_vector_model_with_the_deal_s_terms():
    deal = load_deal()
    model = _scenario(mode="vectors", prepayment=0.2, default=0.01, severity=0.4,
                      liquidation_lag=9).collateral_model(deal=deal)
    assert isinstance(model, VectorModel)
    # the file's vectors, the scenario's lag, the deal's rounding (1/8% in the term sheet) and pricing speed
    assert model.liquidation_lag == 9 and model.advancing is True
    assert model.rounding == deal.collateral.rate_rounding == 0.00125
    assert model.assumptions.pricing_speed_cpr == deal.collateral.pricing_speed_cpr
    np.testing.assert_array_equal(model.assumptions.severity_vector(3), [0.4, 0.4, 0.4])


def test_models_mode_gives_a_behaviour_model_without_multipliers():
    model = _scenario(mode="models", liquidation_lag=7).collateral_model(deal=load_deal())
    assert isinstance(model, BehaviourModel) and model.multipliers is None
    assert model.liquidation_lag == 7  # the scenario's servicing override of the parameters file


def test_scaled_mode_multiplies_from_the_month_the_file_names():
    model = _scenario(mode="scaled", default_multiplier={"value": 2.0, "from_month": 4},
                      severity_multiplier={"value": 1.5, "from_month": 1}).collateral_model(deal=load_deal())
    assert isinstance(model, BehaviourModel)
    m = model.multipliers
    # months 1-3 at 1.0, month 4 on at 2.0 (a short per-period vector holds its last value)
    assert m.default == [1.0, 1.0, 1.0, 2.0]
    assert m.severity == [1.5] and m.prepayment == [1.0]


def test_models_are_checked_when_built():
    with pytest.raises(ScenarioError, match="VectorModel.assumptions: expected an Assumptions, got dict"):
        VectorModel({"prepayment": 0.1})
    with pytest.raises(ScenarioError, match="BehaviourModel.params: expected a BehaviourParams, got Assumptions"):
        BehaviourModel(Assumptions())
    with pytest.raises(ScenarioError, match="BehaviourModel.multipliers: expected Multipliers or None, got list"):
        BehaviourModel(BehaviourParams(), [2.0])


def test_projection_refuses_anything_but_a_model():
    from stress.collateral.reference_pool import reference_tape
    from stress.pool_paths import project_pool_paths

    rates = np.full((1, 4, 12), 0.03)
    with pytest.raises(ScenarioError, match="model: expected a VectorModel or BehaviourModel .* got BehaviourParams"):
        project_pool_paths(reference_tape().iloc[:3], rates, None, BehaviourParams(), n_periods=12)
    with pytest.raises(ScenarioError, match=r"Multipliers.default: shape \(3, 12\): must be \(1 or 1, >= 12\)"):
        project_pool_paths(reference_tape().iloc[:3], rates, np.ones((1, 2, 12)),
                           BehaviourModel(BehaviourParams(), Multipliers(default=np.ones((3, 12)))), n_periods=12)


def test_a_rating_stress_refuses_a_models_scenario():
    from stress.breakeven import implied_ratings
    from stress.collateral.reference_pool import reference_tape

    with pytest.raises(ScenarioError, match="scenario file base.toml: behaviour.mode = 'models': a rating stress "
                                            "must be 'vectors'"):
        implied_ratings(load_deal(), reference_tape(), scenarios=("base",))
