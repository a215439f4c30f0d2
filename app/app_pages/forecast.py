"""Forecast: the next hours per unit from a census snapshot, as a fan chart with the chance of being full."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import jobs
import pandas as pd
import state
import streamlit as st
import ui
from job_specs import ForecastJob

from hospital_twin.live.census import CensusError, census_at, vacated_beds, validate_census
from hospital_twin.live.forecast import forecast_table
from hospital_twin.reporting.charts import forecast_chart


def _who(snapshot: pd.DataFrame) -> str:
    """'N patients in beds' (and 'M waiting for a bed': rows without a unit_start)."""
    waiting = int(snapshot["unit_start"].isna().sum()) if "unit_start" in snapshot.columns else 0
    text = f"{len(snapshot) - waiting:,} patients in beds"
    return text + (f" and {waiting:,} waiting for a bed" if waiting else "")


st.title("Forecast")
ui.fit_layout()
st.caption(
    "Start the simulation from who is in which bed now, each patient keeping the time already spent in "
    "the unit, and see the next hours per unit: the likely range of occupied beds and the chance each "
    "unit is full."
)
scenario, text, label = ui.current_scenario()
st.markdown(f"Scenario for arrivals and stays: **{scenario.name}** (change it on the Scenario page)")

src = st.radio(
    "Census snapshot",
    ["From the last simulation run", "From an ADT log (upload)", "Upload a snapshot (CSV)"],
    horizontal=True,
    key="fc_source",
    help="A snapshot has columns patient_id, unit, unit_start and optionally patient_class, admitted_at.",
)
snapshot: pd.DataFrame | None = None
vacated: pd.DataFrame | None = None  # beds freed shortly before the snapshot: some may still be being cleaned
now: pd.Timestamp | None = None
if src == "From the last simulation run":
    shown = st.session_state.get("run_args")
    result = ui.load_result("run", *shown) if shown and jobs.cached(jobs.job_key("run", *shown, "")) else None
    if result is None or result.adt_log is None:
        st.info(
            "Run a simulation on the Run page first; its event log gives the census at the time you choose. "
            "Or upload a snapshot."
        )
        st.page_link("app_pages/run.py", label="Go to Run", icon=":material/play_circle:")
        st.stop()
    s = result.scenario
    if set(s.units) != set(scenario.units):
        st.warning("The last run used a scenario with other units; its snapshot may not fit the current scenario.")
    lo = pd.Timestamp(s.start) + pd.Timedelta(hours=s.warmup_h)
    hi = pd.Timestamp(s.start) + pd.Timedelta(hours=s.end_h - 1)
    days = max(0, (hi - lo).days)
    day = st.slider(
        "Take the census on day (after the warm-up)", min_value=0, max_value=days, value=days // 2, key="fc_day"
    )
    hour = st.slider("at hour", min_value=0, max_value=23, value=8, key="fc_hour", format="%d:00")
    now = (lo.normalize() + pd.Timedelta(days=day, hours=hour)).floor("h")
    now = min(max(now, lo.ceil("h")), hi.floor("h"))
    # with the requests that never got a bed, the queue is the one seen at that time (results cached
    # before the table existed have none)
    snapshot = census_at(
        result.adt_log, now, rep=int(result.adt_log["rep"].min()), requests=getattr(result, "requests", None)
    )
    vacated = vacated_beds(result.adt_log, now, rep=int(result.adt_log["rep"].min()))
    st.caption(
        f"Snapshot at {now:%a %d %b %Y %H:%M} from replication {int(result.adt_log['rep'].min()) + 1} "
        f"of the last run: {_who(snapshot)}."
    )
elif src == "From an ADT log (upload)":
    up = st.file_uploader(
        "ADT log (CSV or Parquet, at most 50 MB): patient_id, unit, start, end, ...",
        type=["csv", "parquet"],
        key="fc_log_upload",
    )
    if up is None:
        st.stop()
    raw = up.getvalue()
    shown_name = state.display_name(up.name, "log.csv")
    is_parquet = shown_name.lower().endswith(".parquet")
    if len(raw) > state.MAX_LOG_BYTES:
        st.error(f"{shown_name} is larger than {state.MAX_LOG_BYTES // 2**20} MB.")
        st.stop()
    if (is_parquet and raw[:4] != b"PAR1") or (not is_parquet and b"\x00" in raw[:65536]):
        st.error(f"{shown_name} is not a {'Parquet' if is_parquet else 'CSV text'} file.")
        st.stop()
    from hospital_twin.calibration import LogError, read_adt

    folder = jobs.cache_root() / "uploads"
    folder.mkdir(exist_ok=True)
    path = folder / f"log-{hashlib.sha256(raw).hexdigest()[:32]}{'.parquet' if is_parquet else '.csv'}"
    path.write_bytes(raw)
    try:
        read = read_adt(path)
    except LogError as exc:
        st.error(f"{shown_name} cannot be read: {str(exc).replace(str(path), shown_name)}")
        st.stop()
    if read.n_stays == 0:
        st.error(f"{shown_name} has no usable stays ({read.rejected} rows rejected).")
        st.stop()
    lo, hi = read.period
    t = st.slider(
        "Take the census at",
        min_value=lo.to_pydatetime(),
        max_value=hi.to_pydatetime(),
        value=(lo + (hi - lo) * 0.75).floor("h").to_pydatetime(),
        step=dt.timedelta(hours=1),
        format="YYYY-MM-DD HH:mm",
        key="fc_log_at",
    )
    now = pd.Timestamp(t).floor("h")
    snapshot = census_at(read.stays, now, pathways=list(scenario.discharge_pathways))  # the scenario's only
    vacated = vacated_beds(read.stays, now)
    unknown = sorted(set(snapshot["unit"]) - set(scenario.units))
    if unknown:
        st.error(
            f"The log has units the scenario does not know: {', '.join(unknown)}. Calibrate a scenario from "
            "this log first (Calibrate page, 'Use it as the current scenario')."
        )
        st.stop()
    st.caption(f"Snapshot at {now:%a %d %b %Y %H:%M}: {_who(snapshot)} ({read.used:,} of {read.read:,} rows used).")
else:
    up = st.file_uploader("Census snapshot (CSV, at most 50 MB)", type=["csv"], key="fc_snap_upload")
    c1, c2 = st.columns(2)
    d = c1.date_input("Snapshot date", value=scenario.start.date(), key="fc_date", format="YYYY-MM-DD")
    t = c2.time_input("Snapshot time", value=dt.time(8, 0), key="fc_time", step=3600)
    now = pd.Timestamp(dt.datetime.combine(d, t))
    if up is not None:
        raw = up.getvalue()
        shown_name = state.display_name(up.name, "snapshot.csv")
        if len(raw) > state.MAX_LOG_BYTES:
            st.error(f"{shown_name} is larger than {state.MAX_LOG_BYTES // 2**20} MB.")
        elif b"\x00" in raw[:65536]:
            st.error(f"{shown_name} is a binary file, not a CSV text file.")
        else:
            try:
                df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, skip_blank_lines=False)
                snapshot = validate_census(df, scenario, now, source=shown_name)
            except CensusError as exc:
                st.error(f"{shown_name} cannot be used: {len(exc.issues)} problem(s).")
                for issue in exc.issues[:50]:
                    st.markdown(f"- {state.issue_text(issue)}")
                snapshot = None
            except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
                st.error(f"{shown_name} is not a readable CSV file ({type(exc).__name__}).")
                snapshot = None
    if snapshot is None:
        st.stop()

c1, c2 = st.columns(2)
hours = c1.number_input("Hours ahead", min_value=1, max_value=24 * 14, value=72, step=12, key="fc_hours")
reps = c2.number_input(
    "Replications",
    min_value=10,
    max_value=1000,
    value=50,
    step=10,
    key="fc_reps",
    help="More replications give smoother bands and probabilities.",
)
if vacated is not None:  # only units the scenario has (a bed freed elsewhere says nothing here)
    vacated = vacated[vacated["unit"].isin(list(scenario.units))].reset_index(drop=True)
snap_csv = snapshot.to_csv(index=False) + ("" if vacated is None else vacated.to_csv(index=False))
args = (text, int(scenario.seed), int(reps), f"{now.isoformat()}|{int(hours)}|{state.text_hash(snap_csv)}")
key = jobs.job_key("forecast", *args)
if st.button("Forecast", type="primary", key="fc_run_btn"):
    st.session_state["fc_args"] = args
    if not jobs.cached(key):
        spec = ForecastJob(
            yaml=text,
            census=snapshot,
            now=now,
            hours=int(hours),
            replications=int(reps),
            seed=int(scenario.seed),
            vacated=vacated,
        )
        ui.launch("forecast", spec, key, label="Forecasting")
status = ui.job_panel("forecast")
shown = st.session_state.get("fc_args")
if status == "running" or not shown or not jobs.cached(jobs.job_key("forecast", *shown)):
    st.stop()
fc = ui.load_result("forecast", *shown)

st.subheader(f"The next {fc.hours} hours from {fc.now:%a %d %b %Y %H:%M}")
h = fc.hourly
rows = []
for u in fc.units:
    d = h[h["unit"] == u]
    if d.empty:
        continue
    row = {"unit": u, "beds": int(d["beds"].iloc[0]), "now": int(round(d["mean"].iloc[0]))}
    for k in (24, 48, 72):
        if k <= fc.hours:
            dk = d[d["horizon_h"] == k]
            if len(dk):
                r = dk.iloc[0]
                row[f"in {k} h (90% range)"] = f"{r['mean']:.0f} ({r['p05']:.0f} to {r['p95']:.0f})"
    row["chance full at some hour"] = float(d["p_full"].max())
    rows.append(row)
table = pd.DataFrame(rows)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "chance full at some hour": st.column_config.ProgressColumn(
            "highest hourly chance of being full", format="percent", min_value=0.0, max_value=1.0
        )
    },
)
st.caption(
    "Band: 5th to 95th percentile of the replications; line: median, dashed: mean; red: beds. "
    "The chance of being full is the share of replications in which every bed is taken that hour."
)
ui.show_chart(forecast_chart(fc))
st.download_button(
    "Download forecast.csv",
    forecast_table(fc).to_csv(index=False),
    file_name="forecast.csv",
    mime="text/csv",
    key="dl_fc_csv",
)
