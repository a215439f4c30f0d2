"""Scenario: choose or upload a scenario, change the main levers, download it as YAML."""

from __future__ import annotations

import datetime as dt

import state
import store
import streamlit as st
import ui

from hospital_twin.reporting.describe import describe_differences, describe_scenario
from hospital_twin.reporting.nhs import bed_summary
from hospital_twin.scenario import ScenarioError, dump_scenario, load_scenario
from hospital_twin.scenario.dates import date_problems, period_problem

st.title("Scenario")
ui.fit_layout()
# sent here by ui.apply_pending_levers: a lever changed as the user left this page (a date typed, then a click on
# another page); the scenario is rebuilt with it below, then the user goes on to where they were going
_pending = st.session_state.pop("scn_return_to", None)
back_to = _pending[1] if _pending and _pending[0] == state.levers_signature(st.session_state) else None
st.caption(
    "Pick the hospital to simulate and change its main levers. Every change is checked at once; "
    "problems appear in words next to the lever concerned."
)

# --------------------------------------------------------------------------- source
shipped = ui.shipped()
src = st.radio("Start from", ["A shipped scenario", "My own YAML file"], horizontal=True, key="lv_source")
base = None
if src == "A shipped scenario":
    choices = {**shipped, **ui.saved_options()}  # the manager's saved scenarios after the shipped ones
    labels = list(choices)
    if st.session_state.get("lv_pick") not in labels:  # a saved scenario deleted since it was picked
        st.session_state.pop("lv_pick", None)
    pick = st.selectbox(
        "Scenario",
        labels,
        key="lv_pick",
        help=f"The baseline is an English acute trust ({bed_summary(ui.baseline_scenario())}); what-ifs change "
        "one thing in it. Scenarios you saved are listed last, as 'Saved: name'.",
    )
    path = choices[pick]
    text = ui.shipped_yaml(path, state.Path(path).stat().st_mtime)
    base = (load_scenario(path), text, pick)
else:
    up = st.file_uploader(
        "Scenario file (YAML, at most 512 KB)",
        type=["yaml", "yml"],
        key="scn_upload",
        help="A what-if may extend a shipped scenario: 'extends: baseline.yaml'.",
    )
    if up is not None:
        try:
            scn, text = state.scenario_from_upload(up.getvalue(), up.name)
        except state.UploadError as exc:
            st.error(str(exc))
        except ScenarioError as exc:
            st.error(f"{state.display_name(up.name)} is not a usable scenario: {len(exc.issues)} problem(s).")
            lines = None
            try:
                lines = up.getvalue().decode("utf-8", "replace").splitlines()
            except Exception:
                pass
            for issue in exc.issues:
                st.markdown(f"- {state.issue_text(issue)}")
                if lines and issue.line and 0 < issue.line <= len(lines):
                    st.code(f"{issue.line:>4} | {lines[issue.line - 1][:200]}", language=None)
        else:
            st.session_state["scn_upload_text"] = state.to_yaml(state.scenario_dict(scn))
            st.session_state["scn_upload_name"] = state.display_name(up.name)
    if st.session_state.get("scn_upload_text"):
        text = st.session_state["scn_upload_text"]
        try:
            base = (
                state.scenario_from_text(text, st.session_state["scn_upload_name"]),
                text,
                f"uploaded {st.session_state['scn_upload_name']}",
            )
            st.success(f"Using {st.session_state['scn_upload_name']}: {base[0].name}")
        except (ScenarioError, state.UploadError):
            base = None
    if base is None:
        st.info(
            "Upload a scenario file, or start from a shipped scenario. The format is described in "
            "scenarios/README.md; to see an example, pick 'A shipped scenario' and download it as YAML."
        )
        st.session_state["scn_levers_sig"] = state.levers_signature(st.session_state)  # nothing pending to apply
        st.stop()

