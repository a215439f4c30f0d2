"""Scenario: choose or upload a scenario, change the main levers, download it as YAML."""

from __future__ import annotations

import datetime as dt

import state
import streamlit as st
import ui

from hospital_twin.reporting.describe import describe_differences, describe_scenario
from hospital_twin.scenario import ScenarioError, dump_scenario, load_scenario

st.title("Scenario")
st.caption(
    "Pick the hospital to simulate and change its main levers. Every change is checked at once; "
    "problems appear in words next to the lever concerned."
)

# --------------------------------------------------------------------------- source
shipped = ui.shipped()
src = st.radio("Start from", ["A shipped scenario", "My own YAML file"], horizontal=True, key="lv_source")
base = None
if src == "A shipped scenario":
    labels = list(shipped)
    pick = st.selectbox(
        "Scenario",
        labels,
        key="lv_pick",
        help="The baseline is a 450-bed English acute trust; what-ifs change one thing in it.",
    )
    path = shipped[pick]
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

# --------------------------------------------------------------------------- levers
st.subheader("Beds")
units = list(scenario.units)
cols = st.columns(min(len(units), 7))
for i, u in enumerate(units):
    spec = scenario.units[u]
    is_ed = spec.ed is not None or spec.kind == "ed"
    lv.beds[u] = cols[i % len(cols)].number_input(
        f"{u} {'cubicles' if is_ed else 'beds'}",
        min_value=0,
        max_value=5000,
        value=spec.beds,
        step=1,
        key=f"lv_beds_{u}",
        help=f"{spec.kind} unit; the scenario has {spec.beds}.",
    )
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
warm = 0.0 if scenario.warmup_is_auto else float(scenario.warmup_days)
measured_from = (scenario.start + dt.timedelta(days=warm)).date()
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
    surge_from = d1.date_input("Surge from", value=measured_from, key="lv_surge_from", format="YYYY-MM-DD")
    surge_to = d2.date_input(
        "Surge until (not included)",
        value=measured_from + dt.timedelta(days=14),
        key="lv_surge_to",
        format="YYYY-MM-DD",
    )
    st.caption(
        f"x1.00 means no surge. The simulation starts {scenario.start:%d %b %Y}; measurement starts "
        f"after the warm-up, on {measured_from:%d %b %Y}."
    )
    lv.surge_factor, lv.surge_from, lv.surge_to = float(surge), surge_from, surge_to
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
slots["discharge"] = st.container()

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
    slots["staffing"] = st.container()

# --------------------------------------------------------------------------- validate
data = state.apply_levers(state.scenario_dict(scenario), lv)
changed = data != state.scenario_dict(scenario)
if changed and not data.get("name", "").endswith("(edited)"):
    data["name"] = f"{data['name']} (edited)"
edited, issues = state.validate_data(data)
other = []
for issue in issues:
    lever, _unit = state.lever_of(issue)
    target = slots.get(lever)
    if target is None and lever == "volume":
        target = slots.get("volume")
    if target is None:
        other.append(issue)
    else:
        target.error(state.issue_text(issue))

st.divider()
if issues:
    if other:
        st.error("The scenario has problems:\n\n" + "\n".join(f"- {state.issue_text(i)}" for i in other))
    else:
        st.error(
            "The scenario has problems; they are shown next to the levers above. "
            "The Run and Compare pages keep using the last valid version."
        )
else:
    st.session_state["scn_edited"] = state.to_yaml(data)
    st.session_state["scn_label"] = label
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
