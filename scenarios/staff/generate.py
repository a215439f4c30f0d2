"""Regenerate the example staff, leave, requests and requirements files for the baseline hospital.

Run from the repository root: ``.venv/bin/python scenarios/staff/generate.py``. The files are
synthetic (no real people) and deterministic (seeded); README.md explains the assumptions.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
START = dt.date(2025, 1, 6)  # the baseline scenario's start, a Monday
DAYS = 28
SHIFT_H = 12.5  # the baseline's long day 07:30-20:00 and night 20:00-07:30
# Registered nurses on duty per shift in scenarios/baseline.yaml (staffing.units.*.nurses).
UNITS = {"AMU": (9, 9), "SAU": (4, 4), "MED": (18, 17), "ELD": (15, 14), "SURG": (15, 15), "ICU": (9, 9)}
HEADROOM = 1.18  # establishment over shifts: annual leave, study, sickness (NHS uplift ~20-22%)
CONTRACTS = [(37.5, 0.65), (30.0, 0.2), (22.5, 0.15)]  # hours per week, share of staff
FIRST = [
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Sophie",
    "Emily",
    "Chloe",
    "Lucy",
    "Priya",
    "Aisha",
    "Fatima",
    "Maria",
    "Joy",
    "Blessing",
    "Anna",
    "Hannah",
    "Jack",
    "Oliver",
    "James",
    "Tom",
    "Daniel",
    "Samuel",
    "Mohammed",
    "Joseph",
    "Kofi",
    "Rahul",
    "Ellie",
    "Jessica",
    "Zara",
    "Niamh",
    "Siobhan",
    "Carmen",
    "Rosa",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Okafor",
    "Mensah",
    "Santos",
    "Reyes",
    "Nowak",
    "Kowalski",
    "Murphy",
    "O'Brien",
    "Hughes",
    "Green",
    "Hall",
    "Clarke",
    "Ahmed",
    "Ali",
    "Begum",
    "Singh",
    "Kaur",
    "Adeyemi",
    "Lewis",
]


def main() -> None:
    rng = np.random.default_rng(2025)
    staff, leave, requests, requirements = [], [], [], []
    n = 0
    for unit, (day, night) in UNITS.items():
        shifts_per_week = 7 * (day + night)
        mean_shifts = sum(h / SHIFT_H * p for h, p in CONTRACTS)
        people = math.ceil(shifts_per_week * HEADROOM / mean_shifts)
        for j in range(people):
            n += 1
            sid = f"N{n:04d}"
            hours = float(rng.choice([h for h, _ in CONTRACTS], p=[p for _, p in CONTRACTS]))
            band = "Band 7" if j < 2 else "Band 6" if j < max(4, people // 5) else "Band 5"
            skills = "RN;NIC" if band != "Band 5" else "RN"
            max_nights = "" if rng.random() > 0.08 else "0"  # a few contracts without nights (assumption)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            staff.append([sid, name, band, skills, unit, "false", hours, max_nights, "Europe/London"])
            r = rng.random()
            if r < 0.25:  # a week of annual leave somewhere in the 4 weeks
                first = START + dt.timedelta(days=int(rng.integers(0, DAYS - 6)))
                leave.append([sid, first, first + dt.timedelta(days=6), "annual"])
            elif r < 0.32:
                d = START + dt.timedelta(days=int(rng.integers(0, DAYS)))
                leave.append([sid, d, d, "study"])
            if rng.random() < 0.15:
                d = START + dt.timedelta(days=int(rng.integers(0, DAYS)))
                wish, shift = ("off", "off") if rng.random() < 0.7 else ("on", str(rng.choice(["day", "night"])))
                requests.append([sid, d, shift, wish, int(rng.choice([1, 2, 3]))])
        for d in range(DAYS):
            date = START + dt.timedelta(days=d)
            for shift, need in (("day", day), ("night", night)):
                target = need + (1 if shift == "day" and need >= 15 else 0)
                requirements.append([date, unit, shift, "RN", need - 1, target - 1])
                requirements.append([date, unit, shift, "NIC", 1, 1])
    # a small float pool of experienced nurses who may work any unit
    for _ in range(6):
        n += 1
        staff.append(
            [
                f"N{n:04d}",
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "Band 6",
                "RN;NIC",
                "MED",
                "true",
                37.5,
                "",
                "Europe/London",
            ]
        )
    _write(
        "staff.csv",
        [
            "staff_id",
            "name",
            "grade",
            "skills",
            "home_unit",
            "float_pool",
            "contract_hours_per_week",
            "max_nights_per_4w",
            "time_zone",
        ],
        staff,
    )
    _write("leave.csv", ["staff_id", "from", "to", "kind"], leave)
    _write("requests.csv", ["staff_id", "date", "shift", "wish", "weight"], requests)
    _write("requirements.csv", ["date", "unit", "shift", "skill", "min", "target"], requirements)


def _write(name: str, header: list[str], rows: list[list]) -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()
