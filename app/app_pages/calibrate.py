"""Calibrate: fit a scenario to an ADT event log (uploaded, or a shipped sample); download the scenario."""

from __future__ import annotations

import hashlib
import json

import jobs
import state
import streamlit as st
import ui
from job_specs import CalibrateJob

from hospital_twin.calibration.fit_pathways import parse_pathway_labels

st.title("Calibrate")
ui.fit_layout()
st.caption(
    "Fit a scenario to an admission-discharge-transfer (ADT) log: one row per stay of a patient in a unit, "
    "with columns patient_id, unit, start, end (empty end = still there) and optionally encounter_id, "
    "patient_class, arrival_source, discharge_destination, ready_at, and ready_to_leave (when the patient became "
    "medically ready to leave: with a pathway label such as P1, P2, P3 in discharge_destination, the discharge "
    "pathways and their delays are fitted)."
)

SAMPLE_YEAR = state.SAMPLE_LOGS / "small_hospital_2025.csv.gz"


@st.cache_data(show_spinner=False)
def _patients_in(path: str) -> int:
    """Patients (distinct patient_id) in a gzipped ADT CSV: for the sample's label."""
    import pandas as pd

    return int(pd.read_csv(path, usecols=["patient_id"])["patient_id"].nunique())


SAMPLES = {}
if SAMPLE_YEAR.is_file():
    SAMPLES[f"A year of a small district hospital: {_patients_in(str(SAMPLE_YEAR)):,} patients (simulated)"] = (
        "adt",
        str(SAMPLE_YEAR),
    )
if (state.SAMPLE_LOGS / "mimic-iv-demo-mini").is_dir():
    SAMPLES["MIMIC-IV demo extract: 3 patients, 31 transfers (dates shifted per patient)"] = (
        "mimic",
        str(state.SAMPLE_LOGS / "mimic-iv-demo-mini"),
    )
if (state.SAMPLE_LOGS / "sepsis-mini.xes").is_file():
    SAMPLES["Sepsis event log extract: 7 cases, XES (dates shifted per patient)"] = (
        "xes",
        str(state.SAMPLE_LOGS / "sepsis-mini.xes"),
    )
SAMPLES["A log simulated from the shipped ICU-to-ward example (120 days)"] = (
    "simulated",
    str(state.SCENARIO_DIR / "examples" / "icu_to_ward.yaml"),
)

src = st.radio("Log", ["A shipped sample", "Upload my ADT log"], horizontal=True, key="cal_source")
payload: dict | None = None
ident = ""
if src == "A shipped sample":
    pick = st.selectbox("Sample", list(SAMPLES), key="cal_sample")
    kind, path = SAMPLES[pick]
    payload = {"source": kind, "path": path, "label": state.display_name(path) if kind == "adt" else pick}
    if kind == "simulated":
        data = state.scenario_dict(state.load_scenario(path))
        data["horizon_days"] = 120.0
        payload["scenario_yaml"] = state.to_yaml(data)
    ident = f"{kind}:{path}"
