"""Warm-up selection by MSER-5, and ``warmup_days: auto`` in the scenario language.

Synthetic series use fixed numpy Generator seeds; the simulation tests take their seed
from :func:`tests.helpers.seed` like the other statistical tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from hospital_twin.experiment.runner import choose_warmup, run_scenario
from hospital_twin.experiment.warmup import (
    default_pilot_days,
    longest_mean_spell_h,
    mser,
    mser5,
    warmup_from_census,
)
from hospital_twin.reporting.charts import warmup_chart
from hospital_twin.scenario import load_scenario_text, scenario_json_schema
from hospital_twin.scenario.io import ScenarioError
from hospital_twin.scenario.schema import WarmupUnresolved
from tests.conftest import make, tiny
from tests.helpers import seed, single_unit, stay


def ar1(rng: np.random.Generator, n: int, phi: float = 0.8, sd: float = 5.0) -> np.ndarray:
    """A stationary AR(1) series with mean 0 and marginal standard deviation ``sd``."""
    eps = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + eps[i]
    return x


# ---------------------------------------------------------------- MSER-5 on synthetic series
N = 10_000
TAU = 200.0  # time constant of the transient, in observations
LEVEL = 100.0


@pytest.mark.parametrize("gen_seed", [1, 2, 3])
def test_mser5_truncates_an_exponential_transient_where_it_has_faded(gen_seed):
    """An exponential approach to a level plus AR(1) noise is cut between 2 and 6 time constants."""
    rng = np.random.Generator(np.random.PCG64(gen_seed))
    t = np.arange(N)
    y = LEVEL * (1 - np.exp(-t / TAU)) + ar1(rng, N)
    r = mser5(y)
    # 2 tau: the bias is still 13.5 (almost 3 noise sd); 6 tau: it is 0.25 (0.05 sd)
    assert 2 * TAU <= r.truncation <= 6 * TAU, r.truncation
    assert r.truncation % 5 == 0 and not r.inconclusive
    assert abs(r.truncated_mean - LEVEL) < 1.0


@pytest.mark.parametrize("gen_seed", [4, 5, 6])
def test_mser5_stationary_series_needs_no_truncation(gen_seed):
    """A series that starts in steady state is truncated at (or within 1% of) its start."""
    rng = np.random.Generator(np.random.PCG64(gen_seed))
    r = mser5(50.0 + ar1(rng, N))
    assert r.truncation <= 0.01 * N
    assert not r.inconclusive


def test_mser5_flags_a_series_still_trending_as_inconclusive():
    """A series that keeps rising has its MSER minimum at the search boundary: inconclusive."""
    rng = np.random.Generator(np.random.PCG64(7))
    t = np.arange(N)
    slow = LEVEL * (1 - np.exp(-t / (N / 2.5))) + ar1(rng, N)  # far from its level at the end
    r = mser5(slow)
    assert r.inconclusive
    assert r.truncation >= 0.45 * N  # the boundary is half the series


def test_mser5_statistic_follows_the_definition():
    """MSER(d) = sum over batches after d of squared deviations from their mean, over (k - d)^2."""
    rng = np.random.Generator(np.random.PCG64(8))
    y = rng.normal(size=103) + np.linspace(3, 0, 103)
    r = mser5(y)
    z = y[:100].reshape(20, 5).mean(axis=1)  # the trailing partial batch is dropped
    expected = [((z[d:] - z[d:].mean()) ** 2).sum() / (20 - d) ** 2 for d in range(11)]
    np.testing.assert_allclose(r.statistic, expected, rtol=1e-10)
    assert r.d_max == 10 and r.truncation == 5 * int(np.argmin(expected))
    assert mser(y, batch_size=1).statistic.shape == (52,)  # plain MSER: one observation per batch


def test_mser5_rejects_short_or_missing_data():
    """Fewer than four batches, missing values or a max_fraction outside (0, 1) are errors."""
    with pytest.raises(ValueError, match="at least 20 observations"):
        mser5(np.ones(19))
    with pytest.raises(ValueError, match="missing"):
        mser5(np.r_[np.ones(30), np.nan])
    with pytest.raises(ValueError, match="max_fraction"):
        mser5(np.ones(100), max_fraction=1.0)


def test_mser5_constant_series_truncates_nothing():
    """A constant series (a unit nobody uses) gets truncation 0, not an error."""
    r = mser5(np.zeros(500))
    assert r.truncation == 0 and not r.inconclusive


# ---------------------------------------------------------------- from census to a warm-up
def _census(series: dict[str, np.ndarray], reps: int = 2) -> pd.DataFrame:
    frames = []
    for rep in range(reps):
        for unit, y in series.items():
            frames.append(
                pd.DataFrame(
                    {
                        "rep": rep,
                        "unit": unit,
                        "time_h": np.arange(len(y), dtype=float),
                        "occupied": y,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def test_warmup_is_the_largest_choice_over_the_hospital_and_its_units():
    """The warm-up is the largest of the units' and the hospital's choices; all are kept."""
    rng = np.random.Generator(np.random.PCG64(9))
    n = 24 * 60
    t = np.arange(n)
    fast = 40 * (1 - np.exp(-t / 24.0)) + ar1(rng, n, sd=1.0)  # settles in a few days
    slow = 20 * (1 - np.exp(-t / 96.0)) + ar1(rng, n, sd=1.0)  # four times slower
    ed = 10 + ar1(rng, n, sd=1.0)  # an ED: not in ALL
    choice = warmup_from_census(_census({"AMU": fast, "WARD": slow, "ED": ed}), ["AMU", "WARD"])
    assert set(choice.by_unit) == {"ALL", "AMU", "WARD", "ED"}
    assert choice.by_unit["WARD"] > choice.by_unit["AMU"]
    assert choice.warmup_days == max(choice.by_unit.values()) == choice.by_unit[choice.driver]
    assert choice.driver in {"WARD", "ALL"}
    row = choice.table.set_index("unit").loc["WARD"]
    assert row["warmup_days"] == math.ceil(row["truncation_h"] / 24)
    all_curve = choice.curves[choice.curves["unit"] == "ALL"]
    np.testing.assert_allclose(all_curve["mean_census"].to_numpy(), fast + slow)  # ED left out
    assert all_curve["mser"].notna().sum() == choice.results["ALL"].d_max + 1


# ---------------------------------------------------------------- choose_warmup on a simulated unit
MEAN_H = 48.0  # exponential stays
LOAD = 1000.0  # mean census in steady state: large, so the pilot's mean series is precise
BEDS = 1130  # ~4 sd above the load: P(all beds busy) is negligible, the unit behaves as M/M/inf
PILOT_DAYS = 120.0


def mginf_settling_h(within: float, mean_h: float = MEAN_H) -> float:
    """Hours until the mean census of an empty M/G/inf unit is within ``within`` of steady state.

    m(t) = lambda E[S] P(S_e < t), with S_e the stationary excess of the stay S:
    P(S_e < t) = (1 / E[S]) * integral_0^t P(S > s) ds.
    """
    stay_dist = stats.expon(scale=mean_h)

    def excess_cdf(t: float) -> float:
        return integrate.quad(stay_dist.sf, 0.0, t)[0] / mean_h

    return optimize.brentq(lambda t: excess_cdf(t) - (1.0 - within), 1e-9, 100 * mean_h)


@pytest.fixture(scope="module")
def mmc_choice():
    scn = single_unit(
        beds=BEDS,
        when_full="queue",
        per_day=LOAD / MEAN_H * 24,
        los=stay("exponential", MEAN_H),
        horizon_days=30,
        warmup_days="auto",
        seed=seed(1301),
    )
    return choose_warmup(scn, pilot_days=PILOT_DAYS)


def test_mginf_settling_time_matches_the_exponential_closed_form():
    """For exponential stays the excess is exponential too: within 5% after E[S] ln 20."""
    assert mginf_settling_h(0.05) == pytest.approx(MEAN_H * math.log(20), rel=1e-6)


def test_choose_warmup_waits_until_the_mean_census_is_within_5_percent(mmc_choice):
    """The warm-up is at least the time the analytic mean census needs to get within 5%."""
    assert mmc_choice.warmup_days * 24 >= mginf_settling_h(0.05)  # 6.0 days
    assert mmc_choice.table.set_index("unit").loc["WARD", "truncated_mean"] == pytest.approx(LOAD, rel=0.02)


def test_choose_warmup_is_not_absurdly_long(mmc_choice):
    """The warm-up is conclusive and at most 3x the time to within 0.1% of steady state (13.8 days).

    MSER over-truncates now and then, when the mean series wanders for a week in steady
    state (in about 1 seed in 40 here the choice exceeds this bound); that costs data,
    not accuracy.
    """
    assert not mmc_choice.inconclusive
    assert mmc_choice.warmup_days * 24 <= 3 * mginf_settling_h(0.001)
    assert mmc_choice.pilot_days == PILOT_DAYS and mmc_choice.pilot_replications == 5


def test_chosen_warmup_resolves_an_auto_scenario_that_then_runs():
    """choose_warmup works on a 'warmup_days: auto' scenario and its result makes it runnable."""
    scn = single_unit(
        beds=30,
        when_full="queue",
        per_day=5,
        los=stay("exponential", 48.0),
        horizon_days=20,
        warmup_days="auto",
        replications=2,
        seed=seed(1302),
    )
    choice = choose_warmup(scn, pilot_replications=2)
    assert choice.pilot_days == 60.0  # the floor: 4 x a 2-day spell and a 20-day horizon are shorter
    resolved = choice.apply(scn)
    assert resolved.warmup_days == choice.warmup_days > 0
    r = run_scenario(resolved, keep_log=False)
    assert r.provenance["warmup_days"] == choice.warmup_days


def test_warmup_chart_shows_the_choice_for_every_series(mmc_choice):
    """The chart serialises within Altair's row limit and marks the chosen warm-up with a rule."""
    spec = warmup_chart(mmc_choice).to_dict()
    rows = sum(len(v) for v in spec["datasets"].values())
    assert rows <= 5000
    text = str(spec)
    assert "'rule'" in text and "chosen_days" in text
    with pytest.raises(ValueError, match="no warm-up curve"):
        warmup_chart(mmc_choice, units=["ICU"])