scenario, base_text, label = base
base_id = state.text_hash(base_text)
if st.session_state.get("scn_base_id") != base_id:  # a new starting point: the levers start from it
    for k in [
        k
        for k in st.session_state.keys()
        if isinstance(k, str) and k.startswith("lv_") and k not in ("lv_source", "lv_pick")
    ]:
        del st.session_state[k]
    st.session_state["scn_base_id"] = base_id
if scenario.description:
    st.caption(scenario.description)

lv = state.levers_of(scenario)
slots: dict = {}
window = ui.run_window(scenario)
dated = date_problems(scenario, window)  # the scenario's own dated inputs against the run to come

# --------------------------------------------------------------------------- levers
st.subheader("Beds")
units = list(scenario.units)
cols = st.columns(min(len(units), 7))
for i, u in enumerate(units):
    spec = scenario.units[u]
    is_ed = spec.ed is not None or spec.kind == "ed"
    lv.beds[u] = cols[i % len(cols)].number_input(
        f"{u} {'spaces' if is_ed else 'beds'}",
        min_value=0,
        max_value=5000,
        value=spec.beds,
        step=1,
        key=f"lv_beds_{u}",
        help=f"{spec.kind} unit; the scenario has {spec.beds}.",
    )
for p in (p for p in dated if p.kind == "capacity"):
    ui.show_problem(st, p.message, p.paths)
slots["beds"] = st.container()

inpatient = [u for u in units if scenario.units[u].ed is None and scenario.units[u].kind != "ed"]
with st.expander("Escalation beds (opened only under pressure)", expanded=any(lv.escalation[u] for u in inpatient)):
    st.caption(
        "Extra beds a unit opens when (occupied + waiting) reaches 95% of its base beds and closes as they "
        "empty when pressure falls below 85% (or the thresholds in the scenario file)."
    )
    cols = st.columns(min(len(inpatient), 7) or 1)
    for i, u in enumerate(inpatient):
        lv.escalation[u] = cols[i % len(cols)].number_input(
            f"{u} escalation beds", min_value=0, max_value=500, value=lv.escalation[u], step=1, key=f"lv_esc_{u}"
        )
    slots["escalation"] = st.container()

hostable = state.host_candidates(scenario)
if inpatient and len(hostable) >= 1:
    out_lv = lv.outlying
    with st.expander("Outliers: patients placed on other wards when their own is full", expanded=out_lv.on):
        out_lv.on = st.checkbox(
            "Allow outliers (place medical patients on other wards when full)",
            value=out_lv.on,
            key="lv_out_on",
            help="A patient who has waited for a bed on its own ward may be given a free bed on another ward (an "
            "outlier). It keeps its own ward's care: when a bed there frees and nobody waits for it, it moves back.",
        )
        if out_lv.on:
            c1, c2 = st.columns(2)
            out_lv.homes = c1.multiselect(
                "Wards whose patients may be placed elsewhere",
                inpatient,
                default=[u for u in out_lv.homes if u in inpatient],
                key="lv_out_homes",
            )
            out_lv.hosts = c2.multiselect(
                "Wards that take them, tried in this order",
                hostable,
                default=[u for u in out_lv.hosts if u in hostable],
                key="lv_out_hosts",
                help="Critical care never takes outliers. A ward is never its own host.",
            )
            c1, c2 = st.columns(2)
            out_lv.max_per_host = int(
                c1.number_input(
                    "Most outliers on each of these wards at once (0: no limit but its free beds)",
                    min_value=0,
                    max_value=500,
                    value=int(out_lv.max_per_host),
                    step=1,
                    key="lv_out_cap",
                )
            )
            out_lv.after_hours = float(
                c2.number_input(
                    "Placed elsewhere after waiting this many hours for their own ward (0: at once)",
                    min_value=0.0,
                    max_value=168.0,
                    value=float(out_lv.after_hours),
                    step=1.0,
                    key="lv_out_after",
                )
            )
            caps = {h: scenario.units[h].max_outliers for h in lv.outlying_start.hosts if h in scenario.units}
            if lv.outlying_start.on and len(set(caps.values())) > 1:
                st.caption(
                    "The scenario gives each ward its own limit ("
                    + ", ".join(f"{h} {'no limit' if c is None else c}" for h, c in caps.items())
                    + "); changing the number above sets it for every ward that takes outliers."
                )
            if not out_lv.homes or not out_lv.hosts or not any(h != u for u in out_lv.homes for h in out_lv.hosts):
                st.warning(
                    "Pick at least one ward whose patients may be placed elsewhere and another ward to take them."
                )
        slots["outlying"] = st.container()