else:
    up = st.file_uploader(
        "ADT log (CSV, CSV.gz or Parquet, at most 50 MB)", type=["csv", "gz", "parquet"], key="cal_log_upload"
    )
    if up is not None:
        raw = up.getvalue()
        name = state.display_name(up.name, "log.csv").lower()
        problem = None
        if len(raw) > state.MAX_LOG_BYTES:
            problem = f"{state.display_name(up.name)} is larger than {state.MAX_LOG_BYTES // 2**20} MB."
        elif name.endswith(".parquet"):
            ext = ".parquet"
            if raw[:4] != b"PAR1":
                problem = f"{state.display_name(up.name)} does not look like a Parquet file."
        elif name.endswith(".csv.gz") or name.endswith(".gz"):
            ext = ".csv.gz"
            if raw[:2] != b"\x1f\x8b":
                problem = f"{state.display_name(up.name)} is not gzip-compressed."
        else:
            ext = ".csv"
            if b"\x00" in raw[:65536]:
                problem = f"{state.display_name(up.name)} is a binary file, not a CSV text file."
        if problem:
            st.error(problem)
        else:
            digest = hashlib.sha256(raw).hexdigest()
            folder = jobs.cache_root() / "uploads"
            folder.mkdir(exist_ok=True)
            path = folder / f"{digest[:32]}{ext}"  # our own name: the uploaded name never touches the disk
            if not path.exists():
                path.write_bytes(raw)
            payload = {"source": "adt", "path": str(path), "label": state.display_name(up.name)}
            ident = f"adt:{digest}"
            # a results folder's adt_log stacks replications (and compare's, scenarios): the fit needs one
            r1, r2 = st.columns(2)
            rep_text = r1.text_input(
                "Replication",
                value="",
                key="cal_rep",
                help="For a simulated log with a 'rep' column holding several replications: the one to fit.",
            ).strip()
            scn_text = r2.text_input(
                "Scenario",
                value="",
                key="cal_scenario",
                help="For a log written by compare (a 'scenario' column): the scenario to fit.",
            ).strip()
            if rep_text and not rep_text.isdigit():
                st.error(f"Replication: '{rep_text}' is not a whole number (0, 1, 2, ...).")
                payload = None
            else:
                payload["rep"] = int(rep_text) if rep_text else None
                payload["scenario"] = scn_text or None
                ident += f":rep={rep_text}:scenario={scn_text}"

c1, c2 = st.columns(2)
name = c1.text_input(
    "Name of the calibrated scenario", value="Calibrated from an ADT log", max_chars=120, key="cal_name"
)
dates_choice = c2.selectbox(
    "Dates in the log",
    ["Decide from the log", "Real dates", "Shifted per patient"],
    key="cal_dates",
    help="Research extracts (MIMIC, the Sepsis log) move each patient's "
    "dates; then beds and arrival rates cannot be measured from the log.",
)
label_text = st.text_input(
    "Discharge pathway labels (optional)",
    value="",
    key="cal_pathway_labels",
    help="LABEL=NAME items separated by ';', e.g. 'care home=P3; community bed=P2': destination labels that mean "
    "a discharge pathway. Labels spelling P1..P3 need none; the other labels are home without support (P0).",
)
labels = tuple(x.strip() for x in label_text.split(";") if x.strip())
try:
    parse_pathway_labels(labels)
except ValueError as exc:
    st.error(str(exc).replace("--pathway-label ", "Pathway label "))
    payload = None
if payload is None:
    st.info("Upload a log, or pick a shipped sample.")
    st.stop()
payload["name"] = name
payload["pathway_labels"] = labels
payload["dates_shifted"] = {"Decide from the log": None, "Real dates": False, "Shifted per patient": True}[dates_choice]
extra = json.dumps(
    {"name": name, "dates": payload["dates_shifted"], "ident": ident, "labels": list(labels)}, sort_keys=True
)
args = ("", 0, 0, extra)
key = jobs.job_key("calibrate", *args)

if st.button("Fit the scenario", type="primary", key="cal_run_btn"):
    st.session_state["cal_args"] = args
    if not jobs.cached(key):
        ui.launch("calibrate", CalibrateJob(**payload), key, label="Calibrating")

status = ui.job_panel("calibrate")
shown = st.session_state.get("cal_args")
if status == "running" or not shown or not jobs.cached(jobs.job_key("calibrate", *shown)):
    st.stop()
out = ui.load_result("calibrate", *shown)

quality = out.get("quality")
st.subheader("How good are the fits?")
if quality is not None:
    {"good": st.success, "usable": st.warning, "poor": st.error}[quality["level"]](quality["sentence"])
    ui.show_table(quality["table"])

r = out["read"]
st.subheader("What was read")
c = st.columns(4)
c[0].metric("Rows read", f"{r['read']:,}")
c[1].metric("Used", f"{r['used']:,}")
c[2].metric("Rejected", f"{r['rejected']:,}")
c[3].metric("Ignored (no unit change)", f"{r['ignored']:,}")
if r.get("set_aside"):
    chosen = " and ".join(f"{k} {v}" for k, v in r.get("selection", {}).items())
    st.caption(
        f"{chosen} chosen: the {r['set_aside']:,} rows of the other replications or scenarios are set aside "
        "(not rejected), so rows read = used + rejected + ignored + set aside."
    )
