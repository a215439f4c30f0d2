"""``report.html``: a results folder as one self-contained HTML page (``hospital-twin report RESULTS_DIR``).

The report reads a folder written by ``run`` or ``compare`` (through
:func:`hospital_twin.experiment.resultsdir.load_results`) and writes ``report.html`` beside it:

* at a glance: headline measures with their 95% intervals, and points to note;
* for a comparison, the paired differences against the baseline as a forest plot and tables;
* KPI tables per unit and for the hospital (``ALL``), with readable labels and units;
* charts: the census by hour of the week (mean and 5th-95th percentile band over
  replications x weeks, bed count as a rule), the census over the whole run, the wait for a
  bed (ECDF, from the event log), ED 4-hour performance by hour of arrival and by week, and,
  when patients outlie, the outliers in each host unit by home unit, and, with discharge pathways,
  the patients fit to leave still in a bed (NCTR) over time by pathway with the pathways' measures;
* the scenario in words (STRESS-DES, from :mod:`hospital_twin.reporting.describe`) and provenance.

:func:`build_report` lays the page out section by section (one function per section); the
numbers come from the folder through :mod:`hospital_twin.reporting.figures`, the charts from
:mod:`hospital_twin.reporting.charts` and the offline page kit from :mod:`hospital_twin.reporting.html`.
This module must not compute a measure, draw a chart or read the folder's files itself; it
never simulates. :func:`write_report` is its only write (atomic). A folder that cannot be read
raises :data:`ReportError` (the CLI's exit 2, as is :class:`~hospital_twin.reporting.html.PageError`
when the Vega bundle's package is missing).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd

from hospital_twin._version import __version__
from hospital_twin.atomic import write_text_atomic
from hospital_twin.experiment.resultsdir import ResultsFolder, ResultsFolderError, load_results
from hospital_twin.reporting.charts import (
    census_timeline_chart,
    census_week_chart,
    ed_four_hour_chart,
    escalation_level_chart,
    forest_chart,
    nctr_chart,
    outlier_host_chart,
    wait_chart,
)
from hospital_twin.reporting.describe import (
    describe_differences,
    describe_scenario,
    relevant_metrics,
)
from hospital_twin.reporting.figures import (
    FOREST_METRICS,
    PEER_NCTR_PER_BED,
    census_hour_of_week,
    census_timeline,
    ed_four_hours,
    escalation_level_hours,
    format_value,
    is_ed_unit,
    metric_label,
    nctr_over_time,
    nctr_sentence,
    outliers_by_host,
    pathway_measures,
    units_in_order,
    wait_ecdf,
)
from hospital_twin.reporting.html import Page, escape, markdown
from hospital_twin.reporting.nhs import GA_MIDNIGHT, ga_occupancy_summary, gridlocked_reps, not_judged
from hospital_twin.reporting.notes import (
    LOAD_NOTE,
    PATHWAY_NOTE,
    gridlock_caveat,
    gridlock_count,
    load_table,
    pathway_table,
    points_to_note,
)
from hospital_twin.reporting.scorecard import against_targets, months_against_targets, side_by_side
from hospital_twin.reporting.targets import GA_OCCUPANCY, NHS_TARGETS
from hospital_twin.results import ALL, GRIDLOCK_RULE, METRICS
from hospital_twin.scenario.schema import Scenario

__all__ = ["ReportError", "build_report", "write_report"]

ReportError = ResultsFolderError
"""The folder is not a readable results folder (a user error, exit 2 in the CLI): the reader's error, by the name
the report has always raised."""

_GROUPS = [
    (
        "Demand and flow",
        [
            "ed_attendances",
            "arrivals",
            "admitted",
            "rejected",
            "rejected_share",
            "cancelled",
            "cancelled_share",
            "elective_rebooked",
            "elective_cancelled_final",
            "elective_rebook_pending",
            "still_waiting",
        ],
    ),
    ("Beds", ["occupancy_mean", "occupancy_p95", "utilisation", "escalation_beds_open_mean"]),
    ("Waiting for a bed", ["waited_share", "wait_for_bed_mean_h", "wait_for_bed_p95_h", "unserved_share"]),
    (
        "Outliers (patients placed on another unit's beds)",
        ["outlier_admissions", "outlier_share", "outlier_bed_days", "repatriations", "outliers_hosted_mean"],
    ),
    ("Stays and delays", ["los_mean_h", "blocked_bed_hours", "discharge_delay_bed_hours"]),
    (
        "Patients fit to leave, waiting for a service (NCTR)",
        ["nctr_mean", "nctr_per_bed", "nctr_daily_per_bed", "nctr_bed_days"],
    ),
    ("Nurse staffing", ["ratio_breach_hours", "ratio_breach_share"]),
    ("Runaway bed queue (gridlock)", ["gridlock_hours", "gridlocked_share"]),
]
"""Rows of the KPI table, by group, for the units and the hospital (a metric shows when the scenario has it)."""
_ED_GROUP = [
    "ed_time_in_dept_mean_h",
    "ed_4h_breach_share",
    "ed_12h_breach_share",
    "ed_time_to_clinician_mean_h",
    "ed_admitted_share",
    "ed_boarding_mean_h",
    "ed_dta_12h_waits",
    "ed_dta_4h_share",
    "left_without_being_seen",
    "left_without_being_seen_share",
]
"""Rows of the emergency department's own table."""
_LOUNGE_GROUP = ["lounge_uses", "lounge_share", "lounge_occupancy_mean", "lounge_time_mean_h", "lounge_full"]
"""Rows of the discharge lounges' table (one column per lounge)."""


