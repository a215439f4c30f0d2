"""The capacity plan's files: ``plan.csv`` (every candidate tried), ``plan.json`` (the answer), ``plan.html``.

The page is short: the answer in words, its figures with their intervals, the confirmation, the
runners-up and why they were rejected, the marginal value of one more step of each lever, and
per target a chart of cost against the target's measure for every candidate tried (a plain
SVG, no script). Written atomically into a folder (:func:`hospital_twin.atomic.atomic_folder`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hospital_twin.atomic import atomic_folder
from hospital_twin.planning.plan import Plan
from hospital_twin.reporting.html import PAGE_CSS, escape, table

__all__ = ["answer_words", "plan_html", "write_plan"]


def _money(x: float, currency: str) -> str:
    return f"{currency} {x:,.0f}"


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.4g}"


def _levers(d: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in d.items())


def answer_words(plan: Plan) -> list[str]:
    """The answer as a few sentences (the page's first paragraph and the CLI's summary)."""
    a = plan.answer
    cur = a["currency"]
    conf = sorted({t["confidence"] for t in a["targets"]})
    conf_text = " and ".join(f"{c:.0%}" for c in conf)
    if a.get("chosen") is None:
        best = a.get("best_available", {})
        return [
            "No combination of the levers' ranges meets every target with the stated confidence.",
            f"The most of every lever ({_levers(best.get('levers', {}))}) gives: "
            + "; ".join(f"{f['measure']} {_num(f['estimate'])} ({f['verdict']})" for f in best.get("figures", [])),
        ]
    ch = a["chosen"]
    out = [
        f"The cheapest combination that meets every target with {conf_text} confidence is "
        f"{_levers(ch['levers'])}, at {_money(ch['cost_per_year'], cur)} a year "
        f"({_money(ch['extra_cost_per_year'], cur)} more than the scenario's current levers).",
        "Its figures: "
        + "; ".join(
            f"{f['measure']} {_num(f['estimate'])} (one-sided bounds {_num(f['low'])}..{_num(f['high'])}, "
            f"target {f['op']} {f['bound']:g}, {f['replications']} replications)"
            for f in ch["figures"]
        )
        + ".",
    ]
    conf_run = a.get("confirmation")
    if conf_run:
        word = "confirmed" if conf_run["confirmed"] else "NOT confirmed"
        out.append(
            f"A confirmation run on fresh seeds ({conf_run['replications']} replications) {word} it: "
            + "; ".join(f"{f['measure']} {_num(f['estimate'])} {f['verdict']}" for f in conf_run["figures"])
            + "."
        )
    cheaper = [r for r in a["runners_up"] if r["cost_per_year"] < ch["cost_per_year"]]
    if cheaper:
        r = cheaper[-1]
        out.append(f"The next cheaper candidate tried, {_levers(r['levers'])}, was rejected: {r['why_rejected']}.")
    e = a["effort"]
    out.append(
        f"The search simulated {e['candidates_simulated']} of {e['grid_candidates']} candidates "
        f"({e['search_simulations']} replications; trying every candidate would take at least "
        f"{e['exhaustive_at_least']}) in {e['seconds']:.0f} s."
    )
    return out


def _svg(points: list[tuple[float, float, float, float, str, bool]], bound: float, xlabel: str, ylabel: str) -> str:
    """Cost (x) against a measure (y) with its interval; the bound as a dashed line; the answer ringed."""
    w, h, pad_l, pad_b, pad_t, pad_r = 560, 300, 70, 45, 15, 20
    pts = [p for p in points if math.isfinite(p[1])]
    if not pts:
        return ""
    xs = [p[0] for p in pts]
    ys = [v for p in pts for v in (p[1], p[2], p[3]) if math.isfinite(v)] + [bound]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    span_y = y1 - y0
    y0, y1 = y0 - 0.05 * span_y, y1 + 0.05 * span_y

    def sx(x):
        return pad_l + (x - x0) / (x1 - x0) * (w - pad_l - pad_r)

    def sy(y):
        return pad_t + (y1 - y) / (y1 - y0) * (h - pad_t - pad_b)

    colour = {"feasible": "#2b8a3e", "infeasible": "#c92a2a", "undecided": "#e67700"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">']
    parts.append(f'<line x1="{pad_l}" y1="{h - pad_b}" x2="{w - pad_r}" y2="{h - pad_b}" stroke="#888"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{h - pad_b}" stroke="#888"/>')
    for v in (x0, (x0 + x1) / 2, x1):
        parts.append(f'<text x="{sx(v):.1f}" y="{h - pad_b + 16}" font-size="11" text-anchor="middle">{v:,.0f}</text>')
    for v in (y0, (y0 + y1) / 2, y1):
        parts.append(f'<text x="{pad_l - 6}" y="{sy(v) + 4:.1f}" font-size="11" text-anchor="end">{v:.3g}</text>')
    parts.append(
        f'<line x1="{pad_l}" y1="{sy(bound):.1f}" x2="{w - pad_r}" y2="{sy(bound):.1f}" stroke="#555" '
        'stroke-dasharray="5,4"/>'
    )
    parts.append(f'<text x="{w - pad_r}" y="{sy(bound) - 4:.1f}" font-size="11" text-anchor="end">target</text>')
    for x, y, lo, hi, verdict, chosen in pts:
        c = colour.get(verdict, "#555")
        if math.isfinite(lo) and math.isfinite(hi):
            parts.append(f'<line x1="{sx(x):.1f}" y1="{sy(lo):.1f}" x2="{sx(x):.1f}" y2="{sy(hi):.1f}" stroke="{c}"/>')
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{c}"/>')
        if chosen:
            parts.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="9" fill="none" stroke="#14365f" stroke-width="2"/>'
            )
    parts.append(
        f'<text x="{(pad_l + w - pad_r) / 2}" y="{h - 8}" font-size="12" text-anchor="middle">{escape(xlabel)}</text>'
    )
    parts.append(
        f'<text transform="translate(14,{(pad_t + h - pad_b) / 2}) rotate(-90)" font-size="12" '
        f'text-anchor="middle">{escape(ylabel)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def plan_html(plan: Plan) -> str:
    """The plan as one offline HTML page."""
    a = plan.answer
    cur = a["currency"]
    body = [f"<header class='top'><div class='inner'><h1>How many beds? {escape(a['scenario'])}</h1>"]
    body.append(
        "<p>"
        + escape("; ".join(f"{lv['name']} {lv['values'][0]}..{lv['values'][-1]}" for lv in a["levers"]))
        + "</p></div></header><main>"
    )
    body.append("<h2>The answer</h2>" + "".join(f"<p>{escape(s)}</p>" for s in answer_words(plan)))
    df = plan.candidates
    search = df[df["phase"] != "confirm"]
    body.append("<h2>Cost against each target</h2>")
    body.append(
        "<p class='note'>Every candidate tried: green met every target, red missed one, orange was undecided at "
        "the cap; the bars are the one-sided bounds at the last look; the answer is ringed.</p>"
    )
    for t in plan.targets:
        pts = [
            (
                float(r["cost_per_year"]),
                float(r[f"{t.label} estimate"]),
                float(r[f"{t.label} low"]),
                float(r[f"{t.label} high"]),
                str(r["verdict"]),
                bool(r["chosen"]),
            )
            for _, r in search.iterrows()
        ]
        body.append(f"<h3>{escape(t.text)}</h3>")
        body.append(_svg(pts, t.bound, f"cost a year ({cur})", t.label))
    if a["runners_up"]:
        body.append("<h2>Runners-up and why they were rejected</h2>")
        rows = [
            [escape(_levers(r["levers"])), escape(_money(r["cost_per_year"], cur)), escape(r["why_rejected"])]
            for r in a["runners_up"]
        ]
        body.append(table(["levers", "cost a year", "why not"], rows))
    if a["marginal"]:
        body.append("<h2>What one more step of each lever buys</h2>")
        rows = []
        for m in a["marginal"]:
            if "targets" not in m:
                rows.append([escape(m["lever"]), escape(m.get("note", "")), "", ""])
                continue
            for t in m["targets"]:
                rows.append(
                    [
                        escape(f"{m['lever']} {m['from']} → {m['to']}"),
                        escape(_money(m["extra_cost_per_year"], cur)),
                        escape(t["measure"]),
                        escape(
                            f"{_num(t['at_answer'])} → {_num(t['one_step_more'])} "
                            f"(change {_num(t['change'])}, 95% {_num(t['change_low'])}..{_num(t['change_high'])})"
                        ),
                    ]
                )
        body.append(table(["step", "extra cost a year", "measure", "change (same seeds)"], rows))
    body.append(
        "<p class='note'>Method: docs/capacity_planning.md (common random numbers, a sequential feasibility check "
        "per candidate, a monotone coarse-to-fine search, confirmation on fresh seeds). Every candidate is in "
        "plan.csv; the answer in plan.json.</p></main>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Capacity plan</title>"
        f"<style>{PAGE_CSS}</style></head><body>" + "".join(body) + "</body></html>"
    )


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


def write_plan(plan: Plan, out: str | Path) -> Path:
    """Write ``plan.csv``, ``plan.json`` and ``plan.html`` into the folder ``out`` (atomically); returns it."""
    out = Path(out)
    with atomic_folder(out) as tmp:
        plan.candidates.to_csv(tmp / "plan.csv", index=False)
        (tmp / "plan.json").write_text(json.dumps(_json_safe(plan.answer), indent=2) + "\n", encoding="utf-8")
        (tmp / "plan.html").write_text(plan_html(plan), encoding="utf-8")
    return out