opel = lv.opel
with st.expander("Escalation (OPEL levels): what the hospital does as pressure rises", expanded=opel.mode != "off"):
    st.caption(
        "Levels OPEL 1 to 4 as in NHS England's OPEL framework: the hospital moves up a level when the share of "
        "its beds occupied or waited for (or the number of ED patients waiting for a bed) reaches the level's "
        "trigger, takes that level's actions, and steps down when pressure falls below where the level ends."
    )
    modes = list(state.OPEL_MODES)
    mode = st.selectbox(
        "Escalation levels",
        modes,
        index=modes.index(lv.opel_start.mode),
        format_func=state.OPEL_MODES.get,
        key="lv_opel",
        help="The OPEL action card is the one of the shipped what-if: a weekend discharge push at OPEL 2; 10 "
        "escalation beds and medical outliers at OPEL 3; corridor care in the ED and half of the planned "
        "surgery postponed at OPEL 4. 'My own levels' starts from the scenario's levels, or from that card.",
    )
    outlying_now = lv.outlying.homes if lv.outlying.on else []
    if mode == "card":
        opel = lv.opel = state.opel_card(scenario)
    opel.mode = mode
    if mode == "edit":
        beds_of = {u: scenario.units[u].beds for u in opel.units if u in scenario.units}
        st.caption(
            f"Pressure is measured over {', '.join(opel.units)} ({sum(beds_of.values())} beds): beds occupied "
            "plus patients waiting for one, as a share of the beds."
        )
        if len(scenario.escalation_levels) > 1:
            others = ", ".join(list(scenario.escalation_levels)[1:])
            st.caption(f"The scenario's other escalation groups ({others}) are kept as they are.")
        c1, c2 = st.columns(2)
        opel.hold_hours = float(
            c1.number_input(
                "Least hours at a level before stepping down",
                min_value=0.0,
                max_value=168.0,
                value=float(opel.hold_hours),
                step=1.0,
                key="lv_opel_hold",
                help="Levels are reviewed at the bed meetings; this keeps a level from flapping with each admission.",
            )
        )
        choices = [0, *state.OPEL_LEVELS]
        opel.outliers_from = c2.selectbox(
            "Outliers (set in the Outliers lever) allowed",
            choices,
            index=choices.index(opel.outliers_from),
            format_func=lambda k: "at every level" if k == 0 else f"only from OPEL {k} on",
            key="lv_opel_out",
        )
        wards = list(
            dict.fromkeys([u for u in opel.units if u in inpatient] + [u for lvl in opel.levels for u in lvl.open_beds])
        )
        eds = [u for u in units if u not in inpatient]
        electives = any(e.unit in opel.units for e in scenario.electives)
        cols = st.columns(len(opel.levels))
        for col, lvl in zip(cols, opel.levels, strict=True):
            k = lvl.level
            with col.container(border=True):
                lvl.on = st.checkbox(f"OPEL {k}", value=lvl.on, key=f"lv_opel_{k}_on")
                if not lvl.on:
                    continue
                lvl.enter_pct = float(
                    st.number_input(
                        "Starts at % of beds occupied or waited for",
                        min_value=1.0,
                        max_value=200.0,
                        value=float(lvl.enter_pct),
                        step=1.0,
                        key=f"lv_opel_{k}_enter",
                    )
                )
                lvl.leave_pct = float(
                    st.number_input(
                        "Ends below %",
                        min_value=1.0,
                        max_value=200.0,
                        value=float(lvl.leave_pct),
                        step=1.0,
                        key=f"lv_opel_{k}_leave",
                    )
                )
                if lvl.leave_pct > lvl.enter_pct:
                    st.warning(f"OPEL {k} would end above where it starts: set 'Ends below' under {lvl.enter_pct:g}%.")
                if eds:
                    lvl.boarders_at = int(
                        st.number_input(
                            "Or starts at this many ED patients waiting for a bed (0: not used)",
                            min_value=0,
                            max_value=1000,
                            value=int(lvl.boarders_at),
                            step=1,
                            key=f"lv_opel_{k}_bat",
                        )
                    )
                    if lvl.boarders_at > 0:
                        lvl.boarders_below = int(
                            st.number_input(
                                "...and ends only with fewer than this many waiting",
                                min_value=0,
                                max_value=1000,
                                value=int(min(lvl.boarders_below, lvl.boarders_at) or lvl.boarders_at),
                                step=1,
                                key=f"lv_opel_{k}_bbelow",
                            )
                        )
                st.markdown("**Actions**")
                for u in wards:
                    lvl.open_beds[u] = int(
                        st.number_input(
                            f"{u} escalation beds",
                            min_value=0,
                            max_value=500,
                            value=int(lvl.open_beds.get(u, 0)),
                            step=1,
                            key=f"lv_opel_{k}_beds_{u}",
                        )
                    )
                for u in eds:
                    lvl.ed_spaces[u] = int(
                        st.number_input(
                            f"{u} extra spaces (corridor care)",
                            min_value=0,
                            max_value=500,
                            value=int(lvl.ed_spaces.get(u, 0)),
                            step=1,
                            key=f"lv_opel_{k}_ed_{u}",
                        )
                    )
                if electives:
                    lvl.postpone_pct = float(
                        st.number_input(
                            "Postpone % of planned admissions",
                            min_value=0.0,
                            max_value=100.0,
                            value=float(lvl.postpone_pct),
                            step=5.0,
                            key=f"lv_opel_{k}_post",
                            help="Elective patients arriving while the level holds are postponed (cancelled on the "
                            "day; rebooked when the list rebooks cancellations).",
                        )
                    )
                lvl.weekend_pct = float(
                    st.number_input(
                        "Weekend discharge push: weekend discharges at % of weekdays (0: none)",
                        min_value=0.0,
                        max_value=100.0,
                        value=float(lvl.weekend_pct),
                        step=5.0,
                        key=f"lv_opel_{k}_wkend",
                    )
                )
        if not any(lvl.on for lvl in opel.levels):
            st.warning("Tick at least one level, or choose 'No escalation levels'.")
    if mode != "off":
        st.markdown("\n".join(f"- {line}" for line in state.opel_words(opel, outlying_now)))
        if opel.outliers_from and not outlying_now:
            st.warning(
                f"Outliers from OPEL {opel.outliers_from} need 'Allow outliers' ticked in the Outliers lever above; "
                "until then no patient is placed on another ward at any level."
            )
    slots["opel"] = st.container()

