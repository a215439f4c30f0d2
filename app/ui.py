"""Streamlit pieces shared by the pages: the session's scenario, run settings, jobs, KPI cards."""

from __future__ import annotations

import logging
import math
from typing import Any

import jobs
import pandas as pd
import state
import streamlit as st

from hospital_twin.reporting.figures import format_value
from hospital_twin.results import ALL, METRIC_LABELS
from hospital_twin.scenario import Scenario, ScenarioError, load_scenario
from hospital_twin.scenario.dates import RunWindow, date_problems, measured_days

PERSISTENT_PREFIXES = ("lv_", "rs_", "cmp_", "fc_", "cal_", "ro_")


def init_session() -> None:
    """Keep widget values when the user moves between pages (Streamlit drops those of unrendered widgets).

    The values are written back into the session state, so a widget that also names a
    default ``value`` takes the kept one; Streamlit logs a warning for that on every run,
    which is silenced here (it is the intended behaviour).
    """
    logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)
    for k in list(st.session_state.keys()):
        if isinstance(k, str) and k.startswith(PERSISTENT_PREFIXES) and not k.endswith(("_btn", "_upload")):
            try:
                st.session_state[k] = st.session_state[k]
            except Exception:  # buttons and uploaders cannot be set; they need no keeping
                pass
    st.session_state.setdefault("jobs", {})
    jobs.warm_up()  # a worker waits with the package imported, so the next click computes at once


# --------------------------------------------------------------------------- the session's scenario
def current_scenario() -> tuple[Scenario, str, str]:
    """``(scenario, yaml_text, label)``: the one edited on the Scenario page, else the shipped baseline."""
    text = st.session_state.get("scn_edited")
    if text:
        try:
            return state.scenario_from_text(text, "edited scenario"), text, st.session_state.get("scn_label", "")
        except (ScenarioError, state.UploadError):
            pass
    return _baseline()


@st.cache_resource(show_spinner=False)
def _baseline_cached(mtime: float) -> tuple[Scenario, str]:
    s = load_scenario(state.baseline_path())
    return s, state.to_yaml(state.scenario_dict(s))


def _baseline() -> tuple[Scenario, str, str]:
    s, text = _baseline_cached(state.baseline_path().stat().st_mtime)
    return s, text, f"{s.name} (shipped baseline)"


def baseline_scenario() -> Scenario:
    """The shipped baseline (what the home page describes)."""
    return _baseline()[0]


@st.cache_resource(show_spinner=False)
def shipped() -> dict[str, Any]:
    return {label: str(p) for label, p in state.shipped_scenarios().items()}


@st.cache_data(show_spinner=False, max_entries=64)
def shipped_yaml(path: str, mtime: float) -> str:
    return state.to_yaml(state.scenario_dict(load_scenario(path)))


def apply_pending_levers(page: Any) -> None:
    """Before ``page`` uses the session's scenario, make sure it has every lever the user set.

    The Scenario page rebuilds the scenario from its levers when it runs; a value sent as the user left it (a
    date typed, not yet applied, then a click on Run in the sidebar) reaches the session with the next page's run
    instead, and that page would use the scenario without it. Then this goes to the Scenario page once, which
    rebuilds the scenario and comes back to ``page`` (or stays, saying what is wrong with the change)."""
    if "scn_levers_sig" not in st.session_state or getattr(page, "url_path", "") == "scenario":
        return
    sig = state.levers_signature(st.session_state)
    if sig == st.session_state["scn_levers_sig"] or st.session_state.get("scn_bounced_for") == sig:
        return
    st.session_state["scn_bounced_for"] = sig  # once per change: never a loop
    st.session_state["scn_return_to"] = (sig, page)
    st.switch_page("app_pages/scenario.py")


# --------------------------------------------------------------------------- run settings
def run_settings(scenario: Scenario, *, prefix: str = "rs_") -> dict[str, Any]:
    """How long and how often to simulate: by default the run the scenario asks for (a full year after its warm-up
    for the baseline), whose figures are unbiased; a quick look (28 days) on request, labelled biased."""
    defaults = state.default_run_settings(scenario)
    quick = state.quick_look_settings(scenario)
    keys = {"horizon_days": f"{prefix}horizon", "warmup_days": f"{prefix}warmup", "replications": f"{prefix}reps"}

    def use(values: dict[str, int]) -> None:
        for name, key in keys.items():
            st.session_state[key] = values[name]

    marker, own = f"{prefix}defaults_for", tuple(defaults[k] for k in keys)  # a tuple: kept across a refresh
    if st.session_state.get(marker) != own:
        if marker in st.session_state:  # another scenario: its own run, not the last one's settings
            use(defaults)
        st.session_state[marker] = own

    with st.expander("Run length and replications", expanded=False):
        c1, c2, c3, c4 = st.columns(4)
        horizon = c1.number_input(
            "Days measured",
            min_value=1,
            max_value=3650,
            value=min(defaults["horizon_days"], 3650),
            step=7,
            key=keys["horizon_days"],
            help="Simulated days after the warm-up over which every KPI is measured. Default: the scenario's own.",
        )
        warm = c2.number_input(
            "Warm-up days",
            min_value=0,
            max_value=365,
            value=min(defaults["warmup_days"], 365),
            step=7,
            key=keys["warmup_days"],
            help="Days simulated first and thrown away, so the hospital starts full, not empty. Default: the "
            "scenario's own.",
        )
        reps = c3.number_input(
            "Replications",
            min_value=2,
            max_value=200,
            value=min(defaults["replications"], 200),
            step=1,
            key=keys["replications"],
            help="Independent runs; more replications give narrower 95% intervals.",
        )
        seed = c4.number_input(
            "Seed",
            min_value=0,
            max_value=2**31 - 1,
            value=int(scenario.seed),
            step=1,
            key=f"{prefix}seed",
            help="The same seed gives the same numbers.",
        )
    settings = {"horizon_days": int(horizon), "warmup_days": int(warm), "replications": int(reps), "seed": int(seed)}
    note = run_length_note(scenario, settings)
    if note is None and quick == defaults:  # a scenario of 28 days or fewer: nothing shorter to offer
        st.caption(
            f"The scenario's own run: {settings['horizon_days']} days after a {settings['warmup_days']}-day warm-up."
        )
    elif note is None:
        st.caption(
            f"The scenario's own run: {settings['horizon_days']} days measured after a {settings['warmup_days']}-day "
            f"warm-up, {settings['replications']} replications. Shorter runs are biased, not just less precise (the "
            "quick look says by how much). A year of the baseline takes a few seconds a replication; the progress "
            "bar counts the replications done."
        )
        st.button(
            f"Quick look ({quick['horizon_days']} days, biased)",
            key=f"{prefix}quick_btn",
            on_click=use,
            args=(quick,),
            help="Answers in seconds, but its figures are biased (the warning says by how much).",
        )
    else:
        st.warning(note, icon=":material/warning:")
        st.button(
            "Back to the full run (the scenario's own length)",
            key=f"{prefix}full_btn",
            on_click=use,
            args=(defaults,),
            help="The scenario's horizon, warm-up and replications: figures not biased by the run's length.",
        )
    return settings