# --------------------------------------------------------------------------- the page, section by section
def build_report(results_dir: str | Path) -> str:
    """The report of a results folder as one self-contained HTML document."""
    folder = load_results(results_dir)
    title = _title(folder)
    page = Page()
    _header(page, folder, title)
    _contents(page, folder)
    _glance_section(page, folder)
    _targets_section(page, folder)
    if folder.is_comparison:
        _comparison_section(page, folder)
    _kpi_section(page, folder)
    _census_section(page, folder)
    _waits_section(page, folder)
    if _has_ed(folder):
        _ed_section(page, folder)
    if _has_outlying(folder):
        _outliers_section(page, folder)
    if _has_levels(folder):
        _escalation_section(page, folder)
    if _has_pathways(folder):
        _pathways_section(page, folder)
    _model_section(page, folder)
    _footer(page, folder)
    return page.document(f"{title} · hospital_twin report")


def write_report(results_dir: str | Path, out_html: str | Path | None = None) -> Path:
    """Write the report of ``results_dir`` (default ``<results_dir>/report.html``) atomically; return its path."""
    text = build_report(results_dir)
    out = Path(out_html) if out_html is not None else Path(results_dir) / "report.html"
    return write_text_atomic(out, text)


def _title(folder: ResultsFolder) -> str:
    if folder.is_comparison:
        return f"Comparison: {len(folder.scenarios) - 1} what-if(s) against {folder.baseline.name}"
    return folder.baseline.name


def _has_ed(folder: ResultsFolder) -> bool:
    return any(is_ed_unit(folder.scenarios, u) for u in units_in_order(folder.scenarios))


def _has_outlying(folder: ResultsFolder) -> bool:
    return any(u.outlying is not None for s in folder.scenarios for u in s.units.values())


def _header(page: Page, folder: ResultsFolder, title: str) -> None:
    """The title band: what was run (replications, measured period, warm-up, seed), where from, and when."""
    s0 = folder.baseline
    generated = dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M %Z")
    warm_end = pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.warmup_h)
    end = pd.Timestamp(s0.start) + pd.Timedelta(hours=s0.end_h)
    page.add(
        f'<header class="top"><div class="inner"><h1>{escape(title)}</h1>'
        f"<p>Hospital digital twin report · {folder.replications()} replication(s) × {s0.horizon_days:g} days "
        f"measured ({warm_end:%d %b %Y} – {end:%d %b %Y}) after a {s0.warmup_days:g}-day warm-up · seed "
        f"{escape(folder.run.get('seed', folder.provenance[0].get('seed', s0.seed)))}</p>"
        f'<p>Results folder <code style="background:#0e2a4b;color:#fff">{escape(folder.path.resolve())}</code> · '
        f"generated {escape(generated)} by hospital_twin {escape(__version__)}</p></div></header><main>"
    )


