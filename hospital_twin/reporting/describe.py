"""A scenario in words: a STRESS-DES style model description generated from a Scenario.

STRESS-DES (Monks et al., "Strengthening the reporting of empirical simulation studies:
Introducing the STRESS guidelines", Journal of Simulation 13(1), 2019) asks a report of a
discrete-event simulation to state its objectives and outputs, its logic (entities,
activities, resources, queues, entry and exit points), its data and assumptions, how it
was experimented with (initialisation, run length, replications, estimation) and how it
was implemented. :func:`describe_scenario` writes those sections from the scenario
itself, so the words always match what was simulated.

Every section is ``(heading, markdown)``; markdown renders in Streamlit
(``st.markdown``) and in the HTML report (through markdown-it). Names taken from the
scenario are escaped so that a unit called ``A_B*`` prints as written.

Pure: objects in, strings out; no file access.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import networkx as nx

from hospital_twin.reporting.figures import pathway_capacity_words
from hospital_twin.results import METRIC_LABELS, METRICS
from hospital_twin.scenario.schema import (
    EXIT,
    DischargeSpec,
    DistributionSpec,
    Scenario,
    UnitSpec,
)

__all__ = [
    "Section",
    "describe_scenario",
    "describe_differences",
    "distribution_text",
    "duration_text",
    "discharge_text",
    "md_escape",
    "relevant_metrics",
]

Section = tuple[str, str]
"""``(heading, markdown text)``."""

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_KIND = {
    "ward": "ward",
    "icu": "intensive care",
    "hdu": "high dependency",
    "assessment": "assessment unit",
    "ed": "emergency department",
    "other": "other",
}
_MD_SPECIAL = set("\\`*_[]<>|~$")


# --------------------------------------------------------------------------- formatting
def md_escape(text: Any) -> str:
    """Escape markdown punctuation in a name taken from the scenario."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text))