def target_settings(prefix: str = "rs_", where: str = "on the cards") -> dict:
    """The NHS targets the cards are judged against (key -> ``reporting.targets.Target``), each changeable here
    for a trust's own trajectory; the defaults and their sources are in ``reporting.targets``. ``where`` says
    where the page shows red / amber / green."""
    from hospital_twin.reporting.targets import NHS_TARGETS

    out = {}
    with st.expander(f"Targets (red / amber / green {where})", expanded=False):
        cols = st.columns(len(NHS_TARGETS))
        for col, t in zip(cols, NHS_TARGETS, strict=True):
            pct = col.number_input(
                f"{t.name}, % ({'at least' if t.higher_is_better else 'at most'})",
                min_value=0.0,
                max_value=100.0,
                value=round(100 * t.value, 1),
                step=1.0,
                key=f"{prefix}target_{t.key}",
                help=f"{t.trajectory_text}: {t.source}. Amber: up to {100 * t.amber_within:g} points on the wrong "
                "side; red: further.",
            )
            follow = bool(t.trajectory) and col.checkbox(
                "Then the national trajectory",
                value=True,
                key=f"{prefix}target_{t.key}_trajectory",
                help=f"{t.trajectory_text}. Each month is judged against that month's standard and a whole run "
                "against the standard weighted by its days measured. Untick to hold the value above on every day.",
            )
            # the national standard with its trajectory, unless the manager sets a value of the trust's own
            same = float(pct) == round(100 * t.value, 1)
            out[t.key] = t if (follow and same) else t.with_value(float(pct) / 100)
    return out


def settled_yaml(yaml_text: str, settings: dict[str, Any]) -> str:
    """The scenario YAML with the run settings written in (what is simulated and cached)."""
    import yaml

    data = yaml.safe_load(yaml_text)
    return state.to_yaml(state.with_run_settings(data, **settings))


def run_window(scenario: Scenario, *, prefix: str = "rs_") -> RunWindow:
    """The measured window of the Run page's settings as they stand (their defaults before the Run page is
    opened, as :func:`run_settings` gives them), so the Scenario page checks dates against the run to come."""
    defaults = state.default_run_settings(scenario)
    horizon = st.session_state.get(f"{prefix}horizon", defaults["horizon_days"])
    warm = st.session_state.get(f"{prefix}warmup", defaults["warmup_days"])
    return RunWindow(scenario.start, float(warm), float(horizon))


QUICK_LOOK_MEASURED = state.REPO / "app" / "quick_look_bias.json"
"""The baseline's quick look measured against its full run (written by ``scripts/quick_look_bias.py``)."""


@st.cache_data(show_spinner=False)
def _quick_look_measured(path: str, mtime: float) -> dict[str, Any] | None:
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def quick_look_measured() -> dict[str, Any] | None:
    """The stored measurement of the baseline's quick-look bias (None when it is missing or unreadable)."""
    p = QUICK_LOOK_MEASURED
    return _quick_look_measured(str(p), p.stat().st_mtime) if p.exists() else None


def run_length_note(scenario: Scenario, settings: dict[str, Any]) -> str | None:
    """None when ``settings`` measure at least the scenario's own run; otherwise a warning that the figures are
    biased and by how much (the baseline's quick look as measured by ``scripts/quick_look_bias.py``), saying
    whose bias it is: this scenario's, the baseline's, or an earlier baseline's."""
    from hospital_twin.experiment.runner import scenario_hash

    d = state.default_run_settings(scenario)
    short = int(settings["horizon_days"]) < d["horizon_days"]
    cold = int(settings["warmup_days"]) < d["warmup_days"]
    if not short and not cold:
        return None
    why = []
    if short:
        why.append(
            f"{settings['horizon_days']} days measured, fewer than the scenario's {d['horizon_days']}: a stay is "
            "counted when the patient leaves, and a run that starts empty and stops after "
            f"{int(settings['warmup_days']) + int(settings['horizon_days'])} days sees no longer stay end, so the "
            "long stays are missing"
        )
    if cold:
        why.append(
            f"a {settings['warmup_days']}-day warm-up, shorter than the scenario's {d['warmup_days']}: the hospital "
            "is still filling when measurement starts"
        )
    quick = state.quick_look_settings(scenario)
    what = "Quick look" if all(int(settings[k]) == v for k, v in quick.items()) else "Shorter than the scenario's run"
    text = f"**{what}: these figures are biased**, not just less precise: " + "; ".join(why) + "."
    m = quick_look_measured()
    if not m or not short:
        return text
    q, f = m["quick"], m["full"]
    text += (
        f" Measured on the baseline, {q['horizon_days']} days after a {q['warmup_days']}-day warm-up against its full "
        f"{f['horizon_days']} days ({m['replications']} replications each): "
        + ("; ".join(m["biased"]) if m["biased"] else "no measure beyond its interval")
        + "."
    )
    if m["within"]:
        text += " Within their 95% intervals, which a quick look makes wide: " + "; ".join(m["within"]) + "."
    own = scenario_hash(scenario)
    if own != m["scenario_hash"]:
        if scenario_hash(baseline_scenario()) == m["scenario_hash"]:
            text += " That is the baseline's bias: this scenario's is not measured and may differ."
        else:
            text += (
                " Measured on an earlier version of the baseline: this scenario's bias is not measured and may differ."
            )
    return text


@st.cache_data(show_spinner=False, max_entries=64)
def _date_messages(yaml_text: str, warmup_days: float, horizon_days: float) -> list[str]:
    scenario = state.scenario_from_text(yaml_text, "scenario")
    window = RunWindow.of(scenario, warmup_days=warmup_days, horizon_days=horizon_days)
    return [p.message for p in date_problems(scenario, window)] if window is not None else []


def show_date_warnings(yaml_text: str, settings: dict[str, Any], *, name: str | None = None) -> None:
    """One warning per dated input of the scenario (a surge, a change of beds, rostered shifts) that these run
    settings do not measure as meant: inside the warm-up, or after the end."""
    try:
        messages = _date_messages(yaml_text, float(settings["warmup_days"]), float(settings["horizon_days"]))
    except (ScenarioError, state.UploadError):
        return  # an invalid scenario is said where it is edited
    for message in messages:
        st.warning((f"{name}: " if name else "") + message)


def show_problem(target, message: str, details: list[str] | tuple[str, ...] = (), *, error: bool = False) -> None:
    """One problem in words next to its lever; where it sits in the YAML only under "Details"."""
    (target.error if error else target.warning)(message)
    if details:
        with target.expander("Details (where in the scenario file)"):
            st.markdown("\n".join(f"- `{d}`" for d in details))


# --------------------------------------------------------------------------- jobs
@st.cache_data(show_spinner=False, max_entries=24)
def load_result(kind: str, yaml_text: str, seed: int, replications: int, extra: str = "") -> Any:
    """A finished result, cached by what was computed: the scenario YAML, the seed and the replications."""
    return jobs.load_cached(jobs.job_key(kind, yaml_text, seed, replications, extra))


def job_of(slot: str) -> jobs.Job | None:
    return st.session_state["jobs"].get(slot)


def launch(slot: str, spec, key: str, label: str) -> None:
    """Start ``spec`` (a job of :mod:`job_specs`) in ``slot``, cancelling the slot's running job first."""
    old = job_of(slot)
    if old is not None and old.state() == "running":
        old.cancel()
    st.session_state["jobs"][slot] = jobs.start(spec, key, label)
    save_session()  # a refresh from now on finds the job