st.subheader("Demand")
c1, c2 = st.columns(2)
lv.volume_pct = c1.slider(
    "Unplanned arrivals, % of the scenario's volume",
    min_value=50,
    max_value=200,
    value=100,
    step=5,
    key="lv_volume",
    format="%d%%",
    help="Scales every emergency and direct arrival stream; elective lists stay as booked.",
)
slots["volume"] = c1.container()
measured_from = window.measured_from.date()
with c2:
    surge = st.slider(
        "Surge: arrivals multiplied by",
        min_value=1.0,
        max_value=2.0,
        value=1.0,
        step=0.05,
        key="lv_surge",
        format="x%.2f",
        help="A temporary rise in unplanned arrivals between two dates.",
    )
    d1, d2 = st.columns(2)
    # text fields, not date pickers: a typed date is applied by Enter or by moving on (the picker kept a typed date
    # on screen without applying it, and typing a whole date into its segments could garble it)
    typed = {
        "from": d1.text_input(
            "Surge from",
            value=state.day_words(measured_from),
            key="lv_surge_from",
            placeholder="e.g. 3 Feb 2025",
            help="A date such as 3 Feb 2025, 03/02/2025 or 2025-02-03.",
        ),
        "until": d2.text_input(
            "Surge until (not included)",
            value=state.day_words(measured_from + dt.timedelta(days=14)),
            key="lv_surge_to",
            placeholder="e.g. 17 Feb 2025",
            help="The first day without the surge: 3 Feb until 17 Feb is two weeks.",
        ),
    }
    surge_from, surge_to = (state.parse_day(typed[k]) for k in ("from", "until"))
    on = abs(float(surge) - 1.0) > 1e-9
    st.caption(
        f"x1.00 means no surge. The simulation starts {scenario.start:%d %b %Y}; with the run settings of the Run "
        f"page ({window.warmup_days:g}-day warm-up, {window.horizon_days:g} days measured) measurement runs from "
        f"{window.measured_from:%d %b %Y} to {window.end:%d %b %Y}."
    )
    surge_problem = None
    bad_day = [f"'{typed[k]}' (surge {k})" for k, d in (("from", surge_from), ("until", surge_to)) if d is None]
    if on and bad_day:
        ui.show_problem(
            st,
            f"{' and '.join(bad_day)} {'is not a date' if len(bad_day) == 1 else 'are not dates'}: write a date "
            "like 3 Feb 2025, 03/02/2025 or 2025-02-03.",
            error=True,
        )
    elif on:
        surge_problem = period_problem(surge_from, surge_to, window, what="Your surge")
        if surge_problem is None or surge_problem.severity != "error":
            st.markdown(
                f"Surge applied: arrivals x{float(surge):.2f} from {surge_from:%a %d %b %Y} until "
                f"{surge_to:%a %d %b %Y}."
            )
    if surge_problem is not None:
        ui.show_problem(st, surge_problem.message, error=surge_problem.severity == "error")
    broken_surge = on and (bool(bad_day) or (surge_problem is not None and surge_problem.severity == "error"))
    # bad or reversed dates are said once here; the scenario keeps no surge until they are fixed
    lv.surge_factor = 1.0 if broken_surge else float(surge)
    lv.surge_from, lv.surge_to = surge_from, surge_to
    for p in (p for p in dated if p.kind == "arrivals"):
        ui.show_problem(st, f"In the scenario: {p.message}", p.paths)
    slots["surge"] = st.container()