# ---------------------------------------------------------------- default pilot
def test_default_pilot_covers_the_horizon_and_four_longest_spells():
    """The default pilot is max(horizon + warm-up, 4 x longest mean spell, 60 days)."""
    long_stays = make(
        units={"ICU": {"beds": 10}, "WARD": {"beds": 40}},
        arrivals=[{"name": "adm", "unit": "ICU", "per_day": 2.0}],
        routes={"ICU": {"WARD": 0.5, "exit": 0.5}},
        length_of_stay={
            "ICU": {"distribution": "exponential", "mean_days": 4},
            "WARD": {"distribution": "exponential", "mean_days": 40},
        },
        horizon_days=10,
        warmup_days="auto",
    )
    assert longest_mean_spell_h(long_stays) == pytest.approx(24 * (4 + 0.5 * 40))  # 24 days
    assert default_pilot_days(long_stays) == pytest.approx(4 * 24)
    assert default_pilot_days(long_stays.model_copy(update={"horizon_days": 300.0})) == 300.0
    assert default_pilot_days(make(horizon_days=100, warmup_days=20)) == 120.0
    assert default_pilot_days(make(horizon_days=10, warmup_days="auto")) == 60.0


# ---------------------------------------------------------------- warmup_days: auto
_YAML = """
name: auto warm-up
start: 2025-01-06T00:00:00
horizon_days: 30
warmup_days: {warmup}
units: {{WARD: {{beds: 5}}}}
arrivals: [{{name: adm, unit: WARD, per_day: 2}}]
length_of_stay: {{WARD: {{distribution: exponential, mean_hours: 48}}}}
"""