def job_panel(slot: str) -> str | None:
    """Progress of the slot's job with a Cancel button; returns its state (None when there is none)."""
    job = job_of(slot)
    if job is None:
        return None
    s = job.state()
    if s == "running":
        _running(slot)
        return "running"
    if s == "failed":
        err = job.error()
        st.error(err.get("message", "failed"))
        for issue in err.get("issues", []):
            st.markdown(f"- {state.issue_text(issue)}")
    elif s == "cancelled":
        st.info("Cancelled. Nothing was kept from that run.")
    return s


@st.fragment(run_every=0.5)
def _running(slot: str) -> None:
    job = job_of(slot)
    if job is None:
        return
    s = job.state()
    if s != "running":
        st.rerun()
    p = job.progress()
    done, total, stage = p.get("done", 0), p.get("total", 0), p.get("stage", "")
    frac = min(1.0, done / total) if total else 0.0
    text = f"{job.label}: {stage}" + (f", {done} of {total} done" if total else "") + f" ({job.elapsed_s:.0f} s)"
    st.progress(frac, text=text)
    if st.button("Cancel", key=f"cancel_{slot}_btn", type="secondary"):
        job.cancel()
        st.rerun()


def zip_bytes(key: str) -> bytes | None:
    p = jobs.cached_path(key).parent / "results.zip"
    return p.read_bytes() if p.is_file() else None


# --------------------------------------------------------------------------- numbers
def _lookup(summary: pd.DataFrame, name: str, metric: str, unit: str) -> pd.Series | None:
    r = summary[(summary["scenario"] == name) & (summary["metric"] == metric) & (summary["unit"] == unit)]
    return None if r.empty else r.iloc[0]


def kpi_cards(
    summary: pd.DataFrame,
    s: Scenario,
    kpis: pd.DataFrame | None = None,
    census: pd.DataFrame | None = None,
    targets: dict | None = None,
) -> list[tuple[str, str, str, str]]:
    """``(label, value, interval, help)`` for the headline measures of one scenario.

    With ``kpis`` (per replication), the cards say who was still waiting at the end and who never got a bed,
    put a red warning on figures that look calm while patients are stuck (``reporting.honest``), and give the
    median and range where replications disagree strongly. The headline occupancy is G&A occupancy at midnight
    (from ``census`` and ``kpis``, ``reporting.nhs``), with the 24-hour average beside it; the 4-hour, 12-hour and
    occupancy cards say green, amber or red against ``targets`` (key -> ``reporting.targets.Target``; the NHS
    standards by default). Tooltips say what a figure means in words, never a metric id.
    """
    from hospital_twin.reporting.honest import ed_reason, replication_spread, stuck_warning, unserved
    from hospital_twin.reporting.nhs import (
        GA_AVERAGE,
        GA_MIDNIGHT,
        ambulance_units,
        critical_care_units,
        ga_occupancy_summary,
        gridlocked_reps,
        not_judged,
    )
    from hospital_twin.reporting.nhs import measure_help as words
    from hospital_twin.reporting.targets import NHS_TARGETS

    targets = {t.key: t for t in NHS_TARGETS} | (targets or {})
    if kpis is not None:  # G&A occupancy (at midnight and over 24 h) joins the summary as two more figures
        summary = pd.concat([summary, ga_occupancy_summary(census, kpis, s)], ignore_index=True)

    cards = []
    stop = not_judged(gridlocked_reps(kpis, s.name))
    left = unserved(kpis, s) if kpis is not None else None
    warning = stuck_warning(left) if left is not None else ""

    def card(
        label: str,
        metric: str,
        unit: str,
        flip: bool = False,
        per_day: bool = False,
        calm: bool = False,
        why_missing: str | None = None,
        in_days: bool = False,
        target: str | None = None,
        more: str = "",
        help_key: str | None = None,
    ) -> None:
        r = _lookup(summary, s.name, metric, unit)
        label_full = words(help_key or metric)
        if why_missing:  # a figure about nobody: say why instead of a reassuring zero or a missing card
            cards.append((label, "—", f":red[{why_missing[0].upper()}{why_missing[1:]}.]", label_full))
            return
        if r is None or not math.isfinite(float(r["mean"])):
            return
        _, kind = METRIC_LABELS.get(metric, (metric, "share" if metric in (GA_MIDNIGHT, GA_AVERAGE) else ""))
        # every KPI is >= 0 (and shares <= 1): a t-interval from few replications can reach past that
        mean, lo, hi = float(r["mean"]), max(0.0, float(r["ci_low"])), float(r["ci_high"])
        if kind == "share":
            hi = min(1.0, hi)

        def shown(x: float) -> float:
            x = 1 - x if flip else x
            return x / s.horizon_days if per_day else x

        mean, lo, hi = shown(mean), *sorted((shown(lo), shown(hi)))
        if in_days:  # a stay reads in days (3.3 days), as the NHS counts it

            def fmt(x: float) -> str:
                return f"{x / 24:,.1f} days"
        elif per_day:

            def fmt(x: float) -> str:
                return f"{x:,.1f} a day"
        else:

            def fmt(x: float) -> str:
                return format_value(x, kind)

        ci = f"95% interval {fmt(lo)} to {fmt(hi)}" if int(r["n_reps"]) > 1 and math.isfinite(lo) else ""
        spread = replication_spread(kpis, s.name, metric, unit)
        if spread is not None:
            a, b = sorted((shown(spread.low), shown(spread.high)))
            ci += f"; replications disagree: median {fmt(shown(spread.median))}, from {fmt(a)} to {fmt(b)}"
        if more:
            ci += f"; {more}"
        goal = targets.get(target) if target else None
        rag = goal.during(*(measured_days(s) or (None, None))).rag(mean) if goal else None  # over the days measured
        if rag is not None and stop:  # a gridlocked collapse is never green against a target
            ci += f"  \n:red[**{stop[0].upper()}{stop[1:]}**]"
        elif rag is not None:
            colour = {"green": "green", "amber": "orange", "red": "red"}[rag.status]
            ci += f"  \n:{colour}[**{rag.words}**]"
        if calm and warning:
            ci += f"  \n:red[{warning}.]"
        source = f" Target: {goal.text} ({goal.source})." if goal is not None else ""
        cards.append(
            (
                label,
                fmt(mean),
                ci,
                f"{label_full}{source} Mean of {int(r['n_reps'])} replications with its 95% interval.",
            )
        )

    average = _lookup(summary, s.name, GA_AVERAGE, ALL)
    midnight = _lookup(summary, s.name, GA_MIDNIGHT, ALL)
    if midnight is not None and math.isfinite(float(midnight["mean"])):
        aside = f"24-hour average {100 * float(average['mean']):.1f}%" if average is not None else ""
        card("G&A occupancy at midnight", GA_MIDNIGHT, ALL, calm=True, target="ga_occupancy", more=aside)
        card("G&A occupancy over 24 h", GA_AVERAGE, ALL, calm=True)
    elif average is not None:  # no hourly census kept: the 24-hour average only, named as such
        card("G&A occupancy over 24 h", GA_AVERAGE, ALL, calm=True, target="ga_occupancy")
    else:
        card("Inpatient bed occupancy", "utilisation", ALL, calm=True)
    for u in critical_care_units(s):
        card(f"{u}: bed occupancy", "utilisation", u, calm=True)
    card("Waited for a bed", "waited_share", ALL, calm=True)
    card("Wait for a bed, mean", "wait_for_bed_mean_h", ALL, calm=True)
    if left is not None:
        cards.extend(unserved_cards(left))
    else:
        card("Still waiting for a bed at the end", "unserved_share", ALL)
    for u, spec in s.units.items():
        if spec.ed is not None:
            why = ed_reason(summary, s, u)
            no_one = why if why == "no attendance was measured" else None
            card(
                f"{u}: left within 4 hours",
                "ed_4h_breach_share",
                u,
                flip=True,
                why_missing=no_one,
                target="four_hour",
                help_key="ed_within_4h",
            )
            card(f"{u}: over 12 hours in the ED", "ed_12h_breach_share", u, why_missing=no_one, target="twelve_hour")
            card(f"{u}: decision-to-admit wait", "ed_boarding_mean_h", u, calm=True, why_missing=why)
            card(f"{u}: trolley waits over 12 h", "ed_dta_12h_waits", u, per_day=True, calm=True, why_missing=why)
            card(f"{u}: left without being seen", "left_without_being_seen_share", u)
            if u in ambulance_units(s):  # the wait from an ambulance's arrival to a space: the handover delay
                handover = _lookup(summary, s.name, "ambulance_handover_mean_h", u)
                minutes = 60 * float(handover["mean"]) if handover is not None else math.nan
                mean_min = f"mean handover {minutes:.{0 if minutes >= 10 else 1}f} minutes" if minutes >= 0 else ""
                card(
                    f"{u}: ambulance handovers over 45 minutes",
                    "ambulance_handover_over_45min_share",
                    u,
                    calm=True,
                    target="ambulance_handover",
                    more=mean_min,
                )
    card("Admissions placed on another ward (outliers)", "outlier_share", ALL)
    for name in s.discharge_lounges:
        card(f"Discharge lounge {name}: patients", "lounge_uses", name, per_day=True)
        card(f"Discharge lounge {name}: places in use, average", "lounge_occupancy_mean", name)
    if s.electives:
        card("Planned operations cancelled on the day", "cancelled_share", ALL, target="elective_cancellations")
    card("Hospital stay, mean", "los_mean_h", ALL, calm=True, in_days=True)
    return cards


