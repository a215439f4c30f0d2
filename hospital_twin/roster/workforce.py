"""Workforce and money of a roster: surplus and short shifts, WTE by unit, the establishment gap, the cost.

A roster may cover more than its requirements: the model charges for people short of the
target, and for staff rostered under their contracted hours, but not for people above the
target, so every contracted hour beyond the need becomes a surplus shift. These functions
say where, how much, where it comes from and what it costs, as DataFrames:

- :func:`cover_by_shift`: per unit, date and shift, people rostered against the target
  (summed over skills), the surplus (rostered minus target, when positive), the shortfall,
  and how many of the rostered came from the float pool.
- :func:`workforce_by_unit`: per unit, whole-time equivalents (WTE) needed, rostered, surplus
  and short, against the staff's contracted WTE and the current establishment; the sources
  of the surplus; its cost; and what to do, in words.

Definitions (stated on the page too): 1 WTE = ``wte_hours_per_week`` paid hours a week (37.5,
NHS Agenda for Change). WTE here are **on duty**: hours on shifts in the period divided by
the weeks and by 37.5, with no uplift for leave, study or sickness (contracted WTE include
that headroom, so they are compared with the need after the leave in the period). Hours of
a shift are its clock length (``roster.shifts``, e.g. 07:30-20:00 = 12.5 h). Money is
``costs.nurse_hour(grade)`` per paid hour of each person rostered, bank or agency rates for
cover left short.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hospital_twin.scenario.costs import NHS_WTE_HOURS_PER_WEEK, CostRates

__all__ = ["SHIFT_COLUMNS", "UNIT_COLUMNS", "cover_by_shift", "shift_hours", "workforce_by_unit", "workforce_totals"]

SHIFT_COLUMNS = [
    "date",
    "unit",
    "shift",
    "shift_h",
    "min",
    "target",
    "rostered",
    "float_rostered",
    "surplus",
    "short",
    "surplus_h",
    "short_h",
]
UNIT_COLUMNS = [
    "unit",
    "weeks",
    "shifts_needed",
    "shifts_rostered",
    "surplus_shifts",
    "short_shifts",
    "needed_wte",
    "rostered_wte",
    "surplus_wte",
    "short_wte",
    "staff",
    "contracted_wte",
    "available_wte",
    "contracts_beyond_need_wte",
    "float_wte",
    "over_contract_wte",
    "under_contract_wte",
    "establishment_wte",
    "need_minus_establishment_wte",
    "roster_cost",
    "surplus_cost",
    "surplus_cost_per_year",
    "short_cost_bank",
    "short_cost_agency",
    "source",
    "action",
]


def shift_hours(shifts: Mapping[str, tuple[str, str]]) -> dict[str, float]:
    """Clock length of each shift in hours (``"20:00"-"07:30"`` = 11.5; a shift ending when it starts = 24)."""
    out = {}
    for name, (start, end) in shifts.items():
        a, b = (dt.datetime.strptime(str(t), "%H:%M") for t in (start, end))
        minutes = ((b - a).total_seconds() / 60) % (24 * 60)
        out[name] = (minutes or 24 * 60) / 60
    return out


def cover_by_shift(roster, float_pool: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """People rostered per ``unit, date, shift`` against the requirement (columns :data:`SHIFT_COLUMNS`).

    ``min`` and ``target`` are summed over the skills required (e.g. RN + NIC); ``rostered``
    counts people (one assignment each); ``surplus = max(rostered - target, 0)``; ``short`` the
    people short of the target summed over skills (a shift may have both: two extra RNs and
    no nurse in charge). ``float_rostered``: rostered people whose staff id is in ``float_pool``.
    ``*_h``: people times the shift's clock hours.
    """
    cover = roster.cover
    if not len(cover):
        return pd.DataFrame(columns=SHIFT_COLUMNS)
    hours = shift_hours(roster.shifts)
    need = (
        cover.groupby(["date", "unit", "shift"], sort=True)
        .agg(min=("min", "sum"), target=("target", "sum"), short=("shortfall_target", "sum"))
        .reset_index()
    )
    a = roster.assignments
    got = a.groupby(["date", "unit", "shift"]).size().rename("rostered")
    floats = a[a["staff_id"].astype(str).isin(float_pool)].groupby(["date", "unit", "shift"]).size()
    out = need.join(got, on=["date", "unit", "shift"]).join(
        floats.rename("float_rostered"), on=["date", "unit", "shift"]
    )
    out[["rostered", "float_rostered"]] = out[["rostered", "float_rostered"]].fillna(0).astype(np.int64)
    out["shift_h"] = [hours.get(s, np.nan) for s in out["shift"]]
    out["surplus"] = (out["rostered"] - out["target"]).clip(lower=0).astype(np.int64)
    out["surplus_h"] = out["surplus"] * out["shift_h"]
    out["short_h"] = out["short"] * out["shift_h"]
    return out[SHIFT_COLUMNS]


def workforce_by_unit(
    roster,
    staff=None,
    *,
    costs: CostRates | None = None,
    establishment: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """WTE, the establishment gap, the sources of the surplus and its cost, per unit (:data:`UNIT_COLUMNS`).

    ``staff``: the :class:`~hospital_twin.roster.staff.StaffTable` rostered (for the float pool;
    without it nobody counts as float). ``establishment``: nurses on duty per shift by unit, as in
    a scenario's ``staffing.units.<unit>.nurses`` (``{"ICU": {"day": 9, "night": 9}}``); a unit
    absent from it gets NaN. ``costs``: unit costs; without them the money columns are NaN.

    Sources of the surplus, in WTE: ``contracts_beyond_need_wte`` = the contracted hours of the
    unit's own staff left after their leave in the period (``available_wte``) minus the need, when
    positive; ``float_wte`` = float-pool hours worked on the unit; ``over_contract_wte`` = hours the
    unit's own staff were rostered beyond their contract (rules or cover pushing extra shifts) and
    ``under_contract_wte`` below it. They reconcile: ``surplus_wte - short_wte = available_wte -
    needed_wte + float_wte + over_contract_wte - under_contract_wte`` when the unit's own staff work
    only on their unit (as the roster model allows) and every shift has a requirement.
    ``surplus_cost``: surplus hours at the unit's average paid rate of the people rostered;
    ``surplus_cost_per_year``: the same every week of the year (x 52 / weeks). ``short_cost_*``:
    the shifts left short bought from the bank or an agency.
    """
    wte_h = costs.wte_hours_per_week if costs is not None else NHS_WTE_HOURS_PER_WEEK
    weeks = roster.days / 7 if roster.days else np.nan
    members = list(staff) if staff is not None else []
    floats = {m.staff_id for m in members if m.float_pool}
    by_shift = cover_by_shift(roster, floats)
    hours = shift_hours(roster.shifts)
    a = roster.assignments.copy()
    a["shift_h"] = [hours.get(s, np.nan) for s in a["shift"]]
    grades = {m.staff_id: m.grade for m in members}
    if len(roster.hours_by_staff):
        grades = {**dict(zip(roster.hours_by_staff["staff_id"], roster.hours_by_staff["grade"], strict=True)), **grades}
    if costs is not None:
        a["cost"] = [
            h * costs.nurse_hour(grades.get(str(s), "")) for h, s in zip(a["shift_h"], a["staff_id"], strict=True)
        ]
    else:
        a["cost"] = np.nan
    hb = roster.hours_by_staff
    per_wte = weeks * wte_h
    rows = []
    for unit in sorted(set(by_shift["unit"]) | set(a["unit"])):
        s = by_shift[by_shift["unit"] == unit]
        au = a[a["unit"] == unit]
        needed_h = float((s["target"] * s["shift_h"]).sum())
        rostered_h = float(au["shift_h"].sum())
        surplus_h = float(s["surplus_h"].sum())
        short_h = float(s["short_h"].sum())
        own = hb[(hb["home_unit"] == unit) & ~hb["staff_id"].isin(floats)] if len(hb) else hb
        contracted_h = float(own["contract_hours_per_week"].sum()) if len(own) else 0.0
        available_h = float(own["expected_h"].sum()) if len(own) else 0.0
        over_h = float(own["difference_h"].clip(lower=0).sum()) if len(own) else 0.0
        under_h = float(-own["difference_h"].clip(upper=0).sum()) if len(own) else 0.0
        float_h = float(au.loc[au["staff_id"].astype(str).isin(floats), "shift_h"].sum())
        est = _establishment_h(establishment, unit, s, hours, roster)
        cost = float(au["cost"].sum()) if costs is not None else np.nan
        rate = cost / rostered_h if rostered_h else (costs.nurse_hour("default") if costs is not None else np.nan)
        row = {
            "unit": unit,
            "weeks": weeks,
            "shifts_needed": int(s["target"].sum()),
            "shifts_rostered": len(au),
            "surplus_shifts": int(s["surplus"].sum()),
            "short_shifts": int(s["short"].sum()),
            "needed_wte": needed_h / per_wte,
            "rostered_wte": rostered_h / per_wte,
            "surplus_wte": surplus_h / per_wte,
            "short_wte": short_h / per_wte,
            "staff": len(own),
            "contracted_wte": contracted_h / wte_h,
            "available_wte": available_h / per_wte,
            "contracts_beyond_need_wte": max(available_h - needed_h, 0.0) / per_wte,
            "float_wte": float_h / per_wte,
            "over_contract_wte": over_h / per_wte,
            "under_contract_wte": under_h / per_wte,
            "establishment_wte": est / per_wte,
            "need_minus_establishment_wte": (needed_h - est) / per_wte,
            "roster_cost": cost,
            "surplus_cost": surplus_h * rate,
            "surplus_cost_per_year": surplus_h * rate * 52 / weeks,
            "short_cost_bank": short_h * costs.bank_nurse_hour_gbp if costs is not None else np.nan,
            "short_cost_agency": short_h * costs.agency_nurse_hour_gbp if costs is not None else np.nan,
        }
        row["source"], row["action"] = _source_and_action(row, costs)
        rows.append(row)
    out = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    return _with_redeploy_targets(out)


def _establishment_h(establishment, unit: str, s: pd.DataFrame, hours: dict[str, float], roster) -> float:
    """On-duty hours of the establishment over the roster's dates and shifts (NaN without one for ``unit``)."""
    if not establishment or unit not in establishment:
        return np.nan
    nurses = establishment[unit]
    days = roster.days or s["date"].nunique()
    return float(sum(nurses.get(k, 0) * h for k, h in hours.items()) * days)


