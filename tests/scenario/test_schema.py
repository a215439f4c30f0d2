"""The scenario models on their own (no files)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from hospital_twin.scenario import scenario_json_schema
from hospital_twin.scenario.schema import DistributionSpec, Scenario, ShiftSpec
from tests.conftest import make, tiny


@pytest.mark.parametrize(
    ("spec", "mean_h", "cv"),
    [
        ({"distribution": "exponential", "mean_hours": 10}, 10, 1.0),
        ({"distribution": "exponential", "mean_days": 2}, 48, 1.0),
        ({"distribution": "lognormal", "mean_hours": 120, "cv": 0.8}, 120, 0.8),
        ({"distribution": "gamma", "mean_minutes": 90, "cv": 0.5}, 1.5, 0.5),
        ({"distribution": "weibull", "mean_hours": 50, "cv": 1.3}, 50, 1.3),
        ({"distribution": "fixed", "value_hours": 3}, 3, 0.0),
    ],
)
def test_distribution_spec_converts_units_to_hours(spec, mean_h, cv):
    """mean_days / mean_minutes are converted to hours; mean and cv are honoured."""
    d = DistributionSpec.model_validate(spec).to_distribution()
    assert d.mean_h == pytest.approx(mean_h, rel=1e-9)
    assert d.cv == pytest.approx(cv, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("family", ["lognormal", "gamma", "weibull"])
def test_distribution_spec_median_p90(family):
    """Given median and p90, the distribution has exactly those quantiles."""
    d = DistributionSpec.model_validate(
        {"distribution": family, "median_hours": 48, "p90_hours": 200}
    ).to_distribution()
    assert d.ppf(0.5) == pytest.approx(48, rel=1e-6)
    assert d.ppf(0.9) == pytest.approx(200, rel=1e-6)


def test_distribution_spec_empirical_quantiles_and_samples():
    """Empirical stays interpolate their quantiles and never leave the sample range."""
    q = DistributionSpec.model_validate({"distribution": "empirical", "quantiles_days": {0.0: 1, 0.5: 3, 1.0: 10}})
    d = q.to_distribution()
    assert d.ppf(0.25) == pytest.approx(48)  # halfway between 1 and 3 days, in hours
    assert d.mean_h == pytest.approx((0.5 * 2 + 0.5 * 6.5) * 24)
    s = DistributionSpec.model_validate({"distribution": "empirical", "samples_hours": [5, 1, 3]}).to_distribution()
    assert s.ppf(0.0) == 1 and s.ppf(0.999999) <= 5


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"distribution": "lognormal", "mean_hours": 10}, "give cv"),
        ({"distribution": "lognormal", "median_hours": 10, "p90_hours": 5}, "greater than the median"),
        ({"distribution": "exponential", "mean_hours": 10, "cv": 2}, "cv 1"),
        ({"distribution": "gamma", "mean_hours": 10, "mean_days": 1, "cv": 1}, "once"),
        ({"distribution": "empirical", "quantiles_hours": {0.2: 1, 1.0: 3}}, "0.0 and 1.0"),
        ({"distribution": "empirical", "quantiles_hours": {0.0: 5, 1.0: 3}}, "not decrease"),
    ],
)
def test_distribution_spec_rejects_inconsistent_parameters(spec, words):
    """Inconsistent or incomplete parameters are refused with a reason."""
    with pytest.raises(ValidationError, match=words):
        DistributionSpec.model_validate(spec)


def test_scenario_semantic_errors_raise_on_direct_construction():
    """Building a Scenario in code runs the cross-field checks too."""
    with pytest.raises(ValidationError, match="unknown unit"):
        Scenario.model_validate(tiny(arrivals=[{"name": "a", "unit": "NOPE", "per_day": 1}]))


def test_scenario_routes_for_class_falls_back_to_shorthand():
    """A class's own routes override the shorthand only for the units it names."""
    scn = make(
        units={"A": {"beds": 1}, "B": {"beds": 1}, "C": {"beds": 1}},
        arrivals=[{"name": "a", "unit": "A", "per_day": 1, "patient_class": "surg"}],
        routes={"A": {"B": 1.0}, "B": {"exit": 1.0}},
        length_of_stay={u: {"distribution": "fixed", "value_hours": 1} for u in "ABC"},
        patient_classes={"surg": {"routes": {"A": {"C": 1.0}}}},
    )
    assert scn.routes_for("surg") == {"A": {"C": 1.0}, "B": {"exit": 1.0}}
    assert scn.routes_for("other") == {"A": {"B": 1.0}, "B": {"exit": 1.0}}


def test_scenario_undeclared_class_is_refused_when_classes_are_declared():
    """A typo in a class name is caught once classes are declared."""
    with pytest.raises(ValidationError, match="unknown patient class 'medcal'"):
        make(
            arrivals=[{"name": "a", "unit": "WARD", "per_day": 1, "patient_class": "medcal"}],
            patient_classes={"medical": {}},
        )


def test_shift_spec_reads_clock_times_and_sexagesimal_ints():
    """'07:30' and YAML 1.1's 450 (07:30 unquoted) both mean 7.5 h; shifts may cross midnight."""
    assert ShiftSpec(start="07:30", end="20:00").start_h == 7.5
    assert ShiftSpec.model_validate({"start": 450, "end": 1200}).end_h == 20.0
    with pytest.raises(ValidationError):
        ShiftSpec(start="7h", end="20:00")


def test_scenario_shifts_must_tile_the_day():
    """Shifts that leave a gap or overlap are refused when staffing uses them."""
    staffing = {"units": {"WARD": {"patients_per_nurse": 5, "nurses": {"day": 2, "night": 1}}}}
    with pytest.raises(ValidationError, match="uncovered from 19:00"):
        make(
            shifts={"day": {"start": "07:00", "end": "19:00"}, "night": {"start": "20:00", "end": "07:00"}},
            staffing=staffing,
        )
    with pytest.raises(ValidationError, match="overlap"):
        make(
            shifts={"day": {"start": "07:00", "end": "21:00"}, "night": {"start": "20:00", "end": "07:00"}},
            staffing=staffing,
        )
    ok = make(
        shifts={"day": {"start": "07:00", "end": "20:00"}, "night": {"start": "20:00", "end": "07:00"}},
        staffing=staffing,
    )
    assert ok.staffing.units["WARD"].nurses["night"] == 1


def test_scenario_window_properties():
    """warmup_h and end_h are in hours."""
    scn = make(horizon_days=10, warmup_days=2)
    assert scn.warmup_h == 48 and scn.end_h == 288 and not math.isnan(scn.end_h)


def test_json_schema_describes_the_language():
    """The JSON Schema names the contract's keys so editors can complete them."""
    schema = scenario_json_schema()
    assert schema["title"] == "hospital_twin scenario"
    text = str(schema)
    for key in ("when_full", "per_day", "hour_of_day", "length_of_stay", "mean_hours", "extends", "from"):
        assert key in text