def unserved_cards(left) -> list[tuple[str, str, str, str]]:
    """Cards for who was left: still waiting for a bed at the end, never got a bed, ED patients not yet seen
    (``left`` is ``reporting.honest.Unserved``)."""
    from hospital_twin.reporting.honest import never_bedded_breakdown

    def people(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:,.1f}"

    def ci(mean: float, hw: float) -> str:
        return f"95% interval {people(max(0.0, mean - hw))} to {people(mean + hw)}" if hw > 0 else ""

    share = left.still_waiting / left.requests if left.requests > 0 else 0.0
    red = ":red[" if left.stuck else ""
    end = "]" if left.stuck else ""
    out = [
        (
            "Still waiting for a bed at the end",
            people(left.still_waiting),
            "; ".join(
                x
                for x in (
                    f"{red}{100 * share:.1f}% of {people(left.requests)} requests for a bed{end}",
                    ci(left.still_waiting, left.still_waiting_hw),
                )
                if x
            ),
            "Patients who asked for an inpatient bed in the measured days and were still waiting for one when the "
            "run ended. Higher is worse. Mean of the replications",
        ),
        (
            "Never got a bed",
            people(left.never_bedded),
            "; ".join(
                x
                for x in (
                    f"{red}{never_bedded_breakdown(left)}{end}",
                    ci(left.never_bedded, left.never_bedded_hw),
                )
                if x
            ),
            "Requests for an inpatient bed in the measured days that had none by the end: still waiting, turned "
            "away or cancelled. Higher is worse. Mean of the replications",
        ),
    ]
    for ed, (waiting, attendances) in left.ed_never_seen.items():
        if waiting > 0:
            out.append(
                (
                    f"{ed}: still waiting to be seen at the end",
                    people(waiting),
                    f"{red}of {people(attendances)} attendances in the measured days{end}",
                    f"Attendances at {ed} still waiting for a cubicle or a clinician when the run ended. Higher is "
                    "worse. Mean of the replications",
                )
            )
    return out


def escalation_cards(kpis: pd.DataFrame, s: Scenario) -> list[tuple[str, str, str, str]]:
    """Cards for escalation levels (none without ``escalation_levels``): time at OPEL 3 or 4 per group, escalation
    beds and extra ED spaces open on average, electives postponed. Each is a per-replication total (summed over
    levels or units) whose mean and 95% interval come from the replications, as for every other card."""
    from hospital_twin.results import summarise

    if not s.escalation_levels:
        return []
    k = kpis[kpis["scenario"] == s.name] if "scenario" in kpis else kpis
    window_h = s.horizon_days * 24.0
    is_ed = {u: spec.ed is not None or spec.kind == "ed" for u, spec in s.units.items()}
    cards = []

    def card(label: str, metrics: list[str], units: list[str], fmt, help_: str, scale: float = 1.0) -> None:
        rows = k[k["metric"].isin(metrics) & k["unit"].isin(units)]
        if rows.empty:
            return
        per_rep = rows.groupby("rep", sort=True)["value"].sum().mul(scale).reset_index()
        per_rep = per_rep.assign(scenario=s.name, metric="x", unit="x")
        r = summarise(per_rep).iloc[0]
        mean, lo, hi, n = float(r["mean"]), max(0.0, float(r["ci_low"])), float(r["ci_high"]), int(r["n_reps"])
        if not math.isfinite(mean):
            return
        ci = f"95% interval {fmt(lo)} to {fmt(hi)}" if n > 1 and math.isfinite(lo) else ""
        cards.append((label, fmt(mean), ci, f"{help_}; mean of {n} replications with its 95% interval"))

    days = s.horizon_days

    def time_share(x: float) -> str:
        return f"{100 * min(x, 1.0):.1f}% ({x * days:,.1f} days)"

    groups = list(s.escalation_levels)
    for g in groups:
        label = "Time at OPEL 3 or 4" + (f" ({g})" if len(groups) > 1 else "")
        card(
            label,
            ["hours_at_level_3", "hours_at_level_4"],
            [g],
            time_share,
            f"Share of the {days:g} measured days that escalation group {g} spent at level 3 or 4 (the highest "
            "levels of pressure). Higher is worse",
            scale=1 / window_h,
        )
    levels = [lv for spec in s.escalation_levels.values() for lv in spec.levels]
    wards = sorted(
        {u for lv in levels for u in lv.actions.open_beds if not is_ed.get(u, False)}, key=list(s.units).index
    )
    wards += [u for u, spec in s.units.items() if spec.escalation is not None and u not in wards]
    if wards:
        card(
            "Escalation beds open on average",
            ["escalation_beds_open_mean"],
            wards,
            lambda x: f"{x:,.1f}",
            f"Escalation beds open, time average, summed over {', '.join(wards)}",
        )
    eds = sorted({u for lv in levels for u in lv.actions.ed_spaces}, key=list(s.units).index)
    if eds:
        card(
            "Extra ED spaces open on average",
            ["escalation_beds_open_mean"],
            eds,
            lambda x: f"{x:,.1f}",
            f"Extra ED spaces (corridor care) open, time average, summed over {', '.join(eds)}",
        )
    if any(lv.actions.postpone_electives > 0 for lv in levels):
        card(
            "Electives postponed",
            ["elective_postponed"],
            [ALL],
            lambda x: f"{x:,.1f} in {days:g} days",
            f"Planned admissions postponed by an escalation level over the {days:g} measured days. Higher is worse",
        )
    return cards