def test_auto_warmup_validates_in_yaml():
    """'warmup_days: auto' is valid YAML scenario input and the JSON Schema allows it."""
    scn = load_scenario_text(_YAML.format(warmup="auto"))
    assert scn.warmup_days == "auto" and scn.warmup_is_auto
    options = scenario_json_schema()["properties"]["warmup_days"]["anyOf"]
    assert {"const": "auto", "type": "string"} in options


def test_warmup_h_of_an_unresolved_auto_scenario_raises_a_clear_error():
    """warmup_h and end_h of an 'auto' scenario raise, saying how to choose the warm-up."""
    scn = make(warmup_days="auto")
    with pytest.raises(WarmupUnresolved, match="warmup_days is 'auto'.*choose_warmup"):
        _ = scn.warmup_h
    with pytest.raises(ValueError, match="end_h is not known yet"):
        _ = scn.end_h


def test_bad_warmup_is_located_with_one_clear_message():
    """A negative or non-numeric warm-up is one error naming both accepted forms."""
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(_YAML.format(warmup="soon"))
    assert len(err.value.issues) == 1
    issue = err.value.issues[0]
    assert issue.field == "warmup_days" and issue.line == 5
    assert "number of days >= 0 or 'auto'" in issue.message
    with pytest.raises(ValueError, match="or 'auto'"):
        make(warmup_days=-1)