def _weeks(weeks: float) -> str:
    return "1 week" if weeks == 1 else f"{weeks:g} weeks"


def _money(x: float, costs: CostRates | None) -> str:
    if costs is None or x != x:
        return ""
    sign = "£" if costs.currency.upper() == "GBP" else f"{costs.currency} "
    return f"{sign}{x:,.0f}"


def _source_and_action(row: dict, costs: CostRates | None) -> tuple[str, str]:
    """Where a unit's surplus comes from and what to do about it, in words (empty when there is none)."""
    unit, wte = row["unit"], row["surplus_wte"]
    if row["surplus_shifts"] == 0:
        if row["short_shifts"]:
            return (
                f"{row['short_shifts']} people short of the target ({row['short_wte']:.1f} WTE)",
                f"Fill {row['short_shifts']} shifts from the bank ({_money(row['short_cost_bank'], costs)}) "
                f"or an agency ({_money(row['short_cost_agency'], costs)}), or redeploy from a unit with surplus.",
            )
        return "", ""
    parts = []
    if row["contracts_beyond_need_wte"] > 0.05:
        parts.append(
            f"the {row['staff']} {unit} staff are contracted for {row['contracted_wte']:.1f} WTE, "
            f"{row['available_wte']:.1f} WTE on duty after leave in the period, against {row['needed_wte']:.1f} WTE "
            f"needed: {row['contracts_beyond_need_wte']:.1f} WTE of contracted hours beyond the need"
        )
    if row["float_wte"] > 0.05:
        parts.append(f"{row['float_wte']:.1f} WTE from the float pool")
    if row["over_contract_wte"] > 0.05:
        parts.append(f"{row['over_contract_wte']:.1f} WTE rostered beyond contracts (rules or cover forcing shifts)")
    if not parts:
        parts.append("shifts come in whole people and the rules (runs, weekends) place them unevenly")
    money = _money(row["surplus_cost"], costs)
    cost = (
        f" ({money} over {_weeks(row['weeks'])}, {_money(row['surplus_cost_per_year'], costs)} a year)" if money else ""
    )
    action = f"{wte:.1f} WTE more than needed on {unit}{cost}: reduce contracted hours or redeploy"
    if row["float_wte"] > 0.05:
        action += "; send the float pool where cover is short"
    return "; ".join(parts), action + "."