def pathway_cards(summary: pd.DataFrame, s: Scenario) -> list[tuple[str, str, str, str]]:
    """Cards for the discharge pathways (none without them): patients fit to leave still in a bed beside the peers'
    figure per bed, the bed days they take, and per pathway the delay from ready to leaving (days) and a pool's
    places in use. Manager's words only; the help says where the figure comes from."""
    from hospital_twin.reporting.figures import PEER_NCTR_PER_BED

    if not s.discharge_pathways:
        return []
    cards = []

    def stats(metric: str, unit: str) -> tuple[float, float, float, int] | None:
        r = _lookup(summary, s.name, metric, unit)
        if r is None or not math.isfinite(float(r["mean"])):
            return None
        return float(r["mean"]), max(0.0, float(r["ci_low"])), float(r["ci_high"]), int(r["n_reps"])

    def interval(lo: float, hi: float, n: int, fmt) -> str:
        return f"95% interval {fmt(lo)} to {fmt(hi)}" if n > 1 and math.isfinite(lo) and math.isfinite(hi) else ""

    def people(x: float) -> str:
        return f"{x:,.0f}" if x >= 10 else f"{x:,.1f}"

    inpatient = [u for u, spec in s.units.items() if spec.ed is None and spec.kind != "ed"]
    beds = sum(s.units[u].beds for u in inpatient)
    count, per_bed = stats("nctr_mean", ALL), stats("nctr_daily_per_bed", ALL)
    if count is not None:
        mean, lo, hi, n = count
        ratio = f"{per_bed[0]:.2f} a day per bed (peers {PEER_NCTR_PER_BED:.2f})" if per_bed is not None else ""
        cards.append(
            (
                "Fit to leave, in a bed",
                people(mean),
                "; ".join(x for x in (ratio, interval(lo, hi, n, people)) if x),
                f"Patients who no longer meet the criteria to reside, waiting in a bed for a discharge pathway: "
                f"the average number over the measured time; per bed, the sitrep's daily count (every such patient of "
                f"the day, those who leave later that day too) over the {beds} inpatient beds. Peers: "
                f"the median of the baseline's 19 peer trusts in NHS England's acute discharge sitrep, "
                f"{PEER_NCTR_PER_BED:.2f} per general and acute bed. Mean of {n} replications.",
            )
        )
    days = stats("nctr_bed_days", ALL)
    if days is not None:
        mean, lo, hi, n = days
        cards.append(
            (
                "Their bed days",
                f"{mean:,.0f}",
                interval(lo, hi, n, lambda x: f"{x:,.0f}"),
                f"Bed days held by patients waiting for a discharge pathway over the {s.horizon_days:g} measured "
                f"days. Mean of {n} replications.",
            )
        )
    for name, spec in s.discharge_pathways.items():
        what = f"{name} ({spec.label})" if spec.label else name
        label = f"{spec.label}; " if spec.label else ""
        delay = stats("nctr_delay_mean_h", name)
        if delay is not None:
            mean, lo, hi, n = delay[0] / 24.0, delay[1] / 24.0, delay[2] / 24.0, delay[3]
            p90 = stats("nctr_delay_p90_h", name)
            tail = f"1 in 10 wait over {p90[0] / 24:,.1f} days" if p90 is not None else ""
            cards.append(
                (
                    f"Wait for {name}",
                    f"{mean:,.1f} days",
                    label + "; ".join(x for x in (tail, interval(lo, hi, n, lambda x: f"{x:,.1f}")) if x),
                    f"Wait in a hospital bed for {what}: from medically fit to leave until leaving the bed, mean over "
                    "the patients of this pathway (those still waiting at the end with their wait so far). Mean of "
                    f"{n} replications.",
                )
            )
        occ = stats("pathway_occupancy_mean", name) if spec.kind == "pool" else None
        if occ is not None:
            mean, lo, hi, n = occ
            open_ = stats("pathway_places_mean", name)
            bought = open_ is not None and open_[0] > spec.places + 0.05
            cards.append(
                (
                    f"{name} places in use",
                    f"{mean:,.1f} of {open_[0]:,.1f}" if bought else f"{mean:,.1f} of {spec.places}",
                    label + interval(lo, hi, n, lambda x: f"{x:,.1f}"),
                    f"Places of {name} occupied on average (they are not hospital beds). Mean of {n} replications."
                    + (
                        f" It has {spec.places} places; with those bought under escalation {open_[0]:,.1f} were open "
                        "on average."
                        if bought
                        else ""
                    ),
                )
            )
    return cards


def gridlock_alarm(summary: pd.DataFrame, s: Scenario) -> str | None:
    """'2 of 5 replications gridlocked', when any replication of ``s`` gridlocked (None otherwise or without the measure)."""
    from hospital_twin.reporting.notes import gridlock_count

    count = gridlock_count(summary, s.name)
    if count is None or count[0] == 0:
        return None
    k, n = count
    return f"{k} of {n} replications gridlocked"


def show_gridlock_alarm(summary: pd.DataFrame, s: Scenario) -> None:
    """A red card when replications gridlocked: how many, the rule in words, and what it does to the means."""
    alarm = gridlock_alarm(summary, s)
    if alarm is None:
        return
    from hospital_twin.results import GRIDLOCK_RULE

    st.error(
        f"**{alarm}.** In those replications the queue for beds ran away ({GRIDLOCK_RULE}). Their figures are "
        "included in the means below: a card says where replications disagree strongly (median and range).",
        icon=":material/error:",
    )


def show_cards(cards: list[tuple[str, str, str, str]], per_row: int = 4) -> None:
    for i in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, (label, value, ci, help_) in zip(cols, cards[i : i + per_row], strict=False):
            with col.container(border=True):
                st.metric(label, value, help=help_)
                st.caption(ci or "single replication: no interval")


def show_months(result, targets: dict) -> None:
    """The NHS targets month by month (``reporting.nhs.by_month``): a table, one row a month, red / amber / green."""
    from hospital_twin.reporting.nhs import by_month, gridlocked_reps, month_table

    monthly = by_month(result.adt_log, result.census, result.kpis, result.scenario)
    if monthly.empty:
        return
    st.markdown("**Month by month against the targets**")
    stuck = gridlocked_reps(result.kpis, result.scenario.name)
    show_table(month_table(monthly, targets, result.scenario, gridlocked=stuck))
    st.caption(
        "Each month of the measured days: the mean over replications, the lowest to the highest replication in "
        "brackets, and green / amber / red against the targets above (4-hour and 12-hour by month of arrival at "
        "the ED; G&A occupancy over the month's midnights). A month with few days measured is less sure; measure "
        "a year (Days measured 364) to see January to March."
    )