if any(scenario.units[a.unit].ed is not None for a in scenario.arrivals if a.unit in scenario.units):
    with st.expander("Patients who leave the ED before being seen", expanded=lv.patience_h > 0):
        lv.patience_h = st.number_input(
            "Mean patience, hours (0: nobody leaves)",
            min_value=0.0,
            max_value=48.0,
            value=float(lv.patience_h),
            step=0.5,
            key="lv_patience",
            help="How long an emergency department patient waits for a clinician, on average (exponential), "
            "before leaving without being seen; applies to every stream arriving at an ED.",
        )
        slots["patience"] = st.container()

st.subheader("Discharge")
has_window = lv.discharge_window is not None
limit = st.checkbox(
    "Patients may go home only between set hours",
    value=has_window,
    key="lv_window_on",
    help="Applies to the inpatient wards (units with their own rule keep it).",
)
if limit:
    a, b = st.slider(
        "Discharge window (clock hours)",
        min_value=0,
        max_value=24,
        value=lv.discharge_window or (8, 20),
        step=1,
        key="lv_window",
        format="%d:00",
    )
    lv.discharge_window = (int(a), int(b))
else:
    lv.discharge_window = None
day_pass = state.discharge_day_pass(scenario)
now_words = (
    "every day alike"
    if min(day_pass) >= 1
    else ", ".join(f"{d} {100 * p:.0f}%" for d, p in zip(state.DAYS, day_pass, strict=True))
)
preset = st.selectbox(
    "Discharges by day of the week",
    list(state.DAY_PRESETS),
    format_func=state.DAY_PRESETS.get,
    key="lv_days",
    help="Share of the patients ready to go home who may leave on each day; the others wait for the next day "
    f"that lets them go. Now: {now_words}. The peers' profile reproduces the weekday shares of discharges of "
    "the 19 peer trusts (Mon 12.4%, Tue 15.7%, Wed 16.5%, Thu 16.6%, Fri 17.8%, Sat 12.3%, Sun 8.7% of the "
    "week). Applies to the wards without their own rule.",
)
if preset == "peers":
    lv.discharge_days = tuple(state.peer_day_weights())