def test_with_warmup_returns_a_numeric_copy():
    """with_warmup returns a copy with a number; the original keeps 'auto'; bad numbers fail."""
    scn = make(warmup_days="auto", horizon_days=10)
    done = scn.with_warmup(np.int64(3))
    assert done.warmup_days == 3.0 and done.warmup_h == 72.0 and done.end_h == 13 * 24
    assert scn.warmup_is_auto
    with pytest.raises(ValueError):
        scn.with_warmup(-1)
    with pytest.raises(ValueError):
        scn.with_warmup("auto")  # type: ignore[arg-type]


def test_numeric_warmups_still_work():
    """A number (or a numeric string) of warm-up days keeps its meaning in hours."""
    assert make(warmup_days=2, horizon_days=10).warmup_h == 48.0
    assert make(**{**tiny(), "warmup_days": "1.5"}).warmup_h == 36.0
    assert load_scenario_text(_YAML.format(warmup=7)).end_h == 37 * 24


def test_cli_warmup_verb_prints_choice_and_writes_curves(tmp_path, capsys):
    """hospital-twin warmup prints the per-unit choice and writes the curves as HTML."""
    from hospital_twin.cli import main
    from tests.conftest import SCENARIOS

    out = tmp_path / "warmup.html"
    assert (
        main(
            [
                "warmup",
                str(SCENARIOS / "examples" / "icu_to_ward.yaml"),
                "--pilot-replications",
                "3",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "chosen warm-up:" in printed and "ICU" in printed
    assert out.stat().st_size > 10_000 and "vega" in out.read_text()


def test_cli_run_with_auto_warmup_records_the_choice(tmp_path):
    """A scenario with warmup_days: auto runs, and run.json says which warm-up MSER-5 chose."""
    import json

    from hospital_twin.cli import main
    from tests.conftest import SCENARIOS

    text = (SCENARIOS / "examples" / "icu_to_ward.yaml").read_text().replace("warmup_days: 20", "warmup_days: auto")
    f = tmp_path / "auto.yaml"
    f.write_text(text)
    out = tmp_path / "res"
    assert main(["run", str(f), "--replications", "2", "--workers", "1", "--out", str(out), "-q", "--no-report"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["warmup_auto"]["warmup_days"] > 0
    assert run["warmup_days"] == run["warmup_auto"]["warmup_days"]