def show_offered_load(scenario: Scenario, summary: pd.DataFrame | None = None) -> None:
    """The offered load per unit with its Erlang figures (beside the simulated occupancy with a summary),
    the discharge pathways' load when the scenario has any, and a warning for each overloaded unit or
    pathway: the tables `hospital-twin validate` prints."""
    from hospital_twin.reporting.notes import LOAD_NOTE, PATHWAY_NOTE, load_table, pathway_table

    rows, report = load_table(scenario, summary)
    for w in report.warnings:
        st.warning(w, icon=":material/warning:")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"load_{summary is not None}")
    st.caption(LOAD_NOTE)
    paths = pathway_table(scenario, report, summary)
    if paths:
        st.markdown("**Discharge pathways** (NCTR: patients ready to leave, waiting in their beds)")
        st.dataframe(pd.DataFrame(paths), hide_index=True, width="stretch", key=f"pathways_{summary is not None}")
        st.caption(PATHWAY_NOTE)


def show_points_to_note(result) -> None:
    """The report's points to note for a run (overloaded units first), as the terminal prints them."""
    from hospital_twin.reporting.notes import points_to_note

    log = result.adt_log.assign(scenario=result.name) if result.adt_log is not None else None
    notes = points_to_note(result.scenario, result.summary, log, int(result.provenance.get("replications") or 0))
    if notes:
        st.info("**Points to note**\n\n" + "\n".join(f"- {n}" for n in notes))


RAG_BACKGROUND = {"green": "#d3f9d8", "amber": "#ffe8cc", "red": "#ffe3e3"}
"""Cell colours of red / amber / green (the words are in the cell too)."""


def _rag_table(table: pd.DataFrame, status: pd.DataFrame) -> None:
    """A small static table whose scenario cells are coloured by their status (the words say it as well)."""

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for name in status.columns:
            out[name] = [f"background-color: {RAG_BACKGROUND[x]}" if x in RAG_BACKGROUND else "" for x in status[name]]
        return out

    st.table(table.style.apply(colour, axis=None).hide(axis="index"))


def show_targets_compare(results: list, targets: dict) -> None:
    """Each scenario of a comparison against the NHS targets, side by side: the headline figures, then month by
    month (``reporting.scorecard``), each cell with red / amber / green in colour and in words."""
    from hospital_twin.reporting.scorecard import against_targets, months_against_targets, side_by_side

    scenarios = [r.scenario for r in results]
    names = [s_.name for s_ in scenarios]
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    kpis = pd.concat([r.kpis for r in results], ignore_index=True)
    kept = [r for r in results if r.census is not None]
    census = pd.concat([r.census.assign(scenario=r.name) for r in kept], ignore_index=True) if kept else None
    logged = [r for r in results if r.adt_log is not None]
    log = pd.concat([r.adt_log.assign(scenario=r.name) for r in logged], ignore_index=True) if logged else None

    st.subheader("Against the NHS targets")
    _rag_table(*side_by_side(against_targets(summary, kpis, census, scenarios, targets), names, targets))
    st.caption(
        "Each scenario's mean over replications with its 95% interval, and green / amber / red against the targets "
        "(change them under 'Targets' above). Replications that gridlocked are in the means (see the warnings above)."
    )
    monthly = months_against_targets(log, census, kpis, scenarios, targets)
    if monthly.empty:
        st.info("No month was measured (the run kept no event log or census), so there is no month-by-month view.")
        return
    st.markdown("**Month by month against the targets**")
    _rag_table(*side_by_side(monthly, names, targets))
    missing = "" if log is not None else " The event log was not kept, so the 4-hour and 12-hour months are missing."
    st.caption(
        "Each month of the measured days: the mean over replications, the lowest to the highest replication in "
        "brackets, and green / amber / red against the targets (4-hour and 12-hour by month of arrival at the ED; "
        "G&A occupancy over the month's midnights). A month with few days measured is less sure; measure a year "
        "(Days measured 364) to see January to March." + missing
    )


# --------------------------------------------------------------------------- refresh-safe page state, saved scenarios
SESSION_KEYS = ("scn_edited", "scn_label", "scn_base_id", "scn_upload_text", "scn_upload_name", "run_args", "cmp_args")
"""Session values kept across a refresh besides the widgets of ``PERSISTENT_PREFIXES``."""
SAVED_PREFIX = "Saved: "
"""How a saved scenario is labelled in the pick lists of the Scenario and Compare pages."""


def data_dir():
    import store

    return store.data_dir()


def _kept_values() -> dict[str, Any]:
    out = {}
    for k in list(st.session_state.keys()):
        if not isinstance(k, str) or k.endswith(("_btn", "_upload")):
            continue
        if k.startswith(PERSISTENT_PREFIXES) or k in SESSION_KEYS:
            out[k] = st.session_state[k]
    return out


def restore_session() -> None:
    """Give this browser session its id (kept in the address as ``?sid=``) and, on its first run after a refresh,
    bring back the page state saved under that id: scenario edits, run settings and the jobs it started (a job
    still running is reconnected). A ``?saved=<id>`` link opens that saved scenario."""
    import store

    if "sid" not in st.session_state:
        sid = store.valid_id(st.query_params.get("sid"))
        loaded = None
        try:
            loaded = store.load_session(data_dir(), sid) if sid else None
        except OSError:
            loaded = None
        if loaded is not None:
            values, records = loaded
            for k, v in values.items():
                if k not in st.session_state:
                    st.session_state[k] = v
            for slot, rec in records.items():
                job = jobs.reattach(rec) if isinstance(rec, dict) else None
                if job is not None:
                    st.session_state["jobs"][slot] = job
        st.session_state["sid"] = sid or store.new_id()
    sid = st.session_state["sid"]
    if st.query_params.get("sid") != sid:
        st.query_params["sid"] = sid
    link = st.query_params.get("saved")
    if link is not None:
        del st.query_params["saved"]
        open_saved(link)
    save_session()  # the widgets' values as the interaction that started this run left them


def open_saved(saved_id: str) -> None:
    """Make a saved scenario the current one (as if picked on the Scenario page)."""
    import store

    saved = store.get_saved(data_dir(), saved_id)
    if saved is None:
        st.session_state["store_notice"] = (
            "The link's saved scenario is not on this server (deleted, or saved elsewhere)."
        )
        return
    text = shipped_yaml(str(saved.path), saved.path.stat().st_mtime)
    st.session_state.update(
        scn_edited=text,
        scn_label=f"{SAVED_PREFIX}{saved.name}",
        lv_source="A shipped scenario",
        lv_pick=f"{SAVED_PREFIX}{saved.name}",
    )
    st.session_state["store_notice"] = f"Opened the saved scenario **{saved.name}**."


