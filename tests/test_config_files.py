"""The shared checks of TOML tables keyed by tape categories (behaviour add-ons, rating-criteria multiples)."""

from __future__ import annotations

import pytest

from stress.config_files import check_category_table

VOCABULARY = ("FULL", "REDUCED", "NONE")


def test_a_complete_table_in_range_passes():
    check_category_table("doc_type", {"FULL": 0.0, "REDUCED": 0.4, "NONE": 0.9}, VOCABULARY, low=-5.0, high=5.0,
                         what="logit add-on")


@pytest.mark.parametrize("table, message", [
    ({"FULL": 0.0, "REDUCED": 0.4, "NONE": 0.9, "STATED": 1.0},
     "doc_type.STATED: unknown category; allowed: FULL, REDUCED, NONE"),
    ({"FULL": 0.0, "NONE": 0.9}, r"doc_type: missing category 'REDUCED' \(every one of FULL, REDUCED, NONE\)"),
    ({"FULL": 0.0, "REDUCED": 0.4, "NONE": 21.0}, r"doc_type.NONE = 21.0: must be in \[0, 20\] \(a frequency multiple\)"),
])
def test_each_rule_names_the_table_the_category_and_what_is_allowed(table, message):
    with pytest.raises(ValueError, match=message):
        check_category_table("doc_type", table, VOCABULARY, low=0.0, high=20.0, what="a frequency multiple")
