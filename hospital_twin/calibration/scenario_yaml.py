"""The calibrated scenario as YAML text, with its provenance as comments on top.

The comments say where every number came from: the source file(s) with their SHA-256,
how the rows were accounted for (``read = used + rejected + ignored``, with the reasons),
whether the dates are real (:mod:`hospital_twin.calibration.dates`), the licence
attribution a source asks for, then the fit evidence of
:meth:`hospital_twin.calibration.fit.Calibration.provenance_comments` (period, row counts,
per parameter: family, AIC ranking, distance D with its parametric-bootstrap p-value (B resamples,
re-estimating the parameters in each) and the Kolmogorov p-value as an upper bound, n, censored share; rare routes;
how beds were set). The YAML body is the scenario exactly as
:func:`hospital_twin.scenario.io.dump_scenario` writes it, so it loads back equal.

Pure: objects in, text out (the command writes the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hospital_twin.calibration.adt import AdtRead
from hospital_twin.calibration.dates import DatesCheck
from hospital_twin.calibration.fit import Calibration

__all__ = ["KNOWN_SOURCES", "attribution", "reading_comments", "scenario_yaml"]

MIMIC_DEMO_TRANSFERS_SHA256 = "41151539886d12d57159b65ffe4d7df5a7ef8ceb7cd113ea9a56fbfbfd78a87c"
SEPSIS_XES_SHA256 = "709c52340306415952811b9b9c5dc6bcc8f8d47d583eba39df9a538459dc543a"

#: Attribution owed to public logs, by the SHA-256 of the file read (as their licences ask).
KNOWN_SOURCES: dict[str, str] = {
    MIMIC_DEMO_TRANSFERS_SHA256: (
        "MIMIC-IV Clinical Database Demo v2.2 (Johnson A., Bulgarelli L., Pollard T., Horng S., Celi L.A., "
        "Mark R., PhysioNet 2023, https://physionet.org/content/mimic-iv-demo/2.2/), Open Data Commons Open "
        "Database License v1.0; parameters derived from it are shared under the same licence."
    ),
    SEPSIS_XES_SHA256: (
        "Sepsis Cases - Event Log, Felix Mannhardt, Eindhoven University of Technology, 2016, 4TU.ResearchData, "
        "DOI 10.4121/uuid:915d2bfb-7e84-49ad-a286-dc35f063a460, CC BY 4.0."
    ),
}


def attribution(reads: Sequence[AdtRead]) -> list[str]:
    """Attribution lines for the sources read (known files by hash; any MIMIC-IV folder by format)."""
    out: list[str] = []
    for r in reads:
        hit = [KNOWN_SOURCES[h] for h in r.inputs.values() if h in KNOWN_SOURCES]
        if hit:
            out.extend(h for h in hit if h not in out)
        elif r.source_format == "mimic-iv":
            line = ("MIMIC-IV (Johnson et al., PhysioNet, https://doi.org/10.13026/07hj-2a80): use is governed by "
                    "the PhysioNet licence and data use agreement of the version read.")
            if line not in out:
                out.append(line)
    return out


def reading_comments(reads: Sequence[AdtRead], dates: DatesCheck) -> list[str]:
    """Lines (without ``# ``) on the files read, the row accounting and the dates."""
    L: list[str] = []
    for r in reads:
        L.append(f"Log: {r.source} ({r.source_format}); read {r.read} = used {r.used} + rejected {r.rejected} "
                 f"+ ignored {r.ignored}.")
        for path, digest in r.inputs.items():
            L.append(f"  file {Path(path).name}: SHA-256 {digest}")
        for key, n in r.summary()["reasons"].items():
            L.append(f"  {key}: {n}")
        for note in r.notes:
            L.append(f"  note: {note}")
    lines = [f"Source data: {a}" for a in attribution(reads)]
    L.extend(lines)
    L.append(("!! " if dates.shifted else "") + dates.sentence())
    return L


def scenario_yaml(cal: Calibration, reads: Sequence[AdtRead], dates: DatesCheck, **scenario_kw: Any) -> str:
    """The scenario YAML with every provenance comment on top (see the module docstring)."""
    head = [("# " + line).rstrip() for line in reading_comments(reads, dates)]
    return "\n".join(head) + "\n#\n" + cal.to_yaml(**scenario_kw)