def save_session() -> None:
    """Write this session's page state to the data folder (only when it changed since the last write).

    Called at the start of every run and where a page sets a value the run then depends on (never after
    ``st.stop``: the session state refuses to be read then)."""
    import store

    sid = st.session_state.get("sid")
    if not sid:
        return
    records = {slot: jobs.record(job) for slot, job in st.session_state.get("jobs", {}).items()}
    text = store.session_text(_kept_values(), records)
    if st.session_state.get("_store_written") == text:
        return
    try:
        store.save_session(data_dir(), sid, text)
        st.session_state["_store_written"] = text
        st.session_state.pop("store_error", None)
    except OSError as exc:
        st.session_state["store_error"] = f"This page's state cannot be kept across a refresh ({exc})."


def _keep_alive_every_s() -> float:
    """How often any page asks about its running jobs: 20 s, or a third of a shorter abandon limit."""
    import os

    try:
        limit = float(os.environ.get(jobs.ABANDON_ENV) or 600)
    except ValueError:
        limit = 600.0
    return max(0.5, min(20.0, limit / 3))


def _keep_jobs_alive() -> None:
    """Ask about this session's running jobs from any page: a worker nobody asks about ends itself."""
    for job in list(st.session_state.get("jobs", {}).values()):
        job.state()


keep_jobs_alive = st.fragment(run_every=_keep_alive_every_s())(_keep_jobs_alive)


def any_job_running() -> bool:
    return any(job.proc.poll() is None for job in st.session_state.get("jobs", {}).values())


def saved_options() -> dict[str, str]:
    """``"Saved: <name>"`` -> path of each saved scenario, most recent first."""
    import store

    try:
        return {f"{SAVED_PREFIX}{s.name}": str(s.path) for s in store.list_saved(data_dir())}
    except OSError:
        return {}


def share_link(saved_id: str) -> str:
    """The app's address that opens a saved scenario (``?saved=<id>``)."""
    url = ""
    try:
        url = st.context.url or ""
    except Exception:  # no request context (scripts): a relative link
        url = ""
    base = url.split("?", 1)[0]
    if base.count("/") >= 3:
        base = base[: base.index("/", base.index("//") + 2)]  # the app's root, not the current page
    return f"{base}/?saved={saved_id}"


# --------------------------------------------------------------------------- layout that fits
FIT_CSS = """<style>
/* KPI cards: a row of cards wraps to fewer columns rather than cutting a value ("85..."). */
div[data-testid="stHorizontalBlock"]:has(div[data-testid="stMetric"]) { flex-wrap: wrap !important; }
div[data-testid="stHorizontalBlock"]:has(div[data-testid="stMetric"]) > div[data-testid="stColumn"] {
  min-width: 11rem !important; flex: 1 1 11rem !important;
}
div[data-testid="stMetricValue"], div[data-testid="stMetricValue"] *,
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important;
  overflow: visible !important;
  text-overflow: clip !important;
  overflow-wrap: anywhere !important;
}
/* Buttons: the whole label, on two lines if need be ("Run this sce..."). */
button[data-testid^="stBaseButton"], button[data-testid^="stBaseButton"] * {
  white-space: normal !important;
  overflow: visible !important;
  text-overflow: clip !important;
  height: auto !important;
  max-width: 100% !important;
}
/* Chips of a multiselect (the what-ifs): the whole name, wrapped; the chips wrap onto more lines rather than
   scrolling sideways out of sight. */
[data-testid="stMultiSelectTagsContainer"], [data-testid="stMultiSelectTagsContainer"] [role="group"] {
  flex-wrap: wrap !important;
  overflow-x: visible !important;
}
[data-testid="stMultiSelectTagsContainer"] [role="group"] > * {
  max-width: calc(100% - 0.5rem) !important;
  box-sizing: border-box !important;
  white-space: normal !important;
}
[data-testid="stMultiSelect"] div:has(> [data-testid="stMultiSelectTagsContainer"]),
[data-testid="stMultiSelectTagsContainer"],
[data-testid="stMultiSelectTagsContainer"] [role="group"] *:not(svg):not(path) {
  max-height: none !important;
  height: auto !important;
}
[data-testid="stMultiSelectTagsContainer"] [role="group"] > * span {
  white-space: normal !important;
  overflow: visible !important;
  text-overflow: clip !important;
}
</style>"""


def fit_layout() -> None:
    """Styles that keep every KPI value and label, button label and chip whole at any width (call once per page);
    ``!important`` because Streamlit's own rules (``truncate``) are more specific."""
    st.html(FIT_CSS)


def show_chart(chart) -> None:
    """An Altair chart (or its Vega-Lite spec as a dict) sized to its column: each panel of a concatenated or
    faceted chart on its own, as wide as the column (``reporting.charts.panels_fit_to_width``), the chart's
    title once above them."""
    from hospital_twin.reporting.charts import panels_fit_to_width

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    title = spec.get("title") if not any(k in spec for k in ("mark", "layer")) else None
    if title:
        st.markdown(f"**{title if isinstance(title, str) else title.get('text', '')}**")
    for panel in panels_fit_to_width(spec):
        st.vega_lite_chart(panel, width="stretch")


def show_table(table: pd.DataFrame) -> None:
    """A short table of words for a manager (a few columns, sentences in cells) that wraps its text to the column
    instead of scrolling sideways, as ``st.dataframe`` does on a narrow screen; its first column names the rows."""
    st.table(table.set_index(table.columns[0]))


# --------------------------------------------------------------------------- money: what the beds cost (issue 15)
COSTS_FILE = "scenarios/costs.yaml"
"""The shipped unit costs (rates per bed-day and nurse hour), used unless the manager uploads their own."""


def cost_rates() -> tuple[Any, str, str]:
    """``(rates or None, the file in words, the problem in words or '')``: the costs file uploaded on the Run page
    (kept for the session), else ``scenarios/costs.yaml``. Read by ``scenario.io.read_costs``."""
    import tempfile
    from pathlib import Path

    from hospital_twin.scenario.io import read_costs

    uploaded = st.session_state.get("money_costs_file")
    try:
        if uploaded:
            name, text = uploaded
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / state.display_name(name, "costs.yaml")
                path.write_text(text, encoding="utf-8")
                return read_costs(path), f"{state.display_name(name)} (uploaded)", ""
        return read_costs(state.SCENARIO_DIR / "costs.yaml"), COSTS_FILE, ""
    except ScenarioError as exc:
        where = f"{state.display_name(uploaded[0])} (uploaded)" if uploaded else COSTS_FILE
        return None, where, "; ".join(state.issue_text(i) for i in exc.issues[:5])


def _currency(rates) -> str:
    return "£" if rates.currency.upper() == "GBP" else f"{rates.currency} "