def _num(x: float, digits: int = 1) -> str:
    """A number without needless decimals: 3 -> '3', 2.5 -> '2.5', 1234.5 -> '1,234.5'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%"


def _share(p: float) -> str:
    """A probability as a percentage with at most one decimal: 0.985 -> '98.5%', 0.36 -> '36%'."""
    return _num(round(100 * p, 1), 1) + "%"


def duration_text(hours: float) -> str:
    """A duration for people: minutes under an hour, hours under two days, then days (and hours)."""
    if hours is None or math.isnan(hours):
        return "–"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d ({hours:.0f} h)"


def _timestamp(text: str) -> str:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    zone = " UTC" if t.utcoffset() == dt.timedelta(0) else (f" {t:%z}" if t.tzinfo else "")
    return f"{t:%Y-%m-%d %H:%M:%S}{zone}"


def _clock(h: float) -> str:
    h = h % 24 if h != 24 else 24
    return f"{int(h):02d}:{round((h - int(h)) * 60):02d}"


def _date(d: dt.datetime) -> str:
    s = f"{d:%a} {d.day} {d:%b %Y}"
    if d.hour or d.minute:
        s += f" {d:%H:%M}"
    return s


def distribution_text(spec: DistributionSpec) -> str:
    """The distribution as the scenario gives it, e.g. 'lognormal (median 10 h, p90 30 h)'."""
    parts = []
    for key, value in spec.model_dump(exclude_none=True).items():
        if key == "distribution":
            continue
        stem, _, unit = key.rpartition("_")
        if key == "cv":
            parts.append(f"cv {_num(value, 2)}")
        elif stem in ("mean", "median", "p90", "value"):
            abbrev = {"hours": "h", "days": "d", "minutes": "min"}[unit]
            parts.append(f"{stem} {_num(value, 2)} {abbrev}")
        elif stem == "quantiles":
            parts.append(f"{len(value)} quantiles in {unit}")
        elif stem == "samples":
            parts.append(f"{len(value)} observed values in {unit}")
    return f"{spec.distribution} ({', '.join(parts)})" if parts else spec.distribution


def _dist_row(spec: DistributionSpec) -> list[str]:
    d = spec.to_distribution()
    return [
        distribution_text(spec),
        duration_text(d.mean_h),
        duration_text(d.ppf(0.5)),
        duration_text(d.ppf(0.9)),
        f"{d.cv:.2f}",
    ]


def _table(header: list[str], rows: Iterable[list[str]], align: list[str] | None = None) -> str:
    rows = list(rows)
    align = align or ["l"] * len(header)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c).replace("\n", " ") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _profile_text(weights: list[float] | None, labels: list[str], what: str) -> str:
    if weights is None:
        return f"flat over the {what}"
    mean = sum(weights) / len(weights)
    rel = [w / mean for w in weights]
    if what == "day":
        hi = max(range(24), key=lambda i: rel[i])
        lo = min(range(24), key=lambda i: rel[i])
        return f"busiest {labels[hi]} ({rel[hi]:.2f}× the mean hourly rate), quietest {labels[lo]} ({rel[lo]:.2f}×)"
    return ", ".join(f"{labels[i]} {rel[i]:.2f}×" for i in range(len(rel)))


def discharge_text(policy: DischargeSpec | None) -> str:
    """When patients may go home under a discharge policy, in words."""
    if policy is None or not policy.holds:
        return "any hour, any day"
    parts = []
    if policy.window_hours is not None:
        a, b = policy.window_hours
        parts.append(f"only between {_clock(a)} and {_clock(b)}")
    if policy.hourly_profile is not None:
        w = list(policy.hourly_profile)
        if policy.window_hours is not None:
            a, b = policy.window_hours
            w = [x if a <= h < b else 0.0 for h, x in enumerate(w)]
        total = sum(w)
        noon = sum(w[:12]) / total
        five = sum(w[:17]) / total
        peak = max(range(24), key=lambda h: w[h])
        parts.append(
            f"at an hour drawn from an hourly profile ({_pct(noon)} before noon, {_pct(five)} before 17:00, "
            f"peak {_clock(peak)}–{_clock(peak + 1)})"
        )
    if policy.day_of_week is not None:
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        passes = ", ".join(f"{d} {_pct(x)}" for d, x in zip(days, policy.day_pass(), strict=True))
        parts.append(f"share of those ready who may leave each day: {passes}; the others try the next day")
    elif policy.weekend_rate >= 1:
        parts.append("weekends as weekdays")
    elif policy.weekend_rate == 0:
        parts.append("nobody goes home at weekends (they wait for Monday)")
    else:
        parts.append(f"at weekends {_pct(policy.weekend_rate)} of those ready may leave; the others wait for Monday")
    if policy.ready_cutoff_hour is not None:
        parts.append(f"patients ready from {_clock(policy.ready_cutoff_hour)} on go out the next day")
    return "; ".join(parts)


def _is_ed(spec: UnitSpec) -> bool:
    return spec.ed is not None or spec.kind == "ed"


def _turns_away(u: UnitSpec) -> bool:
    """True if the unit turns away some requests when it is full (external arrivals or transfers)."""
    return u.when_full == "reject" or u.transfers_when_full == "reject"


def _dest(d: str) -> str:
    return "leaves hospital" if d == EXIT else md_escape(d)


_OUTLIER_METRICS = {"outlier_admissions", "outlier_share", "outlier_bed_days", "repatriations", "outliers_hosted_mean"}


def _has_pathways(scenario: Scenario, metric: str) -> bool:
    """Does the scenario produce this discharge-pathway metric (pathways with shares; a pool, a capacity)?"""
    pathways = scenario.discharge_pathways
    if not pathways or not any(scenario.pathway_shares_for(c) for c in scenario.class_names()):
        return False
    if metric in ("pathway_occupancy_mean", "pathway_places_mean"):
        return any(p.kind == "pool" for p in pathways.values())
    if metric.startswith(("pathway_load", "pathway_growing")):
        return any(p.kind != "unlimited" for p in pathways.values())
    return True


def relevant_metrics(scenario: Scenario) -> list[str]:
    """The metrics this scenario produces (ED measures only with an ED, and so on)."""
    has_ed = any(u.ed is not None for u in scenario.units.values())
    out = []
    for m in METRICS:
        if m.startswith("ed_") and not has_ed:
            continue
        if m.startswith("cancelled") and not scenario.electives:
            continue
        levels = scenario.escalation_levels
        if m == "escalation_beds_open_mean" and not (
            any(u.escalation for u in scenario.units.values())
            or any(lv.actions.open_beds or lv.actions.ed_spaces for g in levels.values() for lv in g.levels)
        ):
            continue
        if (m.startswith("hours_at_level") or m.startswith("escalation_actions")) and not levels:
            continue
        if m == "elective_postponed" and not any(
            lv.actions.postpone_electives for g in levels.values() for lv in g.levels
        ):
            continue
        if m.startswith("ratio_breach") and scenario.staffing is None:
            continue
        if m.startswith("rejected") and not any(_turns_away(u) for u in scenario.units.values()):
            continue
        if m in _OUTLIER_METRICS and not any(u.outlying for u in scenario.units.values()):
            continue
        if m.startswith("lounge_") and not scenario.discharge_lounges:
            continue
        if m.startswith(("nctr_", "pathway_")) and not _has_pathways(scenario, m):
            continue
        if m.startswith("left_without_being_seen") and not any(a.patience for a in scenario.arrivals):
            continue
        if m in ("elective_rebooked", "elective_cancelled_final", "elective_rebook_pending") and not any(
            e.max_rebookings for e in scenario.electives
        ):
            continue
        out.append(m)
    return out


# --------------------------------------------------------------------------- sections
def _objectives(s: Scenario, provenance: dict | None) -> Section:
    inpatient = [n for n, u in s.units.items() if not _is_ed(u)]
    beds = sum(s.units[n].beds for n in inpatient)
    eds = [n for n, u in s.units.items() if _is_ed(u)]
    text = [f"**{md_escape(s.name)}**." + (f" {md_escape(s.description)}" if s.description else "")]
    text.append(
        f"\n\n**Purpose.** The model follows patients through {len(s.units)} hospital unit(s) "
        f"({', '.join(md_escape(n) for n in s.units)}): {beds:,} inpatient beds"
        + (f" and an emergency department ({', '.join(md_escape(e) for e in eds)})" if eds else "")
        + ". It estimates how full the beds are, how long patients wait for one, how often beds are "
        "held by patients who cannot move on"
        + (", how long patients spend in the emergency department" if eds else "")
        + (", how many leave it without being seen" if any(a.patience for a in s.arrivals) else "")
        + (
            ", how many patients are placed on other units' beds (outliers)"
            if any(u.outlying for u in s.units.values())
            else ""
        )
        + (", how many planned operations are cancelled" if s.electives else "")
        + (" and rebooked" if any(e.max_rebookings for e in s.electives) else "")
        + (", how the discharge lounges are used" if s.discharge_lounges else "")
        + (" and how often nurses are stretched beyond their ratio" if s.staffing else "")
        + "."
    )
    rows = []
    for m in relevant_metrics(s):
        label, unit = METRIC_LABELS.get(m, (m, ""))
        definition = METRICS[m]
        for suffix in ("; count", "; hours"):
            definition = definition.removesuffix(suffix)
        rows.append([md_escape(label), unit, md_escape(definition)])
    text.append(
        "\n\n**Outputs.** Every measure is taken after the warm-up, per unit and for the hospital as a whole "
        "(`ALL`: the inpatient units, every measure about inpatient admissions, so that admissions x spell = "
        "occupied beds; emergency department cubicles are not beds, and attendances have their own measure). "
        "Each is averaged over replications with a 95% interval.\n\n"
        + _table(["measure", "measured in", "definition"], rows)
    )
    return "1. Objectives", "".join(text)


def _units(s: Scenario) -> Section:
    rows = []
    for name, u in s.units.items():
        turn = "none"
        if u.turnaround is not None:
            turn = distribution_text(u.turnaround)
        elif u.turnaround_hours:
            turn = duration_text(u.turnaround_hours)
        esc = (
            f"+{u.escalation.beds} (open at {_pct(u.escalation.open_at)}, close below {_pct(u.escalation.close_below)})"
            if u.escalation
            else "–"
        )
        changes = "; ".join(f"{_date(c.at)}: {c.beds} beds" for c in u.capacity_changes) or "–"
        full = "arrivals " + ("wait in a queue" if u.when_full == "queue" else "turned away")
        full += "; transfers " + ("wait in their bed" if u.transfers_when_full == "block" else "turned away")
        rows.append(
            [
                f"**{md_escape(name)}**",
                _KIND[u.kind] + (" (with clinicians)" if u.ed else ""),
                f"{u.beds:,}" + (" cubicles" if _is_ed(u) else ""),
                full,
                turn,
                esc,
                changes,
            ]
        )
    outlying = any(u.outlying for u in s.units.values())
    text = (
        "Patients are the entities; beds (cubicles in an emergency department) are the resources. A patient "
        "asks a unit for a bed; if none is free it waits in that unit's queue (lower priority number first, "
        "then first come first served) or is turned away, as the unit says (`when_full`)"
        + ("; a unit with outlying rules may place it in another unit's bed instead (below)" if outlying else "")
        + ". When its stay ends it "
        "moves on along its route; if the next unit is full it keeps its current bed (blocking) until a bed "
        "frees, unless that unit turns transfers away (`transfers_when_full: reject`: it then leaves the "
        "hospital). An emergency department patient with a decision to admit is such a transfer: it boards in "
        "its cubicle. A patient going home "
        "waits for the discharge policy. A freed bed is cleaned before the next patient.\n\n"
        + _table(
            ["unit", "kind", "beds", "when full", "bed cleaning", "escalation beds", "planned changes"],
            rows,
            ["l", "l", "r", "l", "l", "l", "l"],
        )
    )
    return "2. Logic: units and beds", text


def _arrivals(s: Scenario) -> Section:
    parts = []
    if s.arrivals:
        rows = []
        for a in s.arrivals:
            classes = a.classes()
            who = ", ".join(
                f"{md_escape(c)} {_share(p)}" if len(classes) > 1 else md_escape(c) for c, p in classes.items()
            )
            mult = (
                "; ".join(
                    f"×{_num(m.factor, 2)} {m.from_:%d %b %Y}–{m.to:%d %b %Y}"
                    + (f" ({md_escape(m.label)})" if m.label else "")
                    for m in a.multipliers
                )
                or "–"
            )
            rows.append(
                [
                    md_escape(a.name),
                    md_escape(a.unit),
                    _num(a.per_day, 2),
                    who,
                    md_escape(a.source or "–"),
                    _profile_text(a.hour_of_day, [_clock(h) for h in range(24)], "day"),
                    _profile_text(a.day_of_week, _DAYS, "week") if a.day_of_week else "flat over the week",
                    mult,
                ]
            )
        total = sum(a.per_day for a in s.arrivals)
        parts.append(
            f"Unplanned arrivals are Poisson streams whose rate follows the clock: the mean per day times the "
            f"hour-of-day and day-of-week profiles (each scaled to mean 1) and any dated multipliers. "
            f"{_num(total, 1)} arrivals a day in all, before multipliers.\n\n"
            + _table(
                [
                    "stream",
                    "unit",
                    "per day",
                    "patient class",
                    "source",
                    "hour of day",
                    "day of week",
                    "dated multipliers",
                ],
                rows,
                ["l", "l", "r", "l", "l", "l", "l", "l"],
            )
        )
    else:
        parts.append("No unplanned arrivals.")
    return "2. Logic: arrivals (entry points)", "\n\n".join(parts)


def _electives(s: Scenario) -> Section | None:
    if not s.electives:
        return None
    rows = []
    for e in s.electives:
        days = ", ".join(f"{_DAYS[i]} {_num(n)}" for i, n in enumerate(e.per_weekday) if n) or "none"
        rows.append(
            [
                md_escape(e.name),
                md_escape(e.unit),
                days,
                _num(sum(e.per_weekday) / 7, 2),
                _clock(e.hour),
                duration_text(e.cancel_after_hours),
                md_escape(e.patient_class),
            ]
        )
    text = (
        "Planned admissions arrive on fixed weekdays at a clock hour and need a bed then; one that finds "
        "no bed within the cancellation limit is cancelled (and counted).\n\n"
        + _table(
            [
                "list",
                "unit",
                "booked per weekday",
                "per day (mean)",
                "needs bed at",
                "cancelled after",
                "patient class",
            ],
            rows,
            ["l", "l", "l", "r", "l", "l", "l"],
        )
    )
    for e in s.electives:
        if e.max_rebookings:
            text += (
                f"\n\nA patient of list **{md_escape(e.name)}** who is cancelled is booked again "
                f"{e.rebook_after_days} day{'s' if e.rebook_after_days != 1 else ''} after the day of the "
                f"cancellation, at the list's hour, up to {e.max_rebookings} time"
                f"{'s' if e.max_rebookings != 1 else ''}; cancelled once more, it is cancelled for good."
            )
    return "2. Logic: elective lists", text


def _reach(s: Scenario, cls: str) -> list[str]:
    """Units a class can reach, in the order a patient meets them (breadth first from its entry units)."""
    g = s.route_graph(cls)
    entries = [u for u in s.units if u in s.entry_units(cls)]
    order: list[str] = []
    for e in entries:
        for u in [e, *(v for _, v in nx.bfs_edges(g, e))]:
            if u != EXIT and u not in order:
                order.append(u)
    return order


def _routes(s: Scenario) -> Section:
    blocks = []
    for c in s.class_names():
        pc = s.patient_classes.get(c)
        entries = [
            f"{md_escape(a.unit)} ({md_escape(a.name)}, {_num(a.per_day * a.classes()[c], 2)}/day)"
            for a in s.arrivals
            if c in a.classes()
        ]
        entries += [f"{md_escape(e.unit)} ({md_escape(e.name)}, elective)" for e in s.electives if e.patient_class == c]
        head = f"**{md_escape(c)}**" + (f" (bed-queue priority {pc.priority})" if pc and pc.priority else "")
        if pc and pc.priority_after:
            head += (
                f" (priority {pc.priority_after.priority} once a request has waited "
                f"{duration_text(pc.priority_after.hours)})"
            )
        head += f" — enters at {', '.join(entries)}" if entries else " — no arrivals"
        routes = s.routes_for(c)
        own = set(pc.routes) if pc else set()
        lines = []
        for u in _reach(s, c):
            dests = routes.get(u) or {EXIT: 1.0}
            txt = ", ".join(f"{_dest(d)} {_share(p)}" for d, p in dests.items() if p > 0)
            lines.append(f"- {md_escape(u)} → {txt}" + (" *(class-specific)*" if u in own else ""))
        blocks.append(head + "\n\n" + "\n".join(lines))
    text = (
        "When a stay ends the patient's next unit is drawn from its class's route table (units a class does "
        "not mention use the shared table). Each patient draws its whole pathway on arrival.\n\n" + "\n\n".join(blocks)
    )
    return "2. Logic: patient pathways", text


def _los(s: Scenario) -> Section:
    rows = []
    for u in s.units:
        users: dict[str, tuple[DistributionSpec, list[str], bool]] = {}
        for c in s.class_names():
            if u not in _reach(s, c):
                continue
            d = s.stay_for(c, u)
            if d is None:
                continue
            own = c in s.patient_classes and u in s.patient_classes[c].length_of_stay
            key = d.model_dump_json()
            users.setdefault(key, (d, [], own))[1].append(c)
        for d, classes, own in users.values():
            who = ", ".join(md_escape(c) for c in classes)
            if not own and u in s.length_of_stay:
                who = "all classes" if len(users) == 1 else f"other classes ({who})"
            rows.append([f"**{md_escape(u)}**", who, *_dist_row(d)])
    text = (
        "Time in a unit until the patient is ready to move on (for an emergency department: from the end of "
        "the clinician's assessment to the decision to admit or discharge). A patient going home then waits "
        "for the discharge policy, and one moving on may wait for a bed in the next unit, so the time in a "
        "bed is longer. Durations are drawn by inverse transform from each patient's own random numbers.\n\n"
        + _table(
            ["unit", "patient classes", "distribution as given", "mean", "median", "90th percentile", "cv"],
            rows,
            ["l", "l", "l", "r", "r", "r", "r"],
        )
    )
    return "2. Logic: lengths of stay", text


def _discharge(s: Scenario) -> Section:
    lines = []
    inpatient = [n for n, u in s.units.items() if not _is_ed(u)]
    uses_default = [n for n in inpatient if s.units[n].discharge is None]
    if uses_default:
        lines.append(
            f"- Inpatient units without their own rule ({', '.join(md_escape(n) for n in uses_default)}): "
            + (discharge_text(s.discharge) if s.discharge else "any hour, any day")
        )
    for n, u in s.units.items():
        if u.discharge is not None:
            lines.append(f"- {md_escape(n)}: {discharge_text(u.discharge)}")
        elif _is_ed(u):
            lines.append(f"- {md_escape(n)} (emergency department): any hour, any day")
    for name, lounge in s.discharge_lounges.items():
        served = lounge.units if lounge.units is not None else inpatient
        hours = f"open {_clock(lounge.hours[0])}–{_clock(lounge.hours[1])}" if lounge.hours else "always open"
        lines.append(
            f"- Discharge lounge {md_escape(name)}: {lounge.places} places (not beds), {hours}, for patients going "
            f"home from {', '.join(md_escape(u) for u in served)}: a patient held by the rule moves there "
            f"{lounge.time_there.to_distribution().mean_h:.1f} h on average before its departure when a place is "
            "free (its bed frees then), and leaves at the same hour"
        )
    lines += _pathway_lines(s)
    text = (
        "Internal transfers happen at any hour; going home follows these rules, and a patient who must wait "
        "keeps the bed (discharge delay).\n\n" + "\n".join(lines)
    )
    return "2. Logic: discharge policy", text


def _pathway_lines(s: Scenario) -> list[str]:
    """The discharge pathways in words: each service, then who takes it (empty without pathways)."""
    if not s.discharge_pathways:
        return []
    out = [
        "- Discharge pathways: a patient leaving the hospital who needs a service after it waits for it in its bed, "
        "medically fit to leave but no longer meeting the criteria to reside (NCTR), and leaves when the service "
        "starts it (the rules above are for the others, P0):"
    ]
    for name, p in s.discharge_pathways.items():
        what = f"{md_escape(name)}" + (f" ({md_escape(p.label)})" if p.label else "")
        cap = pathway_capacity_words(p)
        if p.kind == "daily":
            cap += f" at {_clock(p.start_hour)}"
        elif p.kind == "pool":
            cap += f", each held {distribution_text(p.stay)}"
        if p.assessment is not None:
            where = "after leaving the bed (discharge to assess)" if p.assessment_in == "community" else "in the bed"
            cap += f"; assessment {distribution_text(p.assessment)} {where}"
        if p.order == "priority":
            cap += "; by class priority, then first ready"
        out.append(f"  - {what}: {cap}")
    shares = [
        f"{md_escape(u)} " + ", ".join(f"{md_escape(k)} {100 * v:g}%" for k, v in row.items())
        for u, row in s.pathway_shares.items()
    ]
    for c, pc in s.patient_classes.items():
        shares += [
            f"{md_escape(c)} from {md_escape(u)} " + ", ".join(f"{md_escape(k)} {100 * v:g}%" for k, v in row.items())
            for u, row in pc.pathway_shares.items()
        ]
    if shares:
        out.append("  - Shares of the patients leaving the hospital: " + "; ".join(shares) + "; the rest P0")
    return out


def _ed(s: Scenario) -> Section | None:
    eds = [(n, u) for n, u in s.units.items() if u.ed is not None]
    if not eds:
        return None
    lines = []
    for n, u in eds:
        c = u.ed.clinicians
        staff = ", ".join(f"{_num(v)} on {md_escape(k)} shift" for k, v in c.items()) if isinstance(c, dict) else f"{c}"
        d = u.ed.assessment.to_distribution()
        lines.append(
            f"- **{md_escape(n)}**: {u.beds:,} cubicles; clinicians: {staff}; assessment time "
            f"{distribution_text(u.ed.assessment)}, mean {duration_text(d.mean_h)}."
        )
        for a in s.arrivals:
            if a.unit == n and a.patience is not None:
                lines.append(
                    f"- Patients of stream **{md_escape(a.name)}** leave without being seen when no clinician "
                    f"has started their assessment within their patience from arrival: "
                    f"{distribution_text(a.patience)}"
                    + (
                        ""
                        if "mean " in distribution_text(a.patience)
                        else f", mean {duration_text(a.patience.to_distribution().mean_h)}"
                    )
                    + "."
                )
    text = (
        "An attendance takes a cubicle, waits in it for a free clinician (first come first served), is "
        "assessed, then spends its length of stay on tests and treatment until the decision. Patients "
        "routed to a unit are admitted (decision to admit) and board in the cubicle until a bed is free; "
        "the rest go home. The 4-hour and 12-hour measures count from arrival to leaving the department.\n\n"
        + "\n".join(lines)
    )
    return "2. Logic: emergency department", text


def _staffing(s: Scenario) -> Section | None:
    if s.staffing is None and not s.shifts:
        return None
    parts = []
    if s.shifts:
        parts.append("Shifts: " + "; ".join(f"{md_escape(k)} {v.start}–{v.end}" for k, v in s.shifts.items()) + ".")
    if s.staffing is not None:
        policy = (
            "**cap admissions**: a unit admits no more patients than its nurses can look after; beds above "
            "that stay closed (a shift change never sends a patient away)"
            if s.staffing.policy == "cap_admissions"
            else "**count breaches**: admissions are not limited by nurses; the hours in which patients "
            "exceed nurses × patients per nurse are counted"
        )
        rows = []
        for u, st in s.staffing.units.items():
            beds = s.units[u].beds if u in s.units else 0
            per_shift = ", ".join(
                f"{md_escape(k)} {n} ({_num(n * st.patients_per_nurse, 1)} patients)" for k, n in st.nurses.items()
            )
            rows.append([f"**{md_escape(u)}**", _num(st.patients_per_nurse, 2), per_shift, f"{beds:,}"])
        parts.append(f"Policy: {policy}.")
        parts.append(
            _table(
                ["unit", "patients per nurse", "nurses per shift (patients they can take)", "beds"],
                rows,
                ["l", "r", "l", "r"],
            )
        )
    return "2. Logic: staffing and ratios", "\n\n".join(parts)


def _escalation(s: Scenario) -> Section | None:
    lines = []
    for n, u in s.units.items():
        if u.escalation:
            e = u.escalation
            lines.append(
                f"- **{md_escape(n)}**: up to {e.beds} escalation beds open when (occupied + waiting) reaches "
                f"{_pct(e.open_at)} of the {u.beds} base beds and close (as they empty) when it falls below "
                f"{_pct(e.close_below)}."
            )
        for c in u.capacity_changes:
            lines.append(
                f"- **{md_escape(n)}**: from {_date(c.at)} the unit has {c.beds} base beds (was {u.beds}); a cut "
                "closes beds only as patients leave."
            )
    lines += _escalation_levels(s)
    if not lines:
        return None
    return "2. Logic: escalation and capacity changes", "\n".join(lines)


_REPATRIATE = {
    "never": "outliers stay in the host unit until their stay there ends",
    "before_waiting": "an outlier still in treatment moves back to the first freed bed of its home unit, before "
    "the patients waiting for one",
    "after_waiting": "an outlier still in treatment moves back to a freed bed of its home unit when nobody is "
    "waiting for it",
}


def _outlying(s: Scenario) -> Section | None:
    """Outlying rules per home unit, and the caps of the host units."""
    homes = [(n, u) for n, u in s.units.items() if u.outlying is not None]
    if not homes:
        return None
    rows = []
    for n, u in homes:
        o = u.outlying
        rows.append(
            [
                f"**{md_escape(n)}**",
                " → ".join(md_escape(h) for h in o.hosts),
                "at once" if o.after_hours == 0 else f"after {duration_text(o.after_hours)} waiting",
                ", ".join(md_escape(c) for c in o.classes) if o.classes else "every class",
                f"×{_num(o.stay_factor, 2)}",
                _REPATRIATE[o.repatriate],
            ]
        )
    hosts = dict.fromkeys(h for _, u in homes for h in u.outlying.hosts)
    caps = [
        f"{md_escape(h)} at most {s.units[h].max_outliers}"
        if s.units[h].max_outliers is not None
        else f"{md_escape(h)} up to its free beds"
        for h in hosts
        if h in s.units
    ]
    closed = [md_escape(n) for n, u in s.units.items() if u.max_outliers == 0 and n not in hosts]
    text = (
        "A patient whose home unit has no free bed may be placed in another unit's bed (an outlier): the host "
        "units are tried in order, and a host takes an outlier only into a free bed none of its own patients is "
        "waiting for, and only below its cap of outliers at once. The outlier holds the host's bed (host "
        "occupancy) but keeps its home unit's route and discharge rules; its stay in the host is its home stay "
        "times the stay factor.\n\n"
        + _table(
            ["home unit", "hosts, in order", "placed", "patient classes", "stay factor", "repatriation"],
            rows,
        )
        + "\n\nOutliers hosted at once: "
        + "; ".join(caps)
        + "."
        + (f" Never hosting outliers: {', '.join(closed)}." if closed else "")
    )
    return "2. Logic: outlying (patients placed on other units)", text


def _escalation_levels(s: Scenario) -> list[str]:
    """One line per escalation group and level: trigger, release and actions."""
    lines = []
    for g, spec in s.escalation_levels.items():
        units = ", ".join(spec.units) if spec.units else "every inpatient unit"
        lines.append(
            f"- Escalation group **{md_escape(g)}** ({md_escape(units)}) starts at level 1; its pressure is "
            f"(occupied + waiting for a bed) / base beds, looked at whenever one of its units' occupancy or bed "
            f"queue changes; at least {spec.hold_hours:g} h at a level before stepping down"
            + (f" and {spec.hold_hours_up:g} h before stepping up" if spec.hold_hours_up else "")
            + "."
        )
        for lv in spec.levels:
            a = lv.actions
            acts = []
            acts += [f"{b} escalation beds on {md_escape(u)}" for u, b in a.open_beds.items()]
            acts += [f"{b} extra ED spaces on {md_escape(u)}" for u, b in a.ed_spaces.items()]
            if a.allow_outlying:
                acts.append(f"outlying allowed for {md_escape(', '.join(a.allow_outlying))}")
            if a.postpone_electives:
                acts.append(f"{_pct(a.postpone_electives)} of arriving electives postponed")
            if a.discharge_push is not None:
                p = a.discharge_push
                parts = [f"window {p.window_hours[0]:g}-{p.window_hours[1]:g} h"] if p.window_hours else []
                parts += [f"weekend rate {p.weekend_rate:g}"] if p.weekend_rate is not None else []
                acts.append("discharge push (" + ", ".join(parts) + ")")
            if a.pathway_capacity:
                acts.append(
                    "discharge capacity bought ("
                    + ", ".join(f"{md_escape(k)} x{f:g}" for k, f in a.pathway_capacity.items())
                    + ")"
                )
            trigger = f"pressure reaches {_pct(lv.enter_at)}"
            if lv.boarders_at is not None:
                trigger += f" or {lv.boarders_at} ED boarders wait for its beds"
            lines.append(
                f"  - level {lv.level}: from when {trigger}, until it falls below {_pct(lv.leave_below)}"
                + (f" (and boarders below {lv.boarders_release})" if lv.boarders_at is not None else "")
                + (f": {'; '.join(acts)}" if acts else ": no action")
                + "."
            )
    return lines


def _experimentation(s: Scenario, provenance: dict | None) -> Section:
    p = provenance or {}
    reps = p.get("replications", s.replications)
    seed = p.get("seed", s.seed)
    start = s.start
    warmup = s.warmup_days
    auto = isinstance(warmup, str)  # 'auto': chosen by MSER-5 on pilot runs before the run
    if isinstance(p.get("warmup_days"), int | float):
        warmup = float(p["warmup_days"])
    how = " (chosen automatically by MSER-5 on pilot runs)" if auto else ""
    if isinstance(warmup, str):
        rows = [
            ["simulation start", _date(start)],
            [
                "warm-up (initialisation)",
                "chosen automatically by MSER-5 on pilot runs before the run, then discarded from every measure",
            ],
            ["run length measured", f"{_num(s.horizon_days)} days after the warm-up"],
        ]
    else:
        warm_end = start + dt.timedelta(days=warmup)
        end = start + dt.timedelta(days=warmup + s.horizon_days)
        rows = [
            ["simulation start", _date(start)],
            [
                "warm-up (initialisation)",
                f"{_num(warmup)} days{how}, to {_date(warm_end)}, discarded from every measure"
                if warmup
                else "none: the hospital starts empty and every hour counts",
            ],
            ["run length measured", f"{_num(s.horizon_days)} days, {_date(warm_end)} to {_date(end)}"],
        ]
    rows += [
        ["replications", f"{reps}"],
        ["seed", f"{seed} (replication r uses named random streams derived from seed and r)"],
        [
            "estimation",
            "mean over replications with a 95% t-interval; what-ifs are compared with the baseline "
            "replication by replication (common random numbers), Bonferroni-adjusted across what-ifs",
        ],
    ]
    return "4. Experimentation", _table(["item", "value"], rows)


def _implementation(s: Scenario, provenance: dict | None) -> Section:
    p = provenance or {}
    rows = [
        ["software", f"hospital\\_twin {md_escape(p.get('package_version', ''))} (Python, SimPy discrete-event engine)"]
    ]
    for key, label in [
        ("source_file", "scenario file"),
        ("scenario_hash", "scenario hash (SHA-256)"),
        ("started_at", "run started"),
        ("finished_at", "run finished"),
        ("workers", "worker processes"),
        ("cpu_count", "CPUs"),
    ]:
        if p.get(key) not in (None, ""):
            value = str(p[key])
            if key == "scenario_hash":
                value = f"`{value[:16]}…`"
            elif key in ("started_at", "finished_at"):
                value = md_escape(_timestamp(value))
            else:
                value = md_escape(value)
            rows.append([label, value])
    text = (
        "Random sampling: every replication and arrival stream has its own named numpy stream, and each "
        "patient draws its pathway (class, routes, stays, discharge hour) when it arrives, so two scenarios "
        "run with the same seed share their random numbers and serial and parallel runs agree exactly.\n\n"
        + _table(["item", "value"], rows)
    )
    return "5. Implementation and provenance", text


def describe_scenario(scenario: Scenario, provenance: dict | None = None) -> list[Section]:
    """A STRESS-DES style description of ``scenario`` as ``(heading, markdown)`` sections.

    ``provenance`` is a run's ``run.json`` (replications, seed, version, times); without it
    the scenario's own replications and seed are shown.
    """
    s = scenario
    sections: list[Section | None] = [
        _objectives(s, provenance),
        _units(s),
        _arrivals(s),
        _electives(s),
        _routes(s),
        _los(s),
        _outlying(s),
        _discharge(s),
        _ed(s),
        _staffing(s),
        _escalation(s),
        (
            "3. Data and assumptions",
            "The figures above are the scenario's inputs; their sources and the assumptions behind them are "
            "given in the comments of the scenario file"
            + (f" ({md_escape(provenance['source_file'])})" if provenance and provenance.get("source_file") else "")
            + " and in scenarios/README.md.",
        ),
        _experimentation(s, provenance),
        _implementation(s, provenance),
    ]
    return [x for x in sections if x is not None]


# --------------------------------------------------------------------------- what-if differences
def _when(text: Any) -> str:
    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return f"{t.day} {t:%b %Y}" + (f" {t:%H:%M}" if t.hour or t.minute else "")


def _short(value: Any, limit: int = 160) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict) and {"from", "to", "factor"} <= set(value):
        label = f" ({value['label']})" if value.get("label") else ""
        return f"×{_num(value['factor'], 3)} {_when(value['from'])} – {_when(value['to'])}{label}"
    if isinstance(value, dict) and {"at", "beds"} <= set(value):
        return f"{value['beds']} beds from {_when(value['at'])}"
    if isinstance(value, float):
        text = _num(value, 3)
    elif isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        text = "[" + ", ".join(_num(v, 3) for v in value) + "]"
    elif isinstance(value, list):
        text = "; ".join(_short(v, limit) for v in value) or "none"
        limit = max(limit, 600)
    elif isinstance(value, dict):
        text = ", ".join(f"{k} {_short(v, limit)}" for k, v in value.items()) or "none"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _diff(a: Any, b: Any, path: tuple[str, ...], out: list[tuple[tuple[str, ...], Any, Any]]) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            _diff(a.get(k), b.get(k), path + (str(k),), out)
        return
    named = isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) and "name" in x for x in a + b)
    if named:
        da = {x["name"]: x for x in a}
        db = {x["name"]: x for x in b}
        for k in list(da) + [k for k in db if k not in da]:
            _diff(da.get(k), db.get(k), path + (str(k),), out)
        return
    out.append((path, a, b))


def describe_differences(baseline: Scenario, variant: Scenario) -> str:
    """What a what-if changes relative to the baseline, as a markdown bullet list (the discharge pathways in
    words, as ``validate`` and ``compare`` list them: :func:`hospital_twin.scenario.diff.change_lines`)."""
    from hospital_twin.scenario.diff import change_lines, scenario_changes

    skip = {"name", "description", "extends", "discharge_pathways", "pathway_shares"}
    a = {k: v for k, v in baseline.model_dump(mode="json", by_alias=True).items() if k not in skip}
    b = {k: v for k, v in variant.model_dump(mode="json", by_alias=True).items() if k not in skip}
    changes: list[tuple[tuple[str, ...], Any, Any]] = []
    _diff(a, b, (), changes)
    changes = [c for c in changes if not (c[0][:1] == ("patient_classes",) and c[0][2:3] == ("pathway_shares",))]
    pathways = [t for sec, t in change_lines(scenario_changes(baseline, variant)) if sec == "pathways"]
    if not changes and not pathways:
        return "- no change to the model (only its name or description differ)"
    lines = []
    for path, old, new in changes:
        where = " › ".join(md_escape(p) for p in path)
        if old is None:
            lines.append(f"- {where}: added {md_escape(_short(new))}")
        elif new is None:
            lines.append(f"- {where}: removed (was {md_escape(_short(old))})")
        else:
            after = md_escape(_short(new))
            lines.append(f"- {where}: {md_escape(_short(old))} → " + (f"**{after}**" if len(after) <= 40 else after))
    for text in pathways:  # "~ P2: places 20 -> 40", "+ P3: ...", "- P3: ..."
        item, _, rest = text[2:].partition(": ")
        verb = {"+": "added ", "-": "removed: was "}.get(text[0], "")
        lines.append(f"- discharge pathways › {md_escape(item)}: {verb}{md_escape(rest.replace(' -> ', ' → '))}")
    return "\n".join(lines)