elif preset == "seven":
    lv.discharge_days = (1.0,) * 7
elif preset == "own":
    cols = st.columns(7)
    lv.discharge_days = tuple(
        float(
            cols[i].number_input(
                f"{d} %", min_value=0, max_value=100, value=int(round(100 * day_pass[i])), step=5, key=f"lv_day_{d}"
            )
        )
        / 100
        for i, d in enumerate(state.DAYS)
    )
    st.caption("Per day, the share (%) of the patients ready to go home who may leave that day.")
else:
    lv.discharge_days = None
slots["discharge"] = st.container()

lounge = lv.lounge
with st.expander("Discharge lounge", expanded=lounge.on):
    lounge.on = st.checkbox(
        "A discharge lounge: patients going home wait there for transport and medicines, freeing their bed",
        value=lounge.on,
        key="lv_lounge_on",
        help="A patient held until its time to go moves to the lounge a while before it leaves, when a place is "
        "free; its bed frees then. It still goes home at the same hour.",
    )
    if lounge.on:
        c1, c2, c3 = st.columns(3)
        lounge.places = int(
            c1.number_input(
                "Places (chairs or trolleys)",
                min_value=1,
                max_value=200,
                value=lounge.places,
                step=1,
                key="lv_lounge_places",
            )
        )
        lounge.time_h = float(
            c2.number_input(
                "Time there before going home, hours on average",
                min_value=0.25,
                max_value=24.0,
                value=float(lounge.time_h),
                step=0.25,
                key="lv_lounge_time",
            )
        )
        lounge.units = c3.multiselect(
            "Wards that use it", inpatient, default=[u for u in lounge.units if u in inpatient], key="lv_lounge_units"
        )
        a, b = st.slider(
            "Open (clock hours; 0:00 to 24:00 is always open)",
            min_value=0,
            max_value=24,
            value=tuple(lounge.hours),
            step=1,
            key="lv_lounge_hours",
            format="%d:00",
        )
        lounge.hours = (int(a), int(b))
        if not lounge.units:
            st.warning("Pick at least one ward whose patients use the lounge.")
    slots["lounge"] = st.container()