if out.get("dates"):
    (st.warning if out["dates_shifted"] else st.info)(out["dates"])
flags = out["flags"]
if flags:
    with st.expander(
        f":warning: {len(flags)} warning(s) from the fit: read before using the scenario", expanded=len(flags) <= 3
    ):
        for f in flags:
            st.markdown(f"- {f}")
if len(out["reasons"]):
    with st.expander("Rows not used, by reason", expanded=not r["used"] or r["rejected"] > r["used"]):
        st.dataframe(out["reasons"], hide_index=True, width="stretch")
        if out.get("rows_counted_from_header"):
            st.caption("Row numbers as your file counts them: the header is row 1, the first patient row is row 2.")
        st.dataframe(out["rejects"], hide_index=True, width="stretch")

st.subheader("The fits")
st.download_button(
    "Download the calibrated scenario (YAML)",
    out["yaml"],
    file_name="calibrated.yaml",
    mime="application/x-yaml",
    key="dl_cal_yaml",
    type="primary",
)
usable = quality is None or quality["usable"]
if not usable:
    st.info(
        "Not offered as the current scenario: its fits are poor (the reasons are above). Fit a longer log, "
        "a year of your hospital's admissions and transfers, to get a scenario you can use."
    )
elif st.button("Use it as the current scenario", key="cal_use_btn"):
    try:
        scn = state.scenario_from_text(out["yaml"], "calibrated.yaml")
    except (state.ScenarioError, state.UploadError) as exc:
        st.error(f"The calibrated scenario does not validate: {exc}")
    else:
        st.session_state["scn_upload_text"] = state.to_yaml(state.scenario_dict(scn))
        st.session_state["scn_upload_name"] = "calibrated.yaml"
        st.session_state["lv_source"] = "My own YAML file"
        st.session_state["scn_edited"] = st.session_state["scn_upload_text"]
        st.session_state["scn_label"] = "calibrated from a log"
        st.success("Done: the Scenario, Run and Compare pages now use the calibrated scenario.")

charts = out.get("charts") or {}
st.markdown(
    "**Length of stay per unit**: the fitted stay (lines) against the stays seen in the log (steps); "
    "the closer they are, the better the fit."
)
if "survival" in charts:
    ui.show_chart(json.loads(charts["survival"]))
with st.expander("Details for analysts: the length-of-stay fits and their statistics"):
    st.markdown(
        "The distribution with the smallest AIC among exponential, lognormal, gamma and Weibull, kept when the KS "
        "test accepts it (otherwise the observed stays are used: empirical). Hours."
    )
    for term, note in (out.get("detail_notes") or {}).items():
        st.markdown(f"- **{term}**: {note}")
    st.dataframe(out["stays"], hide_index=True, width="stretch")
st.markdown("**Arrivals** (the first stay of each encounter)")
st.dataframe(out["arrivals"], hide_index=True, width="stretch")
if "arrivals" in charts:
    ui.show_chart(json.loads(charts["arrivals"]))
st.markdown("**Routes between units**")
if "routes" in charts:
    ui.show_chart(json.loads(charts["routes"]))
st.dataframe(out["routes"], hide_index=True, width="stretch")
st.markdown("**Beds**: " + ", ".join(f"{u} {b}" for u, b in out["beds"].items()))
for note in out.get("pathway_notes") or []:
    st.info(f"Discharge pathways: {note}")
if out.get("pathways") is not None and len(out["pathways"]):
    st.markdown(
        "**Discharge pathways** (patients medically ready who waited in their bed, NCTR): shares of the patients "
        "leaving each unit with 95% intervals, the delay from ready_to_leave to leaving, and the capacity written "
        "(daily pathways: mean starts on the days with a queue; pools are written without a queue, their delay "
        "as the assessment)"
    )
    st.dataframe(out["pathway_shares"], hide_index=True, width="stretch")
    st.dataframe(out["pathways"], hide_index=True, width="stretch")
if out.get("report_html"):
    st.download_button(
        "Download the calibration report (HTML)",
        out["report_html"],
        file_name="calibration.html",
        mime="text/html",
        key="dl_cal_html",
    )
with st.expander("The scenario YAML with its provenance"):
    st.code(out["yaml"], language="yaml")
