"""The app's data folder: page state that survives a browser refresh, and the manager's named, saved scenarios.

``data_dir()`` is ``$HOSPITAL_TWIN_APP_DATA``, else ``$XDG_DATA_HOME/hospital_twin/app``, else
``~/.local/share/hospital_twin/app`` (private, 0700). Inside it:

- ``sessions/<id>.json``: one browser session's page state (scenario edits, run settings, the jobs it started
  with their worker pid and job folder), keyed by the id the page keeps in its address (``?sid=``);
- ``scenarios/<id>.yaml`` + ``<id>.json``: a saved scenario (written by the package's ``dump_scenario``) and its
  name and time of saving.

Every file is written atomically (``hospital_twin.atomic``). Ids are checked before they touch a path, so an id
from an address can never reach outside the folder. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hospital_twin.atomic import write_text_atomic
from hospital_twin.scenario import Scenario, dump_scenario

ID = re.compile(r"^[0-9a-f]{16}$")
"""Session and saved-scenario ids: 16 lower-case hex characters (64 random bits)."""
MAX_SESSIONS = 200
"""Session files kept; the oldest go first (a session file is a few kilobytes)."""
MAX_NAME = 80


def data_dir() -> Path:
    """The app's data folder, created private (0700) if missing."""
    env = os.environ.get("HOSPITAL_TWIN_APP_DATA")
    if env:
        root = Path(env)
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".local" / "share") / "hospital_twin" / "app"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def new_id() -> str:
    return secrets.token_hex(8)


def valid_id(value: Any) -> str | None:
    """``value`` when it is a well-formed id, else None (ids come from the address bar)."""
    return value if isinstance(value, str) and ID.match(value) else None


# --------------------------------------------------------------------------- page state of a session
def _encode(value: Any) -> Any:
    """JSON for a widget value; dates and tuples tagged so they come back as they were; None when not storable."""
    if isinstance(value, bool | int | float | str) or value is None:
        return {"v": value}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, tuple | list):
        items = [_encode(x) for x in value]
        if any(x is None for x in items):
            return None
        return {"tuple" if isinstance(value, tuple) else "list": items}
    return None


def _decode(box: dict) -> Any:
    if "v" in box:
        return box["v"]
    if "datetime" in box:
        return dt.datetime.fromisoformat(box["datetime"])
    if "date" in box:
        return dt.date.fromisoformat(box["date"])
    if "time" in box:
        return dt.time.fromisoformat(box["time"])
    if "tuple" in box:
        return tuple(_decode(x) for x in box["tuple"])
    return [_decode(x) for x in box["list"]]


def session_text(values: dict[str, Any], jobs: dict[str, dict]) -> str:
    """The page state as JSON text: storable ``values`` (others are left out) and the job records."""
    kept = {}
    for k, v in values.items():
        box = _encode(v)
        if box is not None:
            kept[k] = box
    return json.dumps({"values": kept, "jobs": jobs}, sort_keys=True)


def save_session(root: Path, sid: str, text: str) -> None:
    """Write one session's state (``session_text``); keeps at most ``MAX_SESSIONS`` session files."""
    if valid_id(sid) is None:
        raise ValueError(f"not a session id: {sid!r}")
    folder = root / "sessions"
    write_text_atomic(folder / f"{sid}.json", text)
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in files[:-MAX_SESSIONS]:
        old.unlink(missing_ok=True)


def load_session(root: Path, sid: str) -> tuple[dict[str, Any], dict[str, dict]] | None:
    """``(values, jobs)`` of a saved session, or None when there is none (or it cannot be read)."""
    if valid_id(sid) is None:
        return None
    try:
        data = json.loads((root / "sessions" / f"{sid}.json").read_text(encoding="utf-8"))
        values = {k: _decode(v) for k, v in data.get("values", {}).items()}
        return values, dict(data.get("jobs", {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


# --------------------------------------------------------------------------- saved scenarios
@dataclass(frozen=True)
class Saved:
    """A scenario the manager saved under a name."""

    id: str
    name: str
    saved_at: str
    """ISO time of saving (UTC, to the second)."""
    path: Path
    """Its YAML file."""


def clean_name(name: str) -> str:
    """A name fit to save under: no control characters, single spaces, at most ``MAX_NAME`` characters."""
    name = "".join(ch for ch in str(name) if ch.isprintable())
    return " ".join(name.split())[:MAX_NAME]


def save_scenario(root: Path, name: str, scenario: Scenario) -> Saved:
    """Save ``scenario`` under ``name`` (the scenario is renamed to it); a name saved before is replaced.

    Raises ``ValueError`` for an empty name."""
    name = clean_name(name)
    if not name:
        raise ValueError("Give the scenario a name to save it under.")
    same = [s for s in list_saved(root) if s.name.casefold() == name.casefold()]
    sid = same[0].id if same else new_id()
    folder = root / "scenarios"
    path = write_text_atomic(folder / f"{sid}.yaml", dump_scenario(scenario.model_copy(update={"name": name})))
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    write_text_atomic(folder / f"{sid}.json", json.dumps({"name": name, "saved_at": when}))
    return Saved(sid, name, when, path)


def list_saved(root: Path) -> list[Saved]:
    """The saved scenarios, most recently saved first (a file without its partner is skipped)."""
    out = []
    for meta in (root / "scenarios").glob("*.json"):
        sid = valid_id(meta.stem)
        yml = meta.with_suffix(".yaml")
        if sid is None or not yml.is_file():
            continue
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            out.append(Saved(sid, clean_name(data["name"]), str(data.get("saved_at", "")), yml))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=lambda s: (s.saved_at, s.name), reverse=True)


def get_saved(root: Path, sid: Any) -> Saved | None:
    sid = valid_id(sid)
    return next((s for s in list_saved(root) if s.id == sid), None) if sid else None


def delete_saved(root: Path, sid: str) -> bool:
    """Remove a saved scenario; False when there was none."""
    s = get_saved(root, sid)
    if s is None:
        return False
    s.path.unlink(missing_ok=True)
    (root / "scenarios" / f"{s.id}.json").unlink(missing_ok=True)
    return True