if lv.pathways:
    with st.expander("Discharge pathways: patients fit to leave who wait for care outside the hospital", expanded=True):
        st.caption(
            "A patient medically fit to leave who needs care at home (P1), a community or rehabilitation bed (P2) or "
            "a care home (P3) keeps its hospital bed until that service can take it: it no longer meets the "
            "criteria to reside. More starts or places, or fewer patients on a pathway, free beds. The others go "
            "home by the discharge rules above."
        )
        cols = st.columns(min(len(lv.pathways), 4))
        for i, (name, pw) in enumerate(lv.pathways.items()):
            with cols[i % len(cols)].container(border=True):
                st.markdown(f"**{name}**" + (f" {pw.label}" if pw.label else ""))
                if pw.kind == "daily":
                    pw.starts_per_day = float(
                        st.number_input(
                            "Patients it can start a day",
                            min_value=0.0,
                            max_value=1000.0,
                            value=float(pw.starts_per_day),
                            step=0.5,
                            key=f"lv_pw_{name}_starts",
                            help="Average over the week; a scenario's weekday pattern keeps its shape. Starts not "
                            "used on a day are lost.",
                        )
                    )
                elif pw.kind == "pool":
                    pw.places = int(
                        st.number_input(
                            "Places (community or rehabilitation beds)",
                            min_value=0,
                            max_value=5000,
                            value=int(pw.places),
                            step=1,
                            key=f"lv_pw_{name}_places",
                            help="Not hospital beds: a patient waits in its hospital bed until a place is free.",
                        )
                    )
                else:
                    st.caption("No limit: a patient leaves as soon as any assessment is done.")
                pw.share_pct = float(
                    st.number_input(
                        "Patients taking it, % of the scenario's share",
                        min_value=0.0,
                        max_value=500.0,
                        value=float(pw.share_pct),
                        step=10.0,
                        format="%.0f",
                        key=f"lv_pw_{name}_share",
                        help="Scales this pathway's share of the patients leaving each ward (100%: as in the "
                        "scenario); the rest go home without support.",
                    )
                )
                who = state.pathway_shares_words(scenario, name)
                st.caption(f"In the scenario: {who}." if who else "No ward sends patients to it in the scenario.")
                if pw.has_assessment:
                    pw.community = st.checkbox(
                        "Assess at home, not in the hospital bed (discharge to assess)",
                        value=pw.community,
                        key=f"lv_pw_{name}_d2a",
                    )
        slots["pathways"] = st.container()

if scenario.staffing is not None and scenario.shifts:
    st.subheader("Nurses on duty per shift")
    st.caption(
        f"Policy: {scenario.staffing.policy.replace('_', ' ')}. "
        + (
            "Beds above what the nurses can take stay closed."
            if scenario.staffing.policy == "cap_admissions"
            else "Admissions are not limited; hours with more patients than nurses x ratio are counted."
        )
    )
    shifts = list(scenario.shifts)
    head = st.columns([1] + [1] * len(shifts) + [2])
    head[0].markdown("**Unit**")
    for j, sh in enumerate(shifts):
        spec = scenario.shifts[sh]
        head[j + 1].markdown(f"**{sh.capitalize()}** ({spec.start}-{spec.end})")
    head[-1].markdown("**Ratio**")
    for u, st_spec in scenario.staffing.units.items():
        cols = st.columns([1] + [1] * len(shifts) + [2])
        cols[0].markdown(f"**{u}**")
        for j, sh in enumerate(shifts):
            cur = int(st_spec.nurses.get(sh, 0))
            lv.nurses[u][sh] = cols[j + 1].number_input(
                f"{u} {sh} nurses",
                min_value=0,
                max_value=500,
                value=cur,
                step=1,
                key=f"lv_nurse_{u}_{sh}",
                label_visibility="collapsed",
            )
        cols[-1].caption(f"1 nurse per {st_spec.patients_per_nurse:g} patients")
    for p in (p for p in dated if p.kind == "roster"):
        ui.show_problem(st, p.message, p.paths)
    slots["staffing"] = st.container()

# --------------------------------------------------------------------------- validate
data = state.apply_levers(state.scenario_dict(scenario), lv)
changed = data != state.scenario_dict(scenario)
if changed and not data.get("name", "").endswith("(edited)"):
    data["name"] = f"{data['name']} (edited)"
edited, issues = state.validate_data(data)
# each problem once, next to its lever, in words; where it sits in the YAML only under "Details" (one change of
# a lever can break several entries alike, e.g. a multiplier on every arrival stream)
grouped: dict[tuple[str, str], list] = {}
for issue in issues:
    lever, _unit = state.lever_of(issue)
    where = lever if lever in slots else "other"
    grouped.setdefault((where, state.issue_words(issue)), []).append(issue)