def costs_file_picker() -> None:
    """Which costs file prices the beds, and an uploader for the manager's own (a YAML file like
    scenarios/costs.yaml); a file that cannot be used is refused with its own name and the line of each problem."""
    _, source, _ = cost_rates()
    with st.expander(f"Unit costs: {source}"):
        st.caption(
            f"The rates per bed-day and per nurse hour come from {COSTS_FILE} unless you upload your own file with "
            "the same keys (bed_day_gbp, escalation_bed_day_gbp, critical_care_bed_day_gbp, nurse_hour_gbp, ...); "
            "ask your finance business partner for your trust's figures."
        )
        up = st.file_uploader("Your costs file (YAML)", type=["yaml", "yml"], key="money_costs_upload")
        if up is not None and st.session_state.get("money_costs_upload_id") != up.file_id:
            st.session_state["money_costs_upload_id"] = up.file_id
            previous = st.session_state.get("money_costs_file")
            try:
                st.session_state["money_costs_file"] = (up.name, state.decode_text(up.getvalue(), up.name))
            except state.UploadError as exc:
                st.session_state["money_costs_problem"] = str(exc)
            else:
                rates, _, problem = cost_rates()
                if rates is None:
                    st.session_state["money_costs_file"] = previous
                    st.session_state["money_costs_problem"] = f"{state.display_name(up.name)} cannot be used: {problem}"
                else:
                    st.session_state.pop("money_costs_problem", None)
            st.rerun()
        if st.session_state.get("money_costs_problem"):
            st.error(st.session_state["money_costs_problem"] + f" The figures use {source}.")
        if st.session_state.get("money_costs_file") and st.button(
            f"Use {COSTS_FILE} again", key="money_costs_reset_btn"
        ):
            st.session_state.pop("money_costs_file", None)
            st.session_state.pop("money_costs_problem", None)
            st.rerun()


def bed_cost_cards(result, rates, source: str) -> list[tuple[str, str, str, str]]:
    """Cards of a year's bed cost (``reporting.money.bed_cost_summary``): all beds, then G&A, escalation and critical
    care beds (a kind the scenario does not have is left out); each with its 95% interval, rate and source."""
    from hospital_twin.reporting.money import (
        ALL_BEDS,
        CC_BEDS,
        ESCALATION_BEDS,
        GA_BEDS,
        bed_cost_summary,
        gbp,
        total_label,
    )

    s = result.scenario
    cur = _currency(rates)
    rows = bed_cost_summary(result.kpis, s, rates, census=getattr(result, "census", None)).set_index("kind")
    unpriced = [
        k
        for k in (GA_BEDS, ESCALATION_BEDS, CC_BEDS)
        if k in rows.index and not math.isfinite(rows.loc[k, "rate_gbp"]) and rows.loc[k, "bed_days"] > 0
    ]
    has_escalation = any(u.escalation is not None for u in s.units.values()) or bool(s.escalation_levels)
    titles = {
        ALL_BEDS: f"Bed cost a year, {total_label(unpriced)}",
        GA_BEDS: "G&A beds a year",
        ESCALATION_BEDS: "Escalation beds a year",
        CC_BEDS: "Critical care beds a year",
    }
    what = {
        ALL_BEDS: "occupied G&A bed-days, escalation bed-days (beds open) and occupied critical care bed-days, each at "
        "its rate"
        + (f" ({' and '.join(k.replace(' beds', '') for k in unpriced)} not priced: left out)" if unpriced else ""),
        GA_BEDS: "occupied G&A bed-days in base beds (patients in open escalation beds are counted there instead)",
        ESCALATION_BEDS: "escalation bed-days: escalation beds open on G&A wards, occupied or not (they open under "
        "pressure and close as they empty)",
        CC_BEDS: "occupied critical care (ICU, HDU) bed-days",
    }
    cards = []
    for kind in (ALL_BEDS, GA_BEDS, ESCALATION_BEDS, CC_BEDS):
        if kind not in rows.index:
            continue
        r = rows.loc[kind]
        if kind == ESCALATION_BEDS and not has_escalation:
            continue
        if kind == CC_BEDS and r["bed_days"] == 0:
            continue
        days_year = f"{r['bed_days_year']:,.0f} bed-days a year"
        if kind != ALL_BEDS and not math.isfinite(r["rate_gbp"]):
            cards.append((titles[kind], "not priced", "", f"{what[kind]}: {days_year}; {source} has no rate for them"))
            continue
        rate = "" if kind == ALL_BEDS else f" at {gbp(r['rate_gbp'], cur)} a bed-day ({source})"
        ci = (
            f"95% interval {gbp(max(0.0, r['year_low']), cur)} to {gbp(r['year_high'], cur)}"
            if r["n_reps"] > 1 and math.isfinite(r["year_low"])
            else ""
        )
        help_ = (
            f"{what[kind]}: {days_year}{rate}. The {s.horizon_days:g} measured days scaled to 365; mean of "
            f"{int(r['n_reps'])} replications with its 95% interval"
        )
        cards.append((titles[kind], gbp(r["cost_gbp_year"], cur), ci, help_))
    return cards


def show_bed_cost(result) -> None:
    """The Run page's cost block: a year's bed cost by kind (cards), the rates and the file they come from."""
    from hospital_twin.reporting.money import gbp

    rates, source, problem = cost_rates()
    st.markdown("**Cost of beds**")
    if rates is None:
        st.warning(f"No money figures: the costs file {source} cannot be used ({problem}).")
        return
    cur = _currency(rates)
    cc = rates.critical_care_bed_day_gbp
    st.caption(
        f"A year's cost: the {result.scenario.horizon_days:g} measured days scaled to 365 days"
        + (" (a shorter period misses the seasons it does not contain)" if result.scenario.horizon_days < 364 else "")
        + f". Rates from {source}"
        + (f" ({rates.price_year} prices)" if rates.price_year else "")
        + f": G&A bed-day {gbp(rates.bed_day_gbp, cur)}, escalation bed-day {gbp(rates.escalation_bed_day_gbp, cur)}"
        + (f", critical care bed-day {gbp(cc, cur)}" if cc is not None else ", critical care not priced")
        + ". ED spaces, discharge lounges and pathway places are not priced."
    )
    show_cards(bed_cost_cards(result, rates, source))


def show_cost_difference(results: list, comparison: pd.DataFrame, verdicts: pd.DataFrame) -> None:
    """The Compare page's cost block: per what-if, what it costs a year (paired difference, interval) and what it
    buys (the verdicts' clear improvements), in words (``reporting.money.cost_sentence``)."""
    from hospital_twin.reporting.money import bed_cost_difference, cost_sentence

    rates, source, problem = cost_rates()
    st.subheader("What it costs and what it buys")
    if rates is None:
        st.warning(f"No money figures: the costs file {source} cannot be used ({problem}).")
        return
    scenarios = [r.scenario for r in results]
    kpis = pd.concat([r.kpis for r in results], ignore_index=True)
    level = float(comparison["confidence"].iloc[0]) if len(comparison) else 0.95
    censuses = [r.census.assign(scenario=r.scenario.name) for r in results if getattr(r, "census", None) is not None]
    census = pd.concat(censuses, ignore_index=True) if len(censuses) == len(results) else None
    diff = bed_cost_difference(kpis, scenarios, rates, confidence=level, census=census)
    for variant in scenarios[1:]:
        st.markdown(cost_sentence(diff, verdicts, scenarios[0], variant, _currency(rates)))
    gridlocked = "scenario_gridlocked_reps" in comparison and (
        comparison["scenario_gridlocked_reps"].max() > 0 or comparison["baseline_gridlocked_reps"].max() > 0
    )
    st.caption(
        f"Bed cost a year (what-if minus baseline, paired replication by replication, {100 * level:g}% intervals): "
        "occupied G&A bed-days, escalation bed-days (beds open) and occupied critical care bed-days at the rates of "
        f"{source}, the measured days scaled to 365. 'Buys' lists the measures above that the what-if clearly "
        "improves."
        + (" Gridlocked replications are included in these costs (see the warning above)." if gridlocked else "")
    )