def _with_redeploy_targets(out: pd.DataFrame) -> pd.DataFrame:
    """Name the units short of staff in the action of units with surplus (where to redeploy)."""
    short = out.loc[out["short_shifts"] > 0, "unit"].tolist()
    for i in out.index[out["surplus_shifts"] > 0]:
        others = [u for u in short if u != out.at[i, "unit"]]
        if others:
            out.at[i, "action"] = out.at[i, "action"].removesuffix(".") + f" (short of staff: {', '.join(others)})."
    return out


def workforce_totals(by_unit: pd.DataFrame, costs: CostRates | None = None) -> dict:
    """The roster as a whole, from :func:`workforce_by_unit`: summed shifts, WTE and money, ``verdict``, one
    sentence saying whether it is short of staff (first: a shortage is a safety problem) and whether it is
    over-staffed, by how many WTE and at what cost (NaN money without costs), and ``tone``, how to show it:
    "error" when any shift is short of the target, "warning" when only over-staffed, "success" otherwise."""
    t = {c: float(by_unit[c].sum(min_count=1)) for c in UNIT_COLUMNS if c not in {"unit", "weeks", "source", "action"}}
    for c in ("shifts_needed", "shifts_rostered", "surplus_shifts", "short_shifts", "staff"):
        t[c] = int(t[c]) if t[c] == t[c] else 0
    weeks = float(by_unit["weeks"].iloc[0]) if len(by_unit) else np.nan
    t["weeks"] = weeks
    for c in ("establishment_wte", "need_minus_establishment_wte"):  # a total only when every unit has one
        t[c] = float(by_unit[c].sum()) if len(by_unit) and by_unit[c].notna().all() else np.nan
    share = t["surplus_wte"] / t["needed_wte"] if t.get("needed_wte") else np.nan
    t["surplus_share"] = share
    if not len(by_unit):
        t["verdict"], t["tone"] = "Nothing was rostered.", "warning"
        return t
    money = _money(t["surplus_cost"], costs)
    cost = f", costing {money} over {_weeks(weeks)} ({_money(t['surplus_cost_per_year'], costs)} a year at this rate)"
    over = bool(t["surplus_shifts"] and t["surplus_wte"] >= 0.05)
    if over:
        words = (
            f"Over-staffed: {t['surplus_shifts']:,} shifts above the target, {t['surplus_wte']:.1f} WTE more on duty "
            f"than needed ({100 * share:.0f}% over the need of {t['needed_wte']:.1f} WTE)" + (cost if money else "")
        )
    else:
        words = f"Not over-staffed: {t['surplus_shifts']:,} shifts above the target"
    if t["short_shifts"]:  # a shortage is a safety problem: it leads, and the box is never green
        short = f"Short-staffed: {t['short_shifts']:,} people short of the target ({t['short_wte']:.1f} WTE)"
        words = short + (f". {words}" if over else f"; not over-staffed ({t['surplus_shifts']:,} shifts above it)")
        t["tone"] = "error"
    else:
        t["tone"] = "warning" if t["surplus_shifts"] else "success"
    t["verdict"] = words + "."
    return t