for (where, words), same in grouped.items():
    if where != "other":
        ui.show_problem(slots[where], words, [state.issue_text(i) for i in same], error=True)

st.divider()
ok = not (issues or broken_surge)
if ok:
    st.session_state["scn_edited"] = state.to_yaml(data)
    st.session_state["scn_label"] = label
st.session_state["scn_levers_sig"] = state.levers_signature(st.session_state)
if ok:
    ui.save_session()  # a valid edit survives a refresh (before a switch back to the page the user went to)
if back_to is not None and ok:
    st.switch_page(back_to)  # a change sent as the user left is applied: back to the page they went to
if not ok:
    if back_to is not None:
        st.warning("You left this page with a change that has a problem: fix it here before you run.")
    others = [(words, same) for (where, words), same in grouped.items() if where == "other"]
    if others:
        st.error("The scenario has problems; the Run and Compare pages keep using the last valid version.")
        for words, same in others:
            ui.show_problem(st, words, [state.issue_text(i) for i in same], error=True)
    else:
        st.error(
            "The scenario has problems; they are shown next to the levers above. "
            "The Run and Compare pages keep using the last valid version."
        )
else:
    st.success(f"Ready: **{edited.name}**. Go to Run to simulate it, or Compare to set it against what-ifs.")
    c1, c2 = st.columns([1, 3])
    c1.download_button(
        "Download scenario (YAML)",
        dump_scenario(edited),
        file_name="scenario.yaml",
        mime="application/x-yaml",
        key="dl_scenario",
        type="primary",
    )
    c1.page_link("app_pages/run.py", label="Run this scenario", icon=":material/play_circle:")
    st.markdown("#### Offered load per unit")
    st.caption("What the arrivals, routes and stays ask of each unit, before simulating (the analytic sanity band).")
    ui.show_offered_load(edited)
    with c2.expander("What you changed", expanded=changed):
        st.markdown(
            describe_differences(scenario, edited) if changed else "Nothing yet: this is the scenario as loaded."
        )
    with st.expander("The scenario in words"):
        for heading, body in describe_scenario(edited):
            st.markdown(f"#### {heading}")
            st.markdown(body)
    with st.expander("The YAML"):
        st.code(dump_scenario(edited), language="yaml")

# --------------------------------------------------------------------------- named, saved scenarios
st.subheader("Saved scenarios")
st.caption(
    "Save a what-if under a name to keep it: it stays after a refresh or a restart of the app, is offered on the "
    "Compare page and in 'Scenario' above, and can be shared as a YAML file or a link."
)
root = ui.data_dir()
if not issues:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    save_name = c1.text_input("Name to save it under", value=edited.name, max_chars=store.MAX_NAME, key="scn_save_name")
    if c2.button("Save this scenario", key="scn_save_btn", icon=":material/save:"):
        try:
            saved = store.save_scenario(root, save_name, edited)
        except (ValueError, OSError) as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.success(f"Saved as **{saved.name}**. Link to open it: {ui.share_link(saved.id)}")
else:
    st.caption("Fix the problems above to save this scenario.")
for saved in store.list_saved(root):
    with st.container(border=True):
        c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="center")
        c1.markdown(f"**{saved.name}**  \nsaved {saved.saved_at.replace('T', ' ')[:16]} UTC")
        c1.caption(f"Link: {ui.share_link(saved.id)}")
        c2.download_button(
            "Download (YAML)",
            saved.path.read_bytes(),
            file_name=f"{state.display_name(saved.name, 'scenario').replace(' ', '_')}.yaml",
            mime="application/x-yaml",
            key=f"dl_saved_{saved.id}",
        )
        if c3.button("Delete", key=f"scn_del_{saved.id}_btn", icon=":material/delete:"):
            store.delete_saved(root, saved.id)
            st.rerun()
