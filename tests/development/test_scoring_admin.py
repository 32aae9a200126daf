"""The scheme admin refuses weights that do not add up to 100, indicators without a source, frozen schemes."""

from __future__ import annotations

from datetime import date

import pytest
from django.forms import inlineformset_factory

from development.admin import IndicatorInlineFormSet
from development.models import Indicator, ScoringScheme
from development.scoring import scoring_run_lock, scoring_run_month
from development.scoring.defaults import scheme_create_default

pytestmark = pytest.mark.django_db

FIELDS = ["dimension", "code", "name", "source", "metric", "formula", "target", "per_unit", "weight", "threshold"]


def _post_data(scheme, change=None):
    FormSet = inlineformset_factory(ScoringScheme, Indicator, formset=IndicatorInlineFormSet, fields=FIELDS, extra=0)
    indicators = list(scheme.indicators.order_by("id"))
    data = {
        "indicators-TOTAL_FORMS": str(len(indicators)),
        "indicators-INITIAL_FORMS": str(len(indicators)),
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for n, indicator in enumerate(indicators):
        for name in FIELDS:
            value = getattr(indicator, name if name != "dimension" else "dimension_id")
            data[f"indicators-{n}-{name}"] = "" if value is None else str(value)
        data[f"indicators-{n}-id"] = str(indicator.id)
        data[f"indicators-{n}-scheme"] = str(scheme.id)
    data.update(change or {})
    return FormSet(data, instance=scheme, prefix="indicators")


def test_weights_must_add_up_to_100(centre):
    scheme = scheme_create_default(centre=centre, valid_from=date(2026, 1, 1))
    assert _post_data(scheme).is_valid()
    formset = _post_data(scheme, {"indicators-0-weight": "7"})  # 6 → 7: 101
    assert not formset.is_valid()
    assert "101" in str(formset.non_form_errors())


def test_every_indicator_needs_a_source(centre):
    scheme = scheme_create_default(centre=centre, valid_from=date(2026, 1, 1))
    formset = _post_data(scheme, {"indicators-3-source": ""})
    assert not formset.is_valid()


def test_a_scheme_used_by_a_locked_month_is_frozen(centre, leader):
    scheme = scheme_create_default(centre=centre, valid_from=date(2026, 1, 1))
    run = scoring_run_month(centre=centre, month=date(2026, 1, 1), actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)
    formset = _post_data(scheme, {"indicators-0-weight": "5", "indicators-1-weight": "5"})  # still 100
    assert not formset.is_valid()
    assert "新建一个版本" in str(formset.non_form_errors())


def test_the_ranking_rules_of_a_frozen_scheme_are_read_only_in_the_admin(centre, leader, rf, admin):
    from django.contrib.admin.sites import site

    scheme = scheme_create_default(centre=centre, valid_from=date(2026, 1, 1))
    model_admin = site._registry[ScoringScheme]
    request = rf.get("/")
    request.user = admin
    assert "tie_rule" not in model_admin.get_readonly_fields(request, scheme)
    run = scoring_run_month(centre=centre, month=date(2026, 1, 1), actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)
    readonly = model_admin.get_readonly_fields(request, scheme)
    assert {"tie_rule", "star_share", "bottom_share", "bottom_min_headcount", "talk_working_days"} <= set(readonly)