def _contents(page: Page, folder: ResultsFolder) -> None:
    toc = [("glance", "At a glance"), ("targets", "Against the NHS targets")]
    if folder.is_comparison:
        toc.append(("comparison", "What-ifs against the baseline"))
    toc += [("kpis", "Results by unit"), ("census", "Bed census"), ("waits", "Waiting for a bed")]
    if _has_ed(folder):
        toc.append(("ed", "Emergency department"))
    if _has_outlying(folder):
        toc.append(("outliers", "Outliers"))
    if _has_levels(folder):
        toc.append(("escalation", "Escalation levels"))
    if _has_pathways(folder):
        toc.append(("pathways", "Discharge pathways"))
    toc.append(("model", "The model in words"))
    page.add('<nav class="toc">' + "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in toc) + "</nav>")


def _glance_section(page: Page, folder: ResultsFolder) -> None:
    """Headline cards of the baseline, the points to note, and how to read the intervals."""
    s0 = folder.baseline
    n_reps = folder.replications()
    page.add('<section id="glance"><h2>At a glance</h2>')
    if s0.description:
        page.add(f'<p class="scen-desc">{escape(s0.description)}</p>')
    if folder.is_comparison:
        page.add(
            f"<p>Baseline <b>{escape(s0.name)}</b> against: "
            + "; ".join(f"<b>{escape(s.name)}</b>" for s in folder.scenarios[1:])
            + ".</p>"
        )
        page.add(f"<h3>Baseline: {escape(s0.name)}</h3>")
    page.add(_cards_html(_headline(folder, s0)))
    notes = _points_to_note(folder, s0, folder.log())
    if notes:
        page.add(
            '<div class="callout"><b>Points to note</b><ul>' + "".join(f"<li>{n}</li>" for n in notes) + "</ul></div>"
        )
    page.add(
        '<p class="note">Means over replications with 95% confidence intervals (t-interval across '
        "replications), measured after the warm-up. Inpatient measures exclude the emergency department. "
        f"With only {n_reps} replications intervals are wide and, for skewed measures, can reach below zero; "
        "more replications narrow them.</p>"
        if n_reps < 10
        else '<p class="note">Means over replications with 95% confidence intervals (t-interval across '
        "replications), measured after the warm-up. Inpatient measures exclude the emergency department.</p>"
    )
    page.add("</section>")


def _targets_section(page: Page, folder: ResultsFolder) -> None:
    """Each scenario against the NHS targets (their default values), then month by month, red / amber / green in
    colour and in words (``reporting.scorecard``)."""
    targets = {t.key: t for t in NHS_TARGETS}
    scenarios, kpis, census, log = folder.scenarios, folder.kpis(), folder.census(), folder.log()
    page.add('<section id="targets"><h2>Against the NHS targets</h2>')
    page.add(
        _rag_table_html(
            *side_by_side(against_targets(folder.summary, kpis, census, scenarios, targets), folder.names, targets)
        )
    )
    page.add(
        '<p class="note">Mean over replications with its 95% interval, and green / amber / red against the NHS '
        "targets: green meets the target, amber misses it by a little, red by more. "
        + " ".join(escape(f"{t.name}: {t.text} ({t.source}).") for t in NHS_TARGETS)
        + "</p>"
    )
    monthly = months_against_targets(log, census, kpis, scenarios, targets) if kpis is not None else None
    if monthly is None or monthly.empty:
        page.add(
            '<div class="callout">The folder has no census or event log, so there is no month-by-month view.</div>'
        )
    else:
        page.add("<h3>Month by month</h3>" + _rag_table_html(*side_by_side(monthly, folder.names, targets)))
        page.add(
            '<p class="note">Each month of the measured days: the mean over replications, the lowest to the highest '
            "replication in brackets (4-hour and 12-hour by month of arrival at the ED; G&amp;A occupancy at "
            "midnight over the month's midnights). A month with few days measured is less sure.</p>"
        )
        if log is None:
            page.add(_no_log_callout(folder))
    page.add("</section>")


def _rag_table_html(table: pd.DataFrame, status: pd.DataFrame) -> str:
    """A table of formatted strings whose scenario cells carry their red / amber / green as a class (colour)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for i, row in table.iterrows():
        cells = []
        for c in table.columns:
            rag = status.at[i, c] if c in status.columns else ""
            cells.append(f'<td class="{f"rag-{rag}" if rag else ""}">{escape(row[c])}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="kpi rag"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _comparison_section(page: Page, folder: ResultsFolder) -> None:
    """What each what-if changes, headline measures side by side, the forest plot and the paired tables."""
    assert folder.comparison is not None
    scenarios, s0 = folder.scenarios, folder.baseline
    page.add('<section id="comparison"><h2>What-ifs against the baseline</h2>')
    for s in scenarios[1:]:
        page.add(
            f'<h4>{escape(s.name)}: what changes</h4><div class="md">{markdown(describe_differences(s0, s))}</div>'
        )
    page.add("<h3>Headline measures</h3>" + _headline_compare(folder))
    page.add("<h3>Paired differences</h3>")
    level = float(folder.comparison["confidence"].iloc[0]) if len(folder.comparison) else 0.95
    page.chart(
        "forest",
        forest_chart(folder.comparison, scenarios),
        f"What-if minus baseline, replication by replication (common random numbers), with "
        f"{100 * level:.1f}% intervals (Bonferroni across what-ifs). A filled point: the interval excludes "
        "zero, the difference is unlikely to be noise. Shares in percentage points. Rows: the hospital (ALL), "
        "the emergency department and units where the difference is clear.",
    )
    page.add(_comparison_tables(folder))
    page.add("</section>")


def _kpi_section(page: Page, folder: ResultsFolder) -> None:
    """One KPI table per scenario (folded away for the what-ifs)."""
    compare = folder.is_comparison
    page.add(
        '<section id="kpis"><h2>Results by unit</h2>'
        f'<p class="note">Mean over {folder.replications()} replication(s) with the 95% interval below it. '
        f"Counts are totals over the {folder.baseline.horizon_days:g} measured days of one replication. ALL is "
        "the hospital's inpatient units: its arrivals are requests for an inpatient bed (direct, elective, and "
        "ED patients with a decision to admit), its admissions the inpatient admissions, so that admissions x "
        "spell = occupied beds; ED attendances have their own row. Hover a measure for its exact definition.</p>"
    )
    for k, s in enumerate(folder.scenarios):
        if compare:
            page.add(
                f"<details{' open' if k == 0 else ''}><summary>{escape(s.name)}"
                f"{' (baseline)' if k == 0 else ''}</summary>"
            )
        page.add(_kpi_table(folder.summary, s))
        page.add(_load_table_html(folder.summary, s))
        if compare:
            page.add("</details>")
    page.add("</section>")


def _census_section(page: Page, folder: ResultsFolder) -> None:
    """The census through the week and over the run (or a note that the folder has no census)."""
    scenarios = folder.scenarios
    compare = folder.is_comparison
    page.add('<section id="census"><h2>Bed census</h2>')
    census = folder.census()
    if census is None:
        page.add(
            '<div class="callout">This results folder has no census table, so the census charts are left out.</div>'
        )
        page.add("</section>")
        return
    page.add("<h3>Through the week</h3>")
    escalation = any(u.escalation is not None for s in scenarios for u in s.units.values())
    page.chart(
        "census-week",
        census_week_chart(census_hour_of_week(census, scenarios), scenarios),
        "Occupied beds at each hour of the week after the warm-up: the line is the mean over replications and "
        "weeks, the band the 5th to 95th percentile of the hourly census over replications × weeks"
        + (" (drawn for the baseline only)" if compare else "")
        + ". The dashed red line is the unit's base bed "
        "count (cubicles for the emergency department)"
        + ("; an orange dotted line, the beds with escalation beds open" if escalation else "")
        + ".",
    )
    page.add("<h3>Over the run</h3>")
    tl = census_timeline(census, scenarios)
    days = int(tl["days"].iloc[0]) if len(tl) else 7
    page.chart(
        "census-timeline",
        census_timeline_chart(tl, scenarios),
        f"{'Daily' if days == 1 else 'Weekly'} average occupied beds over the whole run: the line is the mean over "
        "replications, the band the lowest to highest replication"
        + (" (baseline only)" if compare else "")
        + ". The grey area is the warm-up, left out of every measure. A band that widens shows replications "
        "that drifted into long queues.",
    )
    page.add("</section>")


def _no_log_callout(folder: ResultsFolder) -> str:
    return (
        '<div class="callout"><b>The event log was not kept for this run</b>, so the distribution of waits '
        f"{'and the ED 4-hour charts are' if _has_ed(folder) else 'is'} not available; the tables above still give "
        "the measures. Re-run with the log (<code>hospital-twin run</code> keeps it unless <code>--no-log</code>; "
        "<code>hospital-twin compare --log</code>) to see them.</div>"
    )


def _waits_section(page: Page, folder: ResultsFolder) -> None:
    """The wait for a bed as an ECDF per unit, from the event log."""
    page.add('<section id="waits"><h2>Waiting for a bed</h2>')
    log = folder.log()
    if log is None:
        page.add(_no_log_callout(folder))
    else:
        curve, stats = wait_ecdf(log, folder.scenarios)
        page.chart(
            "waits",
            wait_chart(curve, stats, folder.scenarios),
            "Share of admissions to each unit placed in a bed within the number of hours on the axis (pooled over "
            "replications, after the warm-up). The curve starts at the share placed at once; the axis ends at the "
            "99th percentile. For the emergency department this is the wait for a cubicle.",
        )
    page.add("</section>")


def _ed_section(page: Page, folder: ResultsFolder) -> None:
    """ED 4-hour performance: in words per scenario and department, then by hour of arrival and by week."""
    scenarios = folder.scenarios
    page.add('<section id="ed"><h2>Emergency department: 4-hour performance</h2>')
    look = _summary_lookup(folder.summary)
    for s in scenarios:
        for u, spec in s.units.items():
            r = look.get((s.name, "ed_4h_breach_share", u))
            if spec.ed is None or r is None:
                continue
            lo, hi = max(0.0, 1 - float(r.ci_high)), min(1.0, 1 - float(r.ci_low))  # a share stays in [0, 1]
            page.add(
                f"<p><b>{escape(s.name)} · {escape(u)}</b>: {100 * (1 - float(r.mean)):.1f}% of attendances "
                f"left within 4 hours of arrival (95% CI {100 * lo:.1f}% – {100 * hi:.1f}%).</p>"
            )
    log = folder.log()
    if log is None:
        page.add(_no_log_callout(folder))
    else:
        by_hour, by_week = ed_four_hours(log, scenarios)
        if len(by_hour):
            page.chart(
                "ed-4h",
                ed_four_hour_chart(by_hour, by_week, scenarios),
                "Share of attendances leaving the department within 4 hours of arrival, by the hour they arrived "
                "and by week of the run: the line is the mean over replications, the band the lowest to highest "
                "replication" + (" (baseline only)" if folder.is_comparison else "") + ". The dashed line is the "
                "95% NHS England standard.",
            )
    page.add("</section>")


def _outliers_section(page: Page, folder: ResultsFolder) -> None:
    """Outliers by host unit, split by their home unit (from the event log; from the summary without it)."""
    page.add('<section id="outliers"><h2>Outliers: patients placed on other units\' beds</h2>')
    log = folder.log()
    df = outliers_by_host(folder.summary, folder.scenarios, log)
    if df.empty:
        page.add('<div class="callout">No patient was placed outside its home unit in the measured period.</div>')
    else:
        split = log is not None and "home_unit" in log.columns
        page.chart(
            "outliers",
            outlier_host_chart(df, folder.scenarios),
            "Average number of other units' patients in each host unit's beds after the warm-up (mean over "
            "replications; they count in the host's occupancy)"
            + (", split by the unit they belong to (their home unit, from the event log)." if split else ".")
            + " The scenario's outlying rules are under 'The model in words'.",
        )
    page.add("</section>")


def _has_levels(folder: ResultsFolder) -> bool:
    return any(s.escalation_levels for s in folder.scenarios)


def _escalation_section(page: Page, folder: ResultsFolder) -> None:
    """Time at each escalation level (OPEL 1-4) per scenario and group."""
    page.add('<section id="escalation"><h2>Escalation levels</h2>')
    df = escalation_level_hours(folder.summary, folder.scenarios)
    if len(df):
        page.chart(
            "escalation-levels",
            escalation_level_chart(df),
            "Share of the measured time each escalation group spent at each level (mean over replications; "
            "hover for the hours). Level 1 is the steady state; the group's pressure is (occupied + waiting for "
            "a bed) / base beds over its units, with ED boarders as a second trigger where the scenario says so.",
        )
    page.add("</section>")


def _has_pathways(folder: ResultsFolder) -> bool:
    return any(s.discharge_pathways for s in folder.scenarios)


def _pathways_section(page: Page, folder: ResultsFolder) -> None:
    """Patients fit to leave still in a bed (NCTR) over time by discharge pathway (from the event log), and a
    table of each pathway's measures per scenario."""
    page.add('<section id="pathways"><h2>Discharge pathways: patients fit to leave, still in a bed</h2>')
    sentences = [(s, nctr_sentence(folder.summary, s)) for s in folder.scenarios]
    sentences = [(s, x) for s, x in sentences if x]
    if sentences:
        page.add(
            "<ul>"
            + "".join(
                f"<li>{escape((s.name + ': ') if folder.is_comparison else '')}{escape(x)}.</li>" for s, x in sentences
            )
            + "</ul>"
        )
    log = folder.log()
    df = nctr_over_time(log, folder.scenarios) if log is not None else None
    if df is None:
        page.add(_no_log_callout(folder))
    elif df.empty or not (df["nctr_mean"] > 0).any():
        page.add(
            '<div class="callout">No patient waited in a bed for a discharge pathway in the measured period.</div>'
        )
    else:
        period = "week" if int(df["days"].max()) > 1 else "day"
        page.chart(
            "nctr",
            nctr_chart(df, folder.scenarios),
            f"Patients medically fit to leave who are still in a hospital bed, waiting for a discharge pathway "
            f"(no longer meeting the criteria to reside, NCTR): the average number each {period} of the measured "
            "period, stacked by the pathway they wait for (mean over replications, from the event log: from the "
            "time a patient was ready to leave until it left its bed). NHS England's acute discharge sitrep counts "
            f"them daily: the median of the baseline's 19 peer trusts is {PEER_NCTR_PER_BED:.2f} per G&A bed.",
        )
    for s in folder.scenarios:
        table = _pathway_table_html(folder.summary, s)
        if table:
            page.add((f"<h3>{escape(s.name)}</h3>" if folder.is_comparison else "") + table)
    page.add("</section>")


def _pathway_table_html(summary: pd.DataFrame, s: Scenario) -> str:
    """The pathways' measures of one scenario, one column per pathway ('' without pathways or measures)."""
    df = pathway_measures(summary, s)
    if df.empty:
        return ""
    names = list(dict.fromkeys(df["pathway"]))
    head = "".join(
        f'<th class="num">{escape(n)}<span class="beds">{escape(s.discharge_pathways[n].label)}'
        f"{' · ' if s.discharge_pathways[n].label else ''}{escape(df.loc[df['pathway'] == n, 'capacity'].iloc[0])}"
        "</span></th>"
        for n in names
    )
    # every pathway measure is at least 0 (shares at most 1): a t-interval from few replications can reach past that
    df = df.assign(ci_low=df["ci_low"].clip(lower=0.0))
    share = df["metric"].map(lambda m: metric_label(m)[1] == "share")
    df.loc[share, "ci_high"] = df.loc[share, "ci_high"].clip(upper=1.0)
    days = df["metric"].str.endswith("_h")  # delays of days read better in days
    df.loc[days, ["mean", "ci_low", "ci_high"]] = df.loc[days, ["mean", "ci_low", "ci_high"]] / 24.0
    look = {(r.pathway, r.metric): r for r in df.itertuples(index=False)}
    rows = []
    for m in dict.fromkeys(df["metric"]):
        label, unit = metric_label(m)
        if m.endswith("_h"):
            lab = f'<td class="lab" title="{escape(METRICS.get(m, ""))}">{escape(label)} <span class="u">(days)</span></td>'
            unit = "days"
        else:
            lab = _metric_cell(m)
        rows.append("<tr>" + lab + "".join(_cell(look.get((n, m)), unit) for n in names) + "</tr>")
    return (
        f'<h4>Discharge pathways</h4><table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _model_section(page: Page, folder: ResultsFolder) -> None:
    """The scenario in words (STRESS-DES) with its provenance; each what-if folded, with what it changes."""
    s0 = folder.baseline
    n_reps = folder.replications()
    page.add(
        '<section id="model"><h2>The model in words</h2>'
        '<p class="note">A description following the STRESS-DES reporting guideline (Monks et al., Journal of '
        "Simulation 2019), generated from the scenario that was simulated.</p>"
    )
    if folder.is_comparison:
        page.add(f"<h3>Baseline: {escape(s0.name)}</h3>")
    for heading, text in describe_scenario(s0, {**folder.provenance[0], "replications": n_reps}):
        page.add(f'<h4>{escape(heading)}</h4><div class="md">{markdown(text)}</div>')
    for k, s in enumerate(folder.scenarios[1:], start=1):
        page.add(f"<details><summary>What-if: {escape(s.name)}</summary>")
        page.add(f'<div class="md">{markdown(describe_differences(s0, s))}</div>')
        for heading, text in describe_scenario(s, {**folder.provenance[k], "replications": n_reps}):
            page.add(f'<h4>{escape(heading)}</h4><div class="md">{markdown(text)}</div>')
        page.add("</details>")
    page.add("</section>")


def _footer(page: Page, folder: ResultsFolder) -> None:
    page.add(
        f"<footer>hospital_twin {escape(__version__)} · report of {escape(folder.path.resolve())} · "
        "charts drawn offline with Vega-Lite (JavaScript embedded in this file).</footer></main>"
    )


# --------------------------------------------------------------------------- tables and cards
def _summary_lookup(summary: pd.DataFrame) -> dict[tuple[str, str, str], pd.Series]:
    return {(r.scenario, r.metric, r.unit): r for r in summary.itertuples(index=False)}


def _cell(row: Any, unit: str, *, flip: bool = False) -> str:
    if row is None:
        return '<td class="num"><span class="m">–</span></td>'
    mean, lo, hi = float(row.mean), float(row.ci_low), float(row.ci_high)
    if flip:
        mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
    ci = ""
    if int(row.n_reps) > 1 and not (math.isnan(lo) or math.isnan(hi)):
        ci = f'<span class="ci">{escape(format_value(lo, unit))} – {escape(format_value(hi, unit))}</span>'
    return f'<td class="num"><span class="m">{escape(format_value(mean, unit))}</span>{ci}</td>'


def _metric_cell(metric: str, *, unit_note: str = "") -> str:
    label, unit = metric_label(metric)
    what = {"share": "%", "hours": "hours", "beds": "beds", "bed-hours": "bed-hours", "count": "count"}.get(unit, unit)
    return (
        f'<td class="lab" title="{escape(METRICS.get(metric, ""))}">{escape(label)} '
        f'<span class="u">({escape(what)}{escape(unit_note)})</span></td>'
    )


def _kpi_table(summary: pd.DataFrame, s: Scenario) -> str:
    look = _summary_lookup(summary)
    units = [u for u in s.units if not is_ed_unit([s], u)]
    eds = [u for u in s.units if is_ed_unit([s], u)]
    cols = eds + units + [ALL]
    inpatient_beds = sum(s.units[u].beds for u in units)
    relevant = set(relevant_metrics(s))
    head = "".join(
        f'<th class="num">{escape(u)}<span class="beds">'
        f"{s.units[u].beds if u in s.units else inpatient_beds} {'cubicles' if u in eds else 'beds'}</span></th>"
        for u in cols
    )
    rows = []
    for group, metrics in _GROUPS:
        body = []
        for m in metrics:
            if m not in relevant:
                continue
            cells = [look.get((s.name, m, u)) for u in cols]
            if all(c is None for c in cells):
                continue
            _, unit = metric_label(m)
            body.append("<tr>" + _metric_cell(m) + "".join(_cell(c, unit) for c in cells) + "</tr>")
        if body:
            rows.append(f'<tr class="group"><td colspan="{len(cols) + 1}">{escape(group)}</td></tr>' + "".join(body))
    out = [f'<table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>']
    if eds:
        erows = []
        for m in _ED_GROUP:
            cells = [look.get((s.name, m, u)) for u in eds]
            if all(c is None for c in cells):
                continue
            _, unit = metric_label(m)
            erows.append("<tr>" + _metric_cell(m) + "".join(_cell(c, unit) for c in cells) + "</tr>")
            if m == "ed_4h_breach_share":
                erows.append(
                    '<tr><td class="lab">Within 4 hours of arrival <span class="u">(%)</span></td>'
                    + "".join(_cell(c, "share", flip=True) for c in cells)
                    + "</tr>"
                )
        ehead = "".join(
            f'<th class="num">{escape(u)}<span class="beds">{s.units[u].beds} cubicles</span></th>' for u in eds
        )
        out.append(
            f'<h4>Emergency department</h4><table class="kpi"><thead><tr><th>measure</th>{ehead}</tr></thead>'
            f"<tbody>{''.join(erows)}</tbody></table>"
        )
    out.append(_lounge_table(look, s))
    return "\n".join(x for x in out if x)


def _lounge_table(look: dict, s: Scenario) -> str:
    """The discharge lounges' measures, one column per lounge ('' without lounges)."""
    lounges = list(s.discharge_lounges)
    rows = []
    for m in _LOUNGE_GROUP:
        cells = [look.get((s.name, m, name)) for name in lounges]
        if all(c is None for c in cells):
            continue
        _, unit = metric_label(m)
        rows.append("<tr>" + _metric_cell(m) + "".join(_cell(c, unit) for c in cells) + "</tr>")
    if not rows:
        return ""
    head = "".join(
        f'<th class="num">{escape(n)}<span class="beds">{s.discharge_lounges[n].places} places</span></th>'
        for n in lounges
    )
    return (
        f'<h4>Discharge lounges</h4><table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _headline(folder: ResultsFolder, s: Scenario) -> list[tuple[str, ...]]:
    """(label, value, interval) cards for one scenario; a card judged against a target has its red / amber /
    green status fourth."""
    look = _summary_lookup(folder.summary)
    cards = []

    def card(label: str, metric: str, unit: str, fmt_unit: str, flip: bool = False, per_day: bool = False) -> None:
        r = look.get((s.name, metric, unit))
        if r is None or math.isnan(float(r.mean)):
            return
        mean, lo, hi = float(r.mean), float(r.ci_low), float(r.ci_high)
        if flip:
            mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
        if fmt_unit == "days":  # a stay in hours reads in days, as the NHS counts it
            mean, lo, hi = (x / 24.0 for x in (mean, lo, hi))
        if per_day:
            mean, lo, hi = (x / s.horizon_days for x in (mean, lo, hi))
            fmt = lambda x: f"{x:,.1f}/day"  # noqa: E731
        else:
            fmt = lambda x: format_value(x, fmt_unit)  # noqa: E731
        ci = f"95% CI {fmt(lo)} – {fmt(hi)}" if int(r.n_reps) > 1 and not math.isnan(lo) else ""
        cards.append((label, fmt(mean), ci))

    kpis = folder.kpis()
    ga = ga_occupancy_summary(folder.census(), kpis, s) if kpis is not None else None
    midnight = ga[ga["metric"] == GA_MIDNIGHT] if ga is not None else None
    if midnight is not None and len(midnight) and math.isfinite(float(midnight["mean"].iloc[0])):
        r = midnight.iloc[0]  # the NHS's headline occupancy (KH03), judged against its target
        mean, lo, hi = float(r["mean"]), max(0.0, float(r["ci_low"])), float(r["ci_high"])
        ci = f"95% CI {format_value(lo, 'share')} – {format_value(hi, 'share')}; " if int(r["n_reps"]) > 1 else ""
        rag = GA_OCCUPANCY.rag(mean)
        stop = not_judged(gridlocked_reps(kpis, s.name))  # a collapse empties the wards: not green
        words, status = (stop, "") if stop else (rag.words, rag.status)
        cards.append(("G&A occupancy at midnight", format_value(mean, "share"), ci + words, status))
    card("Inpatient bed occupancy", "utilisation", ALL, "share")
    card("Occupied inpatient beds, average", "occupancy_mean", ALL, "beds")
    card("Patients who waited for a bed", "waited_share", ALL, "share")
    card("Wait for a bed, mean", "wait_for_bed_mean_h", ALL, "hours")
    for u, spec in s.units.items():
        if spec.ed is not None:
            card(f"{u}: left within 4 hours", "ed_4h_breach_share", u, "share", flip=True)
            card(f"{u}: over 12 hours in the department", "ed_12h_breach_share", u, "share")
            card(
                f"{u}: trolley waits over 12 h from the decision to admit", "ed_dta_12h_waits", u, "count", per_day=True
            )
            card(f"{u}: left without being seen", "left_without_being_seen_share", u, "share")
    card("Admissions placed on another unit (outliers)", "outlier_share", ALL, "share")
    if s.discharge_pathways:
        before = len(cards)
        card("Patients fit to leave still in a bed (NCTR), average", "nctr_mean", ALL, "beds")
        r = look.get((s.name, "nctr_daily_per_bed", ALL))
        if len(cards) > before and r is not None and math.isfinite(float(r.mean)):
            label, value, ci = cards[-1]
            cards[-1] = (
                label,
                value,
                f"{float(r.mean):.2f} a day per bed (peers {PEER_NCTR_PER_BED:.2f})" + (f"; {ci}" if ci else ""),
            )
    if s.electives:
        card("Elective admissions cancelled", "cancelled_share", ALL, "share")
    card("Length of hospital spell, mean", "los_mean_h", ALL, "days")
    return cards


def _points_to_note(folder: ResultsFolder, s: Scenario, log: pd.DataFrame | None) -> list[str]:
    """The points to note of :func:`hospital_twin.reporting.notes.points_to_note` (as the terminal prints them), escaped."""
    return [escape(n) for n in points_to_note(s, folder.summary, log, folder.replications())]


def _load_table_html(summary: pd.DataFrame, s: Scenario) -> str:
    """The offered load per unit beside its simulated occupancy, with the Erlang figures (the analytic sanity band)."""
    rows, report = load_table(s, summary)
    html = (
        f'<h4>Offered load and Erlang figures</h4><table class="kpi load">{_rows_html(rows, ("unit",))}</table>'
        f'<p class="note">{escape(LOAD_NOTE)} Simulated: mean occupied beds '
        "(cleaning is not occupancy; the hold includes it).</p>"
    )
    paths = pathway_table(s, report, summary)
    if paths:
        html += (
            f'<h4>Discharge pathways: offered load</h4><table class="kpi load pathways">'
            f"{_rows_html(paths, ('pathway', 'service'))}</table>"
            f'<p class="note">{escape(PATHWAY_NOTE)} Simulated delay: the run\'s mean NCTR delay on the pathway.</p>'
        )
    return html


def _rows_html(rows: list[dict[str, str]], labels: tuple[str, ...]) -> str:
    """Head and body of a table of formatted strings; the columns in ``labels`` are text, the others numbers."""
    cols = list(rows[0]) if rows else []
    head = "".join(f'<th class="{"" if c in labels else "num"}">{escape(c)}</th>' for c in cols)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"lab" if c in labels else "num"}">{escape(r[c])}</td>' for c in cols) + "</tr>"
        for r in rows
    )
    return f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"


def _cards_html(cards: list[tuple[str, ...]]) -> str:
    """Cards of (label, value, interval[, red / amber / green status: the card's colour])."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card{f" rag-{c[3]}" if len(c) > 3 and c[3] else ""}"><div class="k">{escape(c[0])}</div>'
            f'<div class="v">{escape(c[1])}</div><div class="ci">{escape(c[2])}</div></div>'
            for c in cards
        )
        + "</div>"
    )


def _comparison_tables(folder: ResultsFolder) -> str:
    c = folder.comparison
    assert c is not None
    c = c.copy()
    c["significant"] = c["significant"].astype(str).str.lower().isin(["true", "1"])
    base = folder.baseline
    eds = [u for u, spec in base.units.items() if spec.ed is not None]
    out = []
    for k, name in enumerate(folder.names[1:], start=1):
        d = c[(c["scenario"] == name) & c["metric"].isin(FOREST_METRICS + ["occupancy_mean", "los_mean_h"])]
        d = d[(d["unit"] == ALL) | d["significant"] | (d["metric"].str.startswith("ed_") & d["unit"].isin(eds))]
        d = d[(d["scenario_mean"].abs() > 0) | (d["baseline_mean"].abs() > 0)]
        order = {m: i for i, m in enumerate(["occupancy_mean", *FOREST_METRICS, "los_mean_h"])}
        units = {u: i for i, u in enumerate([ALL, *units_in_order(folder.scenarios)])}
        d = d.assign(_m=d["metric"].map(order), _u=d["unit"].map(units)).sort_values(["_m", "_u"])
        level = float(d["confidence"].iloc[0]) if len(d) else 0.95
        rows = []
        for r in d.itertuples(index=False):
            label, unit = metric_label(r.metric)
            rows.append(
                f"<tr><td>{escape(label)}</td><td>{escape(r.unit)}</td>"
                f'<td class="num">{escape(format_value(r.baseline_mean, unit))}</td>'
                f'<td class="num">{escape(format_value(r.scenario_mean, unit))}</td>'
                f'<td class="num">{escape(format_value(r.diff_mean, unit, diff=True))}</td>'
                f'<td class="num">{escape(format_value(r.diff_ci_low, unit, diff=True))} to '
                f"{escape(format_value(r.diff_ci_high, unit, diff=True))}</td>"
                f'<td class="{"sig" if r.significant else ""}">{"yes" if r.significant else ""}'
                f"{'; ' + escape(gridlock_caveat(r)) if gridlock_caveat(r) else ''}</td></tr>"
            )
        n = int(d["n_reps"].max()) if len(d) else 0
        out.append(
            f"<details{' open' if k == 1 else ''}><summary>{escape(name)} minus baseline</summary>"
            f'<p class="note">Paired over {n} replications with common random numbers; {100 * level:.1f}% intervals '
            f"(Bonferroni across {len(folder.names) - 1} what-if(s)). Rows: the hospital (ALL), the emergency "
            "department, and units whose interval excludes zero.</p>"
            f"{_gridlock_pair_note(folder, name)}"
            f'<table class="kpi"><thead><tr><th>measure</th><th>unit</th><th class="num">baseline</th>'
            f'<th class="num">what-if</th><th class="num">difference</th><th class="num">interval</th>'
            f"<th>excludes 0</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
        )
    return "\n".join(out)


def _gridlock_pair_note(folder: ResultsFolder, name: str) -> str:
    """A note when replications gridlocked on either side of a comparison ('' otherwise)."""
    base, var = gridlock_count(folder.summary, folder.names[0]), gridlock_count(folder.summary, name)
    if base is None or var is None or not (base[0] or var[0]):
        return ""
    return (
        f'<p class="note"><b>Gridlock:</b> {var[0]} of {var[1]} replications gridlocked in the what-if, {base[0]} of '
        f"{base[1]} in the baseline ({escape(GRIDLOCK_RULE)}); their figures are in the means. A difference marked "
        "'driven by gridlocked replications' changes sign or significance without them, or the two sides gridlock "
        "in different numbers of replications.</p>"
    )


def _headline_compare(folder: ResultsFolder) -> str:
    look = _summary_lookup(folder.summary)
    base = folder.baseline
    eds = [u for u, spec in base.units.items() if spec.ed is not None]
    items = [
        ("utilisation", ALL),
        ("occupancy_mean", ALL),
        ("waited_share", ALL),
        ("wait_for_bed_mean_h", ALL),
        ("wait_for_bed_p95_h", ALL),
    ]
    items += [
        (m, u)
        for u in eds
        for m in ("ed_4h_breach_share", "ed_12h_breach_share", "ed_boarding_mean_h", "ed_dta_12h_waits")
    ]
    if any(s.electives for s in folder.scenarios):
        items.append(("cancelled_share", ALL))
    items.append(("los_mean_h", ALL))
    head = "".join(f'<th class="num">{escape(n)}</th>' for n in folder.names)
    rows = []
    for m, u in items:
        cells = [look.get((n, m, u)) for n in folder.names]
        if all(c is None for c in cells):
            continue
        _, unit = metric_label(m)
        rows.append("<tr>" + _metric_cell(m, unit_note=f", {u}") + "".join(_cell(c, unit) for c in cells) + "</tr>")
    return (
        f'<table class="kpi"><thead><tr><th>measure</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="note">Mean over replications; below it the 95% interval of each scenario on its own. '
        "Whether a what-if really differs is judged on the paired differences below, which are much narrower.</p>"
    )
