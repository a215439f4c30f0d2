"""Points to note and the offered-load table, as plain text: one source for the terminal, report.html and the app.

- :func:`load_table`: the offered load of every unit (:func:`hospital_twin.scenario.load.offered_load`)
  as rows of formatted strings: unit, beds, arrivals a day, mean bed hold, discharge hold, offered load,
  load per bed, the Erlang figure (P(block) for a ``reject`` unit, P(wait) for a ``queue`` unit) and the
  Erlang-C mean wait; with a simulated occupancy column when a summary is given;
- :func:`pathway_table`: the discharge pathways of the same :class:`LoadReport` (demand and capacity a
  day, utilisation, queue wait, NCTR delay and NCTR patients), with the simulated NCTR delay when a
  summary is given;
- :func:`points_to_note`: what a manager should see first after a run, read off the summary (units full
  at least 5% of the time, ED 4-hour performance, intervals reaching below zero), the event log (weeks
  in which the ED locked up) and the scenario (overloaded units, from the offered load).

Plain strings (no HTML, no terminal markup): the report escapes them, the CLI and the app print them.
Pure: scenarios and DataFrames in, strings out; no files.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hospital_twin._lazy import lazy_module
from hospital_twin.reporting.figures import FOUR_HOUR_STANDARD, ed_four_hours, format_value
from hospital_twin.results import GRIDLOCK_RULE, METRIC_LABELS
from hospital_twin.scenario.load import LoadReport, PathwayLoad, UnitLoad, offered_load
from hospital_twin.scenario.schema import Scenario

if TYPE_CHECKING:  # imported on first use, not at start-up (see hospital_twin._lazy.lazy_module)
    import pandas as pd
else:
    pd = lazy_module("pandas", globals(), "pd")

__all__ = [
    "LOAD_COLUMNS",
    "LOAD_NOTE",
    "PATHWAY_COLUMNS",
    "PATHWAY_NOTE",
    "gridlock_caveat",
    "gridlock_count",
    "gridlock_line",
    "load_table",
    "pathway_growing_notes",
    "pathway_table",
    "points_to_note",
]

LOAD_COLUMNS = [
    "unit",
    "beds",
    "arrivals/day",
    "hold h",
    "disch. hold h",
    "offered load",
    "load/beds",
    "Erlang",
    "Erlang wait h",
]
"""Columns of :func:`load_table` (``simulated`` is added after ``offered load`` when a summary is given)."""

LOAD_NOTE = (
    "Erlang: 'wait' is the probability of waiting for a bed, 'block' of being turned away. "
    "Offered load = arrivals per hour x mean time holding a bed (stay + share going home x discharge hold + "
    "cleaning), from the traffic equations per patient class. Waits, blocking, decision-to-admit waits in the ED and its wait "
    "for a clinician are not in it, so it is a lower bound where units queue or block. Erlang: P(block) of "
    "M/G/c/c for a unit that turns patients away, P(wait) of M/M/c for a unit that queues, with the M/M/c "
    "mean wait; each unit alone with Poisson arrivals at the average rate: a sanity band, indicative only "
    "for non-exponential stays, time-varying arrivals and elective lists (*)."
)
"""What the offered-load table shows and leaves out, for a caption."""


PATHWAY_COLUMNS = [
    "pathway",
    "service",
    "demand/day",
    "capacity/day",
    "use",
    "wait h",
    "NCTR delay h",
    "NCTR beds",
]
"""Columns of :func:`pathway_table` (``simulated delay h`` is added after ``NCTR delay h`` with a summary)."""

PATHWAY_NOTE = (
    "Discharge pathways: demand = ready patients a day taking the pathway (traffic equations x share "
    "leaving the hospital x pathway share); use = demand / capacity (at 100% or more the queue, and NCTR, grow "
    "without bound: ∞). Wait: in the pathway's queue, after any assessment in the bed; a pool's is the M/M/c "
    "(Erlang C) wait, indicative for non-exponential place stays; a daily pathway's is the exact mean of its "
    "daily-starts queue for Poisson arrivals (the wait to the next start plus the days left behind). NCTR "
    "delay = assessment in the bed + wait, from ready to leaving the bed; NCTR beds = demand x NCTR delay "
    "(Little's law): hospital beds held by patients ready to leave."
)
"""What the pathway table shows, for a caption."""


def _num(x: float, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x:,.{digits}f}"


def _erlang(u: UnitLoad) -> str:
    if u.erlang == "B":
        return f"block {100 * (u.p_block or 0.0):.1f}%"
    return f"wait {100 * (u.p_wait or 0.0):.1f}%"


def load_table(scenario: Scenario, summary: pd.DataFrame | None = None) -> tuple[list[dict[str, str]], LoadReport]:
    """Rows of formatted strings, one per unit, and the :class:`LoadReport` they come from.

    With ``summary`` (the run's summary table), a ``simulated`` column gives the mean simulated
    occupancy of the unit beside its offered load (cleaning is not occupancy: the offered load
    without cleaning is what to compare it with; the difference is in the hold).
    """
    report = offered_load(scenario)
    rows = []
    for u in report.units:
        row = {
            "unit": u.unit + (" *" if u.scheduled_share > 0 else ""),
            "beds": str(u.beds) + (f"+{u.escalation_beds}" if u.escalation_beds else ""),
            "arrivals/day": _num(u.arrivals_per_day),
            "hold h": _num(u.hold_h),
            "disch. hold h": _num(u.discharge_hold_h) if u.home_share > 0 else "–",
            "offered load": _num(u.load_beds),
        }
        if summary is not None:
            hit = summary[
                (summary["metric"] == "occupancy_mean")
                & (summary["unit"] == u.unit)
                & (summary["scenario"] == scenario.name if "scenario" in summary.columns else True)
            ]
            row["simulated"] = _num(float(hit["mean"].iloc[0])) if len(hit) else "–"
        row["load/beds"] = _num(u.load_ratio, 2)
        row["Erlang"] = _erlang(u)
        row["Erlang wait h"] = _num(u.wait_mean_h, 2) if u.wait_mean_h is not None else "–"
        rows.append(row)
    return rows, report


def _service(p: PathwayLoad, scenario: Scenario) -> str:
    spec = scenario.discharge_pathways.get(p.pathway)
    if p.kind == "pool":
        text = f"{p.places} places, {(p.place_hold_h or 0.0) / 24.0:.1f} d each ({_num(p.places_in_use)} in use)"
    elif p.kind == "daily" and spec is not None:
        week = spec.starts_week()
        per = f"{week[0]:g} a day" if len(set(week)) == 1 else "Mon-Sun " + "/".join(f"{x:g}" for x in week)
        hour = spec.start_hour
        text = f"{per} at {int(hour):02d}:{int(round(60 * (hour % 1))):02d}"
    else:
        text = "no limit"
    if spec is not None and spec.assessment is not None:
        where = "in the bed" if spec.assessment_in == "hospital" else "in the community"
        text += f"; assessment {spec.assessment.to_distribution().mean_h:.0f} h {where}"
    return text


def pathway_table(
    scenario: Scenario, report: LoadReport | None = None, summary: pd.DataFrame | None = None
) -> list[dict[str, str]]:
    """Rows of formatted strings, one per discharge pathway of ``scenario`` (none without pathways).

    ``report`` is the scenario's :class:`LoadReport` (computed when not given, e.g. the one
    :func:`load_table` returns). With ``summary``, a ``simulated delay h`` column gives the run's mean
    NCTR delay on the pathway (``nctr_delay_mean_h``) beside the offered one.
    """
    report = report if report is not None else offered_load(scenario)
    rows = []
    for p in report.pathways:
        row = {
            "pathway": p.pathway + (f" ({p.label})" if p.label else ""),
            "service": _service(p, scenario),
            "demand/day": _num(p.demand_per_day),
            "capacity/day": _num(p.capacity_per_day),
            "use": "–" if math.isinf(p.capacity_per_day) else f"{_num(100 * p.utilisation, 0)}%",
            "wait h": _num(p.wait_mean_h),
            "NCTR delay h": _num(p.nctr_delay_h),
        }
        if summary is not None:
            hit = summary[
                (summary["metric"] == "nctr_delay_mean_h")
                & (summary["unit"] == p.pathway)
                & (summary["scenario"] == scenario.name if "scenario" in summary.columns else True)
            ]
            row["simulated delay h"] = _num(float(hit["mean"].iloc[0])) if len(hit) else "–"
        row["NCTR beds"] = _num(p.nctr_beds)
        rows.append(row)
    return rows


def points_to_note(scenario: Scenario, summary: pd.DataFrame, log: pd.DataFrame | None, replications: int) -> list[str]:
    """Plain statements a manager should see first, read off the summary, the event log and the offered load."""
    s = scenario
    mine = summary[summary["scenario"] == s.name] if "scenario" in summary.columns else summary
    notes = list(offered_load(s).warnings)

    def mean_of(metric: str, unit: str) -> float | None:
        r = mine[(mine["metric"] == metric) & (mine["unit"] == unit)]
        return float(r["mean"].iloc[0]) if len(r) else None

    full = [
        u
        for u, spec in s.units.items()
        if spec.ed is None and spec.kind != "ed" and (mean_of("occupancy_p95", u) or -1) >= spec.beds
    ]
    if full:
        notes.append(
            f"Full at least 5% of the time (95th percentile of occupied beds at the bed count): {', '.join(full)}."
        )
    for u, spec in s.units.items():
        breach = mean_of("ed_4h_breach_share", u)
        if spec.ed is not None and breach is not None:
            within = 1 - breach
            notes.append(
                f"{u}: {100 * within:.1f}% of attendances left within 4 hours, "
                f"{'below' if within < FOUR_HOUR_STANDARD else 'meeting'} the {FOUR_HOUR_STANDARD:.0%} standard."
            )
    if log is not None:
        _, weeks = ed_four_hours(log, [s])
        bad = weeks[weeks["lo"] < 0.25]
        if len(bad):
            notes.append(
                f"In at least one replication the emergency department locked up: in {len(bad)} week(s) "
                f"(first from {bad['date'].min():%d %b %Y}) fewer than 25% of attendances left within 4 hours, "
                "with admitted patients waiting in the cubicles for a ward bed (trolley waits). Such episodes widen "
                "every interval."
            )
    line = gridlock_line(summary, s.name)
    if line and not line.startswith("0 of"):
        notes.insert(0, line + "; their figures are included in the means.")
    notes += pathway_growing_notes(mine)
    wide = mine[(mine["ci_low"] < 0) & (mine["mean"] > 0)]
    if len(wide):
        notes.append(
            f"{len(wide)} interval(s) reach below zero for quantities that cannot be negative: the "
            f"{replications} replications are too few for them; more replications narrow them."
        )
    return notes


# --------------------------------------------------------------------------- discharge pathways
def pathway_growing_notes(summary: pd.DataFrame) -> list[str]:
    """A sentence per discharge pathway whose NCTR grew without bound in some replication (``pathway_growing_share``
    above 0 in one scenario's summary), with its load and delay: such a figure depends on the run's length."""
    rows = summary[(summary["metric"] == "pathway_growing_share") & (summary["mean"] > 0)]
    out = []
    for r in rows.itertuples():

        def mean_of(metric: str, unit: str = r.unit) -> float:
            hit = summary[(summary["metric"] == metric) & (summary["unit"] == unit)]
            return float(hit["mean"].iloc[0]) if len(hit) else math.nan

        n = int(r.n_reps)
        k = round(float(r.mean) * n)
        out.append(
            f"Discharge pathway {r.unit} cannot keep up: in {k} of {n} replication{'s' if n != 1 else ''} its NCTR "
            f"grew through the run (patients ready for it / starts it could offer: {_num(mean_of('pathway_load_ratio'), 2)}; "
            f"delay from ready to leaving {_num(mean_of('nctr_delay_mean_h'))} h on average, still rising). Its NCTR "
            "and delays have no steady state and depend on the run's length: raise its capacity or lower its share."
        )
    return out


# --------------------------------------------------------------------------- gridlock
def gridlock_count(summary: pd.DataFrame, scenario: str | None = None) -> tuple[int, int] | None:
    """``(gridlocked, replications)`` of a scenario from its summary's ``gridlocked_share`` (None without it)."""
    mine = (
        summary if scenario is None or "scenario" not in summary.columns else summary[summary["scenario"] == scenario]
    )
    r = mine[(mine["metric"] == "gridlocked_share") & (mine["unit"] == "ALL")]
    if r.empty:
        return None
    n = int(r["n_reps"].iloc[0])
    return round(float(r["mean"].iloc[0]) * n), n


def gridlock_line(summary: pd.DataFrame, scenario: str | None = None) -> str:
    """'k of n replications gridlocked (rule: ...)', or '' when the summary has no such metric."""
    count = gridlock_count(summary, scenario)
    if count is None:
        return ""
    k, n = count
    return f"{k} of {n} replication{'s' if n != 1 else ''} gridlocked (rule: {GRIDLOCK_RULE})"


def gridlock_caveat(row) -> str:
    """For a row of a comparison: why its difference is driven by gridlocked replications, or ''.

    ``row`` is a mapping or named tuple with the gridlock columns of
    :func:`hospital_twin.experiment.comparison.paired_differences` (older comparisons without them give '').
    """
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    driven = get("gridlock_driven", False)
    if not (driven is True or str(driven).lower() in ("true", "1")):
        return ""
    k_var, k_base = int(get("scenario_gridlocked_reps", 0)), int(get("baseline_gridlocked_reps", 0))
    without = get("diff_mean_without_gridlocked", math.nan)
    why = f"gridlocked replications: {k_var} in the what-if, {k_base} in the baseline"
    try:
        without = float(without)
    except (TypeError, ValueError):
        without = math.nan
    kind = METRIC_LABELS.get(str(get("metric", "")), ("", ""))[1]
    shown = format_value(without, kind, diff=True) if kind else f"{without:+.3g}"
    rest = f"; without them the mean difference is {shown}" if math.isfinite(without) else ""
    return f"driven by {why}{rest}"
